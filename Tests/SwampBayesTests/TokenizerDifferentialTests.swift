import Foundation
import Testing
import SwampMIME
@testable import SwampBayes

/// Compares swamp's token texts with SpamAssassin's own tokenizer, called
/// through `sa-tokens.pl`. Skipped when SpamAssassin is not installed.
@Suite struct TokenizerDifferentialTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repo = here.deletingLastPathComponent().deletingLastPathComponent()
    static let saAvailable = FileManager.default.fileExists(atPath: "/usr/share/perl5/Mail/SpamAssassin/Plugin/Bayes.pm")

    static func saTokens(_ paths: [String]) -> [String: Set<String>] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        p.arguments = [here.appendingPathComponent("sa-tokens.pl").path] + paths
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try? p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var result: [String: Set<String>] = [:]
        var current = ""
        for line in data.split(separator: 10, omittingEmptySubsequences: false) {
            let s = String(decoding: line, as: UTF8.self)
            if s.hasPrefix("==> ") { current = String(s.dropFirst(4)); result[current] = []; continue }
            if !s.isEmpty { result[current, default: []].insert(s) }
        }
        return result
    }

    /// SpamAssassin loads its stock rules, whose 72_active.cf adds
    /// `bayes_ignore_header` lines; give swamp the same.
    static let stockSettings: BayesSettings = {
        var values: [String] = []
        let dir = "/usr/share/spamassassin"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []) where name.hasSuffix(".cf") {
            let text = (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("bayes_ignore_header ") {
                values.append(String(line.dropFirst("bayes_ignore_header ".count)))
            }
        }
        return BayesSettings(otherSettings: ["bayes_ignore_header": values])
    }()

    static func swampTokens(_ path: String) -> Set<String> {
        let bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
        let views = Views(message: Message(bytes: FilterMarkup.strip(bytes)))
        return Set(Tokenizer(settings: stockSettings).tokenStrings(views).map { String(decoding: $0, as: UTF8.self) })
    }

    static func samplePaths() -> [String] {
        var paths = ["ham-plain.eml", "spam-sales.eml", "gtube.eml"].map { repo.appendingPathComponent("Corpus/\($0)").path }
        let corpus = repo.deletingLastPathComponent().appendingPathComponent("shared/corpora/spam")
        for label in ["ham", "spam"] {
            let dir = corpus.appendingPathComponent(label).path
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            let step = max(1, names.count / 20)
            for i in stride(from: 0, to: names.count, by: step) { paths.append(dir + "/" + names[i]) }
        }
        return paths
    }

    @Test(.enabled(if: saAvailable))
    func tokensMatchSpamAssassin() {
        let paths = Self.samplePaths()
        let sa = Self.saTokens(paths)
        var both = 0, either = 0
        var report = ""
        for path in paths {
            // SwampMIME renders invisible HTML text into the body (no
            // separate view yet), so SpamAssassin's "I*:" tokens are
            // compared without their prefix.
            let theirs = Set((sa[path] ?? []).map { $0.hasPrefix("I*:") ? String($0.dropFirst(3)) : $0 })
            let ours = Self.swampTokens(path)
            both += theirs.intersection(ours).count
            either += theirs.union(ours).count
            let missing = theirs.subtracting(ours).sorted(), extra = ours.subtracting(theirs).sorted()
            if !missing.isEmpty || !extra.isEmpty {
                report += "\(path)\n  missing: \(missing.prefix(40))\n  extra: \(extra.prefix(40))\n"
            }
        }
        let agreement = Double(both) / Double(max(1, either))
        try? report.write(toFile: "/tmp/bayes-token-diff.txt", atomically: true, encoding: .utf8)
        // Corpus/ messages must match exactly; the sample as a whole closely.
        let plain = Self.repo.appendingPathComponent("Corpus/ham-plain.eml").path
        #expect(Self.swampTokens(plain) == sa[plain] ?? [])
        #expect(agreement >= 0.99, "token agreement \(agreement); see /tmp/bayes-token-diff.txt")
    }
}
