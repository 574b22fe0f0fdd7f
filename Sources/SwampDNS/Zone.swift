/// In-memory zone data: the answers a `StaticResolver` and the test DNS
/// server give. Names are matched case-insensitively, without wildcards.
public struct DNSZone: Sendable {
    public enum Entry: Sendable, Hashable {
        case record(DNSRecord, ttl: UInt32 = 300)
        /// Queries for the name fail with SERVFAIL (for types it has no
        /// records of).
        case serverFailure
        /// Queries for the name go unanswered (for types it has no records of).
        case timeout
        /// Over UDP the answer comes back truncated (TC set, no records), so
        /// the client must retry over TCP.
        case truncateOverUDP
    }

    public private(set) var entries: [String: [Entry]] = [:]

    public init() {}

    public init(_ entries: [String: [Entry]]) {
        for (name, list) in entries { for e in list { add(name, e) } }
    }

    public mutating func add(_ name: String, _ entry: Entry) {
        entries[Self.key(name), default: []].append(entry)
    }

    public mutating func add(_ name: String, _ record: DNSRecord, ttl: UInt32 = 300) {
        add(name, .record(record, ttl: ttl))
    }

    static func key(_ name: String) -> String {
        var n = name.lowercased()
        while n.hasSuffix(".") { n.removeLast() }
        return n
    }

    public func wantsTruncation(_ name: String) -> Bool {
        entries[Self.key(name)]?.contains(.truncateOverUDP) ?? false
    }

    /// The answer for one question, following CNAMEs inside the zone (at
    /// most 8, so a CNAME loop ends).
    public func answer(_ name: String, _ type: DNSRecordType) -> Result<DNSResponse, DNSError> {
        var current = Self.key(name)
        var chain: [DNSRecord] = []
        for _ in 0..<8 {
            guard let list = entries[current] else {
                return .success(DNSResponse(status: chain.isEmpty ? .nxDomain : .noError, records: [], ttl: 60))
            }
            var records: [DNSRecord] = []
            var ttl = UInt32.max
            var cname: String?
            for case .record(let r, let t) in list {
                if r.type == type {
                    records.append(r); ttl = min(ttl, t)
                } else if case .cname(let target) = r {
                    cname = target
                }
            }
            // Failures apply to the types the name has no records of, as the
            // RFC 7208 suite's TIMEOUT entries mean.
            if records.isEmpty && cname == nil {
                if list.contains(.timeout) { return .failure(.timeout) }
                if list.contains(.serverFailure) { return .failure(.serverFailure(rcode: 2)) }
            }
            if !records.isEmpty || type == .cname || cname == nil {
                return .success(DNSResponse(status: .noError, records: records, ttl: records.isEmpty ? 60 : ttl))
            }
            chain.append(.cname(cname!))
            current = Self.key(cname!)
        }
        return .failure(.serverFailure(rcode: 2))
    }
}

/// Answers from a `DNSZone` without any I/O.
public struct StaticResolver: DNSResolver {
    public var zone: DNSZone
    public init(zone: DNSZone) { self.zone = zone }

    public func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant?) async throws(DNSError) -> DNSResponse {
        _ = try validateDNSName(name)
        if let deadline, ContinuousClock.now >= deadline { throw .budgetExhausted }
        return try zone.answer(name, type).get()
    }
}
