import Foundation
import Testing
import SwampMIME
@testable import SwampBayes

/// The acceptance test for coming from SpamAssassin: train SpamAssassin
/// with sa-learn, back it up, import the backup into swamp, and compare the
/// BAYES_* rule each gives to the same unseen messages. Slow (SpamAssassin
/// learns 500 messages and scores 200), so it runs when SWAMP_SA_IMPORT=1.
@Suite struct SAImportTests {
    static let enabled = ProcessInfo.processInfo.environment["SWAMP_SA_IMPORT"] == "1"
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/sa-learn")
    static let corpus = TokenizerDifferentialTests.repo.deletingLastPathComponent()
        .appendingPathComponent("shared/corpora/spam").path

    static func sh(_ args: [String], stdout: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if let stdout { FileManager.default.createFile(atPath: stdout, contents: data) }
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: enabled), .timeLimit(.minutes(20)))
    func importedTrainingGivesSpamAssassinsBayesRules() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("swamp-sa-import-\(UUID().uuidString)").path
        var test: [String] = []
        for (label, train) in [("spam", 250), ("ham", 250)] {
            let names = try fm.contentsOfDirectory(atPath: "\(Self.corpus)/\(label)").sorted()
            let folder = "\(dir)/\(label)"
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for n in names.prefix(train) { try fm.copyItem(atPath: "\(Self.corpus)/\(label)/\(n)", toPath: "\(folder)/\(n)") }
            test += names.dropFirst(train).prefix(100).map { "\(Self.corpus)/\(label)/\($0)" }
        }
        let prefix = "\(dir)/sa/bayes"
        _ = try Self.sh(["/usr/bin/sa-learn", "--dbpath", prefix, "--spam", "\(dir)/spam"])
        _ = try Self.sh(["/usr/bin/sa-learn", "--dbpath", prefix, "--ham", "\(dir)/ham"])
        _ = try Self.sh(["/usr/bin/sa-learn", "--dbpath", prefix, "--backup"], stdout: "\(dir)/backup.txt")

        let store = try SQLiteBayesStore(path: "\(dir)/swamp.sqlite")
        let counts = try SABackup.restore(from: "\(dir)/backup.txt", into: store)
        #expect(counts.nspam >= 240 && counts.nham >= 240)
        let bayes = BayesClassifier(store: store, settings: TokenizerDifferentialTests.stockSettings)

        let script = TokenizerDifferentialTests.here.appendingPathComponent("sa-bayes-rules.pl").path
        let saOut = try Self.sh(["/usr/bin/perl", script, prefix] + test)
        var theirs: [String: String] = [:]
        for line in saOut.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            if f.count >= 2 { theirs[String(f[0])] = String(f[1]) }
        }
        var same = 0
        var report = ""
        for path in test {
            let bytes = Array(fm.contents(atPath: path) ?? Data())
            let ours = try bayes.classify(bayes.prepare(bytes), touch: false).rules.joined(separator: " ")
            if ours == theirs[path] { same += 1 } else { report += "\(path): swamp \(ours), SpamAssassin \(theirs[path] ?? "-")\n" }
        }
        let agreement = Double(same) / Double(test.count)
        try? report.write(toFile: "/tmp/bayes-import-diff.txt", atomically: true, encoding: .utf8)
        print("BAYES_* agreement with SpamAssassin after import: \(same)/\(test.count)")
        #expect(agreement >= 0.95, "agreement \(agreement); see /tmp/bayes-import-diff.txt")
    }
}
