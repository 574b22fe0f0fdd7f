// What SpamAssassin's MIMEEval plugin learns from a message's MIME structure
// in one pass over its parts (`_check_attachments`, `_check_mime_header`,
// `_check_base64_length`): part counts by type and encoding, the
// quoted-printable density, illegal bytes in ASCII text, the text/HTML
// size ratio of multipart/alternative mail, the longest base64 line.
// Computed once per message from the parts as they stand (nothing is
// decoded again), the first time an eval asks.

public struct MIMEFacts: Sendable, Equatable {
    public var base64Count = 0
    public var base64EncodedText = false
    public var htmlBodyCount = 0
    public var textBodyCount = 0
    public var qpCount = 0
    public var qpLongLine = false
    public var qpRatio = 0.0
    public var attachmentCount = 0
    public var badISOCharset = false
    public var multipartAlternative = false
    /// text/plain bytes over text/html bytes of the last pair of parts in
    /// multipart/alternative mail; 1 otherwise.
    public var multipartRatio = 1.0
    /// Lines of us-ascii text/plain parts holding NUL, CR or 8-bit bytes.
    public var asciiTextIllegal = 0
    /// `&#xHHHH;` entities per byte of 7bit/8bit text/plain.
    public var textUnicodeRatio = 0.0
    /// Charsets of every part (lowercased), as `mime_html_charsets` keeps them.
    public var charsets: [String] = []
    /// The longest line of a base64 part other than application/ics, with
    /// its line break (`check_base64_length`).
    public var longestBase64Line = 0
    /// Whether some multipart/alternative holds a part that is neither
    /// text, multipart/related nor application/rtf (`check_ma_non_text`).
    public var alternativeNonText = false
    /// Whether the parser stopped at the part limit.
    public var partLimitExceeded = false

    public init() {}

    /// The value `check_for_mime(NAME)` tests, or nil for a name the plugin
    /// never sets (then the rule never hits).
    public func value(named name: String) -> Double? {
        switch name {
        case "mime_base64_count": return Double(base64Count)
        case "mime_base64_encoded_text": return base64EncodedText ? 1 : 0
        case "mime_body_html_count": return Double(htmlBodyCount)
        case "mime_body_text_count": return Double(textBodyCount)
        case "mime_faraway_charset": return 0  // ok_locales is "all": see `faraway`
        case "mime_missing_boundary": return 0  // see below
        case "mime_multipart_alternative": return multipartAlternative ? 1 : 0
        case "mime_multipart_ratio": return multipartRatio
        case "mime_qp_count": return Double(qpCount)
        case "mime_qp_long_line": return qpLongLine ? 1 : 0
        case "mime_qp_ratio": return qpRatio
        case "mime_ascii_text_illegal": return Double(asciiTextIllegal)
        case "mime_text_unicode_ratio": return textUnicodeRatio
        // Set only when some part asks for them.
        case "mime_attachment": return attachmentCount > 0 ? Double(attachmentCount) : nil
        case "mime_bad_iso_charset": return badISOCharset ? 1 : nil
        // SpamAssassin 4.0.1 sets this on the message object, where
        // check_for_mime never looks, so MIMEPART_LIMIT_EXCEEDED never hits
        // there; swamp answers what the rule means.
        case "mimepart_limit_exceeded": return partLimitExceeded ? 1 : nil
        default: return nil
        }
    }
    // mime_missing_boundary: SpamAssassin reads the parser's boundary state
    // table, which its 4.0.1 parser no longer fills, so it stays 0.

    init(message: Message) {
        let parts = message.allParts
        var qpBytes = 0, qpEncoded = 0
        var normalChars = 0, unicodeChars = 0
        // Leaf parts in order: type, and text bytes when counted.
        var leafTypes: [String] = []
        var leafBytes: [Int?] = []
        for p in parts {
            let ctype = p.mediaType
            if ctype == "multipart/alternative" { multipartAlternative = true }
            let cte = MIMEFacts.header(p, "content-transfer-encoding")
            let cd = MIMEFacts.header(p, "content-disposition")
            let charset = p.charset.map { String(decoding: $0, as: UTF8.self).lowercased() }
            checkHeader(ctype: ctype, cte: cte, cd: cd, charset: charset ?? "")
            if ctype == "multipart/alternative" && !alternativeNonText {
                alternativeNonText = MIMEFacts.holdsNonText(p)
            }
            if cte == "base64" && ctype != "application/ics" {
                forEachLine(p.encodedBody) { a, b in longestBase64Line = max(longestBase64Line, b - a) }
            }
            guard p.children.isEmpty else { continue }
            let isAttachment = cd.containsBytes("attachment")
            leafTypes.append(ctype)
            leafBytes.append(isAttachment ? nil : 0)
            let countBytes = !isAttachment && (ctype == "text/plain" || ctype == "text/html")
            let qp = cte == "quoted-printable"
            let asciiText = ctype == "text/plain" && (charset == nil || charset == "us-ascii")
            let unencodedText = ctype == "text/plain" && (cte == "" || cte == "7bit" || cte == "8bit")
            guard countBytes || qp || asciiText || unencodedText else { continue }
            let body = p.encodedBody
            forEachLine(body) { a, b in
                let length = b - a
                // The alternative flag is as far as the walk has come.
                if countBytes && multipartAlternative { leafBytes[leafBytes.count - 1]! += length }
                if qp && !MIMEFacts.startsWithSpamMarker(body, a, b) {
                    if length > 79 { qpLongLine = true }
                    qpBytes += length
                    qpEncoded += MIMEFacts.needlessQP(body, a, b)
                }
                if asciiText && body[a..<b].contains(where: { $0 == 0 || $0 == 13 || $0 >= 0x80 }) {
                    asciiTextIllegal += 1
                }
                if unencodedText {
                    let entities = MIMEFacts.unicodeEntities(body, a, b)
                    unicodeChars += entities
                    normalChars += length - 8 * entities
                }
            }
        }
        if qpBytes > 0 {
            qpRatio = Double(qpEncoded) / Double(qpBytes)
            qpCount = qpEncoded
        }
        if normalChars > 0 { textUnicodeRatio = Double(unicodeChars) / Double(normalChars) }
        if multipartAlternative {
            var text: Int? = nil, html: Int? = nil
            for i in stride(from: leafTypes.count - 1, through: 0, by: -1) {
                guard let bytes = leafBytes[i] else { continue }
                if html == nil && leafTypes[i] == "text/html" { html = bytes }
                else if text == nil && leafTypes[i] == "text/plain" { text = bytes }
                if html != nil && text != nil { break }
            }
            if let t = text, let h = html, h > 0 { multipartRatio = Double(t) / Double(h) }
        }
        partLimitExceeded = message.defects.contains("too many MIME parts")
    }

    /// `_check_mime_header`, for every part, leaf or not.
    private mutating func checkHeader(ctype: String, cte: String, cd: String, charset: String) {
        if ctype == "text/html" { htmlBodyCount += 1 } else if ctype.hasPrefix("text") { textBodyCount += 1 }
        if cte.containsBytes("base64") { base64Count += 1 } else if cte.containsBytes("quoted-printable") { qpCount += 1 }
        if cd.containsBytes("attachment") { attachmentCount += 1 }
        if ctype.hasPrefix("text") && cte.containsBytes("base64")
            && (charset.isEmpty || MIMEFacts.asciiCharsetNames.contains(where: { charset.contains($0) }))
            && !(cd.hasPrefix("attachment") || cd.hasPrefix("inline")) {
            base64EncodedText = true
        }
        if MIMEFacts.isBadISOCharset(charset) { badISOCharset = true }
        if charset.utf8.contains(where: { $0.isAlpha }) { charsets.append(charset) }
    }

    /// The names of US-ASCII a text part's charset is tested against (as
    /// substrings, as the plugin's unanchored pattern does).
    static let asciiCharsetNames = ["us-ascii", "ansi_x3.4-1968", "iso-ir-6", "ansi_x3.4-1986",
                                    "iso_646.irv:1991", "ascii", "iso646-us", "us", "ibm367", "cp367", "csascii"]

    /// `iso-X-Y` that is neither ISO 8859-N nor ISO 2022-JP/KR
    /// (`/iso-\S+-\S+\b/i` and not `/iso-(?:8859-\d{1,2}|2022-(?:jp|kr))\b/`).
    static func isBadISOCharset(_ charset: String) -> Bool {
        let c = Array(charset.utf8)
        func word(_ k: Int) -> Bool { k < c.count && (c[k].isAlnum || c[k] == 0x5F) }
        var bad = false
        var i = 0
        while i + 4 <= c.count {
            defer { i += 1 }
            guard c[i] == 0x69, c[i + 1] == 0x73, c[i + 2] == 0x6F, c[i + 3] == 0x2D else { continue }
            let r = i + 4
            // The allowed ones: 8859-N(N) and 2022-jp/kr, each ending a word.
            if c.count >= r + 6, c[r..<(r + 5)].elementsEqual("8859-".utf8), c[r + 5].isDigit {
                if !word(r + 6) || (c[r + 6].isDigit && !word(r + 7)) { return false }
            }
            if c.count >= r + 7, c[r..<(r + 7)].elementsEqual("2022-jp".utf8) || c[r..<(r + 7)].elementsEqual("2022-kr".utf8),
               !word(r + 7) { return false }
            // \S+-\S+\b: a '-' after at least one non-blank, then a word
            // character before the next blank.
            var j = r
            while j < c.count, !c[j].isSpace { j += 1 }
            if let d = c[(r + 1)..<max(r + 1, j)].firstIndex(of: 0x2D),
               c[(d + 1)..<j].contains(where: { $0.isAlnum || $0 == 0x5F }) {
                bad = true
            }
        }
        return bad
    }

    /// The last field's decoded value, lowercased, without its line break
    /// (`lc get_header(...)`, chomped); "" when absent.
    static func header(_ p: MIMEPart, _ name: String) -> String {
        guard var v = p.lastHeaderValue(name, raw: false) else { return "" }
        if v.last == lf { v.removeLast() }
        return String(decoding: v.lowercasedASCII(), as: UTF8.self)
    }

    /// Quoted-printable escapes of characters that need none (printable
    /// ASCII and tab, `=09 =3X(but =3D) =2X =4X =5X =6X =7X(but =7F)`), less
    /// the `=09`/`=20` run that ends the line, which encoding does need.
    static func needlessQP(_ b: [UInt8], _ start: Int, _ end: Int) -> Int {
        func hex(_ c: UInt8) -> Bool { c.isDigit || (c >= 0x41 && c <= 0x46) }
        var count = 0
        var i = start
        while i + 2 < end {
            if b[i] == 0x3D {
                let h = b[i + 1], l = b[i + 2]
                let ok: Bool
                switch h {
                case 0x30: ok = l == 0x39
                case 0x33: ok = l.isDigit || (hex(l) && l != 0x44)
                case 0x32, 0x34, 0x35, 0x36: ok = hex(l)
                case 0x37: ok = hex(l) && l != 0x46
                default: ok = false
                }
                if ok { count += 1; i += 3; continue }
            }
            i += 1
        }
        guard count > 0 else { return 0 }
        // ((?:=09|=20)+)\s*$ : the trailing run of encoded blanks.
        var e = end
        while e > start, b[e - 1].isSpace { e -= 1 }
        var trailing = 0
        while e - 3 >= start, b[e - 3] == 0x3D,
              (b[e - 2] == 0x30 && b[e - 1] == 0x39) || (b[e - 2] == 0x32 && b[e - 1] == 0x30) {
            trailing += 1
            e -= 3
        }
        return count - trailing
    }

    /// `&#xHHHH;` with upper-case hex digits, as the plugin counts them.
    static func unicodeEntities(_ b: [UInt8], _ start: Int, _ end: Int) -> Int {
        func hex(_ c: UInt8) -> Bool { c.isDigit || (c >= 0x41 && c <= 0x46) }
        var count = 0
        var i = start
        while i + 8 <= end {
            if b[i] == 0x26, b[i + 1] == 0x23, b[i + 2] == 0x78, hex(b[i + 3]), hex(b[i + 4]), hex(b[i + 5]),
               hex(b[i + 6]), b[i + 7] == 0x3B {
                count += 1
                i += 8
            } else {
                i += 1
            }
        }
        return count
    }

    static func startsWithSpamMarker(_ b: [UInt8], _ start: Int, _ end: Int) -> Bool {
        let marker: [UInt8] = Array("SPAM: ".utf8)
        return end - start >= marker.count && b[start..<(start + marker.count)].elementsEqual(marker)
    }

    /// `check_ma_non_text`: the leaves directly under a
    /// multipart/alternative (`find_parts(qr/./, 1, 0)`: one level down).
    static func holdsNonText(_ alternative: MIMEPart) -> Bool {
        alternative.children.contains { p in
            let t = p.mediaType
            return p.children.isEmpty && !(t == "multipart/related" || t == "application/rtf" || t.hasPrefix("text/"))
        }
    }
}

/// Calls `body` with the bounds of each line, its line break included
/// (the lines of SpamAssassin's `raw()`).
@inline(__always)
func forEachLine(_ b: [UInt8], _ body: (Int, Int) -> Void) {
    var start = 0
    let n = b.count
    while start < n {
        var end = start
        while end < n && b[end] != lf { end += 1 }
        if end < n { end += 1 }
        body(start, end)
        start = end
    }
}
