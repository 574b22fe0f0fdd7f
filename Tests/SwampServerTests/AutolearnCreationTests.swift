import Foundation
import Synchronization
import Testing
@testable import SwampServer
import SwampBayes
import SwampRules
import SwampScan
import SwampSpamd
import SwampTestSupport

/// The daemon's databases created by autolearn: the site's, taken over by
/// `LateSiteBayes` for the next scan, and with `--user-dbs` each user's.
@Suite struct AutolearnCreationTests {
    /// Spam scores 7.5 (3 header points, 4.5 body points) over a spam
    /// autolearn threshold of 6; Bayes answers after one spam and one ham.
    static func configurationText(bayesPath: String) -> String {
        """
        rules_dir \(Paths.rules)
        use_bayes 1
        bayes_auto_learn 1
        bayes_path \(bayesPath)
        bayes_min_spam_num 1
        bayes_min_ham_num 1

        """ + AutolearnFixture.rules
    }

    static func configuration(bayesPath: String) -> Configuration {
        var loader = ConfigLoader()
        loader.load(text: configurationText(bayesPath: bayesPath), file: "/test/local.cf")
        return loader.configuration
    }

    static func message(_ n: Int, spam: Bool, meh: Bool = false) -> String {
        """
        From: user\(n)@example.com
        To: someone@example.org
        Message-ID: <alc\(n)@example.com>
        Subject: \(spam ? "cheap pills" : "lunch") \(n)
        Date: Sat, 28 Nov 2026 16:42:05 +0000

        \(spam ? "viagra winner prize lottery" : meh ? "meeting agenda perhaps" : "meeting agenda lunch review") token\(n)

        """
    }

    /// The message written to `dir`, for spamc.
    static func file(_ text: String, in dir: URL, name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A database the base scanner's autolearn created is the site
    /// database of the next scan, without waiting for the next look.
    @Test func lateSiteBayesTakesOverTheCreatedDatabase() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("site/bayes.sqlite").path
        let config = Self.configuration(bayesPath: path)
        let base = SpamScanner(configuration: config, bayes: nil, creator: BayesSetup.creator(config))
        let tries = Mutex(0)
        let late = LateSiteBayes(base: base, interval: .seconds(3600),
                                 open: { tries.withLock { $0 += 1 }; return BayesSetup.openForScanning(config) },
                                 report: { _ in })
        #expect(late.scanner() === base)
        let verdict = late.scanner().scan(Array(Self.message(1, spam: true).utf8)).verdict
        #expect(verdict.autolearn == "spam")
        let created = try #require(base.bayesCreator?.created)
        let next = late.scanner()
        #expect(next !== base)
        #expect(next.bayes === created)
        #expect(next.ruleSet === base.ruleSet)
        #expect(late.scanner() === next)
        #expect(tries.withLock { $0 } == 0)
        // Learning now goes the usual way, into the same database.
        #expect(next.scan(Array(Self.message(2, spam: false).utf8)).verdict.autolearn == "ham")
        #expect(try created.store.messageCounts() == (1, 1))
    }

    /// With `--user-dbs`: a user without a database gets a creator, the
    /// same for all that user's scans; the database it creates (named by
    /// the sanitised user name) is that user's from the next scan on.
    @Test func userDatabasesAreCreatedByAutolearn() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Self.configuration(bayesPath: dir.appendingPathComponent("site/bayes.sqlite").path)
        let lines = Mutex<[String]>([])
        let databases = UserBayesDatabases(configuration: config, capacity: 4,
                                           report: { line, _ in lines.withLock { $0.append(line) } })
        let user = try SpamdUserName(validating: Array("ann*x".utf8))
        let file = dir.appendingPathComponent("site/users/ann_x.sqlite").path
        let first = try databases.bayes(for: user)
        #expect(first.classifier == nil)
        let creator = try #require(first.creator)
        #expect(try databases.bayes(for: user).creator === creator)
        #expect(!FileManager.default.fileExists(atPath: file))

        let scanner = SpamScanner(configuration: config, bayes: nil, creator: creator)
        #expect(scanner.scan(Array(Self.message(3, spam: false, meh: true).utf8)).verdict.autolearn == "no")
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(scanner.scan(Array(Self.message(4, spam: true).utf8)).verdict.autolearn == "spam")
        #expect(FileManager.default.fileExists(atPath: file))
        let after = try databases.bayes(for: user)
        #expect(after.creator == nil)
        #expect(after.classifier === creator.created)
        #expect(databases.openCount == 1)
        #expect(lines.withLock { $0 }.count == 1)
        #expect(lines.withLock { $0 }.first?.contains("created by autolearn") == true)

        // Another user is untouched.
        let bob = try databases.bayes(for: SpamdUserName(validating: Array("bob".utf8)))
        #expect(bob.classifier == nil && bob.creator != nil && bob.creator !== creator)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("site/users/bob.sqlite").path))

        // Autolearn off: no creator, as before.
        var off = config
        off.bayesAutoLearn = false
        #expect(try UserBayesDatabases(configuration: off).bayes(for: user).creator == nil)
    }

    /// Users' databases that cannot be created: every user's scan fails to
    /// autolearn, one log line says why.
    @Test func usersFailingCreationIsReportedOnce() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // `users` beside the site database is a file: no folder there.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("site"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: dir.appendingPathComponent("site/users"))
        let config = Self.configuration(bayesPath: dir.appendingPathComponent("site/bayes.sqlite").path)
        let problems = Mutex<[String]>([])
        let databases = UserBayesDatabases(configuration: config, capacity: 4, report: { line, isProblem in
            if isProblem { problems.withLock { $0.append(line) } }
        })
        for (n, name) in ["alice", "bob", "carol"].enumerated() {
            let (classifier, creator) = try databases.bayes(for: SpamdUserName(validating: Array(name.utf8)))
            #expect(classifier == nil)
            let scanner = SpamScanner(configuration: config, bayes: nil, creator: creator)
            #expect(scanner.scan(Array(Self.message(10 + n, spam: true).utf8)).verdict.autolearn == "failed")
        }
        #expect(problems.withLock { $0 }.count == 1, "\(problems.withLock { $0 })")
    }

    /// The daemon: the first spam autolearn learns creates the site
    /// database, and the next scans use it at once (Bayes answers within
    /// the 10 seconds before the daemon would look for it again).
    @Test func daemonCreatesTheSiteDatabase() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = dir.appendingPathComponent("site/bayes.sqlite").path
        let config = try Self.file(Self.configurationText(bayesPath: database), in: dir, name: "local.cf")
        let spam = try Self.file(Self.message(20, spam: true), in: dir, name: "spam.eml")
        let ham = try Self.file(Self.message(21, spam: false), in: dir, name: "ham.eml")
        let meh = try Self.file(Self.message(22, spam: false, meh: true), in: dir, name: "meh.eml")
        let daemon = try Daemon([], config: config)
        defer { daemon.stop() }
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]

        #expect(try spamc(at, message: meh).out.contains("autolearn=no"))
        #expect(!FileManager.default.fileExists(atPath: database))
        let first = try spamc(at, message: spam).out
        #expect(first.contains("autolearn=spam"), "\(first)")
        #expect(FileManager.default.fileExists(atPath: database))
        #expect(try spamc(at, message: ham).out.contains("autolearn=ham"))
        let symbols = try spamc(at + ["-y"], message: spam).out
        #expect(symbols.contains("BAYES_99"), "\(symbols)")
        #expect(try SQLiteBayesStore(path: database, readOnly: true).messageCounts() == (1, 1))
        #expect(daemon.waitForLog("created by autolearn"))
    }

    /// With `--user-dbs`, each user's first learned message creates that
    /// user's database, named by the sanitised name, and theirs only.
    @Test func daemonCreatesUsersDatabases() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let site = dir.appendingPathComponent("site/bayes.sqlite").path
        let users = dir.appendingPathComponent("site/users")
        let config = try Self.file(Self.configurationText(bayesPath: site), in: dir, name: "local.cf")
        let spam = try Self.file(Self.message(30, spam: true), in: dir, name: "spam.eml")
        let ham = try Self.file(Self.message(31, spam: false), in: dir, name: "ham.eml")
        let meh = try Self.file(Self.message(32, spam: false, meh: true), in: dir, name: "meh.eml")
        let daemon = try Daemon(["--user-dbs"], config: config)
        defer { daemon.stop() }
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]

        #expect(try spamc(at + ["-u", "bob"], message: meh).out.contains("autolearn=no"))
        let first = try spamc(at + ["-u", "ann*x"], message: spam).out
        #expect(first.contains("autolearn=spam"), "\(first)")
        #expect(try spamc(at + ["-u", "ann*x"], message: ham).out.contains("autolearn=ham"))
        let symbols = try spamc(at + ["-u", "ann*x", "-y"], message: spam).out
        #expect(symbols.contains("BAYES_99"), "\(symbols)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: users.path) .filter { $0.hasSuffix(".sqlite") }
                == ["ann_x.sqlite"])
        #expect(try SQLiteBayesStore(path: users.appendingPathComponent("ann_x.sqlite").path, readOnly: true)
                    .messageCounts() == (1, 1))
        #expect(!FileManager.default.fileExists(atPath: site))
    }

    /// A site database that cannot be created: scans answer with the score
    /// they always had, autolearn says "failed", the log says why once.
    @Test func daemonWithUnwritableLocationKeepsScoring() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocker = dir.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let text = Self.configurationText(bayesPath: blocker.appendingPathComponent("bayes.sqlite").path)
        let config = try Self.file(text, in: dir, name: "local.cf")
        let body = Self.message(40, spam: true)
        let spam = try Self.file(body, in: dir, name: "spam.eml")
        var loader = ConfigLoader()
        loader.load(path: config)
        let expected = SpamScanner(configuration: loader.configuration).scan(Array(body.utf8)).verdict.score
        #expect(expected >= 7.5)
        let daemon = try Daemon([], config: config)
        defer { daemon.stop() }
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]

        for _ in 0..<3 {
            let check = try spamc(at + ["-c"], message: spam)
            #expect(check.out == String(format: "%.1f/5.0\n", expected))
            #expect(check.status == 1)
            #expect(try spamc(at, message: spam).out.contains("autolearn=failed"))
        }
        #expect(daemon.waitForLog("cannot be created"))
        let lines = daemon.log.split(separator: "\n").filter { $0.contains("cannot be created") }
        #expect(lines.count == 1, "\(lines)")
    }
}
