// The body and rawbody views (Message.pm `get_body_text_array_common`,
// `get_decoded_body_text_array`, Node.pm `rendered`), and the body split by
// visibility that Bayes reads (`visible_rendered`, `invisible_rendered`).

struct RenderedBody {
    var lines: [[UInt8]]
    var htmlURIs: [[UInt8]]
    /// Whether some HTML part had text HTML.pm judges invisible; without
    /// any, the visible text is the whole text and the invisible text empty.
    var hasInvisibleText = false
    /// The rendered parts (for the split by visibility and for evals that
    /// read one part's text).
    var parts: RenderedParts? = nil
    /// What HTML.pm recorded for each non-empty text/html part.
    var html: [HTMLStats] = []
    /// Nil when the message has no multipart/alternative part.
    var alternative: AlternativeDifference? = nil
}

/// Each leaf part rendered once, in document order.
struct RenderedParts: Sendable {
    enum Leaf: Sendable {
        /// Neither text/plain nor text/html: no text, but a part break.
        case other
        /// Text that is all visible (text/plain, and empty HTML).
        case plain([UInt8], unicode: Bool)
        /// Rendered HTML; `flagged` when its input was a character string.
        case html(HTMLResult, flagged: Bool)
    }
    var leaves: [Leaf] = []
    var htmlURIs: [[UInt8]] = []
    var hasInvisibleText = false
    var html: [HTMLStats] = []
}

/// Which text of each part goes in: Message.pm's `get_body_text_array_common`
/// method name (`rendered`, `visible_rendered`, `invisible_rendered`).
enum BodyVariant {
    case all, visible, invisible
}

enum BodyRenderer {
    /// Leaves in document order (Node.pm `find_parts(qr/./, 1)`).
    static func leaves(_ root: MIMEPart) -> [MIMEPart] {
        var out: [MIMEPart] = []
        var stack: [MIMEPart] = [root]
        while let p = stack.popLast() {
            if p.children.isEmpty {
                if p.mediaType.hasPrefix("multipart/") && p.encodedBody.isEmpty && p.messageInfo == nil && p.decodedBody.isEmpty {
                    // an empty multipart container: not a leaf
                    if p.headers.isEmpty || true { continue }
                }
                out.append(p)
            } else {
                stack.append(contentsOf: p.children.reversed())
            }
        }
        return out
    }

    /// Node.pm `effective_type`: a file name ending .htm(l)/.shtml means HTML.
    static func effectiveType(_ p: MIMEPart) -> String {
        if let n = p.fileName {
            let l = n.lowercasedASCII()
            for suf in [".html", ".htm", ".shtml", ".shtm"] where l.count >= suf.count && l.suffix(suf.count).elementsEqual(suf.utf8) {
                return "text/html"
            }
        }
        return p.mediaType
    }

    /// The `body` view: every part's text, visible or not. The rendered
    /// parts come back too when some HTML text was invisible, so that the
    /// split by visibility (`renderByVisibility(parts:subject:)`) need not
    /// render them again.
    static func render(message: Message, subject: [UInt8]) -> RenderedBody {
        let parts = renderParts(message)
        let texts = assemble(parts, variants: [.all], scansize: message.limits.bodyPartScanSize)
        var body = RenderedBody(lines: texts[0].lines(subject: subject), htmlURIs: parts.htmlURIs,
                                hasInvisibleText: parts.hasInvisibleText)
        body.parts = parts
        body.html = parts.html
        body.alternative = alternativeDifference(message, parts)
        return body
    }

    /// The visible and the invisible text, rendering each part once. The
    /// invisible text has an empty Subject, as in Message.pm.
    static func renderByVisibility(message: Message, subject: [UInt8]) -> (visible: [[UInt8]], invisible: [[UInt8]]) {
        renderByVisibility(parts: renderParts(message), scansize: message.limits.bodyPartScanSize, subject: subject)
    }

    /// The same from parts already rendered.
    static func renderByVisibility(parts: RenderedParts, scansize: Int,
                                   subject: [UInt8]) -> (visible: [[UInt8]], invisible: [[UInt8]]) {
        let texts = assemble(parts, variants: [.visible, .invisible], scansize: scansize)
        return (texts[0].lines(subject: subject), texts[1].lines(subject: []))
    }

    /// One variant's text, joined part by part.
    struct Assembly {
        let variant: BodyVariant
        var text: [UInt8] = []
        /// Perl keeps the joined text as octets unless some part became a
        /// character string; that decides both `\s` and the final encoding.
        var unicode = false
        /// A message without a single leaf part has no body text at all, not
        /// even the Subject (Message.pm returns early).
        var hasParts = false

        /// Message.pm puts a line break between parts, text or not, once
        /// there is text.
        mutating func startPart() {
            hasParts = true
            if !text.isEmpty { text.append(lf) }
        }

        mutating func add(_ part: [UInt8], unicode: Bool, scansize: Int) {
            var rnd = part
            if unicode { self.unicode = true }
            truncate(&rnd, scansize: scansize, breakers: [lf, sp])
            text += rnd
        }

        func lines(subject: [UInt8]) -> [[UInt8]] {
            guard hasParts else { return [] }
            var joined = collapse(text, unicode: unicode)
            // `tr/\x00/\n/` also turns NULs that were in the text into line breaks.
            for k in joined.indices where joined[k] == 0 { joined[k] = lf }
            if !unicode && !Charset.isASCII(joined) { joined = latin1(joined) }
            return shortLines(subject + joined)
        }
    }

    /// Renders each leaf part once (Node.pm `rendered`): its text, the
    /// HTML links, and whether any HTML text was invisible.
    static func renderParts(_ message: Message) -> RenderedParts {
        var parts = RenderedParts()
        for p in leaves(message.root) {
            let type = effectiveType(p)
            guard type == "text/plain" || type == "text/html" else { parts.leaves.append(.other); continue }
            let charset = p.charset.map { String(decoding: $0, as: UTF8.self) } ?? "us-ascii"
            let (t, flagged) = Charset.normalizeFlagged(p.decodedBody, charset: charset, insist: false)
            guard !p.decodedBody.isEmpty && type == "text/html" else {
                // Plain text (and empty HTML) is all visible.
                parts.leaves.append(.plain(t, unicode: flagged))
                continue
            }
            var r = HTMLRenderer.render(t, maxURIs: message.limits.maxURIs)
            // Node.pm counts characters when the text was decoded, else bytes.
            func length(_ b: [UInt8]) -> Int { flagged ? b.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } : b.count }
            r.stats.length = length(t)
            r.stats.nonSpaceLength = length(r.text) - r.text.reduce(0) { $0 + ($1 == 32 || ($1 >= 9 && $1 <= 13) ? 1 : 0) }
            parts.html.append(r.stats)
            parts.htmlURIs += r.uris
            if r.chunks.contains(where: \.invisible) { parts.hasInvisibleText = true }
            parts.leaves.append(.html(r, flagged: flagged))
        }
        return parts
    }

    /// Adds each rendered part's text to each variant.
    static func assemble(_ parts: RenderedParts, variants: [BodyVariant], scansize: Int) -> [Assembly] {
        var texts = variants.map { Assembly(variant: $0) }
        for leaf in parts.leaves {
            for k in texts.indices { texts[k].startPart() }
            switch leaf {
            case .other:
                continue
            case .plain(let t, let flagged):
                for k in texts.indices where texts[k].variant != .invisible {
                    texts[k].add(t, unicode: flagged, scansize: scansize)
                }
            case .html(let r, let flagged):
                // HTML.pm's text is a character string when its input was, or
                // when an entity gave a character above U+00FF. A selection of
                // no pieces (`get_rendered_text(invisible => ...)`) is an empty
                // octet string.
                for k in texts.indices {
                    switch texts[k].variant {
                    case .all:
                        texts[k].add(r.text, unicode: flagged || hasWideChar(r.text), scansize: scansize)
                    case .visible, .invisible:
                        let wanted = texts[k].variant == .invisible
                        let rnd = r.text(invisible: wanted)
                        let unicode = (flagged && r.chunks.contains { $0.invisible == wanted }) || hasWideChar(rnd)
                        texts[k].add(rnd, unicode: unicode, scansize: scansize)
                    }
                }
            }
        }
        return texts
    }

    /// Any code point above U+00FF in UTF-8 text.
    static func hasWideChar(_ t: [UInt8]) -> Bool {
        for c in t where c >= 0xC4 && c & 0xC0 == 0xC0 { return true }
        return false
    }

    /// UTF-8 text whose code points are all below 256, as Latin-1 octets.
    static func latin1(_ t: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            let c = t[i]
            if (c == 0xC2 || c == 0xC3), i + 1 < t.count, t[i + 1] & 0xC0 == 0x80 {
                out.append((c & 0x03) << 6 | (t[i + 1] & 0x3F)); i += 2
            } else { out.append(c); i += 1 }
        }
        return out
    }

    /// Byte offset of character index `n` in UTF-8 text (or nil if shorter).
    static func byteOffset(ofChar n: Int, in t: [UInt8]) -> Int? {
        var chars = 0
        for (i, c) in t.enumerated() where c & 0xC0 != 0x80 {
            if chars == n { return i }
            chars += 1
        }
        return nil
    }

    /// body_part_scan_size: cut after a newline (or space) found within
    /// 1,024 characters past the limit, else at the limit.
    static func truncate(_ rnd: inout [UInt8], scansize: Int, breakers: [UInt8]) {
        guard scansize > 0, rnd.count > scansize, let start = byteOffset(ofChar: scansize, in: rnd) else { return }
        let windowEnd = byteOffset(ofChar: scansize + 1025, in: rnd) ?? rnd.count
        for b in breakers {
            if let idx = rnd[start...].firstIndex(of: b) {
                if idx < windowEnd { rnd.removeSubrange((idx + 1)...); return }
            }
        }
        rnd.removeSubrange(start...)
    }

    /// Length of a Perl `\s` character (Unicode whitespace) at i, or 0.
    @inline(__always) static func wsLength(_ t: [UInt8], _ i: Int, unicode: Bool) -> Int {
        let c = t[i]
        if c < 0x80 { return c.isSpace ? 1 : 0 }
        if !unicode { return 0 }
        if c == 0xC2, i + 1 < t.count, t[i + 1] == 0x85 || t[i + 1] == 0xA0 { return 2 }
        if c == 0xE1, i + 2 < t.count, t[i + 1] == 0x9A, t[i + 2] == 0x80 { return 3 }
        if c == 0xE2, i + 2 < t.count {
            let b1 = t[i + 1], b2 = t[i + 2]
            if b1 == 0x80 && (b2 <= 0x8A || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) { return 3 }
            if b1 == 0x81 && b2 == 0x9F { return 3 }
        }
        if c == 0xE3, i + 2 < t.count, t[i + 1] == 0x80, t[i + 2] == 0x80 { return 3 }
        return 0
    }

    /// `s/\n+\s*\n+/\0/g; s/\s+/ /g; tr/\0/\n/`.
    static func collapse(_ t: [UInt8], unicode: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        var i = 0
        let n = t.count
        while i < n {
            let w = wsLength(t, i, unicode: unicode)
            if w == 0 { out.append(t[i]); i += 1; continue }
            // A whitespace run: note the first and last newline.
            let st = i
            var firstNL = -1, lastNL = -1
            while i < n {
                let l = wsLength(t, i, unicode: unicode)
                if l == 0 { break }
                if t[i] == lf { if firstNL < 0 { firstNL = i }; lastNL = i }
                i += l
            }
            if firstNL >= 0 && lastNL > firstNL {
                if firstNL > st { out.append(sp) }
                out.append(lf)
                if lastNL + 1 < i { out.append(sp) }
            } else {
                out.append(sp)
            }
        }
        return out
    }

    /// `split_into_array_of_short_lines`.
    static func shortLines(_ t: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var s = 0
        func emit(_ a: Int, _ b: Int) {
            var a = a
            while b - a > maxBodyLineLength {
                var cut = -1
                var k = a + maxBodyLineLength
                while k >= a { if t[k] == sp { cut = k; break }; k -= 1 }
                let len = cut >= 0 ? cut - a + 1 : maxBodyLineLength
                out.append(Array(t[a..<(a + len)])); a += len
            }
            out.append(Array(t[a..<b]))
        }
        for (k, c) in t.enumerated() where c == lf { emit(s, k + 1); s = k + 1 }
        if s < t.count { emit(s, t.count) }
        return out
    }

    /// rawbody: decoded text and message parts, in 2–4 KB paragraphs.
    static func decodedBody(message: Message) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let scansize = message.limits.rawbodyPartScanSize
        for p in leaves(message.root) {
            let type = effectiveType(p)
            guard type.hasPrefix("text") || type.hasPrefix("message") else { continue }
            if type.hasPrefix("text"), type.count > 4, type.utf8[type.utf8.index(type.utf8.startIndex, offsetBy: 4)].isWord { continue }
            if type.hasPrefix("message"), type.count > 7, type.utf8[type.utf8.index(type.utf8.startIndex, offsetBy: 7)].isWord { continue }
            if p.mediaType == "text/calendar" { continue }
            var raw = p.decodedBody
            if scansize > 0 && raw.count > scansize {
                var done = false
                for b in [lf, UInt8(62), sp] {
                    if let idx = raw[scansize...].firstIndex(of: b), idx - scansize <= 1024 {
                        raw.removeSubrange((idx + 1)...); done = true; break
                    }
                }
                if !done { raw.removeSubrange(scansize...) }
            }
            out += shortParagraphs(raw)
        }
        return out
    }

    /// `split_into_array_of_short_paragraphs`.
    static func shortParagraphs(_ t: [UInt8]) -> [[UInt8]] {
        let m = maxBodyLineLength
        let len = t.count
        if len <= m { return [t] }
        var out: [[UInt8]] = []
        var ofs = 0
        while len - ofs > 2 * m {
            var j = -1
            for b in [lf, UInt8(62), sp] {
                if let idx = t[(ofs + m)...].firstIndex(of: b), idx - ofs + 1 <= 2 * m { j = idx; break }
            }
            if j < 0 { j = ofs + m }
            out.append(Array(t[ofs...j]))
            ofs = j + 1
        }
        if ofs < len { out.append(Array(t[ofs...])) }
        return out
    }
}
