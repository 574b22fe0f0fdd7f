import Foundation
import Testing
import SwampTestSupport
@testable import SwampBayes

/// A store given room for a `TokenSnapshot` answers from the whole table
/// in memory; its answers must still be the database's, whoever writes.
@Suite struct TokenSnapshotTests {
    /// The random writes of `TokenCacheTests`, looked up through snapshots:
    /// the writing store's own (kept with access times, dropped on its
    /// writes), a read-only reader's read again at once after each commit
    /// of another connection, and one that waits an hour for quiet and so
    /// answers from SQLite after the first commit.
    @Test func lookupsFollowEveryWriteOfEitherConnection() throws {
        try TokenCacheTests.randomWrites({ path in
            try SQLiteBayesStore(path: path, cachedTokens: 40, snapshotTokens: 1_000, snapshotQuiet: .zero)
        }, readers: { path in [
            try SQLiteBayesStore(path: path, readOnly: true, cachedTokens: 40, snapshotTokens: 1_000,
                                 snapshotQuiet: .zero),
            try SQLiteBayesStore(path: path, readOnly: true, cachedTokens: 40, snapshotTokens: 1_000,
                                 snapshotQuiet: .seconds(3600)),
        ] })
    }

    static func learned(_ path: String, tokens: Range<UInt64>, id: String) throws -> SQLiteBayesStore {
        let learner = try SQLiteBayesStore(path: path)
        _ = try learner.learn(LearnItem(id: id, tokens: tokens.map { TokenHash(value: $0) }, atime: 1_000), as: .spam)
        return learner
    }

    /// The first lookup reads the table; another connection's commit makes
    /// it stale, and it is read again only once the database has been quiet.
    @Test func staleSnapshotWaitsForQuiet() throws {
        let path = StoreTests.tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let learner = try Self.learned(path, tokens: 1..<50, id: "a")
        let waiting = try SQLiteBayesStore(path: path, readOnly: true, snapshotTokens: 100,
                                           snapshotQuiet: .seconds(3600))
        let eager = try SQLiteBayesStore(path: path, readOnly: true, snapshotTokens: 100, snapshotQuiet: .zero)
        let asked = (1..<60).map { TokenHash(value: $0) }
        #expect(try waiting.tokenCounts(asked).count == 49)
        #expect(try eager.tokenCounts(asked).count == 49)
        #expect(waiting.waitForSnapshotRead(), "snapshot read still under way after a minute")
        #expect(eager.waitForSnapshotRead(), "snapshot read still under way after a minute")
        #expect(waiting.snapshotTokenCount == 49 && eager.snapshotTokenCount == 49)

        _ = try learner.learn(LearnItem(id: "b", tokens: (40..<55).map { TokenHash(value: $0) }, atime: 2_000), as: .ham)
        for store in [waiting, eager] {
            let counts = try store.tokenCounts(asked)
            #expect(counts.count == 54)
            #expect(counts[TokenHash(value: 45)].map { [$0.spam, $0.ham] } == [1, 1])
            #expect(counts[TokenHash(value: 52)].map { [$0.spam, $0.ham] } == [0, 1])
            #expect(try store.messageCounts() == (1, 1))
            #expect(store.waitForSnapshotRead(), "snapshot read still under way after a minute")
        }
        #expect(waiting.snapshotTokenCount == nil)
        #expect(eager.snapshotTokenCount == 54)
    }

    /// A table over the limit is looked up through SQLite, and not read
    /// again for every message.
    @Test func tableOverTheLimitIsNotKept() throws {
        let path = StoreTests.tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        _ = try Self.learned(path, tokens: 1..<50, id: "a")
        let store = try SQLiteBayesStore(path: path, readOnly: true, snapshotTokens: 48, snapshotQuiet: .zero)
        for _ in 0..<3 {
            #expect(try store.tokenCounts((1..<60).map { TokenHash(value: $0) }).count == 49)
            #expect(store.waitForSnapshotRead(), "snapshot read still under way after a minute")
            #expect(store.snapshotTokenCount == nil)
        }
        #expect(store.snapshotReads == 1)
    }

    /// The store's own writes: a learn is seen at once, a touch updates the
    /// access time kept in the snapshot.
    @Test func ownWritesAreSeen() throws {
        let path = StoreTests.tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        _ = try Self.learned(path, tokens: 1..<10, id: "a")
        let store = try SQLiteBayesStore(path: path, snapshotTokens: 100, snapshotQuiet: .seconds(3600))
        let t = TokenHash(value: 5)
        #expect(try store.tokenCounts([t])[t] == TokenCounts(spam: 1, ham: 0, atime: 1_000))
        #expect(store.waitForSnapshotRead(), "snapshot read still under way after a minute")
        #expect(store.snapshotTokenCount == 9)
        try store.touch([t], atime: 1_500)
        #expect(try store.tokenCounts([t])[t] == TokenCounts(spam: 1, ham: 0, atime: 1_500))
        #expect(store.snapshotTokenCount == 9)
        _ = try store.learn(LearnItem(id: "b", tokens: [t], atime: 1_200), as: .ham)
        #expect(try store.tokenCounts([t])[t] == TokenCounts(spam: 1, ham: 1, atime: 1_500))
        #expect(store.snapshotTokenCount == nil)
    }

    /// Rows as SQLite gives them, to a snapshot directly.
    static func snapshot(_ rows: [(Int64, Int64, Int64, Int64)], limit: Int = 1_000,
                         keepAtimes: Bool = true) -> TokenSnapshot? {
        TokenSnapshot(version: 1, nspam: 1, nham: 1, limit: limit, keepAtimes: keepAtimes) { row in
            for r in rows where !row(r.0, r.1, r.2, r.3) { return }
        }
    }

    /// Every token found, and none that is absent, however unevenly the
    /// tokens are spread (the guessed positions are then far off);
    /// counts past 12 bits and negative ones kept as they are; tokens no
    /// lookup can name left out.
    @Test func findsEveryTokenHoweverSpread() throws {
        var random = SplitMix64(seed: 99)
        var tokens = Set<UInt64>()
        while tokens.count < 3_000 {
            // Mostly crowded at the bottom, some spread, a few at the top.
            switch random.next() % 10 {
            case 0...6: tokens.insert(random.next() % 5_000)
            case 7, 8: tokens.insert(random.next() % (1 << 40))
            default: tokens.insert((1 << 40) - 1 - random.next() % 100)
            }
        }
        let sorted = tokens.sorted()
        var rows = sorted.enumerated().map { i, t -> (Int64, Int64, Int64, Int64) in
            let spam: Int64 = i % 97 == 0 ? 1_000_000 : (i % 89 == 0 ? -3 : Int64(i % 4095))
            return (Int64(t), spam, Int64(i % 7), Int64(i))
        }
        rows.append((1 << 40, 1, 1, 1))  // beyond 40 bits
        let snapshot = try #require(Self.snapshot(rows, limit: 3_000))
        #expect(snapshot.count == 3_000)
        for row in rows.dropLast() {
            #expect(snapshot.counts(TokenHash(value: UInt64(row.0)))
                    == TokenCounts(spam: Int(row.1), ham: Int(row.2), atime: Int(row.3)))
        }
        var absent = 0
        while absent < 3_000 {
            let t = random.next() % 2 == 0 ? random.next() % 6_000 : random.next() % (1 << 40)
            guard !tokens.contains(t) else { continue }
            #expect(snapshot.counts(TokenHash(value: t)) == nil)
            absent += 1
        }
    }

    /// Access times past 32 bits, or before 1970, are kept exactly (the
    /// database keeps them so), and a touch past 32 bits too.
    @Test func accessTimesOutsideThirtyTwoBitsAreKept() throws {
        var snapshot = try #require(Self.snapshot([(1, 1, 0, -5), (2, 0, 1, 1 << 40), (3, 2, 2, 100)]))
        #expect(snapshot.counts(TokenHash(value: 1)) == TokenCounts(spam: 1, ham: 0, atime: -5))
        #expect(snapshot.counts(TokenHash(value: 2)) == TokenCounts(spam: 0, ham: 1, atime: 1 << 40))
        snapshot.touch(TokenHash(value: 3), atime: (1 << 33) + 7)
        #expect(snapshot.counts(TokenHash(value: 3)) == TokenCounts(spam: 2, ham: 2, atime: (1 << 33) + 7))
        snapshot.touch(TokenHash(value: 3), atime: 50)
        snapshot.touch(TokenHash(value: 1), atime: 10)
        #expect(snapshot.counts(TokenHash(value: 3))?.atime == (1 << 33) + 7)
        #expect(snapshot.counts(TokenHash(value: 1))?.atime == 10)
    }

    /// A writable store whose table is over the limit learns on: its
    /// own writes do not make it read the table again (learning only adds
    /// tokens); expiry does.
    @Test func ownLearningDoesNotRetryATableOverTheLimit() throws {
        let path = StoreTests.tempPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try SQLiteBayesStore(path: path, snapshotTokens: 20, snapshotQuiet: .zero)
        _ = try store.learn(LearnItem(id: "a", tokens: (1..<40).map { TokenHash(value: $0) }, atime: 1), as: .spam)
        for n in 0..<3 {
            _ = try store.learn(LearnItem(id: "b\(n)", tokens: [TokenHash(value: 100 + UInt64(n))], atime: 2), as: .ham)
            #expect(try store.tokenCounts([TokenHash(value: 5)]).count == 1)
            #expect(store.waitForSnapshotRead(), "snapshot read still under way after a minute")
        }
        #expect(store.snapshotReads == 1 && store.snapshotTokenCount == nil)
        _ = try store.expire(maxTokens: 20, now: 10)
        #expect(try store.tokenCounts([TokenHash(value: 100)]).count <= 1)
        #expect(store.waitForSnapshotRead(), "snapshot read still under way after a minute")
        #expect(store.snapshotReads == 2 && store.snapshotTokenCount != nil)
    }

    @Test func refusesRowsOutOfOrderOrOverTheLimit() {
        #expect(Self.snapshot([(5, 1, 0, 0), (3, 1, 0, 0)]) == nil)
        #expect(Self.snapshot([(5, 1, 0, 0), (5, 1, 0, 0)]) == nil)
        #expect(Self.snapshot([(1, 1, 0, 0), (2, 1, 0, 0), (3, 1, 0, 0)], limit: 2) == nil)
        #expect(Self.snapshot([(1, 1, 0, 0), (2, 1, 0, 0)], limit: 2)?.count == 2)
        #expect(Self.snapshot([])?.counts(TokenHash(value: 1)) == nil)
        // Without access times, counts still answer (time 0).
        #expect(Self.snapshot([(7, 2, 3, 99)], keepAtimes: false)?.counts(TokenHash(value: 7))
                == TokenCounts(spam: 2, ham: 3, atime: 0))
    }
}
