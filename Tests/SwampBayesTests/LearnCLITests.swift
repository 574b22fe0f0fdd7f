import Foundation
import Testing
@testable import SwampBayes
import SwampTestSupport

/// `swamp learn` and `swamp dump` as an administrator runs them, and a
/// learning run killed with SIGKILL.
@Suite(.serialized) struct LearnCLITests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora/spam").path

    static var binary: String? { SwampBinary.path(repoRoot: repoRoot) }

    /// The first `count` ham messages of the corpus, copied into `dir`/ham.
    static func copyHam(_ count: Int, into dir: String) throws -> String {
        let folder = dir + "/ham"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus + "/ham").sorted().prefix(count)
        for n in names { try FileManager.default.copyItem(atPath: corpus + "/ham/" + n, toPath: folder + "/" + n) }
        return folder
    }

    static func start(_ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(binary, "swamp binary not built"))
        p.arguments = args
        p.currentDirectoryURL = repoRoot
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return (p, out)
    }

    static func run(_ args: [String]) throws -> (status: Int32, out: String) {
        let (p, out) = try start(args)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func tempDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-learn-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func writeMessages(_ dir: String, count: Int, offset: Int = 0) {
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for i in 0..<count {
            let m = StoreTests.message(offset + i, spammy: true)
            FileManager.default.createFile(atPath: "\(dir)/\(i).eml", contents: Data(m))
        }
    }

    @Test(.enabled(if: binary != nil))
    func learnSummaryAndDump() throws {
        let dir = Self.tempDir()
        let db = dir + "/bayes.sqlite"
        Self.writeMessages(dir + "/msgs", count: 5)
        FileManager.default.createFile(atPath: dir + "/msgs/empty.eml", contents: Data())
        let rules = Self.repoRoot.appendingPathComponent("Rules").path
        var r = try Self.run(["learn", "--config", rules, "--bayes-path", db, "--spam", dir + "/msgs"])
        #expect(r.status == 0)
        #expect(r.out.contains("learned 5, skipped 0 already learned, 1 unparseable"))
        r = try Self.run(["learn", "--config", rules, "--bayes-path", db, "--spam", dir + "/msgs"])
        #expect(r.out.contains("learned 0, skipped 5 already learned, 1 unparseable"))
        r = try Self.run(["dump", "--config", rules, "--bayes-path", db])
        #expect(r.status == 0)
        #expect(r.out.contains("0.000          0          5          0  non-token data: nspam"))
        // Backup → import into a fresh database → the same backup.
        let backup = try Self.run(["dump", "--config", rules, "--bayes-path", db, "--backup"]).out
        #expect(backup.hasPrefix("v\t3\tdb_version # this must be the first line!!!\nv\t5\tnum_spam\n"))
        FileManager.default.createFile(atPath: dir + "/backup.txt", contents: Data(backup.utf8))
        r = try Self.run(["learn", "--config", rules, "--bayes-path", dir + "/copy.sqlite", "--import-sa-backup", dir + "/backup.txt"])
        #expect(r.status == 0)
        #expect(try Self.run(["dump", "--config", rules, "--bayes-path", dir + "/copy.sqlite", "--backup"]).out == backup)
        // Forget.
        r = try Self.run(["learn", "--config", rules, "--bayes-path", db, "--forget", dir + "/msgs/0.eml"])
        #expect(r.out.contains("forgot 1, skipped 0 not learned, 0 unparseable"))
    }

    @Test(.enabled(if: binary != nil))
    func mboxAndMaildir() throws {
        let dir = Self.tempDir()
        var mbox = Data()
        for i in 0..<3 {
            mbox += Data("From sender@example.com Thu Oct  3 12:23:28 2002\n".utf8)
            mbox += Data(StoreTests.message(i, spammy: false)) + Data("\n".utf8)
        }
        FileManager.default.createFile(atPath: dir + "/box.mbox", contents: mbox)
        Self.writeMessages(dir + "/Maildir/cur", count: 2, offset: 10)
        Self.writeMessages(dir + "/Maildir/new", count: 2, offset: 20)
        Self.writeMessages(dir + "/Maildir/tmp", count: 2, offset: 30)
        let rules = Self.repoRoot.appendingPathComponent("Rules").path
        let r = try Self.run(["learn", "--config", rules, "--bayes-path", dir + "/b.sqlite", "--ham",
                              dir + "/box.mbox", dir + "/Maildir"])
        #expect(r.out.contains("learned 7, skipped 0 already learned, 0 unparseable"))
    }

    /// SIGKILL in the middle of learning leaves a database that opens,
    /// passes SQLite's integrity check, and whose counts agree with its
    /// seen table (each message was one transaction).
    @Test(.enabled(if: binary != nil && FileManager.default.fileExists(atPath: corpus + "/ham")))
    func killedLearningLeavesAReadableDatabase() throws {
        let dir = Self.tempDir()
        let db = dir + "/bayes.sqlite"
        let rules = Self.repoRoot.appendingPathComponent("Rules").path
        // 400 messages of the corpus: enough to be mid-run when killed.
        let folder = try Self.copyHam(400, into: dir)
        let (p, _) = try Self.start(["learn", "--quiet", "--config", rules, "--bayes-path", db, "--ham", folder])
        // Wait until some messages are in, then kill -9.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            if let store = try? SQLiteBayesStore(path: db, readOnly: true),
               let counts = try? store.messageCounts(), counts.nham > 60 { break }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)

        let store = try SQLiteBayesStore(path: db)
        #expect(try store.integrityCheck())
        let magic = try store.magic()
        #expect(magic.nham > 0 && magic.nham < 400)
        #expect(try store.allSeen().count == magic.nham)
        let r = try Self.run(["dump", "--config", rules, "--bayes-path", db])
        #expect(r.status == 0)
        // Learning resumes where it stopped: the learned ones are skipped.
        let again = try Self.run(["learn", "--quiet", "--config", rules, "--bayes-path", db, "--ham", folder])
        #expect(again.status == 0)
        let numbers = again.out.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count >= 3 && numbers[0] + numbers[1] + numbers[2] == 400 && numbers[1] >= magic.nham)
    }

    /// A learning run and a scanner (reading, and writing its own learns)
    /// on the same SQLite file at the same time: no errors, no lock-up.
    @Test(.enabled(if: binary != nil && FileManager.default.fileExists(atPath: corpus + "/ham")))
    func learningBesideAScanner() throws {
        let dir = Self.tempDir()
        let db = dir + "/bayes.sqlite"
        let rules = Self.repoRoot.appendingPathComponent("Rules").path
        let folder = try Self.copyHam(200, into: dir)
        let bayes = BayesClassifier(store: try SQLiteBayesStore(path: db))
        let (p, out) = try Self.start(["learn", "--quiet", "--config", rules, "--bayes-path", db, "--ham", folder])
        var rounds = 0
        while p.isRunning && rounds < 2000 {
            let m = StoreTests.message(10_000 + rounds, spammy: rounds % 2 == 0)
            _ = try bayes.classify(bayes.prepare(m))
            _ = try bayes.store.learn(bayes.prepare(m).item, as: rounds % 2 == 0 ? .spam : .ham)
            rounds += 1
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("learned"))
        let (ns, nn) = try bayes.store.messageCounts()
        #expect(ns + nn >= rounds)
    }

    /// `--user NAME` learns into users/NAME.sqlite beside bayes_path; a
    /// name that looks like a path stays inside users/.
    @Test(.enabled(if: binary != nil))
    func perUserDatabases() throws {
        let dir = Self.tempDir()
        Self.writeMessages(dir + "/msgs", count: 2)
        let cfg = dir + "/local.cf"
        FileManager.default.createFile(atPath: cfg, contents: Data("bayes_path \(dir)/db/bayes\n".utf8))
        for user in ["alice", "../../evil"] {
            let r = try Self.run(["learn", "--config", cfg, "--user", user, "--spam", dir + "/msgs"])
            #expect(r.status == 0)
        }
        let users = try FileManager.default.contentsOfDirectory(atPath: dir + "/db/users").sorted()
        #expect(users.filter { $0.hasSuffix(".sqlite") } == ["_._.._evil.sqlite", "alice.sqlite"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/evil.sqlite"))
        let r = try Self.run(["dump", "--config", cfg, "--user", "alice"])
        #expect(r.out.contains("          2          0  non-token data: nspam"))
    }

    /// nspam and nham as `swamp dump` prints them.
    static func dumpCounts(_ args: [String]) throws -> (nspam: Int, nham: Int) {
        let r = try run(["dump"] + args)
        func value(_ name: String) -> Int {
            let line = r.out.split(separator: "\n").first { $0.hasSuffix("non-token data: \(name)") } ?? ""
            return Int(line.split(separator: " ")[safe: 2] ?? "") ?? -1
        }
        return (value("nspam"), value("nham"))
    }

    /// Two `swamp learn` processes, as two machines' daemons would, learn
    /// one folder into one PostgreSQL database at the same time, one as
    /// spam and one as ham: each message counts once, as one class or the
    /// other; `--user` keeps its own rows in the same database.
    @Test(.enabled(if: binary != nil, "swamp binary not built"),
          .enabled(if: PostgresTestServer.shouldRun,
                   "PostgreSQL is not installed (apt-get install postgresql); SWAMP_REQUIRE_POSTGRES=1 makes this a failure"))
    func twoLearnersShareOnePostgresDatabase() async throws {
        let server = try await PostgresTestServer.shared()
        let dir = Self.tempDir()
        Self.writeMessages(dir + "/msgs", count: 80)
        let cfg = dir + "/local.cf"
        FileManager.default.createFile(atPath: cfg, contents: Data("""
            bayes_sql_dsn DBI:Pg:dbname=\(try server.createDatabase());host=127.0.0.1;port=\(server.port)
            bayes_sql_username \(server.user)
            bayes_sql_password \(server.password)

            """.utf8))
        let (a, aOut) = try Self.start(["learn", "--quiet", "--config", cfg, "--spam", dir + "/msgs"])
        let (b, bOut) = try Self.start(["learn", "--quiet", "--config", cfg, "--ham", dir + "/msgs"])
        let aText = String(decoding: aOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let bText = String(decoding: bOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        a.waitUntilExit(); b.waitUntilExit()
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0, "\(aText) \(bText)")
        let (nspam, nham) = try Self.dumpCounts(["--config", cfg])
        #expect(nspam + nham == 80, "nspam \(nspam), nham \(nham)")
        let backup = try Self.run(["dump", "--config", cfg, "--backup"]).out
        #expect(backup.split(separator: "\n").filter { $0.hasPrefix("s\t") }.count == 80)

        let r = try Self.run(["learn", "--config", cfg, "--user", "alice", "--ham", dir + "/msgs/0.eml"])
        #expect(r.out.contains("learned 1, skipped 0 already learned"))
        #expect(try Self.dumpCounts(["--config", cfg, "--user", "alice"]) == (0, 1))
        #expect(try Self.dumpCounts(["--config", cfg]) == (nspam, nham))
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
