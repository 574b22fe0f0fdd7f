/// The whole token table in memory, read once while nothing writes the
/// database, so that a scan's few hundred lookups touch neither SQLite
/// nor the kernel: each lookup the `TokenCountCache` missed was a B-tree
/// descent and, below SQLite's own page cache, a `pread`; together about
/// a tenth of a scan's CPU.
///
/// Compact, because a daemon's memory is the other half of its budget: a
/// token is 40 bits, so one 64-bit word holds it and both counts when
/// they fit 12 bits each (8 bytes a token, and 1 byte of index; the
/// corpus's 112,000 tokens after expiry in 1 MiB, less than the token
/// cache and SQLite's page cache it stands in for). Counts that do not
/// fit live in a small side table, with access times that do not fit 32
/// bits. Access times are kept (4 bytes more a token) only for a store
/// that writes them back.
///
/// Tokens are digests, spread evenly over their 40 bits whatever text
/// the messages held, so an index by their top bits (a quarter as many
/// entries as tokens, 4 bytes each) leads a lookup to about four keys in
/// one cache line: two memory reads a lookup where a binary search over
/// the whole table made a dozen (it cost 3 % of a scan). A bucket that is
/// crowded all the same (a database not made of digests) is searched by
/// halving.
struct TokenSnapshot {
    /// `data_version` of the database when it was read.
    let version: Int64
    let nspam: Int
    let nham: Int
    /// `token << 24 | spam << 12 | ham`, ascending by token; a count of
    /// `overflow` means "in `large`".
    private var keys: [UInt64]
    /// Access times, by the index of `keys`; empty when not kept.
    private var atimes: [UInt32]
    private var large: [UInt64: (spam: Int, ham: Int, atime: Int)]
    /// `buckets[b]` is the index in `keys` of the first token whose top
    /// bits are `b` or more; one entry more than there are buckets.
    private var buckets: [UInt32]
    /// Tokens are shifted right by this to give their bucket.
    private let bucketShift: UInt64

    static let overflow: UInt64 = 0xFFF
    static let tokenBits: UInt64 = 40

    var count: Int { keys.count }

    /// Builds from rows in ascending token order (`rows` calls its
    /// argument once a row and stops when it returns false). Nil when more
    /// than `limit` rows come, or when they are out of order.
    init?(version: Int64, nspam: Int, nham: Int, expected: Int = 0, limit: Int, keepAtimes: Bool,
          rows: ((_ token: Int64, _ spam: Int64, _ ham: Int64, _ atime: Int64) -> Bool) throws -> Void) rethrows {
        self.version = version
        self.nspam = nspam
        self.nham = nham
        var usable = true
        var last: UInt64? = nil
        var keys: [UInt64] = [], atimes: [UInt32] = [], large: [UInt64: (spam: Int, ham: Int, atime: Int)] = [:]
        keys.reserveCapacity(min(max(0, expected), limit))
        if keepAtimes { atimes.reserveCapacity(min(max(0, expected), limit)) }
        try rows { token, spam, ham, atime in
            // A row whose token no 40-bit lookup can name is left out, as
            // the database lookups never find it either.
            guard token >= 0, UInt64(token) >> Self.tokenBits == 0 else { return true }
            let t = UInt64(token)
            if let last, t <= last { usable = false; return false }
            guard keys.count < limit else { usable = false; return false }
            last = t
            let small = 0..<Int64(Self.overflow)
            if small.contains(spam), small.contains(ham), !keepAtimes || UInt32(exactly: atime) != nil {
                keys.append(t << 24 | UInt64(spam) << 12 | UInt64(ham))
            } else {
                large[t] = (Int(spam), Int(ham), Int(atime))
                keys.append(t << 24 | Self.overflow << 12 | Self.overflow)
            }
            if keepAtimes { atimes.append(UInt32(clamping: atime)) }
            return true
        }
        guard usable else { return nil }
        self.keys = keys
        self.atimes = atimes
        self.large = large
        // A power of two of buckets, about a quarter as many as tokens.
        var bits: UInt64 = 0
        while bits < 30, 1 << (bits + 2) < keys.count { bits += 1 }
        bucketShift = Self.tokenBits - bits
        var buckets = [UInt32](repeating: 0, count: (1 << Int(bits)) + 1)
        var b = 0
        for (i, key) in keys.enumerated() {
            let bucket = Int((key >> 24) >> bucketShift)
            while b <= bucket { buckets[b] = UInt32(i); b += 1 }
        }
        while b < buckets.count { buckets[b] = UInt32(keys.count); b += 1 }
        self.buckets = buckets
    }

    /// The index of `token` in `keys`, or nil.
    private func index(of token: UInt64) -> Int? {
        guard token >> Self.tokenBits == 0, !keys.isEmpty else { return nil }
        let b = Int(token >> bucketShift)
        var lo = Int(buckets[b]), hi = Int(buckets[b + 1])  // lo..<hi
        return keys.withUnsafeBufferPointer { k in
            while hi - lo > 8 {
                let mid = lo + (hi - lo) / 2
                if k[mid] >> 24 <= token { lo = mid } else { hi = mid }
            }
            for i in lo..<hi where k[i] >> 24 == token { return i }
            return nil
        }
    }

    /// The counts of `token`, or nil when the table does not hold it. The
    /// access time is 0 when the snapshot keeps none.
    func counts(_ token: TokenHash) -> TokenCounts? {
        guard let i = index(of: token.value) else { return nil }
        let key = keys[i]
        let atime = atimes.isEmpty ? 0 : Int(atimes[i])
        let s = key >> 12 & 0xFFF, h = key & 0xFFF
        if s == Self.overflow && h == Self.overflow, let c = large[token.value] {
            return TokenCounts(spam: c.spam, ham: c.ham, atime: atimes.isEmpty ? 0 : c.atime)
        }
        return TokenCounts(spam: Int(s), ham: Int(h), atime: atime)
    }

    /// An access time written to the database (`atime = max(atime, new)`).
    mutating func touch(_ token: TokenHash, atime: Int) {
        guard !atimes.isEmpty, let i = index(of: token.value) else { return }
        let key = keys[i]
        let inLarge = Self.overflow << 12 | Self.overflow
        if key & 0xFF_FFFF == inLarge, var c = large[token.value] {
            if c.atime < atime { c.atime = atime; large[token.value] = c }
            return
        }
        if let a = UInt32(exactly: atime) {
            if atimes[i] < a { atimes[i] = a }
            return
        }
        guard atime > Int(atimes[i]) else { return }
        // An access time past 32 bits: the token moves to the side table.
        large[token.value] = (Int(key >> 12 & 0xFFF), Int(key & 0xFFF), atime)
        keys[i] = key & ~0xFF_FFFF | inLarge
    }
}
