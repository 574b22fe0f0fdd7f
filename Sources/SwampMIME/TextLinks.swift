// Links in plain text, found the way SpamAssassin's `_tbirdurire` finds
// them (after Thunderbird's linkifier): `http(s)://`, `ftp://`, `www.` and
// `ftp.` prefixes; `mailto:` and `user@host`; and bare host names ending in
// a known TLD, each ended by a delimiter character.

enum TextLinkScanner {
    enum Kind { case scheme, mail, schemeless }

    static let ws: [UInt8] = [9, 10, 11, 12, 13, 32, 0x1B, 0xA0]
    /// ><"`}]{[| whitespace ESC NBSP-byte
    static let endDelim = ByteSet("><\"`}]{[|", extra: ws)
    static let endDelimEmail = ByteSet("><\"`}]{[|,('", extra: ws + Array(0x80...0xFF))
    static let startDelim = ByteSet("><\"'`,{[(|", extra: ws)
    /// [!"#$&'()*+,/:;<=>?@[\]^`{|}~\s\x1b\xa0]
    static let schemelessStart = ByteSet("!\"#$&'()*+,/:;<=>?@[\\]^`{|}~", extra: ws)
    @inline(__always) static func isEndDelim(_ c: UInt8) -> Bool { endDelim.contains(c) }
    @inline(__always) static func isEndDelimEmail(_ c: UInt8) -> Bool { endDelimEmail.contains(c) }
    @inline(__always) static func isStartDelim(_ c: UInt8) -> Bool { startDelim.contains(c) }
    @inline(__always) static func isSchemelessStart(_ c: UInt8) -> Bool { schemelessStart.contains(c) }
    static let https: [UInt8] = Array("https://".utf8), http: [UInt8] = Array("http://".utf8)
    static let ftpSlash: [UInt8] = Array("ftp://".utf8), ftpDot: [UInt8] = Array("ftp.".utf8), www: [UInt8] = Array("www".utf8)

    static func scan(_ t: [UInt8]) -> [([UInt8], Kind, [UInt8]?)] {
        var out: [([UInt8], Kind, [UInt8]?)] = []
        let n = t.count
        var p = 0
        let tlds = RegistryBoundaries.shared.tlds
        var nextAt = t.firstIndex(of: 64)
        while p < n && out.count < 1000 {
            if let a = nextAt, a < p { nextAt = t[p...].firstIndex(of: 64) }
            let prev: UInt8? = p > 0 ? t[p - 1] : nil
            let boundaryOK: Bool = {
                guard let pv = prev else { return true }
                if pv.isWord != t[p].isWord { return true }
                if isStartDelim(pv) { return true }
                if p >= 3 && t[p - 3] == 0x1B && t[p - 2] == 40 { return true }
                return false
            }()
            if !boundaryOK { p += 1; continue }
            // 1. known scheme
            if let e = matchKnownScheme(t, p) {
                out.append((Array(t[p..<e]), .scheme, nil)); p = e; continue
            }
            // 2. mail
            if let e = matchMail(t, p, nextAt: nextAt) {
                out.append((Array(t[p..<e]), .mail, nil)); p = e; continue
            }
            // 3. schemeless
            if prev == nil || isSchemelessStart(prev!), let (e, host) = matchSchemeless(t, p, tlds) {
                out.append((Array(t[p..<e]), .schemeless, host)); p = e; continue
            }
            p += 1
        }
        return out
    }

    static func matchKnownScheme(_ t: [UInt8], _ p: Int) -> Int? {
        let n = t.count
        var k = p
        let c0 = t[p] | 0x20
        guard c0 == 104 || c0 == 102 || c0 == 119 else { return nil }  // h f w
        func has(_ u: [UInt8]) -> Bool {
            guard n - k >= u.count else { return false }
            var i = 0
            while i < u.count { if t[k + i].lowercasedASCII != u[i] { return false }; i += 1 }
            return true
        }
        if has(https) { k += 8 } else if has(http) { k += 7 } else if has(ftpSlash) { k += 6 }
        else if has(ftpDot) { k += 4 }
        else if has(www) {
            var j = k + 3
            while j < n && j < k + 5 && t[j].isDigit { j += 1 }
            guard j < n && t[j] == 46 else { return nil }
            k = j + 1
        } else { return nil }
        let st = k
        while k < n && k - st < 2048 && !isEndDelim(t[k]) { k += 1 }
        guard k > st else { return nil }
        if k < n && !isEndDelim(t[k]) { return nil }
        return k
    }

    static func matchMail(_ t: [UInt8], _ p: Int, nextAt: Int?) -> Int? {
        let n = t.count
        // No '@' ahead within reach: no address can start here.
        guard let at = nextAt, at > p, at - p <= 2048 + 7 else { return nil }
        if n - p >= 7 && t[p..<(p + 7)].equalsLowercase("mailto:") {
            var k = p + 7
            let st = k
            while k < n && k - st < 2048 && !isEndDelimEmail(t[k]) { k += 1 }
            if k > st && (k == n || isEndDelimEmail(t[k])) { return k }
        }
        var k = p
        while k < n && k - p < 251 && !isEndDelimEmail(t[k]) && t[k] != 64 { k += 1 }
        guard k > p, k < n, t[k] == 64 else { return nil }
        k += 1
        let st = k
        while k < n && k - st < 251 && !isEndDelimEmail(t[k]) { k += 1 }
        guard k > st, k == n || isEndDelimEmail(t[k]) else { return nil }
        return k
    }

    static func matchSchemeless(_ t: [UInt8], _ p: Int, _ tlds: Set<String>) -> (Int, [UInt8])? {
        let n = t.count
        guard t[p].isAlnum else { return nil }
        var k = p + 1
        while k < n && k - p < 253 && (t[k].isAlnum || t[k] == 46 || t[k] == 95 || t[k] == 45) { k += 1 }
        // Try the longest host ending in .TLD, then a shorter one ending
        // before a final dot.
        var hostEnd = k
        for _ in 0..<2 {
            var he = hostEnd
            if he > p && t[he - 1] == 46 { he -= 1 }
            if let dot = t[p..<he].lastIndex(of: 46), dot > p {
                let tld = String(decoding: t[(dot + 1)..<he].lowercasedASCII(), as: UTF8.self)
                if tlds.contains(tld) {
                    var e = he
                    if e < n && t[e] == 46 { e += 1 }
                    if e < n && t[e] == 58 {
                        var d = e + 1
                        while d < n && t[d].isDigit && d - e <= 5 { d += 1 }
                        if d > e + 1 { e = d }
                    }
                    if e < n && t[e] == 47 {
                        var d = e + 1
                        while d < n && d - e <= 2048 && !isEndDelim(t[d]) { d += 1 }
                        if d > e + 1 { e = d }
                    }
                    if e == n || isEndDelim(t[e]) { return (e, Array(t[p..<he])) }
                }
            }
            if hostEnd > p + 1 && t[hostEnd - 1] == 46 { hostEnd -= 1 } else { break }
        }
        return nil
    }
}
