import Foundation
import Testing
import SwampEngine
import SwampRules
@testable import SwampScan
@testable import SwampBayes

/// Bayes inside a scan: BAYES_* hits through the rules, the Bayes score
/// set, `_BAYES_`, and autolearning.
@Suite struct ScanIntegrationTests {
    static let rules = TokenizerDifferentialTests.repo.appendingPathComponent("Rules").path

    static func configuration() -> Configuration {
        var loader = ConfigLoader()
        loader.load(path: rules)
        var c = loader.configuration
        c.otherSettings["bayes_min_spam_num"] = ["10"]
        c.otherSettings["bayes_min_ham_num"] = ["10"]
        return c
    }

    @Test func bayesHitsScoreInTheBayesScoreSet() throws {
        var config = Self.configuration()
        config.bayesAutoLearn = false
        let path = StoreTests.tempPath()
        let bayes = try BayesSetup.open(config, path: path)
        for i in 0..<10 {
            _ = try bayes.learn(StoreTests.message(100 + i, spammy: true), as: .spam)
            _ = try bayes.learn(StoreTests.message(200 + i, spammy: false), as: .ham)
        }
        let scanner = SpamScanner(configuration: config, bayes: bayes)
        let spam = scanner.scan(StoreTests.message(999, spammy: true)).verdict
        #expect(spam.tests.contains("BAYES_99"))
        #expect(spam.evaluation.scoreSet == 2)
        #expect(spam.isSpam)
        #expect((spam.bayes?.probability ?? 0) > 0.99)
        let ham = scanner.scan(StoreTests.message(998, spammy: false)).verdict
        #expect(ham.tests.contains("BAYES_00"))
        #expect(!ham.isSpam)
        #expect(ham.autolearn == "disabled")
    }

    /// A scan on two threads, Bayes and some of the rules on the second (the
    /// daemon's way when a core is free), decides exactly as Bayes first,
    /// then the rules on one thread: score set, hits, probability,
    /// autolearn; trained or not.
    @Test func aScanOnTwoThreadsDecidesTheSame() throws {
        var config = Self.configuration()
        config.bayesAutoLearn = false
        let bayes = try BayesSetup.open(config, path: StoreTests.tempPath())
        let scanner = SpamScanner(configuration: config, bayes: bayes)
        func both(_ bytes: [UInt8]) -> (Verdict, Verdict) {
            let (message, views) = scanner.prepare(bytes)
            let one = scanner.evaluate(message: message, views: views, facts: Facts(), sideThread: false).verdict
            let two = scanner.evaluate(message: message, views: views, facts: Facts(), sideThread: true).verdict
            return (one, two)
        }
        for trained in [false, true] {
            if trained {
                for i in 0..<10 {
                    _ = try bayes.learn(StoreTests.message(100 + i, spammy: true), as: .spam)
                    _ = try bayes.learn(StoreTests.message(200 + i, spammy: false), as: .ham)
                }
            }
            for n in 0..<20 {
                let (one, two) = both(StoreTests.message(900 + n, spammy: n % 2 == 0))
                #expect(one.evaluation.scoreSet == (trained ? 2 : 0))
                #expect(two.evaluation.scoreSet == one.evaluation.scoreSet)
                #expect(two.score == one.score)
                #expect(two.tests == one.tests)
                #expect(two.bayes?.probability == one.bayes?.probability)
                #expect(two.autolearn == one.autolearn)
            }
        }
    }

    /// More scans at once than the side threads can take, each on two
    /// threads: the extra side work waits for a thread (it waits on nothing
    /// the pool runs, so nothing it waits on waits for it), every scan
    /// ends, and each decides as Bayes first, then the rules on one thread.
    // Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
    @Test(.timeLimit(.minutes(10)))
    func manyScansAtOnceWithBayesAlongsideAllFinishAndDecideTheSame() throws {
        var config = Self.configuration()
        config.bayesAutoLearn = false
        let bayes = try BayesSetup.open(config, path: StoreTests.tempPath())
        for i in 0..<10 {
            _ = try bayes.learn(StoreTests.message(100 + i, spammy: true), as: .spam)
            _ = try bayes.learn(StoreTests.message(200 + i, spammy: false), as: .ham)
        }
        let scanner = SpamScanner(configuration: config, bayes: bayes)
        let callers = ScanSideThreads.count * 4 + 3
        let inputs = (0..<callers).map { scanner.prepare(StoreTests.message(900 + $0, spammy: $0 % 2 == 0)) }
        let inline = inputs.map {
            scanner.evaluate(message: $0.message, views: $0.views, facts: Facts(), sideThread: false).verdict
        }
        let alongside = Verdicts(count: callers)
        let go = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for (n, input) in inputs.enumerated() {
            done.enter()
            // Threads of their own, as the daemon's scan threads: all of
            // them ask for a Bayes step at about the same moment.
            Thread {
                go.wait()
                alongside[n] = scanner.evaluate(message: input.message, views: input.views, facts: Facts(),
                                                sideThread: true).verdict
                done.leave()
            }.start()
        }
        for _ in 0..<callers { go.signal() }
        #expect(done.wait(timeout: .now() + 90) == .success, "scans still waiting for their side threads")
        for n in 0..<callers {
            let (one, two) = (inline[n], try #require(alongside[n]))
            #expect(one.evaluation.scoreSet == 2)
            #expect(two.evaluation.scoreSet == one.evaluation.scoreSet)
            #expect(two.score == one.score)
            #expect(two.tests == one.tests)
            #expect(two.bayes?.probability == one.bayes?.probability)
        }
    }

    final class Verdicts: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var verdicts: [Verdict?]
        init(count: Int) { verdicts = Array(repeating: nil, count: count) }
        subscript(n: Int) -> Verdict? {
            get { lock.withLock { verdicts[n] } }
            set { lock.withLock { verdicts[n] = newValue } }
        }
    }

    @Test func noBayesScoreSetBeforeEnoughTraining() throws {
        let config = Self.configuration()
        let bayes = try BayesSetup.open(config, path: StoreTests.tempPath())
        let verdict = SpamScanner(configuration: config, bayes: bayes).scan(StoreTests.message(1, spammy: true)).verdict
        #expect(verdict.evaluation.scoreSet == 0)
        #expect(!verdict.tests.contains { $0.hasPrefix("BAYES_") })
    }

    @Test func autolearnsClearHam() throws {
        let config = Self.configuration()
        let bayes = try BayesSetup.open(config, path: StoreTests.tempPath())
        let scanner = SpamScanner(configuration: config, bayes: bayes)
        // No rule hits: 0 points is under bayes_auto_learn_threshold_nonspam (0.1).
        var m = StoreTests.message(5, spammy: false)
        m.insert(contentsOf: Array("To: someone@example.org\n".utf8), at: 0)
        let verdict = scanner.scan(m).verdict
        #expect(verdict.tests.isEmpty)
        #expect(verdict.autolearn == "ham")
        #expect(try bayes.store.messageCounts() == (0, 1))
        // Learned once only.
        #expect(scanner.scan(m).verdict.autolearn == "no")
        // A rule's half point is too much for autolearning as ham.
        #expect(scanner.scan(StoreTests.message(6, spammy: false)).verdict.autolearn == "no")
    }

    /// Spam is learned only with 12 points and 3 each from header and body
    /// rules, in the score set without Bayes.
    @Test func autolearnsSpamOnlyWithHeaderAndBodyPoints() throws {
        func scanner(_ extra: String) throws -> (SpamScanner, BayesClassifier) {
            var loader = ConfigLoader()
            loader.load(path: Self.rules)
            loader.load(text: extra, file: "autolearn.cf")
            var c = loader.configuration
            c.otherSettings["bayes_min_spam_num"] = ["10"]
            c.otherSettings["bayes_min_ham_num"] = ["10"]
            let bayes = try BayesSetup.open(c, path: StoreTests.tempPath())
            return (SpamScanner(configuration: c, bayes: bayes), bayes)
        }
        let both = """
        header AL_HEAD Subject =~ /note/
        score  AL_HEAD 6
        body   AL_BODY /viagra/
        score  AL_BODY 7
        """
        var (s, bayes) = try scanner(both)
        var verdict = s.scan(StoreTests.message(7, spammy: true)).verdict
        #expect(verdict.tests.contains("AL_HEAD") && verdict.tests.contains("AL_BODY"))
        #expect(verdict.autolearn == "spam")
        #expect(try bayes.store.messageCounts() == (1, 0))

        // 13 points, all from the body: not learned.
        (s, bayes) = try scanner("body AL_BODY /viagra/\nscore AL_BODY 13\n")
        verdict = s.scan(StoreTests.message(8, spammy: true)).verdict
        #expect(verdict.isSpam)
        #expect(verdict.autolearn == "no")
        #expect(try bayes.store.messageCounts() == (0, 0))

        // ... unless a rule forces it.
        (s, bayes) = try scanner("body AL_BODY /viagra/\nscore AL_BODY 13\ntflags AL_BODY autolearn_force\n")
        #expect(s.scan(StoreTests.message(9, spammy: true)).verdict.autolearn == "spam")
    }

    /// `swamp check` and `swamp serve` open the site database for scanning:
    /// writable with autolearn on, so their scans learn; opening never
    /// creates it (autolearn does: AutolearnCreatesDatabaseTests).
    @Test func scanningDatabaseAutolearnsWhenItExists() throws {
        var config = Self.configuration()
        config.bayesPath = StoreTests.tempPath()
        #expect(BayesSetup.openForScanning(config).classifier == nil)
        _ = try BayesSetup.open(config).learn(StoreTests.message(1, spammy: true), as: .spam)

        let (bayes, problem) = BayesSetup.openForScanning(config)
        #expect(problem == nil)
        let classifier = try #require(bayes)
        var m = StoreTests.message(5, spammy: false)
        m.insert(contentsOf: Array("To: someone@example.org\n".utf8), at: 0)
        #expect(SpamScanner(configuration: config, bayes: classifier).scan(m).verdict.autolearn == "ham")
        #expect(try classifier.store.messageCounts() == (1, 1))

        config.bayesAutoLearn = false
        let readOnly = try #require(BayesSetup.openForScanning(config).classifier)
        #expect(throws: (any Error).self) { try readOnly.learn(StoreTests.message(2, spammy: true), as: .spam) }
    }
}
