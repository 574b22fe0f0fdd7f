// IPv4/IPv6 addresses and networks as SpamAssassin's `trusted_networks`,
// `internal_networks` and `msa_networks` accept them (Conf.pm, NetSet.pm).

extension IPAddress {
    public init?(_ text: Substring) {
        var s = text
        // Optional brackets and the `IPv6:` tag of RFC 5321 address literals.
        if s.first == "[" && s.last == "]" { s = s.dropFirst().dropLast() }
        if s.utf8.hasPrefixLowercase("ipv6:") { s = s[s.utf8.index(s.startIndex, offsetBy: 5)...] }
        if let pct = s.utf8.firstIndex(of: UInt8(ascii: "%")) { s = s[..<pct] }  // zone id
        if let v4 = IPAddress.parseIPv4(s) {
            self.init(bytes: v4)
        } else if let v6 = IPAddress.parseIPv6(s) {
            self.init(bytes: v6)
        } else {
            return nil
        }
    }

    static func parseIPv4(_ s: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(4)
        var value = 0, digits = 0
        for c in s.utf8 {
            if c.isDigit {
                value = value * 10 + Int(c - 48); digits += 1
                if digits > 3 || value > 255 { return nil }
            } else if c == UInt8(ascii: ".") {
                if digits == 0 || out.count == 3 { return nil }
                out.append(UInt8(value)); value = 0; digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, out.count == 3 else { return nil }
        out.append(UInt8(value))
        return out
    }

    static func parseIPv6(_ s: Substring) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count >= 2, u.count <= 45 else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawDouble = false
        var i = 0
        if u.starts(with: [58, 58]) { sawDouble = true; i = 2 }
        else if u[0] == 58 { return nil }
        var v4tail: [UInt8]? = nil
        while i < u.count {
            // Read a group or an embedded IPv4 address.
            var j = i
            while j < u.count && u[j] != 58 { j += 1 }
            let group = u[i..<j]
            if group.isEmpty { return nil }
            if group.contains(46) {
                guard j == u.count, let v4 = parseIPv4(Substring(decoding: group, as: UTF8.self)) else { return nil }
                v4tail = v4
                i = j
                break
            }
            guard group.count <= 4, group.allSatisfy({ $0.isHexDigit }) else { return nil }
            var v: UInt16 = 0
            for c in group { v = v << 4 | UInt16(c.hexValue) }
            if sawDouble { tail.append(v) } else { head.append(v) }
            i = j
            if i < u.count {
                // at ':'
                if i + 1 < u.count && u[i + 1] == 58 {
                    if sawDouble { return nil }
                    sawDouble = true; i += 2
                    if i == u.count { break }
                } else {
                    i += 1
                    if i == u.count { return nil }
                }
            }
        }
        var groups = head.count + tail.count + (v4tail == nil ? 0 : 2)
        if sawDouble { guard groups < 8 else { return nil } } else { guard groups == 8 else { return nil } }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for g in head { out.append(UInt8(g >> 8)); out.append(UInt8(g & 0xFF)) }
        if sawDouble {
            while groups < 8 { out.append(0); out.append(0); groups += 1 }
        }
        for g in tail { out.append(UInt8(g >> 8)); out.append(UInt8(g & 0xFF)) }
        if let v4 = v4tail { out.append(contentsOf: v4) }
        return out.count == 16 ? out : nil
    }

    public var description: String {
        if bytes.count == 4 {
            return bytes.map(String.init).joined(separator: ".")
        }
        // RFC 5952: lowercase, longest run of zero groups (>= 2) as `::`.
        var groups: [Int] = []
        for k in stride(from: 0, to: 16, by: 2) { groups.append(Int(bytes[k]) << 8 | Int(bytes[k + 1])) }
        var bestStart = -1, bestLen = 0, k = 0
        while k < 8 {
            if groups[k] == 0 {
                var e = k
                while e < 8 && groups[e] == 0 { e += 1 }
                if e - k > bestLen && e - k >= 2 { bestStart = k; bestLen = e - k }
                k = e
            } else { k += 1 }
        }
        func hex(_ r: ArraySlice<Int>) -> String { r.map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(groups[0..<8]) }
        return hex(groups[0..<bestStart]) + "::" + hex(groups[(bestStart + bestLen)..<8])
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address, or self.
    var unmapped: IPAddress {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return IPAddress(bytes: Array(bytes[12..<16]))
        }
        return self
    }

    public var isPrivate: Bool {
        // Constants.pm IP_PRIVATE: 10/8, 127/8, 169.254/16, 172.16/12,
        // 192.168/16, 100.64/10; IPv6 link-local fe80::/10, ::1, and
        // IPv4-mapped forms of the IPv4 ranges.
        let a = unmapped
        if a.bytes.count == 4 {
            let b = a.bytes
            switch b[0] {
            case 10, 127: return true
            case 169: return b[1] == 254
            case 172: return b[1] >= 16 && b[1] <= 31
            case 192: return b[1] == 168
            case 100: return b[1] >= 64 && b[1] <= 127
            default: return false
            }
        }
        if a.bytes[0] == 0xFE && (a.bytes[1] & 0xC0) == 0x80 { return true }
        if a.bytes[0..<15].allSatisfy({ $0 == 0 }) && a.bytes[15] == 1 { return true }
        return false
    }
}

extension IPNetwork {
    public init?(_ text: Substring) {
        var s = text.drop(while: { $0 == " " || $0 == "\t" })
        var neg = false
        if s.first == "!" { neg = true; s = s.dropFirst().drop(while: { $0 == " " || $0 == "\t" }) }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        var mask: Int? = nil
        if let slash = s.firstIndex(of: "/") {
            let m = s[s.index(after: slash)...]
            s = s[..<slash]
            if let v = Int(m), v >= 0 { mask = v } else if let dotted = IPAddress.parseIPv4(m) {
                // A dotted netmask, as NetSet accepts.
                var bits = 0
                for b in dotted { bits += b.nonzeroBitCount }
                mask = bits
            } else { return nil }
        }
        if s.first == "[" && s.last == "]" { s = s.dropFirst().dropLast() }
        var addr: IPAddress
        if let a = IPAddress(s) {
            addr = a
        } else {
            // Short IPv4 forms: `10.`, `192.168`, `127.0.0.` (NetSet pads with
            // zeros and derives the prefix length from the octets given).
            var t = Substring(s)
            if t.hasSuffix(".") { t = t.dropLast() }
            let parts = t.split(separator: ".", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.count < 4 else { return nil }
            var bytes: [UInt8] = []
            for p in parts {
                guard let v = UInt8(p), !p.isEmpty, p.count <= 3 else { return nil }
                bytes.append(v)
            }
            if mask == nil { mask = 8 * bytes.count }
            while bytes.count < 4 { bytes.append(0) }
            addr = IPAddress(bytes: bytes)
        }
        let maxLen = addr.bytes.count * 8
        let len = mask ?? maxLen
        guard len >= 0 && len <= maxLen else { return nil }
        self.init(address: addr, prefixLength: len, negated: neg)
    }

    /// Whether `ip` falls inside the network (negation is not applied here;
    /// callers treat a negated match as "excluded").
    public func contains(_ ip: IPAddress) -> Bool {
        var a = address, b = ip, len = prefixLength
        if a.bytes.count != b.bytes.count {
            // Compare IPv4 with IPv4-mapped IPv6.
            if a.bytes.count == 4 {
                b = b.unmapped
                if b.bytes.count != 4 { return false }
            } else {
                let mapped = a.unmapped
                guard mapped.bytes.count == 4, len >= 96 else { return false }
                a = mapped; len -= 96
            }
        }
        var bit = 0, idx = 0
        while bit + 8 <= len {
            if a.bytes[idx] != b.bytes[idx] { return false }
            bit += 8; idx += 1
        }
        let rem = len - bit
        if rem > 0 {
            let m: UInt8 = 0xFF << (8 - rem)
            if a.bytes[idx] & m != b.bytes[idx] & m { return false }
        }
        return true
    }
}

extension Array where Element == IPNetwork {
    /// NetSet semantics: the first network that contains the address decides;
    /// a negated (`!`) entry excludes it.
    func matches(_ ip: IPAddress) -> Bool {
        for n in self where n.contains(ip) { return !n.negated }
        return false
    }
}
