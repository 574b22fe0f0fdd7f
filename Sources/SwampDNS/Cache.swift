import NIOConcurrencyHelpers

/// A cache shared by every scan, keyed by (name, type), honouring each
/// answer's TTL (clamped to `maxTTL`). Failures are not cached, so a
/// timeout is retried by the next message. The entry count is bounded; when
/// full, expired entries go first, then the whole table (a crude but
/// bounded policy: SECURITY.md "bounded memory").
public final class DNSCache: Sendable {
    struct Key: Hashable { let name: String; let type: DNSRecordType }
    struct Value { let response: DNSResponse; let expires: ContinuousClock.Instant }

    private let table = NIOLockedValueBox<[Key: Value]>([:])
    public let maxEntries: Int
    public let maxTTL: UInt32
    public let minTTL: UInt32

    public init(maxEntries: Int = 50_000, minTTL: UInt32 = 0, maxTTL: UInt32 = 86_400) {
        self.maxEntries = maxEntries; self.minTTL = minTTL; self.maxTTL = maxTTL
    }

    public var count: Int { table.withLockedValue { $0.count } }

    func get(_ name: String, _ type: DNSRecordType, now: ContinuousClock.Instant = .now) -> DNSResponse? {
        let key = Key(name: name, type: type)
        return table.withLockedValue { t in
            guard let v = t[key] else { return nil }
            if v.expires <= now { t[key] = nil; return nil }
            return v.response
        }
    }

    func put(_ name: String, _ type: DNSRecordType, _ response: DNSResponse, now: ContinuousClock.Instant = .now) {
        let ttl = min(max(response.ttl, minTTL), maxTTL)
        guard ttl > 0 else { return }
        let value = Value(response: response, expires: now + .seconds(Int(ttl)))
        table.withLockedValue { t in
            if t.count >= maxEntries {
                t = t.filter { $0.value.expires > now }
                if t.count >= maxEntries { t.removeAll(keepingCapacity: true) }
            }
            t[Key(name: name, type: type)] = value
        }
    }
}

/// Serves answers from a `DNSCache`, asking `base` on a miss.
public struct CachingResolver: DNSResolver {
    public let base: any DNSResolver
    public let cache: DNSCache

    public init(base: any DNSResolver, cache: DNSCache) {
        self.base = base; self.cache = cache
    }

    public func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant?) async throws(DNSError) -> DNSResponse {
        let key = try validateDNSName(name)
        if let hit = cache.get(key, type) { return hit }
        let response = try await base.query(key, type, deadline: deadline)
        cache.put(key, type, response)
        return response
    }
}

/// The DNS allowance of one message: a number of queries and a deadline.
/// Shared by every check of the message, so SPF, DKIM and the DNS lists
/// together never exceed it.
public final class DNSBudget: Sendable {
    private let used = NIOLockedValueBox(0)
    public let maxQueries: Int
    public let deadline: ContinuousClock.Instant

    public init(maxQueries: Int = 100, timeLimit: Duration = .seconds(10)) {
        self.maxQueries = maxQueries
        self.deadline = .now + timeLimit
    }

    public var queriesUsed: Int { used.withLockedValue { $0 } }

    /// Takes one query from the budget, or throws when none is left.
    func spend() throws(DNSError) {
        if ContinuousClock.now >= deadline { throw .budgetExhausted }
        let ok = used.withLockedValue { n in
            if n >= maxQueries { return false }
            n += 1
            return true
        }
        if !ok { throw .budgetExhausted }
    }

    public var remaining: Duration { max(.zero, deadline - .now) }
}

/// Charges each query to a `DNSBudget` and gives up at its deadline.
/// swamp stacks it as `BudgetedResolver(base: CachingResolver(...))`, so
/// cached answers count too: they are cheap, but the count bounds the work
/// one crafted message can cause.
public struct BudgetedResolver: DNSResolver {
    public let base: any DNSResolver
    public let budget: DNSBudget

    public init(base: any DNSResolver, budget: DNSBudget) {
        self.base = base; self.budget = budget
    }

    public func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant?) async throws(DNSError) -> DNSResponse {
        try budget.spend()
        return try await base.query(name, type, deadline: min(deadline ?? budget.deadline, budget.deadline))
    }
}
