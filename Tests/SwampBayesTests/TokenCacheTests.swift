import Foundation
import Testing
import SwampTestSupport
@testable import SwampBayes

/// The SQLite store answers token lookups from memory when it can
/// (`TokenCountCache`); its answers must always be the database's.
@Suite struct TokenCacheTests {
    /// What the database holds, read past any cache.
    static func truth(_ store: SQLiteBayesStore) throws -> [TokenHash: TokenCounts] {
        Dictionary(uniqueKeysWithValues: try store.allTokens().map { ($0.hash, $0.counts) })
    }

    /// Random learning, forgetting, touching and expiry, by the store that
    /// caches and by a second connection to the same file; after each step
    /// a lookup of random tokens (some never learned) must equal the
    /// database. A capacity of 40 makes the generations turn over often.
    @Test func lookupsFollowEveryWriteOfEitherConnection() throws {
        try Self.randomWrites { path in try SQLiteBayesStore(path: path, cachedTokens: 40) }
    }

    /// 600 random writes, a third of them by `other`, the rest by the store
    /// `make` opens (whose lookups are checked), each followed by a lookup
    /// that must equal the database; `readers` (opened after the file
    /// exists) are checked too, on counts only when they keep no access
    /// times (read-only).
    static func randomWrites(_ make: (String) throws -> SQLiteBayesStore,
                             readers: (String) throws -> [SQLiteBayesStore] = { _ in [] }) throws {
        let path = StoreTests.tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let cached = try make(path)
        let other = try SQLiteBayesStore(path: path, cachedTokens: 40)
        let readers = try readers(path)
        var random = SplitMix64(seed: 0x5eed_cafe)
        func token() -> TokenHash { TokenHash(value: 1 + random.next() % 150) }
        var learned: [LearnItem] = []
        for step in 0..<600 {
            let writer = random.next() % 3 == 0 ? other : cached
            switch random.next() % 10 {
            case 0...4:
                let tokens = Array(Set((0..<(1 + random.next() % 12)).map { _ in token() }))
                let item = LearnItem(id: "m\(step)", tokens: tokens, atime: 1_000_000 + step)
                _ = try writer.learn(item, as: random.next() % 2 == 0 ? .spam : .ham)
                learned.append(item)
            case 5, 6:
                if !learned.isEmpty {
                    _ = try writer.forget(learned.remove(at: Int(random.next() % UInt64(learned.count))))
                }
            case 7, 8:
                try writer.touch((0..<5).map { _ in token() }, atime: 1_000_000 + step + Int(random.next() % 50))
            default:
                if step % 4 == 0 { _ = try writer.expire(maxTokens: 60, now: 2_000_000) }
            }
            let asked = (0..<(1 + random.next() % 40)).map { _ in token() }
            let truth = try Self.truth(other)
            let messages = try other.messageCounts()
            for store in [cached] + readers {
                let got = try store.tokenCounts(asked)
                for t in asked {
                    var expected = truth[t]
                    if store.readOnly, expected != nil, got[t] != nil { expected?.atime = got[t]!.atime }
                    #expect(got[t] == expected, "step \(step): token \(t.value) cached \(String(describing: got[t])) database \(String(describing: truth[t]))")
                }
                #expect(got.count == Set(asked).filter { truth[$0] != nil }.count)
                #expect(try store.messageCounts() == messages, "step \(step)")
            }
        }
    }

    @Test func cacheStaysWithinItsCapacity() {
        var cache = TokenCountCache(capacity: 100)
        for n in 0..<1000 {
            cache.store(TokenHash(value: UInt64(n)), n % 3 == 0 ? nil : TokenCounts(spam: n, ham: 1, atime: 5))
            #expect(cache.count <= 100)
        }
        // The newest are kept, exactly; absent stays absent.
        #expect(cache.lookup(TokenHash(value: 998))?.counts == TokenCounts(spam: 998, ham: 1, atime: 5))
        #expect(cache.lookup(TokenHash(value: 999)) == .absent)
        // Counts too large for the cache are not kept (read again each time).
        cache.store(TokenHash(value: 5000), TokenCounts(spam: Int(UInt32.max) + 1, ham: 0, atime: 0))
        #expect(cache.lookup(TokenHash(value: 5000)) == nil)
    }

    /// The open-addressing table against a Dictionary, filled to its limit
    /// (three quarters of 64 slots: long probe runs, removals in the middle
    /// of runs and across the wrap-around), with tokens alike in their low
    /// bits, which the seeded hash must spread as any others.
    @Test func tableAgreesWithADictionary() {
        var random = SplitMix64(seed: 77)
        var table = TokenTable(holding: 48)
        var reference: [UInt64: TokenCountCache.Entry] = [:]
        for _ in 0..<20_000 {
            let token = (random.next() % 6) << 20 | (random.next() % 64) | (random.next() % 2 == 0 ? 0 : 63)
            switch random.next() % 3 {
            case 0 where reference.count < 48 || reference[token] != nil:
                let e = TokenCountCache.Entry(spam: UInt32(random.next() % 100), ham: 1, atime: 2)
                table.set(token, e)
                reference[token] = e
            case 1:
                #expect(table.remove(token) == reference.removeValue(forKey: token))
            default:
                #expect(table.value(token) == reference[token])
            }
            #expect(table.count == reference.count)
        }
        for (token, e) in reference { #expect(table.value(token) == e) }
        table.removeAll()
        #expect(table.count == 0)
        for token in reference.keys { #expect(table.value(token) == nil) }
        table.set(7, .absent)
        #expect(table.value(7) == .absent && table.count == 1)
    }
}
