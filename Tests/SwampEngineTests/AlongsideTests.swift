import Dispatch
import Foundation
import Testing
import SwampEngine
import SwampMIME
import SwampRules

/// The Bayes probability, the rawbody, uri and full rules and the evals on
/// another thread while the header and body rules run on the caller's
/// (`evaluate(_:facts:alongside:probability:)`, the daemon's way with a core
/// to spare) decide exactly as one thread does: values, hits in the same
/// order, sub-rules, limits.
@Suite struct AlongsideTests {
    /// Starts work on a global queue, counting the times it was asked.
    final class Threads: @unchecked Sendable {
        let lock = NSLock()
        var started = 0
        /// How late the side thread starts: late, the scan's thread has
        /// taken every eval it may before the side thread takes any.
        let delay: Double
        init(delay: Double = 0) { self.delay = delay }
        var side: SideThreads {
            { work in
                self.lock.withLock { self.started += 1 }
                DispatchQueue.global().asyncAfter(deadline: .now() + self.delay, execute: work)
            }
        }
    }

    static func same(_ a: Evaluation, _ b: Evaluation, _ note: String) {
        #expect(a.hits == b.hits, "\(note)")
        #expect(a.subrules == b.subrules, "\(note)")
        #expect(a.score == b.score, "\(note)")
        #expect(a.scoreSet == b.scoreSet, "\(note)")
        #expect(a.limitExceeded == b.limitExceeded, "\(note)")
        #expect(a.timedOut == b.timedOut, "\(note)")
    }

    @Test func hitsComeInTheOrderOneThreadGivesThem() {
        var loader = ConfigLoader()
        loader.load(text: """
            header SUBJ_HELLO   Subject =~ /^Hello/
            body   MONEY        /money/
            tflags MONEY        multiple
            rawbody RAW_LUNCH   /lunch/
            uri    URI_EXAMPLE  /example\\.net/
            full   FULL_DATE    /^Date: /m
            header EVAL_FIRST   eval:check_for_missing_to_header()
            header EVAL_LATE    eval:check_for_missing_to_header()
            meta   BOTH         SUBJ_HELLO && MONEY && FULL_DATE
            meta   BAYES_SEEN   BAYES_HIGH
            meta   EXT_TWO      EVAL_FIRST == 2
            body   BAYES_HIGH   eval:check_bayes('0.5', '1.00')
            score  SUBJ_HELLO 1
            score  MONEY 0.5
            score  RAW_LUNCH 0.25
            score  URI_EXAMPLE 2
            score  FULL_DATE 0.125
            score  EVAL_FIRST 3
            score  EVAL_LATE 0.0625
            score  BOTH 4
            score  BAYES_HIGH 1.5
            score  BAYES_SEEN 0.75
            score  EXT_TWO 0.5
            """, file: "test.cf")
        let ruleSet = RuleSet(configuration: loader.configuration)
        let message = """
            From: Alice <alice@example.com>
            Subject: Hello there
            Date: Sat, 28 Nov 2026 16:42:05 +0000

            Lunch at http://www.example.net/ and money, money, money for lunch.

            """
        let views = Views(message: Message(bytes: Array(message.utf8)))
        // Evals go to whichever thread is free: with the side thread late,
        // the scan's thread takes all but those reading Bayes.
        for threads in [Threads(), Threads(delay: 0.05)] {
        for bayes in [nil, 0.2, 0.9] as [Double?] {
            // An eval decided outside (as network checks are): neither
            // thread runs it again.
            let facts = Facts(useBayes: bayes != nil, externalHits: ["EVAL_FIRST": 2])
            var known = facts
            known.bayesProbability = bayes
            let one = ruleSet.evaluate(views, facts: known)
            let two = ruleSet.evaluate(views, facts: facts, alongside: threads.side, probability: { bayes })
            Self.same(one, two, "bayes \(String(describing: bayes))")
            // Body-like hits between the header rules' and the evals'.
            // The eval decided outside first, as recorded before any rule ran.
            let expected = ["EVAL_FIRST", "SUBJ_HELLO", "MONEY", "RAW_LUNCH", "URI_EXAMPLE", "FULL_DATE", "EVAL_LATE"]
                + (bayes == 0.9 ? ["BAYES_HIGH"] : []) + ["BOTH"] + (bayes == 0.9 ? ["BAYES_SEEN"] : []) + ["EXT_TWO"]
            #expect(two.hitNames == expected)
            #expect(two.hits.first { $0.name == "MONEY" }?.count == 3)
            // The report's area and note for a body eval reading Bayes,
            // whose probability the other thread got (Plugin/Bayes.pm logs
            // it; Check.pm runs body evals as "BODY: ").
            if bayes == 0.9 {
                #expect(two.hits.first { $0.name == "BAYES_HIGH" }.map { [$0.area] + $0.log } == ["BODY: ", "score: 0.9000"])
            }
            #expect(two.hits.first { $0.name == "EVAL_LATE" }.map { [$0.area] + $0.log } == [""])
        }
        #expect(threads.started == 3)
        }
    }

    /// A deadline already past: both threads stop at once, and the outcome
    /// is what one thread gives (no rule ran but those decided outside,
    /// the metas over them, and the time-out noted).
    @Test func aPassedDeadlineStopsBothThreads() {
        var loader = ConfigLoader()
        loader.load(text: """
            header SUBJ_HELLO   Subject =~ /^Hello/
            body   MONEY        /money/
            uri    URI_EXAMPLE  /example/
            header EVAL_LATE    eval:check_for_missing_to_header()
            header EXTERNAL     eval:check_for_missing_to_header()
            meta   SAW_EXTERNAL EXTERNAL
            score  SUBJ_HELLO 1
            score  MONEY 1
            score  URI_EXAMPLE 1
            score  EVAL_LATE 1
            score  EXTERNAL 1
            score  SAW_EXTERNAL 1
            """, file: "test.cf")
        let ruleSet = RuleSet(configuration: loader.configuration)
        let views = Views(message: Message(bytes: Array("Subject: Hello\n\nmoney at http://example.com/\n".utf8)))
        var facts = Facts(externalHits: ["EXTERNAL": 1])
        facts.deadline = .now - .seconds(1)
        let one = ruleSet.evaluate(views, facts: facts)
        let two = ruleSet.evaluate(views, facts: facts, alongside: Threads().side, probability: nil)
        Self.same(one, two, "past deadline")
        #expect(two.timedOut)
        #expect(two.hitNames == ["EXTERNAL", "SAW_EXTERNAL"])
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let corpus = root.deletingLastPathComponent().appendingPathComponent("shared/corpora/spam")

    /// Swamp's rules and, when installed, SpamAssassin's stock rules over a
    /// sample of the shared corpus.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: corpus.path), "no ../shared/corpora/spam"))
    func theStockRulesDecideTheSameOnTheCorpus() throws {
        let (root, corpus) = (Self.root, Self.corpus)
        var loader = ConfigLoader()
        let stock = "/usr/share/spamassassin"
        if FileManager.default.fileExists(atPath: stock) { loader.load(path: stock) }
        loader.load(path: root.appendingPathComponent("Rules").path)
        let ruleSet = RuleSet(configuration: loader.configuration)
        var files: [String] = []
        for label in ["spam", "ham"] {
            let dir = corpus.appendingPathComponent(label).path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir).sorted()) ?? []
            files += names.enumerated().filter { $0.offset % 15 == 0 }.map { dir + "/" + $0.element }
        }
        try #require(files.count > 100)
        let threads = Threads()
        var hits = 0
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            let views = Views(message: Message(bytes: bytes), trust: ruleSet.trust)
            let one = ruleSet.evaluate(views, facts: Facts())
            let two = ruleSet.evaluate(views, facts: Facts(), alongside: threads.side, probability: nil)
            Self.same(one, two, file)
            hits += one.hits.count
        }
        #expect(threads.started == files.count)
        #expect(hits > files.count)
    }
}
