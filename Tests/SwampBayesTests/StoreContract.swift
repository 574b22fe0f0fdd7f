import Foundation
import Testing
@testable import SwampBayes
import SwampBayesPostgres
import SwampTestSupport

/// One kind of Bayes store, for the tests every store must pass.
struct StoreBackend: Sendable {
    /// Opens a store onto one database: `user` nil is the site's.
    typealias Opener = @Sendable (_ user: String?, _ readOnly: Bool) throws -> any BayesStore

    let name: String
    /// Makes a fresh, empty database and returns how to open stores onto it.
    let fresh: @Sendable () throws -> Opener

    static let sqlite = StoreBackend(name: "SQLite") {
        let base = StoreTests.tempPath()
        return { user, readOnly in
            let path = user.map { BayesPaths.userDatabase(bayesPath: base, user: $0)! } ?? base
            return try SQLiteBayesStore(path: path, readOnly: readOnly)
        }
    }

    static let postgres = StoreBackend(name: "PostgreSQL") {
        let server = try PostgresTestServer.shared()
        let settings = try PostgresConnectionSettings(dsn: server.url(database: try server.createDatabase()))
        return { user, readOnly in try PostgresBayesStore(settings: settings, user: user, readOnly: readOnly) }
    }
}

/// The store tests, written once and run against each backend (SQLite in
/// StoreTests, PostgreSQL in PostgresStoreTests).
enum StoreContract {
    static func message(_ n: Int, spammy: Bool) -> [UInt8] { StoreTests.message(n, spammy: spammy) }

    static func learnTwiceCountsOnce(_ backend: StoreBackend) throws {
        let bayes = BayesClassifier(store: try backend.fresh()(nil, false))
        #expect(try bayes.learn(message(1, spammy: true), as: .spam) == .learned)
        #expect(try bayes.learn(message(1, spammy: true), as: .spam) == .alreadyLearned)
        #expect(try bayes.store.messageCounts() == (1, 0))
        let item = bayes.prepare(message(1, spammy: true)).item
        let counts = try bayes.store.tokenCounts(item.tokens)
        #expect(counts.count == item.tokens.count)
        #expect(counts.values.allSatisfy { $0.spam == 1 && $0.ham == 0 && $0.atime == item.atime })
        #expect(try bayes.store.seen(item.id) == .spam)
        #expect(try bayes.store.seen("never@swamp") == nil)
    }

    static func relearnMovesAndForgetUndoes(_ backend: StoreBackend) throws {
        let bayes = BayesClassifier(store: try backend.fresh()(nil, false))
        let m = message(2, spammy: false)
        #expect(try bayes.learn(m, as: .spam) == .learned)
        #expect(try bayes.learn(m, as: .ham) == .relearned)
        #expect(try bayes.store.messageCounts() == (0, 1))
        let item = bayes.prepare(m).item
        #expect(try bayes.store.tokenCounts(item.tokens).values.allSatisfy { $0.spam == 0 && $0.ham == 1 })
        #expect(try bayes.store.seen(item.id) == .ham)
        #expect(try bayes.forget(m) == .forgotten)
        #expect(try bayes.forget(m) == .notLearned)
        #expect(try bayes.store.messageCounts() == (0, 0))
        #expect(try bayes.store.tokenCounts(item.tokens).isEmpty)
        #expect(try bayes.store.magic().ntokens == 0)
        #expect(try bayes.store.seen(item.id) == nil)
    }

    /// Forgetting one of two messages that share tokens keeps the other's.
    static func forgetKeepsSharedTokens(_ backend: StoreBackend) throws {
        let store = try backend.fresh()(nil, false)
        let shared = (0..<5).map { TokenHash(value: UInt64($0)) }
        let a = LearnItem(id: "a", tokens: shared + [TokenHash(value: 100)], atime: 1_000)
        let b = LearnItem(id: "b", tokens: shared + [TokenHash(value: 200)], atime: 2_000)
        #expect(try store.learn(a, as: .spam) == .learned)
        #expect(try store.learn(b, as: .spam) == .learned)
        #expect(try store.tokenCounts(shared).values.allSatisfy { $0.spam == 2 && $0.atime == 2_000 })
        #expect(try store.forget(a) == .forgotten)
        let left = try store.tokenCounts(shared + [TokenHash(value: 100), TokenHash(value: 200)])
        #expect(left.count == 6)
        #expect(left[TokenHash(value: 100)] == nil)
        #expect(shared.allSatisfy { left[$0]?.spam == 1 })
        #expect(try store.messageCounts() == (1, 0))
    }

    static func markupDoesNotChangeIdentity(_ backend: StoreBackend) throws {
        let bayes = BayesClassifier(store: try backend.fresh()(nil, false))
        let m = message(3, spammy: true)
        var marked = Array("X-Spam-Flag: YES\nX-Spam-Status: Yes, score=9.9\n".utf8)
        marked += m
        #expect(try bayes.learn(m, as: .spam) == .learned)
        #expect(try bayes.learn(marked, as: .spam) == .alreadyLearned)
    }

    static func classifiesAfterEnoughTraining(_ backend: StoreBackend) throws {
        var settings = BayesSettings()
        settings.minSpam = 20; settings.minHam = 20
        let bayes = BayesClassifier(store: try backend.fresh()(nil, false), settings: settings)
        for i in 0..<19 {
            _ = try bayes.learn(message(100 + i, spammy: true), as: .spam)
            _ = try bayes.learn(message(200 + i, spammy: false), as: .ham)
        }
        #expect(try bayes.classify(message(999, spammy: true)).probability == nil)
        _ = try bayes.learn(message(119, spammy: true), as: .spam)
        _ = try bayes.learn(message(219, spammy: false), as: .ham)
        #expect(bayes.isAvailable())
        let spam = try #require(try bayes.classify(message(999, spammy: true)).probability)
        let ham = try #require(try bayes.classify(message(998, spammy: false)).probability)
        #expect(spam > 0.99)
        #expect(ham < 0.01)
        #expect(try bayes.classify(message(999, spammy: true)).rules.contains("BAYES_99"))
    }

    static func expiryKeepsTheNewest(_ backend: StoreBackend) throws {
        let store = try backend.fresh()(nil, false)
        for i in 0..<2000 {
            let item = LearnItem(id: "m\(i)", tokens: [TokenHash(value: UInt64(i))], atime: 1_000_000 + i)
            _ = try store.learn(item, as: i % 2 == 0 ? .spam : .ham)
        }
        #expect(try store.expire(maxTokens: 5000, now: 2_000_000) == nil)
        let r = try #require(try store.expire(maxTokens: 1000, now: 2_000_000))
        #expect(r == ExpiryResult(removed: 1250, kept: 750, atimeCutoff: 1_000_000 + 1249))
        let magic = try store.magic()
        #expect(magic.ntokens == 750)
        #expect(magic.oldestAtime == 1_000_000 + 1250)
        #expect(magic.newestAtime == 1_000_000 + 1999)
        #expect(magic.lastExpire == 2_000_000)
        #expect(magic.lastExpireAtimeDelta == 750)
        #expect(magic.lastExpireReduce == 1250)
        // Message counts are untouched by expiry.
        #expect(magic.nspam == 1000 && magic.nham == 1000)
    }

    /// Touch only moves access times forward.
    static func touchNeverGoesBack(_ backend: StoreBackend) throws {
        let store = try backend.fresh()(nil, false)
        let t = [TokenHash(value: 7), TokenHash(value: 8)]
        _ = try store.learn(LearnItem(id: "x", tokens: t, atime: 5_000), as: .ham)
        try store.touch([t[0]], atime: 9_000)
        try store.touch([t[1]], atime: 1_000)
        let counts = try store.tokenCounts(t)
        #expect(counts[t[0]]?.atime == 9_000)
        #expect(counts[t[1]]?.atime == 5_000)
    }

    /// `sa-learn --backup` out of one store and back into a fresh one
    /// gives the same backup.
    static func backupRoundTrip(_ backend: StoreBackend) throws {
        let bayes = BayesClassifier(store: try backend.fresh()(nil, false))
        for i in 0..<30 { _ = try bayes.learn(message(300 + i, spammy: i % 3 == 0), as: i % 3 == 0 ? .spam : .ham) }
        var first = ""
        try SABackup.write(bayes.store) { first += $0 }
        let parsed = try SABackup.parse(first)
        #expect(parsed.nspam == 10 && parsed.nham == 20 && parsed.seen.count == 30)

        let copy = try backend.fresh()(nil, false)
        _ = try copy.learn(LearnItem(id: "replaced", tokens: [TokenHash(value: 1)], atime: 1), as: .spam)
        try copy.restore(nspam: parsed.nspam, nham: parsed.nham, tokens: parsed.tokens, seen: parsed.seen)
        var second = ""
        try SABackup.write(copy) { second += $0 }
        #expect(second == first)
        #expect(try copy.seen("replaced") == nil)
    }

    /// A store opened read-only reads, and refuses to learn.
    static func readOnlyRefusesWrites(_ backend: StoreBackend) throws {
        let open = try backend.fresh()
        _ = try open(nil, false).learn(LearnItem(id: "a", tokens: [TokenHash(value: 1)], atime: 1), as: .spam)
        let reader = try open(nil, true)
        #expect(try reader.messageCounts() == (1, 0))
        #expect(throws: (any Error).self) {
            try reader.learn(LearnItem(id: "b", tokens: [TokenHash(value: 2)], atime: 1), as: .spam)
        }
        #expect(try reader.messageCounts() == (1, 0))
    }

    /// One user's learning never shows in another's database or the site's.
    static func usersAreIsolated(_ backend: StoreBackend) throws {
        let open = try backend.fresh()
        let alice = try open("alice", false), bob = try open("bob", false), site = try open(nil, false)
        let item = LearnItem(id: "m", tokens: [TokenHash(value: 42)], atime: 10)
        #expect(try alice.learn(item, as: .spam) == .learned)
        #expect(try bob.learn(item, as: .ham) == .learned)
        #expect(try alice.messageCounts() == (1, 0))
        #expect(try bob.messageCounts() == (0, 1))
        #expect(try site.messageCounts() == (0, 0))
        #expect(try site.tokenCounts([TokenHash(value: 42)]).isEmpty)
        #expect(try bob.forget(item) == .forgotten)
        #expect(try alice.tokenCounts([TokenHash(value: 42)])[TokenHash(value: 42)]?.spam == 1)
    }

    /// Several stores on one database (separate connections, as separate
    /// daemons have) learn the same messages at once, each in its own
    /// order: every message counts once, with the class it was given.
    static func concurrentLearnersCountOnce(_ backend: StoreBackend) throws {
        let open = try backend.fresh()
        let stores = try (0..<4).map { _ in try open(nil, false) }
        // Messages share most tokens, so learners contend for the same rows.
        let items = (0..<120).map { i in
            LearnItem(id: "msg\(i)", tokens: (0..<40).map { TokenHash(value: UInt64(($0 * 7 + i) % 60)) }, atime: 1_000 + i)
        }
        let failures = LockedList()
        DispatchQueue.concurrentPerform(iterations: stores.count) { k in
            var order = Array(items.indices)
            if k % 2 == 1 { order.reverse() }
            if k >= 2 { order = order.shuffled() }
            for i in order {
                do { _ = try stores[k].learn(items[i], as: i % 3 == 0 ? .spam : .ham) } catch { failures.append("\(error)") }
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(3))")
        #expect(try stores[0].messageCounts() == (40, 80))
        // Each token's counts are what learning every message once gives.
        var expected: [TokenHash: (spam: Int, ham: Int)] = [:]
        for (i, item) in items.enumerated() {
            for t in Set(item.tokens) {
                if i % 3 == 0 { expected[t, default: (0, 0)].spam += 1 } else { expected[t, default: (0, 0)].ham += 1 }
            }
        }
        let counts = try stores[1].tokenCounts(Array(expected.keys))
        #expect(counts.count == expected.count)
        for (t, e) in expected { #expect(counts[t]?.spam == e.spam && counts[t]?.ham == e.ham, "token \(t.value)") }
    }
}

final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
