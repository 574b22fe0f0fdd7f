/// Token counts a store read before, kept in memory so a scan's few
/// hundred lookups mostly skip the database: a message's tokens are
/// largely the same common words as the last message's, and each one read
/// from SQLite is a B-tree descent (about a tenth of a scan's CPU).
///
/// The cache holds what the database held when it was read, absent tokens
/// included, and is exact only while nothing else changed the database:
/// the owner clears it when another connection committed (SQLite's
/// `data_version`), drops the tokens its own writes change, and updates
/// access times it writes itself.
///
/// Bounded: two generations of at most `capacity / 2` tokens each. New
/// entries go into the young one; a hit in the old one moves the token
/// over; when the young one is full the old one is dropped and the young
/// one ages. Tokens in use stay, tokens of one odd message fall out.
/// Not thread-safe: its store serialises access.
struct TokenCountCache {
    /// Counts as stored, or none for a token the database does not hold.
    /// 12 bytes; values that do not fit are not cached.
    struct Entry: Equatable {
        var spam: UInt32
        var ham: UInt32
        var atime: UInt32
        static let absent = Entry(spam: .max, ham: .max, atime: 0)

        init(spam: UInt32, ham: UInt32, atime: UInt32) {
            self.spam = spam; self.ham = ham; self.atime = atime
        }

        init?(_ counts: TokenCounts?) {
            guard let counts else { self = .absent; return }
            guard let s = UInt32(exactly: counts.spam), s != .max, let h = UInt32(exactly: counts.ham),
                  let a = UInt32(exactly: counts.atime) else { return nil }
            self.init(spam: s, ham: h, atime: a)
        }

        /// The counts, or nil for an absent token.
        var counts: TokenCounts? {
            self == .absent ? nil : TokenCounts(spam: Int(spam), ham: Int(ham), atime: Int(atime))
        }
    }

    let capacity: Int
    private var young: [UInt64: Entry] = [:]
    private var old: [UInt64: Entry] = [:]

    init(capacity: Int) {
        self.capacity = max(2, capacity)
    }

    var count: Int { young.count + old.count }

    /// The cached entry, if any (moving it to the young generation).
    mutating func lookup(_ token: TokenHash) -> Entry? {
        if let e = young[token.value] { return e }
        guard let e = old.removeValue(forKey: token.value) else { return nil }
        insert(token, e)
        return e
    }

    /// Caches what the database said of `token` (nil: it holds none).
    mutating func store(_ token: TokenHash, _ counts: TokenCounts?) {
        if let e = Entry(counts) { insert(token, e) } else { remove(token) }
    }

    private mutating func insert(_ token: TokenHash, _ e: Entry) {
        if young.count >= capacity / 2, young[token.value] == nil {
            old = young
            young = [:]
            young.reserveCapacity(capacity / 2)
        }
        young[token.value] = e
    }

    mutating func remove(_ token: TokenHash) {
        young.removeValue(forKey: token.value)
        old.removeValue(forKey: token.value)
    }

    /// An access time written to the database (`atime = max(atime, new)`).
    mutating func touch(_ token: TokenHash, atime: Int) {
        for generation in [0, 1] {
            let value: Entry? = generation == 0 ? young[token.value] : old[token.value]
            guard var e = value, e != .absent else { continue }
            guard let a = UInt32(exactly: atime) else { remove(token); return }
            if a > e.atime { e.atime = a }
            if generation == 0 { young[token.value] = e } else { old[token.value] = e }
        }
    }

    mutating func removeAll() {
        young = [:]
        old = [:]
    }
}
