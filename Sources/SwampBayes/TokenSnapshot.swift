/// The whole token table in memory, read once while nothing writes the
/// database, so that a scan's few hundred lookups touch neither SQLite
/// nor the kernel: each lookup the `TokenCountCache` missed was a B-tree
/// descent and, below SQLite's own page cache, a `pread`; together about
/// a tenth of a scan's CPU.
///
/// Compact, because a daemon's memory is the other half of its budget: a
/// token is 40 bits, so one 64-bit word holds it and both counts when
/// they fit 12 bits each (8 bytes a token; 248,000 tokens in 1.9 MiB,
/// less than the token cache and SQLite's page cache it stands in for).
/// Counts that do not fit live in a small side table. Access times are
/// kept (4 bytes more a token) only for a store that writes them back.
///
/// Tokens are digests, spread evenly over their 40 bits whatever text
/// the messages held, so a lookup guesses a token's place from its value
/// and corrects by a few steps; the guessing gives way to halving after a
/// few rounds, so no table takes more than a logarithmic search.
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
    private var large: [UInt64: (spam: Int, ham: Int)]

    static let overflow: UInt64 = 0xFFF
    static let tokenBits: UInt64 = 40

    var count: Int { keys.count }

    /// Builds from rows in ascending token order (`rows` calls its
    /// argument once a row and stops when it returns false). Nil when more
    /// than `limit` rows come, or when they are out of order.
    init?(version: Int64, nspam: Int, nham: Int, limit: Int, keepAtimes: Bool,
          rows: ((_ token: Int64, _ spam: Int64, _ ham: Int64, _ atime: Int64) -> Bool) throws -> Void) rethrows {
        self.version = version
        self.nspam = nspam
        self.nham = nham
        keys = []
        atimes = []
        large = [:]
        var usable = true
        var last: UInt64? = nil
        var keys = self.keys, atimes = self.atimes, large = self.large
        try rows { token, spam, ham, atime in
            // A row whose token no 40-bit lookup can name is left out, as
            // the database lookups never find it either.
            guard token >= 0, UInt64(token) >> Self.tokenBits == 0 else { return true }
            let t = UInt64(token)
            if let last, t <= last { usable = false; return false }
            guard keys.count < limit else { usable = false; return false }
            last = t
            let small = 0..<Int64(Self.overflow)
            if small.contains(spam), small.contains(ham) {
                keys.append(t << 24 | UInt64(spam) << 12 | UInt64(ham))
            } else {
                large[t] = (Int(spam), Int(ham))
                keys.append(t << 24 | Self.overflow << 12 | Self.overflow)
            }
            if keepAtimes { atimes.append(UInt32(clamping: atime)) }
            return true
        }
        guard usable else { return nil }
        self.keys = keys
        self.atimes = atimes
        self.large = large
    }

    /// The index of `token` in `keys`, or nil.
    private func index(of token: UInt64) -> Int? {
        keys.withUnsafeBufferPointer { k in
            var lo = 0, hi = k.count - 1  // the token, if present, is in lo...hi
            var guesses = 0
            while lo <= hi {
                let loToken = k[lo] >> 24, hiToken = k[hi] >> 24
                guard token >= loToken, token <= hiToken else { return nil }
                let mid: Int
                if guesses < 4, hiToken > loToken {
                    // Where the token would sit were the tokens evenly spread.
                    let span = Double(hiToken - loToken), offset = Double(token - loToken)
                    mid = lo + min(hi - lo, Int(offset / span * Double(hi - lo)))
                    guesses += 1
                } else {
                    mid = lo + (hi - lo) / 2
                }
                let t = k[mid] >> 24
                if t == token { return mid }
                if t < token { lo = mid + 1 } else { hi = mid - 1 }
            }
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
            return TokenCounts(spam: c.spam, ham: c.ham, atime: atime)
        }
        return TokenCounts(spam: Int(s), ham: Int(h), atime: atime)
    }

    /// An access time written to the database (`atime = max(atime, new)`).
    mutating func touch(_ token: TokenHash, atime: Int) {
        guard !atimes.isEmpty, let i = index(of: token.value) else { return }
        let a = UInt32(clamping: atime)
        if atimes[i] < a { atimes[i] = a }
    }
}
