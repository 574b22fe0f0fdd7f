import Foundation

/// An IPv4 or IPv6 address as bytes, for CIDR matching and reverse names.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with an optional
    /// "IPv6:" prefix as in SMTP address literals).
    public init?(_ text: String) {
        var t = text
        if t.lowercased().hasPrefix("ipv6:") { t = String(t.dropFirst(5)) }
        if t.hasPrefix("[") && t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, t, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, t, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4, else self.
    public var unmapped: IPAddress {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return IPAddress(bytes: Array(bytes[12...]))!
        }
        return self
    }

    /// Whether `self` lies in `network/prefix` (same family only).
    public func isIn(_ network: IPAddress, prefix: Int) -> Bool {
        guard bytes.count == network.bytes.count, prefix >= 0, prefix <= bytes.count * 8 else { return false }
        var bits = prefix
        for i in 0..<bytes.count where bits > 0 {
            let take = min(8, bits)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
            if bytes[i] & mask != network.bytes[i] & mask { return false }
            bits -= take
        }
        return true
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count)) != nil else { return "" }
        return String(cString: buf)
    }

    /// The labels of the reverse name without its suffix: "4.3.2.1" for
    /// 1.2.3.4, 32 nibbles for IPv6 (RFC 1035 §3.5, RFC 3596 §2.5).
    public var reversedLabels: String {
        if isIPv4 { return bytes.reversed().map(String.init).joined(separator: ".") }
        let hex = Array("0123456789abcdef")
        var nibbles: [String] = []
        for b in bytes.reversed() {
            nibbles.append(String(hex[Int(b & 0xf)]))
            nibbles.append(String(hex[Int(b >> 4)]))
        }
        return nibbles.joined(separator: ".")
    }

    /// The PTR query name: "4.3.2.1.in-addr.arpa" or "...ip6.arpa".
    public var reverseName: String { reversedLabels + (isIPv4 ? ".in-addr.arpa" : ".ip6.arpa") }
}
