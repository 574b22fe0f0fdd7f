// Transfer decodings with SpamAssassin's tolerance (Util.pm `base64_decode`,
// `qp_decode`) and RFC 2047 encoded words in headers (Node.pm
// `_decode_header`).

enum Decoders {
    static let b64Table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in chars.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    /// Base64 that never fails: whitespace and junk are skipped. A clean
    /// input has inner `=` runs read as `A` (zero bits); a dirty one has them
    /// read as the last 6-bit value, as SpamAssassin's uudecode path does.
    static func base64<C: Collection>(_ input: C, limit: Int = .max) -> [UInt8] where C.Element == UInt8 {
        var clean: [UInt8] = []
        clean.reserveCapacity(input.count)
        for c in input where !c.isSpace { clean.append(c) }
        var isClean = clean.count % 4 == 0 && clean.count >= 2
        if isClean {
            // ^[A-Za-z0-9+/=]{2,}={0,2}$
            for c in clean where b64Table[Int(c)] < 0 && c != 61 { isClean = false; break }
        }
        var values: [UInt8] = []
        values.reserveCapacity(clean.count)
        if isClean {
            // Trailing `=` run is padding; inner ones become 'A'.
            var end = clean.count
            while end > 0 && clean[end - 1] == 61 { end -= 1 }
            for k in 0..<end { let c = clean[k]; values.append(c == 61 ? 0 : UInt8(b64Table[Int(c)])) }
        } else {
            // Keep only base64 characters, then drop the trailing `=` run.
            var kept: [UInt8] = []
            kept.reserveCapacity(clean.count)
            for c in clean where c == 61 || b64Table[Int(c)] >= 0 { kept.append(c) }
            var end = kept.count
            while end > 0 && kept[end - 1] == 61 { end -= 1 }
            for k in 0..<end { let c = kept[k]; values.append(c == 61 ? 63 : UInt8(b64Table[Int(c)])) }
            if values.count % 4 == 1 { values.removeLast() }
        }
        var out: [UInt8] = []
        out.reserveCapacity(min(values.count * 3 / 4 + 3, limit))
        var i = 0
        let n = values.count
        while i + 4 <= n && out.count < limit {
            let v = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12 | UInt32(values[i + 2]) << 6 | UInt32(values[i + 3])
            out.append(UInt8(v >> 16)); out.append(UInt8((v >> 8) & 0xFF)); out.append(UInt8(v & 0xFF))
            i += 4
        }
        let rem = n - i
        if rem >= 2 && out.count < limit {
            var v = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12
            if rem == 3 { v |= UInt32(values[i + 2]) << 6 }
            out.append(UInt8(v >> 16))
            if rem == 3 { out.append(UInt8((v >> 8) & 0xFF)) }
        }
        if out.count > limit { out.removeLast(out.count - limit) }
        return out
    }

    /// Quoted-printable: trailing blanks before line ends dropped, soft
    /// breaks joined, `=XX` decoded; anything else (`=ZZ`) kept literally.
    static func quotedPrintable<C: RandomAccessCollection>(_ b: C, limit: Int = .max) -> [UInt8]
    where C.Element == UInt8, C.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(min(b.count, limit))
        var i = b.startIndex
        let n = b.endIndex
        while i < n && out.count < limit {
            let c = b[i]
            if c == 32 || c == 9 {
                // Blanks directly before \r?\n are removed.
                var j = i
                while j < n && (b[j] == 32 || b[j] == 9) { j += 1 }
                if j == n || b[j] == lf || (b[j] == cr && j + 1 < n && b[j + 1] == lf) {
                    i = j; continue
                }
                out.append(contentsOf: b[i..<j]); i = j; continue
            }
            if c == 61 {  // '='
                if i + 1 < n && b[i + 1] == lf { i += 2; continue }
                if i + 2 < n && b[i + 1] == cr && b[i + 2] == lf { i += 3; continue }
                if i + 2 < n && b[i + 1].isHexDigit && b[i + 2].isHexDigit {
                    out.append(b[i + 1].hexValue << 4 | b[i + 2].hexValue); i += 3; continue
                }
                // `=` followed by blanks then a line end is a soft break only
                // after the blanks were removed (s/[ \t]+(?=\r?\n)// runs first).
                var j = i + 1
                while j < n && (b[j] == 32 || b[j] == 9) { j += 1 }
                if j > i + 1 && (j < n && (b[j] == lf || (b[j] == cr && j + 1 < n && b[j + 1] == lf))) {
                    i = b[j] == lf ? j + 1 : j + 2; continue
                }
            }
            out.append(c); i += 1
        }
        return out
    }

    /// `s/\r\n/\n/g`.
    static func squashCRLF(_ b: [UInt8]) -> [UInt8] {
        guard b.contains(cr) else { return b }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == cr && i + 1 < b.count && b[i + 1] == lf { i += 1; continue }
            out.append(b[i]); i += 1
        }
        return out
    }
}

// MARK: - Header decoding

enum HeaderDecoder {
    /// Fields whose encoded words SpamAssassin leaves alone.
    static func skipsEncodedWords(_ lname: String) -> Bool {
        switch lname {
        case "received", "message-id", "resent-message-id", "date", "resent-date", "mime-version",
             "references", "in-reply-to":
            return true
        default:
            return lname.hasPrefix("list-")
        }
    }

    /// What Node.pm stores as the decoded value: unfolded, trimmed, 8-bit
    /// text made UTF-8, encoded words decoded.
    static func decodedValue(raw: [UInt8], lname: String) -> [UInt8] {
        // s/\n[ \t]+/ /g
        var v: [UInt8] = []
        v.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let c = raw[i]
            if c == lf && i + 1 < raw.count && raw[i + 1].isWSP {
                v.append(sp); i += 1
                while i < raw.count && raw[i].isWSP { i += 1 }
                continue
            }
            v.append(c); i += 1
        }
        let t = Array(trimSpace(v))
        return decodeFieldBody(t, lname: lname)
    }

    /// `_decode_header`.
    static func decodeFieldBody(_ input: [UInt8], lname: String) -> [UInt8] {
        if input.isEmpty { return [] }
        var body: [UInt8] = []
        body.reserveCapacity(input.count)
        // Fold remnants: "\n[ \t]" -> "\n ", then drop \r?\n.
        for c in input where c != lf { body.append(c) }
        if body.count != input.count {
            // remove CR that preceded a removed LF
            var fixed: [UInt8] = []
            fixed.reserveCapacity(input.count)
            var k = 0
            while k < input.count {
                if input[k] == cr && k + 1 < input.count && input[k + 1] == lf { k += 2; continue }
                if input[k] == lf { k += 1; continue }
                fixed.append(input[k]); k += 1
            }
            body = fixed
        }
        if !Charset.isASCII(body) {
            body = Charset.normalize(body, charset: "UTF-8", insist: false)
        }
        if skipsEncodedWords(lname) { return body }
        guard firstIndexOf([61, 63], in: body, from: 0) != nil else { return body }
        return decodeEncodedWords(body)
    }

    struct Word { var range: Range<Int>; var charset: [UInt8]; var enc: UInt8; var text: Range<Int> }

    /// Matches `=?charset?[bq]?text?=` at `i`.
    static func matchWord(_ b: [UInt8], at i: Int) -> Word? {
        guard i + 1 < b.count, b[i] == 61, b[i + 1] == 63 else { return nil }
        var j = i + 2
        let csStart = j
        while j < b.count, b[j].isAlnum || b[j] == 42 || b[j] == 95 || b[j] == 45 { j += 1 }
        guard j > csStart, j < b.count, b[j] == 63 else { return nil }
        let cs = Array(b[csStart..<j])
        j += 1
        guard j + 1 < b.count, "bqBQ".utf8.contains(b[j]), b[j + 1] == 63 else { return nil }
        let enc = b[j] | 0x20
        j += 2
        let tStart = j
        while j < b.count && b[j] != 63 { j += 1 }
        guard j + 1 < b.count, b[j + 1] == 61 else { return nil }
        return Word(range: i..<(j + 2), charset: cs, enc: enc, text: tStart..<j)
    }

    static func decodeEncodedWords(_ b: [UInt8]) -> [UInt8] {
        // Sections: runs of text or of encoded words with the same charset
        // label are concatenated before charset decoding; whitespace between
        // two encoded words is dropped.
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var pending: [UInt8] = []
        var pendingCharset: [UInt8]? = nil  // nil: plain text section
        func flush() {
            if let cs = pendingCharset {
                var name = cs
                if let star = name.firstIndex(of: 42) { name.removeSubrange(star...) }
                out += Charset.normalize(pending, charset: name.latin1String, insist: true)
            } else {
                out += pending
            }
            pending.removeAll(keepingCapacity: true)
        }
        var i = 0
        var lastWasWord = false
        while i < b.count {
            if let w = matchWord(b, at: i) {
                let data: [UInt8]
                let t = b[w.text]
                if w.enc == 98 {
                    data = Decoders.base64(t)
                } else {
                    var q: [UInt8] = []
                    q.reserveCapacity(t.count)
                    for c in t { if c == 95 { q += [61, 50, 48] } else { q.append(c) } }
                    data = Decoders.quotedPrintable(q)
                }
                let cs = w.charset.lowercasedASCII()
                if pendingCharset != cs {
                    flush()
                    pendingCharset = cs
                }
                pending += data
                i = w.range.upperBound
                lastWasWord = true
                // Whitespace followed by another encoded word is dropped.
                var j = i
                while j < b.count && b[j].isSpace { j += 1 }
                if j > i, matchWord(b, at: j) != nil { i = j }
                continue
            }
            if lastWasWord || pendingCharset != nil { flush(); pendingCharset = nil }
            lastWasWord = false
            // Plain text: `[^=]+` or a single character.
            var j = i + 1
            if b[i] != 61 { while j < b.count && b[j] != 61 { j += 1 } }
            pending += b[i..<j]
            i = j
        }
        flush()
        return out
    }
}
