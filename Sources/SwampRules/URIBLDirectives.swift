// The URIDNSBL plugin's directives (Plugin/URIDNSBL.pm `set_config`):
// DNS blocklists the hosts of a message's URIs are looked up in. Each
// directive names the rule that hits; a `body NAME eval:check_uridnsbl(...)`
// line gives that rule its score and description.

/// One `uridnsbl`/`uridnssub`/`urirhsbl`/`urirhssub`/`urinsrhsbl`/
/// `urinsrhssub`/`urifullnsrhsbl`/`urifullnsrhssub` line.
public struct URIBlocklist: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `uridnsbl`/`uridnssub`: the addresses of the URI's host (`tflags
        /// a`) or of its domain's name servers (`tflags ns`, the default),
        /// reversed, under the zone.
        case address
        /// `urirhsbl`/`urirhssub`: the registrable domain (the host with
        /// `tflags notrim`), or a URI's IPv4 address reversed.
        case domain
        /// `urinsrhsbl`/`urinsrhssub`: the registrable domain of each name
        /// server of the URI's domain.
        case nameServerDomain
        /// `urifullnsrhsbl`/`urifullnsrhssub`: each name server's full name.
        case nameServer
    }

    public var kind: Kind
    /// Without the trailing dot.
    public var zone: String
    /// The query type as written, upper-cased: "A" or "TXT".
    public var type: String
    /// nil for the `...bl` forms: any answer lists the name.
    public var subtest: DNSListSubtest?

    public init(kind: Kind, zone: String, type: String, subtest: DNSListSubtest? = nil) {
        self.kind = kind; self.zone = zone; self.type = type; self.subtest = subtest
    }
}

/// The sub-test of a `...sub` directive (URIDNSBL.pm
/// `parse_and_canonicalize_subtest`): `M`, `N1-N2` or `N/M`, each number
/// decimal, `0x` hex or a dotted quad. A single dotted quad means that exact
/// address; a single number is a bit mask over answers inside 127.0.0.0/8.
public struct DNSListSubtest: Sendable, Hashable {
    public enum Test: Sendable, Hashable {
        case mask(UInt64)
        case range(UInt64, UInt64)
        case masked(value: UInt64, mask: UInt64)
    }
    public let test: Test
    /// The canonical text, which an answer equal to it also matches.
    public let text: String

    public init?(_ spec: String) {
        var first = Substring(spec)
        var delimiter: Character?
        var second: Substring?
        if let i = spec.firstIndex(where: { $0 == "/" || $0 == "-" }) {
            first = spec[..<i]
            delimiter = spec[i]
            second = spec[spec.index(after: i)...]
        }
        guard !first.isEmpty, let n1 = Self.number(first) else { return nil }
        if let delimiter, let second {
            guard let n2 = Self.number(second) else { return nil }
            test = delimiter == "-" ? .range(n1.value, n2.value) : .masked(value: n1.value, mask: n2.value)
            text = "\(n1.value)\(delimiter)\(n2.value)"
        } else if n1.dotted {
            test = .range(n1.value, n1.value)
            text = "\(n1.value)-\(n1.value)"
        } else {
            test = .mask(n1.value)
            text = "\(n1.value)"
        }
    }

    /// Up to 10 decimal digits, `0x` and up to 8 hex digits, or an IPv4
    /// address.
    static func number(_ s: Substring) -> (value: UInt64, dotted: Bool)? {
        if s.hasPrefix("0x") || s.hasPrefix("0X") {
            let hex = s.dropFirst(2)
            guard (1...8).contains(hex.count), let v = UInt64(hex, radix: 16) else { return nil }
            return (v, false)
        }
        if (1...10).contains(s.count), s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt64(s) {
            return (v, false)
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt64 = 0
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt64(p), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return (value, true)
    }

    /// URIDNSBL.pm `complete_dnsbl_lookup`: `answer` is an A record's
    /// dotted quad (`isAddress`) or a TXT record's text. Only addresses
    /// are compared as numbers.
    public func matches(_ answer: String, isAddress: Bool) -> Bool {
        if answer == text { return true }
        guard isAddress, let (r, dotted) = Self.number(Substring(answer)), dotted else { return false }
        switch test {
        case .mask(let m): return r & m != 0 && r & 0xff00_0000 == 0x7f00_0000
        case .range(let low, let high): return r >= low && r <= high
        case .masked(let value, let mask): return r & mask == value & mask
        }
    }
}

extension ConfigLoader {
    /// Handles the URIDNSBL plugin's directives; false for any other key.
    mutating func applyURIBLDirective(key: String, value: String, at loc: SourceLocation) -> Bool {
        let kinds: [String: (URIBlocklist.Kind, sub: Bool)] = [
            "uridnsbl": (.address, false), "uridnssub": (.address, true),
            "urirhsbl": (.domain, false), "urirhssub": (.domain, true),
            "urinsrhsbl": (.nameServerDomain, false), "urinsrhssub": (.nameServerDomain, true),
            "urifullnsrhsbl": (.nameServer, false), "urifullnsrhssub": (.nameServer, true),
        ]
        if let (kind, sub) = kinds[key] {
            uriBlocklist(key, value, kind: kind, hasSubtest: sub, at: loc)
            return true
        }
        switch key {
        case "uridnsbl_skip_domain":
            guard !value.isEmpty else { missing(key, at: loc); return true }
            for d in Self.words(value) { configuration.uridnsblSkipDomains.insert(d.lowercased()) }
        case "clear_uridnsbl_skip_domain":
            if value.isEmpty {
                configuration.uridnsblSkipDomains = []
            } else {
                for d in Self.words(value) { configuration.uridnsblSkipDomains.remove(d.lowercased()) }
            }
        case "uridnsbl_max_domains":
            if let d = number(key, value, at: loc) { configuration.uridnsblMaxDomains = max(0, Self.clampedInt(d)) }
        case "uridnsbl_skip_mailto":
            if let b = bool(key, value, at: loc) { configuration.uridnsblSkipMailto = b }
        case "skip_uribl_checks":
            if let b = bool(key, value, at: loc) { configuration.skipURIBLChecks = b }
        default:
            return false
        }
        return true
    }

    /// `NAME ZONE TYPE` (`^(\w+)\s+(\S+)\s+(\S+)$`), with ` SUBTEST` for
    /// the `...sub` forms. swamp asks only A and TXT questions, the two
    /// types the plugin documents.
    private mutating func uriBlocklist(_ key: String, _ value: String, kind: URIBlocklist.Kind,
                                       hasSubtest: Bool, at loc: SourceLocation) {
        guard !value.isEmpty else { return missing(key, at: loc) }
        let words = Self.words(value)
        let count = hasSubtest ? 4 : 3
        guard words.count >= count, hasSubtest || words.count == 3,
              words[0].utf8.allSatisfy(isWordByte) else {
            return invalid(key, value, at: loc)
        }
        var zone = words[1]
        if zone.hasSuffix(".") { zone.removeLast() }
        let type = words[2].uppercased()
        guard !zone.isEmpty, type == "A" || type == "TXT" else {
            return report(.error, "\(key): the lookup type must be A or TXT, not '\(words[2])'", at: loc)
        }
        var subtest: DNSListSubtest?
        if hasSubtest {
            // The sub-test is the rest of the line, trailing blanks trimmed.
            let rest = words[3...].joined(separator: " ")
            guard let parsed = DNSListSubtest(rest) else {
                return report(.error, "\(key): invalid sub-test '\(rest)' (want M, N1-N2 or N/M)", at: loc)
            }
            subtest = parsed
        }
        configuration.uriBlocklists[words[0]] = URIBlocklist(kind: kind, zone: zone.lowercased(), type: type, subtest: subtest)
    }
}
