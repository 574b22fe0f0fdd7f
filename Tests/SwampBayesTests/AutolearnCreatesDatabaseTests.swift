import Foundation
import Synchronization
import Testing
import SwampEngine
import SwampRules
import SwampTestSupport
@testable import SwampScan
@testable import SwampBayes

/// Autolearn with no database yet creates it, as SpamAssassin's does
/// (Plugin/Bayes.pm learns through a store tied writable, which creates
/// the files): only when the decision is to learn, once for concurrent
/// scans, and never at the cost of the scan.
@Suite struct AutolearnCreatesDatabaseTests {
    /// Spam here scores 7.5: 3 header points (AL_HEAD) and 4.5 body points
    /// (AL_BODY), over a spam threshold lowered to 6. AL_BODY_ONLY gives 7
    /// points from the body alone (short of the 3 header points);
    /// AL_MEH one point (neither ham nor spam for autolearn).
    static let rules = """
        use_bayes 1
        bayes_auto_learn 1
        bayes_auto_learn_threshold_spam 6
        header AL_HEAD      Subject =~ /pills/
        score  AL_HEAD      3
        body   AL_BODY      /viagra/
        score  AL_BODY      4.5
        body   AL_BODY_ONLY /bodyonly/
        score  AL_BODY_ONLY 7
        body   AL_MEH       /perhaps/
        score  AL_MEH       1

        """

    /// A configuration with the repository's rules and `rules`, its site
    /// database at `path`.
    static func configuration(path: String, extra: String = "") -> Configuration {
        var loader = ConfigLoader()
        loader.load(path: ScanIntegrationTests.rules)
        loader.load(text: rules + "bayes_path \(path)\n" + extra, file: "autolearn.cf")
        return loader.configuration
    }

    enum Kind { case spam, ham, meh, bodyOnly }

    static func message(_ n: Int, _ kind: Kind) -> [UInt8] {
        let (subject, body): (String, String)
        switch kind {
        case .spam: (subject, body) = ("cheap pills \(n)", "viagra winner prize lottery")
        case .ham: (subject, body) = ("lunch \(n)", "meeting agenda lunch project review schedule")
        case .meh: (subject, body) = ("lunch \(n)", "meeting agenda perhaps")
        case .bodyOnly: (subject, body) = ("offer \(n)", "bodyonly winner prize lottery")
        }
        return Array("""
            From: user\(n)@example.com
            To: someone@example.org
            Message-ID: <al\(n)@example.com>
            Subject: \(subject)
            Date: Sat, 28 Nov 2026 16:42:05 +0000

            \(body) token\(n)

            """.utf8)
    }

    /// A fresh directory, and the database path in a folder below it that
    /// does not exist yet either.
    static func location() -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-al-\(UUID().uuidString)")
        return (dir, dir.appendingPathComponent("bayes/site.sqlite").path)
    }

    static func counts(_ path: String) throws -> (Int, Int) {
        try SQLiteBayesStore(path: path, readOnly: true).messageCounts()
    }

    @Test func spamDecisionCreatesTheDatabaseAndLearnsIt() throws {
        let (dir, path) = Self.location()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Self.configuration(path: path)
        let opened = BayesSetup.openForScanning(config)
        #expect(opened.classifier == nil && opened.problem == nil)
        let events = Mutex<[BayesCreator.Event]>([])
        let made = BayesSetup.creator(config, log: { e in events.withLock { $0.append(e) } })
        let creator = try #require(made)
        let scanner = SpamScanner(configuration: config, bayes: nil, creator: creator)

        let verdict = scanner.scan(Self.message(1, .spam)).verdict
        #expect(verdict.tests.contains("AL_HEAD") && verdict.tests.contains("AL_BODY"))
        #expect(verdict.autolearn == "spam")
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try Self.counts(path) == (1, 0))
        #expect(events.withLock { $0 } == [.created(.sqlite(path: path))])

        // Later autolearns go into the same database, created once.
        let created = try #require(creator.created)
        #expect(scanner.scan(Self.message(2, .spam)).verdict.autolearn == "spam")
        #expect(scanner.scan(Self.message(3, .ham)).verdict.autolearn == "ham")
        #expect(scanner.scan(Self.message(1, .spam)).verdict.autolearn == "no")   // learned before
        #expect(creator.created === created)
        #expect(try created.store.messageCounts() == (2, 1))
        #expect(events.withLock { $0 }.count == 1)
        // And the scan opens it as any other database now.
        #expect(try #require(BayesSetup.openForScanning(config).classifier).store.messageCounts() == (2, 1))
    }

    @Test func hamDecisionCreatesTheDatabaseAndLearnsHam() throws {
        let (dir, path) = Self.location()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Self.configuration(path: path)
        let scanner = SpamScanner(configuration: config, bayes: nil, creator: BayesSetup.creator(config))
        let verdict = scanner.scan(Self.message(4, .ham)).verdict
        #expect(verdict.tests.isEmpty)
        #expect(verdict.autolearn == "ham")
        #expect(try Self.counts(path) == (0, 1))
    }

    /// The decision is the one made with a database: a message between
    /// the thresholds, or spam without 3 header points, is not learned, and
    /// nothing is created for it.
    @Test func noDecisionCreatesNothing() throws {
        let (dir, path) = Self.location()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Self.configuration(path: path)
        let creator = try #require(BayesSetup.creator(config))
        let scanner = SpamScanner(configuration: config, bayes: nil, creator: creator)
        let meh = scanner.scan(Self.message(5, .meh)).verdict
        #expect(meh.tests.contains("AL_MEH"))
        #expect(meh.autolearn == "no")
        let bodyOnly = scanner.scan(Self.message(6, .bodyOnly)).verdict
        #expect(bodyOnly.isSpam && bodyOnly.tests.contains("AL_BODY_ONLY"))
        #expect(bodyOnly.autolearn == "no")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
        #expect(creator.created == nil)

        // autolearn_force waives the 3 points, here as with a database.
        let forced = Self.configuration(path: path, extra: "tflags AL_BODY_ONLY autolearn_force\n")
        let forcing = SpamScanner(configuration: forced, bayes: nil, creator: BayesSetup.creator(forced))
        #expect(forcing.scan(Self.message(6, .bodyOnly)).verdict.autolearn == "spam")
        #expect(try Self.counts(path) == (1, 0))
    }

    @Test func autolearnOffCreatesNothing() throws {
        let (dir, path) = Self.location()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Self.configuration(path: path, extra: "bayes_auto_learn 0\n")
        #expect(BayesSetup.creator(config) == nil)
        // Even handed a creator, a scanner with autolearn off never uses it.
        let creator = BayesCreator(location: .sqlite(path: path),
                                   open: { try BayesSetup.open(config, readOnly: false) })
        let scanner = SpamScanner(configuration: config, bayes: nil, creator: creator)
        #expect(scanner.scan(Self.message(7, .spam)).verdict.autolearn == "disabled")
        #expect(scanner.scan(Self.message(8, .ham)).verdict.autolearn == "disabled")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    /// A scanner without a creator (`swamp bench`) stays as it was.
    @Test func withoutCreatorAutolearnIsUnavailable() throws {
        let (dir, path) = Self.location()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scanner = SpamScanner(configuration: Self.configuration(path: path), bayes: nil)
        #expect(scanner.scan(Self.message(9, .spam)).verdict.autolearn == "unavailable")
        #expect(scanner.scan(Self.message(10, .ham)).verdict.autolearn == "unavailable")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    /// Scans on several threads deciding to learn at the same moment on a
    /// fresh location: one creation (the opening is slowed, so that without
    /// the creator's lock they would overlap), every message learned.
    // Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
    @Test(.timeLimit(.minutes(10)))
    func concurrentFirstLearnersCreateOneDatabase() async throws {
        let (dir, path) = Self.location()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Self.configuration(path: path)
        let opens = Mutex(0)
        let creator = BayesCreator(location: .sqlite(path: path), open: {
            opens.withLock { $0 += 1 }
            Thread.sleep(forTimeInterval: 0.2)
            return try BayesSetup.open(config, readOnly: false)
        })
        let scanner = SpamScanner(configuration: config, bayes: nil, creator: creator)
        let scans = 8
        let outcomes = try await onOwnThread { () -> [String] in
            let results = Mutex([String](repeating: "", count: scans))
            let prepared = (0..<scans).map { scanner.prepare(Self.message(100 + $0, $0 % 4 == 3 ? .ham : .spam)) }
            let go = DispatchSemaphore(value: 0)
            let done = DispatchGroup()
            for n in 0..<scans {
                done.enter()
                Thread {
                    go.wait()
                    let v = scanner.evaluate(message: prepared[n].message, views: prepared[n].views,
                                             facts: Facts()).verdict
                    results.withLock { $0[n] = v.autolearn }
                    done.leave()
                }.start()
            }
            for _ in 0..<scans { go.signal() }
            done.wait()
            return results.withLock { $0 }
        }
        #expect(outcomes == (0..<scans).map { $0 % 4 == 3 ? "ham" : "spam" })
        #expect(opens.withLock { $0 } == 1)
        #expect(try Self.counts(path) == (6, 2))
    }

    /// A location that cannot be written (here a folder that is a file, so
    /// that it holds for root too): every scan answers with its score,
    /// autolearn says "failed", and the reason is reported once.
    @Test func unwritableLocationKeepsScanning() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-al-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let blocker = dir.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let path = blocker.appendingPathComponent("bayes.sqlite").path
        let config = Self.configuration(path: path)
        let events = Mutex<[BayesCreator.Event]>([])
        let attempts = Mutex(0)
        // Retried at every learning scan (no waiting), reported once.
        let creator = BayesCreator(location: .sqlite(path: path), retryInterval: .zero, open: {
            attempts.withLock { $0 += 1 }
            return try BayesSetup.open(config, readOnly: false)
        }, log: { e in events.withLock { $0.append(e) } })
        let scanner = SpamScanner(configuration: config, bayes: nil, creator: creator)
        let plain = SpamScanner(configuration: config, bayes: nil)
        for n in 0..<3 {
            let message = Self.message(200 + n, .spam)
            let verdict = scanner.scan(message).verdict
            #expect(verdict.autolearn == "failed")
            #expect(verdict.score == plain.scan(message).verdict.score)
            #expect(verdict.isSpam)
        }
        #expect(scanner.scan(Self.message(210, .ham)).verdict.autolearn == "failed")
        #expect(scanner.scan(Self.message(211, .meh)).verdict.autolearn == "no")
        #expect(attempts.withLock { $0 } == 4)
        let logged = events.withLock { $0 }
        #expect(logged.count == 1)
        if case .failed(let location, _)? = logged.first { #expect(location == .sqlite(path: path)) } else {
            Issue.record("no failure reported: \(logged)")
        }
        #expect(creator.created == nil)

        // With the default interval, a failure is not retried at once.
        let waiting = BayesCreator(location: .sqlite(path: path), open: {
            attempts.withLock { $0 += 1 }
            return try BayesSetup.open(config, readOnly: false)
        })
        let patient = SpamScanner(configuration: config, bayes: nil, creator: waiting)
        #expect(patient.scan(Self.message(220, .spam)).verdict.autolearn == "failed")
        #expect(patient.scan(Self.message(221, .spam)).verdict.autolearn == "failed")
        #expect(attempts.withLock { $0 } == 5)
    }
}

/// The same with `bayes_sql_dsn`: a PostgreSQL database without swamp's
/// tables gets them from the first message autolearn learns.
@Suite(.enabled(if: PostgresTestServer.shouldRun,
                "PostgreSQL is not installed (apt-get install postgresql); SWAMP_REQUIRE_POSTGRES=1 makes this a failure"))
struct AutolearnCreatesPostgresTablesTests {
    @Test func spamDecisionCreatesTheTables() async throws {
        let server = try await PostgresTestServer.shared()
        let dsn = server.url(database: try server.createDatabase())
        var loader = ConfigLoader()
        loader.load(path: ScanIntegrationTests.rules)
        loader.load(text: AutolearnCreatesDatabaseTests.rules + "bayes_sql_dsn \(dsn)\n", file: "autolearn.cf")
        let config = loader.configuration
        let opened = BayesSetup.openForScanning(config)
        #expect(opened.classifier == nil && opened.problem == nil)
        let scanner = SpamScanner(configuration: config, bayes: nil, creator: BayesSetup.creator(config))
        let message = AutolearnCreatesDatabaseTests.message(1, .spam)
        #expect(scanner.scan(message).verdict.autolearn == "spam")
        let classifier = try #require(BayesSetup.openForScanning(config).classifier)
        #expect(try classifier.store.messageCounts() == (1, 0))
    }
}
