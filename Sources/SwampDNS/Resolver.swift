// The resolver interface SPF, DKIM and the DNS lists are written against.
// Implementations: `LDNSResolver` (libldns packets over NIO sockets),
// `StaticResolver` (an in-memory zone, for tests and fixed data),
// and the `CachingResolver` / `BudgetedResolver` wrappers.

/// Query types swamp asks for (RFC 1035 §3.2.2, RFC 3596).
public enum DNSRecordType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16, aaaa = 28

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        }
    }
}

/// One answer record's data. Names are lower-case-insensitive text without
/// the trailing dot.
public enum DNSRecord: Sendable, Hashable {
    /// 4 bytes.
    case a([UInt8])
    /// 16 bytes.
    case aaaa([UInt8])
    case mx(preference: UInt16, exchange: String)
    /// The record's character-strings, each at most 255 bytes.
    case txt([[UInt8]])
    case ptr(String)
    case cname(String)
    case ns(String)

    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .mx: .mx
        case .txt: .txt
        case .ptr: .ptr
        case .cname: .cname
        case .ns: .ns
        }
    }

    /// A TXT record's strings joined without separator (RFC 7208 §3.3,
    /// RFC 6376 §3.6.2.2).
    public var joinedText: [UInt8]? {
        if case .txt(let parts) = self { return parts.flatMap { $0 } }
        return nil
    }
}

/// A completed lookup: the name exists (possibly with no records of the
/// type asked for) or does not.
public struct DNSResponse: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        case noError
        case nxDomain
    }
    public var status: Status
    /// Records of the type asked for (CNAME chains already followed).
    public var records: [DNSRecord]
    /// Seconds the answer may be cached.
    public var ttl: UInt32

    public init(status: Status = .noError, records: [DNSRecord] = [], ttl: UInt32 = 300) {
        self.status = status; self.records = records; self.ttl = ttl
    }

    /// RFC 7208 §4.6.4: an answer that is empty or NXDOMAIN is "void".
    public var isVoid: Bool { records.isEmpty }
}

/// A lookup that did not complete. Callers turn these into TEMPERROR-like
/// outcomes; they never fail a scan.
public enum DNSError: Error, Sendable, Hashable, CustomStringConvertible {
    case timeout
    /// SERVFAIL, REFUSED and other failure codes (RFC 1035 §4.1.1).
    case serverFailure(rcode: UInt8)
    /// The per-message query budget or deadline ran out.
    case budgetExhausted
    case malformedResponse(String)
    case invalidName(String)
    case network(String)

    public var description: String {
        switch self {
        case .timeout: "DNS timeout"
        case .serverFailure(let r): "DNS server failure (rcode \(r))"
        case .budgetExhausted: "DNS budget exhausted"
        case .malformedResponse(let s): "malformed DNS response: \(s)"
        case .invalidName(let s): "invalid DNS name: \(s)"
        case .network(let s): "DNS network error: \(s)"
        }
    }
}

/// Anything that answers DNS questions.
public protocol DNSResolver: Sendable {
    /// Answers one question. Past `deadline` (when given) the lookup gives
    /// up with `DNSError.budgetExhausted`; the deadline is enforced by the
    /// I/O layer's timers, so it holds even when the task pool is busy.
    func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant?) async throws(DNSError) -> DNSResponse
}

extension DNSResolver {
    public func query(_ name: String, _ type: DNSRecordType) async throws(DNSError) -> DNSResponse {
        try await query(name, type, deadline: nil)
    }
}

/// Checks RFC 1035 §2.3.4 limits (labels 1...63 bytes, name ≤ 253) so a
/// name built from message data never becomes a malformed query.
public func validateDNSName(_ name: String) throws(DNSError) -> String {
    var n = Substring(name)
    if n.hasSuffix(".") { n = n.dropLast() }
    if n.isEmpty || n.utf8.count > 253 { throw .invalidName(name) }
    for label in n.split(separator: ".", omittingEmptySubsequences: false) {
        if label.isEmpty || label.utf8.count > 63 { throw .invalidName(name) }
    }
    return String(n).lowercased()
}
