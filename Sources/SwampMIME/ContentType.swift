// Content-Type handling. `saParse` mirrors Util.pm `parse_content_type`,
// which decides how SpamAssassin walks the MIME tree (regex-based and
// lenient); `parameters` is a proper RFC 2045/2231 parameter parser for the
// public `MIMEPart.parameters`.

struct ContentTypeInfo {
    var type: String
    var boundary: [UInt8]?
    var charset: [UInt8]?
    var name: [UInt8]?
    var missing: Bool
}

enum ContentType {
    /// `parse_content_type($decoded_value)`; nil input means no header.
    static func saParse(_ value: [UInt8]?) -> ContentTypeInfo {
        var missing = false
        var ct: [UInt8]
        if let v = value, !v.isEmpty, !(v.count == 1 && v[0] == 48) {
            ct = v
        } else {
            missing = true
            ct = Array("text/plain; charset=us-ascii".utf8)
        }
        // boundary: \bboundary\s*=\s*("[^"]+|[^\s";]+(?=[\s;]|$))
        var boundary: [UInt8]? = nil
        var from = 0
        while let at = firstIndexOfCI(Array("boundary".utf8), in: ct, from: from) {
            from = at + 1
            if at > 0 && ct[at - 1].isWord { continue }
            var j = at + 8
            while j < ct.count && ct[j].isSpace { j += 1 }
            guard j < ct.count, ct[j] == 61 else { continue }
            j += 1
            while j < ct.count && ct[j].isSpace { j += 1 }
            if j < ct.count && ct[j] == 34 {
                var k = j + 1
                while k < ct.count && ct[k] != 34 { k += 1 }
                if k > j + 1 { boundary = Array(ct[(j + 1)..<k]); break }
                continue
            }
            var k = j
            while k < ct.count && !ct[k].isSpace && ct[k] != 34 && ct[k] != 59 { k += 1 }
            if k > j {
                // (?=[\s;]|$): at k, we're at space/; / end, or a quote (fails)
                if k == ct.count || ct[k].isSpace || ct[k] == 59 || (k == ct.count - 1 && ct[k] == lf) {
                    boundary = Array(ct[j..<k]); break
                }
                // backtracking could find a shorter match ending before a
                // space; a quote right after the token makes it fail.
            }
        }
        if var b = boundary { b.removeAll(where: { $0 == 34 }); boundary = b }
        let charset = lazyParam(ct, names: ["charset"])
        var name = lazyParam(ct, names: ["filename", "name"])
        if name == nil || name!.isEmpty {
            // name*0=..., name*1=... continuations joined.
            var pieces: [Int: [UInt8]] = [:]
            var k = 0
            while k < ct.count {
                if let r = matchIndexedName(ct, at: k) {
                    pieces[r.index] = r.value
                    k = r.end
                } else { k += 1 }
            }
            if pieces[0] != nil {
                name = pieces.keys.sorted().flatMap { pieces[$0]! }
            }
        }
        // Type: strip leading ws, cut at ';', keep `something/something`.
        var t = Array(ct.drop(while: { $0.isSpace }))
        if let semi = t.firstIndex(of: 59) { t.removeSubrange(semi...) }
        if let slash = t.firstIndex(of: 47) {
            if slash == 0 { t = [] } else {
                var e = slash + 1
                while e < t.count && t[e] != 47 && !t[e].isSpace { e += 1 }
                t = Array(t[0..<e])
            }
        } else {
            // ^([^/]+) then .*$ -> keeps all (no slash)
        }
        t = t.lowercasedASCII()
        if t.isEmpty { missing = true }
        var type = t
        if t.isEmpty || (t.starts(with: "text".utf8) && (t.count == 4 || !t[4].isWord) &&
                         !(t.elementsEqual("text/x-vcard".utf8) || t.elementsEqual("text/calendar".utf8) || t.elementsEqual("text/html".utf8))) {
            type = Array("text/plain".utf8)
        }
        type.removeAll(where: { c in
            c <= 0x20 || c >= 0x7F || c == 0x22 || c == 0x28 || c == 0x29 || c == 0x2C ||
                (c >= 0x3A && c <= 0x3F) || c == 0x40 || (c >= 0x5B && c <= 0x5D)
        })
        return ContentTypeInfo(type: String(decoding: type, as: UTF8.self), boundary: boundary,
                               charset: charset, name: name, missing: missing)
    }

    /// `/\b(?:names)\s*=\s*["']?(.*?)["']?(?:;|$)/i` — the first match.
    static func lazyParam(_ ct: [UInt8], names: [String]) -> [UInt8]? {
        var best: (Int, [UInt8])? = nil
        for nm in names {
            let needle = Array(nm.utf8)
            var from = 0
            while let at = firstIndexOfCI(needle, in: ct, from: from) {
                from = at + 1
                if at > 0 && ct[at - 1].isWord { continue }
                // For "name", "filename" is handled by its own pass; skip when
                // preceded by "file" so positions stay as the regex finds them.
                var j = at + needle.count
                while j < ct.count && ct[j].isSpace { j += 1 }
                guard j < ct.count, ct[j] == 61 else { continue }
                j += 1
                while j < ct.count && ct[j].isSpace { j += 1 }
                if j < ct.count && (ct[j] == 34 || ct[j] == 39) { j += 1 }
                // lazily extend to the first ';' or the end; drop an optional
                // closing quote.
                var e = j
                while e < ct.count && ct[e] != 59 { e += 1 }
                var vEnd = e
                if e == ct.count && vEnd > j && ct[vEnd - 1] == lf { vEnd -= 1 }
                if vEnd > j && (ct[vEnd - 1] == 34 || ct[vEnd - 1] == 39) { vEnd -= 1 }
                let start = at
                if best == nil || start < best!.0 { best = (start, Array(ct[j..<max(j, vEnd)])) }
                break
            }
        }
        return best?.1
    }

    static func matchIndexedName(_ ct: [UInt8], at k: Int) -> (index: Int, value: [UInt8], end: Int)? {
        var j = k
        if ct.count - j >= 8, ct[j..<(j + 8)].equalsLowercase("filename") { j += 8 }
        else if ct.count - j >= 4, ct[j..<(j + 4)].equalsLowercase("name") { j += 4 }
        else { return nil }
        if k > 0 && ct[k - 1].isWord { return nil }
        guard j < ct.count, ct[j] == 42 else { return nil }
        j += 1
        var idx = 0, digits = 0
        while j < ct.count && ct[j].isDigit && digits < 6 { idx = idx * 10 + Int(ct[j] - 48); j += 1; digits += 1 }
        guard digits > 0 else { return nil }
        while j < ct.count && ct[j].isSpace { j += 1 }
        guard j < ct.count, ct[j] == 61 else { return nil }
        j += 1
        while j < ct.count && ct[j].isSpace { j += 1 }
        if j < ct.count && (ct[j] == 34 || ct[j] == 39) { j += 1 }
        var e = j
        while e < ct.count && ct[e] != 59 { e += 1 }
        var vEnd = e
        if vEnd > j && (ct[vEnd - 1] == 34 || ct[vEnd - 1] == 39) { vEnd -= 1 }
        return (idx, Array(ct[j..<max(j, vEnd)]), max(e, k + 1))
    }

    // MARK: RFC 2045 / 2231 parameters

    /// Parameters after the first `;`, names lowercased; RFC 2231
    /// continuations (`name*0*=`) joined and `charset'lang'%XX` values decoded.
    static func parameters(_ value: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        var continued: [String: [(Int, Bool, [UInt8])]] = [:]
        guard var i = value.firstIndex(of: 59) else { return result }
        i += 1
        let n = value.count
        var count = 0
        while i < n && count < 100 {
            count += 1
            while i < n && (value[i].isSpace || value[i] == 59) { i += 1 }
            let ns = i
            while i < n && value[i] != 61 && value[i] != 59 && !value[i].isSpace { i += 1 }
            let rawName = Array(value[ns..<i]).lowercasedASCII()
            while i < n && value[i].isSpace { i += 1 }
            guard i < n, value[i] == 61 else {
                while i < n && value[i] != 59 { i += 1 }
                continue
            }
            i += 1
            while i < n && value[i].isSpace { i += 1 }
            var v: [UInt8] = []
            if i < n && value[i] == 34 {
                i += 1
                while i < n && value[i] != 34 {
                    if value[i] == 92 && i + 1 < n { i += 1 }
                    v.append(value[i]); i += 1
                }
                if i < n { i += 1 }
            } else {
                while i < n && value[i] != 59 && !value[i].isSpace { v.append(value[i]); i += 1 }
            }
            while i < n && value[i] != 59 { i += 1 }
            guard !rawName.isEmpty else { continue }
            var name = rawName
            var extended = false
            if name.last == 42 { extended = true; name.removeLast() }
            if let star = name.lastIndex(of: 42), let idx = Int(String(decoding: name[(star + 1)...], as: UTF8.self)) {
                let base = String(decoding: name[..<star], as: UTF8.self)
                continued[base, default: []].append((idx, extended, v))
                continue
            }
            let key = String(decoding: name, as: UTF8.self)
            if extended {
                result[key] = decode2231(v, first: true, charset: nil).1
            } else if result[key] == nil {
                result[key] = String(decoding: v, as: UTF8.self)
            }
        }
        for (base, parts) in continued where result[base] == nil {
            let sorted = parts.sorted { $0.0 < $1.0 }
            var charset: String? = nil
            var bytes: [UInt8] = []
            for (k, p) in sorted.enumerated() {
                if p.1 {
                    let (cs, _, raw) = decode2231Raw(p.2, first: k == 0)
                    if k == 0 { charset = cs }
                    bytes += raw
                } else {
                    bytes += p.2
                }
            }
            result[base] = String(decoding: Charset.normalize(bytes, charset: charset ?? "us-ascii", insist: false), as: UTF8.self)
        }
        return result
    }

    static func decode2231Raw(_ v: [UInt8], first: Bool) -> (String?, String?, [UInt8]) {
        var body = v[...]
        var charset: String? = nil
        if first {
            let q = v.enumerated().filter { $0.element == 39 }.map { $0.offset }
            if q.count >= 2 {
                charset = String(decoding: v[0..<q[0]], as: UTF8.self)
                body = v[(q[1] + 1)...]
            }
        }
        var out: [UInt8] = []
        var i = body.startIndex
        while i < body.endIndex {
            if body[i] == 37, i + 2 < body.endIndex, body[i + 1].isHexDigit, body[i + 2].isHexDigit {
                out.append(body[i + 1].hexValue << 4 | body[i + 2].hexValue); i += 3
            } else { out.append(body[i]); i += 1 }
        }
        return (charset, nil, out)
    }

    static func decode2231(_ v: [UInt8], first: Bool, charset: String?) -> (String?, String) {
        let (cs, _, raw) = decode2231Raw(v, first: first)
        return (cs, String(decoding: Charset.normalize(raw, charset: cs ?? charset ?? "us-ascii", insist: false), as: UTF8.self))
    }
}
