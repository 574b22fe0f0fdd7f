import Foundation
import Testing
@testable import SwampBayes

@Suite struct StoreTests {
    static func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-bayes-\(UUID().uuidString)")
        return dir.appendingPathComponent("bayes.sqlite").path
    }

    static func message(_ n: Int, spammy: Bool) -> [UInt8] {
        let words = spammy ? "viagra cheap pills winner prize lottery" : "meeting agenda lunch project review schedule"
        return Array("From: user\(n)@example.com\nMessage-ID: <m\(n)@example.com>\nSubject: note \(n)\nDate: Sat, 28 Nov 2026 16:42:05 +0000\n\n\(words) token\(n)\n".utf8)
    }

    @Test func learnTwiceCountsOnce() throws {
        let bayes = BayesClassifier(store: try SQLiteBayesStore(path: Self.tempPath()))
        #expect(try bayes.learn(Self.message(1, spammy: true), as: .spam) == .learned)
        #expect(try bayes.learn(Self.message(1, spammy: true), as: .spam) == .alreadyLearned)
        #expect(try bayes.store.messageCounts() == (1, 0))
        let item = bayes.prepare(Self.message(1, spammy: true)).item
        let counts = try bayes.store.tokenCounts(item.tokens)
        #expect(counts.count == item.tokens.count)
        #expect(counts.values.allSatisfy { $0.spam == 1 && $0.ham == 0 })
    }

    @Test func relearnMovesAndForgetUndoes() throws {
        let bayes = BayesClassifier(store: try SQLiteBayesStore(path: Self.tempPath()))
        let m = Self.message(2, spammy: false)
        #expect(try bayes.learn(m, as: .spam) == .learned)
        #expect(try bayes.learn(m, as: .ham) == .relearned)
        #expect(try bayes.store.messageCounts() == (0, 1))
        let item = bayes.prepare(m).item
        #expect(try bayes.store.tokenCounts(item.tokens).values.allSatisfy { $0.spam == 0 && $0.ham == 1 })
        #expect(try bayes.forget(m) == .forgotten)
        #expect(try bayes.forget(m) == .notLearned)
        #expect(try bayes.store.messageCounts() == (0, 0))
        #expect(try bayes.store.tokenCounts(item.tokens).isEmpty)
        #expect(try bayes.store.magic().ntokens == 0)
    }

    @Test func markupDoesNotChangeIdentity() throws {
        let bayes = BayesClassifier(store: try SQLiteBayesStore(path: Self.tempPath()))
        let m = Self.message(3, spammy: true)
        var marked = Array("X-Spam-Flag: YES\nX-Spam-Status: Yes, score=9.9\n".utf8)
        marked += m
        #expect(try bayes.learn(m, as: .spam) == .learned)
        #expect(try bayes.learn(marked, as: .spam) == .alreadyLearned)
    }

    @Test func classifiesAfterEnoughTraining() throws {
        var settings = BayesSettings()
        settings.minSpam = 20; settings.minHam = 20
        let bayes = BayesClassifier(store: try SQLiteBayesStore(path: Self.tempPath()), settings: settings)
        for i in 0..<19 {
            _ = try bayes.learn(Self.message(100 + i, spammy: true), as: .spam)
            _ = try bayes.learn(Self.message(200 + i, spammy: false), as: .ham)
        }
        #expect(try bayes.classify(Self.message(999, spammy: true)).probability == nil)
        _ = try bayes.learn(Self.message(119, spammy: true), as: .spam)
        _ = try bayes.learn(Self.message(219, spammy: false), as: .ham)
        #expect(bayes.isAvailable())
        let spam = try #require(try bayes.classify(Self.message(999, spammy: true)).probability)
        let ham = try #require(try bayes.classify(Self.message(998, spammy: false)).probability)
        #expect(spam > 0.99)
        #expect(ham < 0.01)
        #expect(try bayes.classify(Self.message(999, spammy: true)).rules.contains("BAYES_99"))
    }

    @Test func expiryKeepsTheNewest() throws {
        let store = try SQLiteBayesStore(path: Self.tempPath())
        for i in 0..<2000 {
            let item = LearnItem(id: "m\(i)", tokens: [TokenHash(value: UInt64(i))], atime: 1_000_000 + i)
            _ = try store.learn(item, as: i % 2 == 0 ? .spam : .ham)
        }
        #expect(try store.expire(maxTokens: 5000, now: 2_000_000) == nil)
        let r = try #require(try store.expire(maxTokens: 1000, now: 2_000_000))
        #expect(r.kept == 750)
        let magic = try store.magic()
        #expect(magic.ntokens == 750)
        #expect(magic.oldestAtime == 1_000_000 + 1250)
        #expect(magic.lastExpireReduce == 1250)
        // Message counts are untouched by expiry.
        #expect(magic.nspam == 1000 && magic.nham == 1000)
    }

    @Test func userNamesNeverBecomePaths() {
        #expect(BayesPaths.sanitisedUserName("alice") == "alice")
        #expect(BayesPaths.sanitisedUserName("../../etc/passwd") == "_._.._etc_passwd")
        #expect(BayesPaths.sanitisedUserName("..") == "_.")
        #expect(BayesPaths.sanitisedUserName("") == nil)
        let p = BayesPaths.userDatabase(bayesPath: "/var/lib/swamp/bayes", user: "../x/y")!
        #expect(p == "/var/lib/swamp/users/_._x_y.sqlite")
        #expect(BayesPaths.database(bayesPath: "~/b", home: "/home/u") == "/home/u/b.sqlite")
    }

    @Test func rfc2822Dates() {
        #expect(RFC2822Date.parse("Sat, 28 Nov 2026 16:42:05 +0000") == 1_795_884_125)
        #expect(RFC2822Date.parse("28 Nov 2026 17:42:05 +0100") == 1_795_884_125)
        #expect(RFC2822Date.parse("garbage") == nil)
    }
}
