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
    private var young: TokenTable
    private var old: TokenTable
    private var allocated = false

    init(capacity: Int) {
        self.capacity = max(2, capacity)
        // Slots are made on the first insert: a store answering from its
        // `TokenSnapshot` never inserts.
        young = TokenTable(holding: 0)
        old = TokenTable(holding: 0)
    }

    var count: Int { young.count + old.count }

    /// The cached entry, if any (moving it to the young generation).
    mutating func lookup(_ token: TokenHash) -> Entry? {
        if let e = young.value(token.value) { return e }
        guard let e = old.remove(token.value) else { return nil }
        insert(token, e)
        return e
    }

    /// Caches what the database said of `token` (nil: it holds none).
    mutating func store(_ token: TokenHash, _ counts: TokenCounts?) {
        if let e = Entry(counts) { insert(token, e) } else { remove(token) }
    }

    private mutating func insert(_ token: TokenHash, _ e: Entry) {
        if !allocated {
            young = TokenTable(holding: capacity / 2)
            allocated = true
        }
        if young.count >= capacity / 2, young.value(token.value) == nil {
            old = young
            young = TokenTable(holding: capacity / 2)
        }
        young.set(token.value, e)
    }

    mutating func remove(_ token: TokenHash) {
        _ = young.remove(token.value)
        _ = old.remove(token.value)
    }

    /// An access time written to the database (`atime = max(atime, new)`).
    mutating func touch(_ token: TokenHash, atime: Int) {
        guard let a = UInt32(exactly: atime) else { remove(token); return }
        young.raiseAtime(token.value, to: a)
        old.raiseAtime(token.value, to: a)
    }

    mutating func removeAll() {
        // While `swamp learn` commits message after message every lookup
        // clears the cache: the young table is emptied where it is rather
        // than made anew (640 KiB), and an empty cache is left alone.
        guard count > 0 else { return }
        young.removeAll()
        old = TokenTable(holding: 0)
    }
}

/// An open-addressing table from token to entry, with a cheap hash in
/// place of the SipHash Swift's Dictionary runs on every lookup (a few
/// percent of a scan, counting the lookups of every token). Tokens are 40
/// bits of a SHA-1 of text a sender chooses, and tokens sharing their low
/// bits are found in a moment's search: the slot comes from the token
/// mixed under a key drawn per process (`mixedHash`, as the token sets and
/// dictionaries use), so no message can be built to pile its tokens into
/// one run of slots.
struct TokenTable {
    /// Token plus one (0: an empty slot), and its entry.
    private var keys: [UInt64]
    private var entries: [TokenCountCache.Entry]
    private let mask: Int
    private(set) var count = 0

    /// Room for `n` tokens at most three quarters full.
    init(holding n: Int) {
        var slots = 4
        while slots * 3 < n * 4 { slots *= 2 }
        keys = [UInt64](repeating: 0, count: slots)
        entries = [TokenCountCache.Entry](repeating: .absent, count: slots)
        mask = slots - 1
    }

    /// Where `token` goes when nothing is in the way.
    private func home(_ token: UInt64) -> Int {
        Int(truncatingIfNeeded: mixedHash(token, seed: 0)) & mask
    }

    /// The slot holding `token`, or the empty slot where it would go.
    private func slot(_ token: UInt64) -> (index: Int, found: Bool) {
        let key = token &+ 1
        var i = home(token)
        while true {
            let k = keys[i]
            if k == key { return (i, true) }
            if k == 0 { return (i, false) }
            i = (i + 1) & mask
        }
    }

    /// Empties the table, keeping its slots.
    mutating func removeAll() {
        guard count > 0 else { return }
        keys.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        count = 0
    }

    func value(_ token: UInt64) -> TokenCountCache.Entry? {
        let (i, found) = slot(token)
        return found ? entries[i] : nil
    }

    /// Adds or replaces; the caller keeps `count` under three quarters of
    /// the slots (`TokenCountCache` turns a generation over before).
    mutating func set(_ token: UInt64, _ e: TokenCountCache.Entry) {
        let (i, found) = slot(token)
        if !found {
            precondition((count + 1) * 4 <= keys.count * 3, "token table over its load")
            keys[i] = token &+ 1
            count += 1
        }
        entries[i] = e
    }

    mutating func raiseAtime(_ token: UInt64, to atime: UInt32) {
        let (i, found) = slot(token)
        guard found, entries[i] != .absent, entries[i].atime < atime else { return }
        entries[i].atime = atime
    }

    /// Removes `token`, moving later entries of its run back so that no
    /// lookup stops early at the hole (no tombstones).
    mutating func remove(_ token: UInt64) -> TokenCountCache.Entry? {
        let (found, removed) = slot(token)
        guard removed else { return nil }
        let e = entries[found]
        var hole = found
        var i = (hole + 1) & mask
        while keys[i] != 0 {
            let home = home(keys[i] &- 1)
            // The entry at i may fill the hole if its home is not in
            // (hole, i] going round.
            let distanceToHome = (i - home) & mask
            let distanceToHole = (i - hole) & mask
            if distanceToHome >= distanceToHole {
                keys[hole] = keys[i]
                entries[hole] = entries[i]
                hole = i
            }
            i = (i + 1) & mask
        }
        keys[hole] = 0
        count -= 1
        return e
    }
}
