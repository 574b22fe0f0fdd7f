import Foundation
import Synchronization
import Testing
@testable import SwampServer
import SwampBayes
import SwampRules
import SwampScan

/// The site database trained after the daemon started: scans find it
/// without a reload, looking again at most once per interval.
@Suite struct LateSiteBayesTests {
    @Test func scansFindTheSiteDatabaseOnceItExists() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-late-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var loader = ConfigLoader()
        loader.load(text: "use_bayes 1\nbayes_path \(dir.path)/bayes.sqlite\n", file: "/test/local.cf")
        let config = loader.configuration
        // At load: no database, nothing wrong.
        let atLoad = BayesSetup.openForScanning(config)
        #expect(atLoad.classifier == nil && atLoad.problem == nil)
        let base = SpamScanner(configuration: config, bayes: nil)
        let tries = Mutex(0)
        let reported = Mutex<[String]>([])
        let late = LateSiteBayes(base: base, interval: .milliseconds(200),
                                 open: { tries.withLock { $0 += 1 }; return BayesSetup.openForScanning(config) },
                                 report: { problem in reported.withLock { $0.append(problem) } })
        #expect(late.scanner() === base)
        #expect(tries.withLock { $0 } == 0)   // the loader has just looked

        // Trained now, as `swamp learn` would.
        let learner = try BayesSetup.open(config, readOnly: false)
        _ = try learner.learn(Array("From: a@example.com\nSubject: pills\n\ncheap pills\n".utf8), as: .spam)
        #expect(late.scanner() === base)      // within the interval: not looked for yet
        Thread.sleep(forTimeInterval: 0.25)
        let found = late.scanner()
        #expect(found !== base)
        #expect(try #require(found.bayes).store.messageCounts() == (1, 0))
        #expect(found.ruleSet === base.ruleSet)
        #expect(late.scanner() === found)     // kept, not opened again
        #expect(tries.withLock { $0 } == 1)
        #expect(reported.withLock { $0 }.isEmpty)
    }

    @Test func aProblemIsReportedOnceUntilItChanges() throws {
        var loader = ConfigLoader()
        loader.load(text: "use_bayes 1\n", file: "/test/local.cf")
        let base = SpamScanner(configuration: loader.configuration, bayes: nil)
        let reported = Mutex<[String]>([])
        let late = LateSiteBayes(base: base, interval: .zero,
                                 open: { (nil, "the database is damaged") },
                                 report: { problem in reported.withLock { $0.append(problem) } })
        for _ in 0..<5 { #expect(late.scanner() === base) }
        #expect(reported.withLock { $0 } == ["the database is damaged"])
    }
}
