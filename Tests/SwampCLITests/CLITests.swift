import Foundation
import Testing
import SwampTestSupport

/// The `swamp` binary as an administrator runs it: exit codes and output.
@Suite struct CLITests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary sits beside the test bundle in the build directory.
    static var binary: String? { SwampBinary.path(repoRoot: repoRoot) }

    static func run(_ args: [String], stdin: Data? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(binary, "swamp binary not built"))
        p.arguments = args
        p.currentDirectoryURL = repoRoot
        // A private HOME, so a Bayes database of the machine's user (in
        // ~/.swamp) never changes what these tests see.
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-cli-home").path
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static let rules = repoRoot.appendingPathComponent("Rules").path

    @Test func gtubeIsSpam() throws {
        let r = try Self.run(["check", "--config", Self.rules, "Corpus/gtube.eml"])
        #expect(r.status == 1)
        #expect(r.out.contains("X-Spam-Flag: YES"))
        #expect(r.out.contains("X-Spam-Status: Yes, score=1000.0 required=5.0 tests=GTUBE"))
        #expect(r.out.contains("Subject: *****SPAM***** Test spam mail (GTUBE)"))
    }

    @Test func gtubeInBase64PartIsSpam() throws {
        let r = try Self.run(["check", "--config", Self.rules, "Corpus/gtube-base64.eml"])
        #expect(r.status == 1)
    }

    @Test func hamScoresZeroAndExitsZero() throws {
        let r = try Self.run(["check", "--config", Self.rules, "Corpus/ham-plain.eml"])
        #expect(r.status == 0)
        #expect(r.out.contains("X-Spam-Status: No, score=0.0 required=5.0 tests=none"))
        #expect(!r.out.contains("X-Spam-Flag"))
        // The body is passed through byte for byte.
        let original = try String(contentsOf: Self.repoRoot.appendingPathComponent("Corpus/ham-plain.eml"), encoding: .utf8)
        #expect(r.out.hasSuffix(original.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")))
    }

    @Test func readsStandardInputAndPrintsReport() throws {
        let data = try Data(contentsOf: Self.repoRoot.appendingPathComponent("Corpus/gtube.eml"))
        let r = try Self.run(["check", "--config", Self.rules, "--report", "-"], stdin: data)
        #expect(r.status == 1)
        #expect(r.out.hasPrefix("1000.0/5.0\n"))
        #expect(r.out.contains("GTUBE"))
        #expect(r.out.contains("Generic Test for Unsolicited Bulk Email"))
    }

    /// The daemon's helper: a request it cannot read is EX_IOERR, and it
    /// stays out of `--help`.
    @Test func compileStageWithoutARequestIsAClearError() throws {
        let r = try Self.run(["compile-stage", "--request", "/nonexistent/swamp-request.json", "--cache-directory", "/tmp"])
        #expect(r.status == 74)
        #expect(r.err.contains("cannot read /nonexistent/swamp-request.json"))
        #expect(!(try Self.run(["--help"])).out.contains("compile-stage"))
    }

    @Test func missingFileIsAClearError() throws {
        let r = try Self.run(["check", "--config", Self.rules, "no/such/file.eml"])
        #expect(r.status == 66)
        #expect(r.err.contains("cannot read no/such/file.eml"))
    }

    @Test func lintPassesOnSwampsRulesAndFailsOnBrokenOnes() throws {
        let good = try Self.run(["lint", "--config", Self.rules])
        #expect(good.status == 0, "\(good.err)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-lint-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.cf")
        try "body OK /fine/\nbody BROKEN /a(b/\nfrobnicate yes\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try Self.run(["lint", "--config", bad.path])
        #expect(r.status == 1)
        #expect(r.err.contains("bad.cf:2"))
        #expect(r.err.contains("bad.cf:3"))
    }

    /// `--network` with a DNS server that does not answer: the checks end at
    /// their budget and the scan still answers (SECURITY.md, "Fail visible":
    /// DNS trouble never fails a scan).
    @Test func networkChecksWithDeadDNSStillScore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-net-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cf = dir.appendingPathComponent("net.cf")
        try "include \(Self.rules)/00_swamp.cf\ndns_server 127.0.0.1:9\n".write(to: cf, atomically: true, encoding: .utf8)
        let start = Date()
        let r = try Self.run(["check", "--config", cf.path, "--network", "--symbols", "Corpus/gtube.eml"])
        #expect(r.status == 1, "\(r.err)")
        #expect(r.out.contains("GTUBE"))
        #expect(Date().timeIntervalSince(start) < 60)
        // What DNS could not do is said beside the output, or in the report.
        #expect(r.err.contains("swamp check: Network check notes:"), "\(r.err)")
        #expect(r.err.contains("swamp check:  * SPF"), "\(r.err)")
        let report = try Self.run(["check", "--config", cf.path, "--network", "--report", "Corpus/gtube.eml"])
        #expect(report.out.contains("\nNetwork check notes:\n * SPF"), "\(report.out)")
    }

    /// A Bayes database that exists but cannot be read is said on stderr;
    /// the scan still answers without Bayes.
    @Test func unusableBayesDatabaseIsReportedNotHidden() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-badbayes-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bayes.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: db)
        let cf = dir.appendingPathComponent("b.cf")
        try "include \(Self.rules)/00_swamp.cf\nbayes_path \(db.path)\n".write(to: cf, atomically: true, encoding: .utf8)
        let r = try Self.run(["check", "--config", cf.path, "--symbols", "Corpus/gtube.eml"])
        #expect(r.status == 1)
        #expect(r.out.contains("GTUBE"))
        #expect(r.err.contains("cannot be used"), "\(r.err)")
    }

    /// `bench --rule-times` says per rule how often its regex ran and how
    /// often it hit: GTUBE's required string is only in the spam message.
    @Test func benchRuleTimesSayWhereRulesRanAndHit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (folder, file) in [("spam", "gtube.eml"), ("ham", "ham-plain.eml")] {
            let d = dir.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.repoRoot.appendingPathComponent("Corpus/" + file),
                                             to: d.appendingPathComponent(file))
        }
        let r = try Self.run(["bench", "--config", Self.rules, "--corpus", dir.path, "--rule-times", "100"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("TP 1  FP 0  TN 1  FN 0"))
        let gtube = try #require(r.out.split(separator: "\n").first { $0.hasSuffix(" GTUBE") })
        #expect(gtube.contains("searched in  50.0%, hit in  50.0% of messages"), "\(gtube)")
        #expect(r.out.contains(" of them hit"))
    }

    /// A configuration whose spam (3 header, 4.5 body points) autolearn
    /// learns at a threshold of 6, its Bayes database at `bayesPath`; and
    /// the messages, in `dir`.
    static func autolearnSetup(in dir: URL, bayesPath: String) throws -> (cf: String, spam: String, meh: String) {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cf = dir.appendingPathComponent("al.cf").path
        try ("rules_dir \(Self.rules)\nbayes_path \(bayesPath)\n" + AutolearnFixture.rules)
            .write(toFile: cf, atomically: true, encoding: .utf8)
        func message(_ name: String, _ subject: String, _ body: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try "From: a@example.com\nTo: b@example.org\nMessage-ID: <\(name)@example.com>\nSubject: \(subject)\nDate: Sat, 28 Nov 2026 16:42:05 +0000\n\n\(body)\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        return (cf, try message("spam.eml", "cheap pills", "viagra winner prize"),
                try message("meh.eml", "lunch", "meeting agenda perhaps"))
    }

    /// `swamp check` with autolearn on (the default) and no Bayes database
    /// yet: a message autolearn learns creates it, as SpamAssassin's
    /// `spamassassin` does; one it does not learn creates nothing; where
    /// it cannot be created, the scan answers all the same and says why.
    @Test func checkCreatesTheBayesDatabaseByAutolearn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-al-check-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bayes/site.sqlite").path
        let (cf, spam, meh) = try Self.autolearnSetup(in: dir, bayesPath: db)
        let no = try Self.run(["check", "--config", cf, meh])
        #expect(no.out.contains("autolearn=no"), "\(no.out)")
        #expect(!FileManager.default.fileExists(atPath: db))
        let learned = try Self.run(["check", "--config", cf, spam])
        #expect(learned.status == 1)
        #expect(learned.out.contains("autolearn=spam"), "\(learned.out)\(learned.err)")
        #expect(FileManager.default.fileExists(atPath: db))
        #expect(try Self.run(["check", "--config", cf, spam]).out.contains("autolearn=no"))   // learned before

        // The folder for the database is a file: not creatable.
        let blocked = dir.appendingPathComponent("blocked")
        try Data("x".utf8).write(to: blocked)
        let (cf2, _, _) = try Self.autolearnSetup(in: dir, bayesPath: blocked.appendingPathComponent("b.sqlite").path)
        let failed = try Self.run(["check", "--config", cf2, spam])
        #expect(failed.status == 1)
        func score(_ out: String) -> Substring? {
            out.range(of: "X-Spam-Status: Yes, score=").map { out[$0.upperBound...].prefix { $0 != " " } }
        }
        #expect(score(failed.out) != nil && score(failed.out) == score(learned.out))
        #expect(failed.out.contains("autolearn=failed"), "\(failed.out)")
        #expect(failed.err.contains("cannot be created"), "\(failed.err)")
    }

    /// `swamp bench` measures; it never creates a Bayes database, with
    /// autolearn on in the configuration.
    @Test func benchNeverCreatesABayesDatabase() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-al-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bayes/site.sqlite").path
        let (cf, spam, _) = try Self.autolearnSetup(in: dir, bayesPath: db)
        for folder in ["spam", "ham"] {
            let d = dir.appendingPathComponent("corpus/\(folder)")
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            if folder == "spam" { try FileManager.default.copyItem(atPath: spam, toPath: d.appendingPathComponent("1.eml").path) }
        }
        try FileManager.default.copyItem(at: Self.repoRoot.appendingPathComponent("Corpus/ham-plain.eml"),
                                         to: dir.appendingPathComponent("corpus/ham/1.eml"))
        let r = try Self.run(["bench", "--config", cf, "--corpus", dir.appendingPathComponent("corpus").path])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("TP 1  FP 0  TN 1  FN 0"), "\(r.out)")
        #expect(!FileManager.default.fileExists(atPath: db))
        // With --bayes it still wants a trained database and creates none.
        let withBayes = try Self.run(["bench", "--config", cf, "--bayes", "--corpus", dir.appendingPathComponent("corpus").path])
        #expect(withBayes.status == 78)
        #expect(!FileManager.default.fileExists(atPath: db))
    }
}
