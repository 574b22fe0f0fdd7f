// Address lists as SpamAssassin's `:addr` and `:name` modifiers read them
// (Util.pm `parse_header_addresses`, its relaxed internal parser): a phrase
// and an angle address, or a bare address, or a bare phrase, each optionally
// followed by a comment, separated by commas or semicolons. Parsing stops at
// the first item that does not fit; any `<user@host>` left over still counts.

struct ParsedAddress {
    var phrase: [UInt8]?
    var address: [UInt8]?
}

enum AddressParser {
    static func isMailreLocal(_ c: UInt8) -> Bool {
        !(c == 64 || c.isSpace || c == 60 || c == 62 || c == 40 || c == 41 || c == 91 || c == 93 || c == 44 || c == 58 || c == 59)
    }
    static func isMailreDomain(_ c: UInt8) -> Bool {
        !(c == 34 || c.isSpace || c == 60 || c == 62 || c == 40 || c == 41 || c == 91 || c == 93 || c == 44 || c == 58 || c == 59)
    }

    /// Matches header_address_mailre at i; returns the end index.
    static func matchMailre(_ s: [UInt8], _ i: Int) -> Int? {
        var j = i
        var quotedOK = false
        if j < s.count && s[j] == 34 {
            j += 1
            while j < s.count && s[j] != 34 { if s[j] == 92 && j + 1 < s.count { j += 1 }; j += 1 }
            if j < s.count { j += 1; quotedOK = j < s.count && s[j] == 64 }
        }
        if !quotedOK {
            // The unquoted form, whose class also admits '"'.
            j = i
            while j < s.count && isMailreLocal(s[j]) { j += 1 }
            if j == i { return nil }
        }
        guard j < s.count, s[j] == 64 else { return nil }
        j += 1
        if j < s.count && s[j] == 91 {
            var k = j + 1
            while k < s.count && (s[k].isDigit || s[k] == 58 || s[k] == 46) { k += 1 }
            if k < s.count && s[k] == 93 && k > j + 1 { return k + 1 }
        }
        let ds = j
        while j < s.count && isMailreDomain(s[j]) { j += 1 }
        return j > ds ? j : nil
    }

    static func isWholeMailre(_ s: [UInt8]) -> Bool { matchMailre(s, 0) == s.count }

    static func validParsed(_ a: [UInt8]?) -> Bool {
        guard let a else { return false }
        if a.starts(with: [34, 34, 64]) { return false }
        return a.filter { $0 == 34 }.count != 1
    }

    /// Phrase: (quoted | [^",;<]++)+ ; returns end or nil when empty.
    static func matchPhrase(_ s: [UInt8], _ i: Int) -> Int? {
        var j = i
        while j < s.count {
            if s[j] == 34 {
                var k = j + 1
                while k < s.count && s[k] != 34 { if s[k] == 92 && k + 1 < s.count { k += 1 }; k += 1 }
                if k >= s.count { break }
                j = k + 1
            } else if s[j] == 44 || s[j] == 59 || s[j] == 60 {
                break
            } else {
                while j < s.count && s[j] != 34 && s[j] != 44 && s[j] != 59 && s[j] != 60 { j += 1 }
            }
        }
        return j > i ? j : nil
    }

    /// Optional comment then \s* then [,;] or end. Returns (comment, end).
    static func matchTail(_ s: [UInt8], _ i: Int) -> ([UInt8]?, Int)? {
        var j = i
        var comment: [UInt8]? = nil
        var k = j
        while k < s.count && s[k].isSpace { k += 1 }
        if k < s.count && s[k] == 40 {
            var e = k + 1
            var ok = false
            while e < s.count {
                if s[e] == 92 && e + 1 < s.count { e += 2; continue }
                if s[e] == 40 { break }
                if s[e] == 41 { ok = true; break }
                e += 1
            }
            if ok { comment = Array(s[(k + 1)..<e]); j = e + 1 }
        }
        while j < s.count && s[j].isSpace { j += 1 }
        if j == s.count { return (comment, j) }
        if s[j] == 44 || s[j] == 59 { return (comment, j + 1) }
        return nil
    }

    static func stripComments(_ s: [UInt8]) -> [UInt8] {
        // Removes RFC 5322 comments that hold no other comment (one level
        // at a time), honouring backslash escapes, as SpamAssassin does.
        var out: [UInt8] = []
        var i = 0
        while i < s.count {
            if s[i] == 40 {
                var e = i + 1
                var ok = false
                while e < s.count {
                    if s[e] == 92 && e + 1 < s.count { e += 2; continue }
                    if s[e] == 40 { break }
                    if s[e] == 41 { ok = true; break }
                    e += 1
                }
                if ok { i = e + 1; continue }
            }
            out.append(s[i]); i += 1
        }
        return out
    }

    static func parse(_ input: [UInt8]) -> [ParsedAddress] {
        var s = Array(input)
        while let l = s.last, l.isSpace { s.removeLast() }
        guard s.contains(where: { !$0.isSpace }) else { return [] }
        // s/\\\\//g
        var t: [UInt8] = []
        var i = 0
        while i < s.count { if s[i] == 92 && i + 1 < s.count && s[i + 1] == 92 { i += 2; continue }; t.append(s[i]); i += 1 }
        s = t
        // Group syntax: a leading `label:` is removed.
        var k = 0
        while k < s.count && s[k] != 34 && s[k] != 40 && s[k] != 41 && s[k] != 60 && s[k] != 62 && s[k] != 58 { k += 1 }
        if k > 0 && k < s.count && s[k] == 58 {
            var e = k + 1
            while e < s.count && s[e].isSpace { e += 1 }
            s = Array(s[e...])
        }
        var results: [ParsedAddress] = []
        var pos = 0
        while pos < s.count && results.count < 1000 {
            guard let (item, next) = parseItem(s, pos) else { break }
            results.append(item)
            if next <= pos { break }
            pos = next
        }
        let rest = s[pos...]
        if rest.contains(64) {
            let r = Array(rest)
            var j = 0
            while j < r.count {
                if r[j] == 60, let e = matchMailre(r, j + 1), e < r.count, r[e] == 62 {
                    var a = Array(r[(j + 1)..<e])
                    if validParsed(a) {
                        a = trimToFirstAt(a)
                        results.append(ParsedAddress(phrase: nil, address: a))
                    }
                    j = e + 1
                } else { j += 1 }
            }
        }
        return results
    }

    static func trimToFirstAt(_ a: [UInt8]) -> [UInt8] {
        guard let at = a.firstIndex(of: 64) else { return a }
        var e = at + 1
        while e < a.count && a[e] != 64 { e += 1 }
        return Array(a[..<e])
    }

    static func parseItem(_ s: [UInt8], _ start: Int) -> (ParsedAddress, Int)? {
        var i = start
        while i < s.count && s[i].isSpace { i += 1 }
        var phrase: [UInt8]? = nil
        var angle: [UInt8]? = nil
        var bare: [UInt8]? = nil
        var comment: [UInt8]? = nil
        var end = -1
        // Form A: [phrase] <addr>
        func tryAngle(_ p: Int) -> (Int, [UInt8])? {
            guard p < s.count, s[p] == 60 else { return nil }
            guard let close = s[(p + 1)...].firstIndex(of: 62) else { return nil }
            let inner = Array(trimSpace(s[(p + 1)..<close]))
            var e = close + 1
            // duplicate enclosures
            while true {
                var q = e
                while q < s.count && s[q].isSpace { q += 1 }
                if q < s.count && s[q] == 60, let c2 = s[(q + 1)...].firstIndex(of: 62) { e = c2 + 1 } else { break }
            }
            return (e, inner)
        }
        if let pe = matchPhrase(s, i), let (e, inner) = tryAngle(pe), let (c, te) = matchTail(s, e) {
            phrase = Array(s[i..<pe]); angle = inner; comment = c; end = te
        } else if let (e, inner) = tryAngle(i), let (c, te) = matchTail(s, e) {
            angle = inner; comment = c; end = te
        } else if let me = matchMailre(s, i), let (c, te) = matchTail(s, me) {
            bare = Array(s[i..<me]); comment = c; end = te
        } else if let pe = matchPhrase(s, i), let (c, te) = matchTail(s, pe) {
            phrase = Array(s[i..<pe]); comment = c; end = te
        } else {
            return nil
        }
        // A phrase includes the trailing blanks before '<' in the regex too.
        var address: [UInt8]? = nil
        if let a = angle {
            let stripped = stripComments(a)
            address = isWholeMailre(stripped) ? stripped : nil
        } else if let b = bare {
            address = b
        }
        if !validParsed(address) { address = nil }
        if let p = phrase {
            var np: [UInt8] = []
            var j = 0
            while j < p.count {
                if p[j] == 34 {
                    var k = j + 1
                    var q: [UInt8] = []
                    while k < p.count && p[k] != 34 {
                        if p[k] == 92 && k + 1 < p.count { q.append(p[k + 1]); k += 2; continue }
                        q.append(p[k]); k += 1
                    }
                    np += q
                    j = min(k + 1, p.count)
                } else {
                    var k = j
                    while k < p.count && p[k] != 34 { k += 1 }
                    np += stripComments(Array(p[j..<k]))
                    j = k
                }
            }
            phrase = np
            if address == nil, isWholeMailre(np), validParsed(np),
               let at = np.firstIndex(of: 64) {
                var e = at + 1
                while e < np.count && np[e] != 64 { e += 1 }
                if isFQDNValid(String(decoding: np[(at + 1)..<e], as: UTF8.self)) {
                    address = np; phrase = nil
                }
            }
            if let ph = phrase {
                if let a = address, ph == a { phrase = nil } else if ph.isEmpty { phrase = nil }
            }
        }
        if phrase == nil, let c = comment { phrase = c }
        if let a = address { address = trimToFirstAt(a) }
        return (ParsedAddress(phrase: phrase, address: address), end)
    }
}
