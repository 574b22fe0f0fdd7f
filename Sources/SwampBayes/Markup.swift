// Removes what an earlier spam filter (SpamAssassin, or swamp) added to a
// message before it is learned or classified, so Bayes learns the message
// and not the previous filter's verdict. The semantics of SpamAssassin's
// `remove_spamassassin_markup` (Mail/SpamAssassin.pm): a `report_safe`
// wrapper gives back the original it encapsulates; otherwise X-Spam-*
// header fields are dropped and a `rewrite_header Subject` tag removed.

public enum FilterMarkup {
    /// The Content-Description `report_safe 1` gives the original
    /// (`encapsulated_content_description`).
    public static let encapsulatedDescription = "original message before SpamAssassin"

    /// The message without filter markup; `bytes` itself when there is none.
    public static func strip(_ bytes: [UInt8], subjectTag: String? = nil) -> [UInt8] {
        if !mayHaveMarkup(bytes, subjectTag: subjectTag) { return bytes }
        let lines = splitLines(bytes)
        var headerEnd = lines.count
        for (i, l) in lines.enumerated() where isBlank(l) { headerEnd = i; break }
        if let original = unwrapReportSafe(bytes, lines: lines, headerEnd: headerEnd) { return original }

        var changed = false
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var dropping = false
        let tag = subjectTag.map { Array($0.utf8) }
        for (i, l) in lines.enumerated() {
            if i >= headerEnd { out.append(contentsOf: l); continue }
            let continuation = l.first == 32 || l.first == 9
            if !continuation { dropping = hasPrefixCaseless(l, "x-spam-") && !hasPrefixCaseless(l, "x-spam-prev-") }
            if dropping { changed = true; continue }
            if let tag, !tag.isEmpty, hasPrefixCaseless(l, "subject:") {
                // "Subject: *****SPAM***** text" → "Subject: text"
                var v = Array(l.dropFirst(8))
                var lead = 0
                while lead < v.count && (v[lead] == 32 || v[lead] == 9) { lead += 1 }
                if v.count >= lead + tag.count, v[lead..<(lead + tag.count)].elementsEqual(tag) {
                    var after = lead + tag.count
                    if after < v.count && v[after] == 32 { after += 1 }
                    v.removeSubrange(lead..<after)
                    out += Array("Subject:".utf8) + v
                    changed = true
                    continue
                }
            }
            out.append(contentsOf: l)
        }
        return changed ? out : bytes
    }

    /// A quick look at the header section: markup needs an X-Spam- field,
    /// a multipart/mixed wrapper or the subject tag there. Most messages
    /// have none, and are then not split into lines at all.
    static func mayHaveMarkup(_ b: [UInt8], subjectTag: String?) -> Bool {
        var end = b.count
        var i = 0
        while i + 1 < b.count {
            if b[i] == 10 && (b[i + 1] == 10 || (b[i + 1] == 13 && i + 2 < b.count && b[i + 2] == 10)) { end = i; break }
            i += 1
        }
        let header = b[0..<end]
        func contains(_ needle: String) -> Bool {
            let n = Array(needle.utf8)
            guard header.count >= n.count else { return false }
            var k = header.startIndex
            while k + n.count <= header.endIndex {
                if asciiLower(header[k]) == n[0] {
                    var j = 1
                    while j < n.count && asciiLower(header[k + j]) == n[j] { j += 1 }
                    if j == n.count { return true }
                }
                k += 1
            }
            return false
        }
        if contains("x-spam-") || contains("multipart/mixed") { return true }
        if let tag = subjectTag, !tag.isEmpty, contains(tag.lowercased()) { return true }
        return false
    }

    /// The encapsulated original of a `report_safe 1|2` message.
    static func unwrapReportSafe(_ bytes: [UInt8], lines: [ArraySlice<UInt8>], headerEnd: Int) -> [UInt8]? {
        guard let ct = headerValue(lines[..<headerEnd], "content-type") else { return nil }
        let lower = String(decoding: ct.map(asciiLower), as: UTF8.self)
        guard lower.hasPrefix("multipart/mixed"), let b = boundary(ct) else { return nil }
        let delimiter = Array("--".utf8) + b
        var i = headerEnd + 1
        while i < lines.count {
            guard startsWith(lines[i], delimiter) else { i += 1; continue }
            // Part headers up to the blank line.
            var j = i + 1
            while j < lines.count && !isBlank(lines[j]) { j += 1 }
            let partCT = headerValue(lines[(i + 1)..<min(j, lines.count)], "content-type").map {
                String(decoding: $0.map(asciiLower), as: UTF8.self)
            } ?? ""
            let partCD = headerValue(lines[(i + 1)..<min(j, lines.count)], "content-description").map {
                String(decoding: $0, as: UTF8.self)
            } ?? ""
            let original = (partCT.hasPrefix("message/rfc822") || partCT.hasPrefix("text/plain"))
                && partCT.contains("x-spam-type=original")
                || (partCT == "message/rfc822" && partCD == encapsulatedDescription)
            if original {
                var body: [UInt8] = []
                var k = j + 1
                var parts: [ArraySlice<UInt8>] = []
                while k < lines.count && !startsWith(lines[k], delimiter) { parts.append(lines[k]); k += 1 }
                if k < lines.count, let last = parts.last, isBlank(last) { parts.removeLast() }
                for p in parts { body.append(contentsOf: p) }
                return body
            }
            i = j
        }
        return nil
    }

    static func boundary(_ ct: [UInt8]) -> [UInt8]? {
        let lower = ct.map(asciiLower)
        let key = Array("boundary".utf8)
        guard lower.count > key.count else { return nil }
        for i in 0...(lower.count - key.count) where lower[i..<(i + key.count)].elementsEqual(key) {
            var j = i + key.count
            while j < ct.count && (ct[j] == 32 || ct[j] == 9) { j += 1 }
            guard j < ct.count, ct[j] == 61 else { continue }
            j += 1
            while j < ct.count && (ct[j] == 32 || ct[j] == 9) { j += 1 }
            if j < ct.count && (ct[j] == 34 || ct[j] == 39) {
                let q = ct[j]
                guard let end = ct[(j + 1)...].firstIndex(of: q) else { return nil }
                return Array(ct[(j + 1)..<end])
            }
            var end = j
            while end < ct.count && ct[end] != 59 && !isPerlSpace(ct[end]) { end += 1 }
            return end > j ? Array(ct[j..<end]) : nil
        }
        return nil
    }

    /// The unfolded value of the first field `name` (lowercase) in `lines`.
    static func headerValue(_ lines: ArraySlice<ArraySlice<UInt8>>, _ name: String) -> [UInt8]? {
        let prefix = name + ":"
        var idx = lines.startIndex
        while idx < lines.endIndex {
            let l = lines[idx]
            if hasPrefixCaseless(l, prefix) {
                var v = Array(l.dropFirst(prefix.utf8.count))
                var k = idx + 1
                while k < lines.endIndex, let f = lines[k].first, f == 32 || f == 9 { v += lines[k]; k += 1 }
                let trimmed = v.filter { $0 != 13 && $0 != 10 }
                var s = trimmed[...]
                while let f = s.first, f == 32 || f == 9 { s = s.dropFirst() }
                return Array(s)
            }
            idx += 1
        }
        return nil
    }

    /// Lines with their line endings.
    static func splitLines(_ b: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var s = 0
        for (i, c) in b.enumerated() where c == 10 { out.append(b[s...i]); s = i + 1 }
        if s < b.count { out.append(b[s...]) }
        return out
    }

    static func isBlank(_ l: ArraySlice<UInt8>) -> Bool { l.allSatisfy { $0 == 10 || $0 == 13 } }

    static func startsWith(_ l: ArraySlice<UInt8>, _ p: [UInt8]) -> Bool {
        l.count >= p.count && l.prefix(p.count).elementsEqual(p)
    }

    static func hasPrefixCaseless(_ l: ArraySlice<UInt8>, _ p: String) -> Bool {
        let pb = Array(p.utf8)
        return l.count >= pb.count && zip(l.prefix(pb.count), pb).allSatisfy { asciiLower($0) == $1 }
    }
}
