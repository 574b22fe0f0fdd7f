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

    static let corpus = repo.deletingLastPathComponent().appendingPathComponent("shared/corpora")

    static func samplePaths() -> [String] {
        var paths = ["ham-plain.eml", "spam-sales.eml", "gtube.eml"].map { repo.appendingPathComponent("Corpus/\($0)").path }
        for label in ["ham", "spam"] {
            let dir = corpus.appendingPathComponent("spam/\(label)").path
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            let step = max(1, names.count / 20)
            for i in stride(from: 0, to: names.count, by: step) { paths.append(dir + "/" + names[i]) }
        }
        return paths
    }

    /// Corpus messages in which SpamAssassin finds hidden HTML text (the
    /// list the MIME differential uses), every `step`-th.
    static func invisibleTextPaths(step: Int) -> [String] {
        let list = repo.appendingPathComponent("Tests/SwampMIMETests/invisible-text.list")
        let lines = ((try? String(contentsOf: list, encoding: .utf8)) ?? "").split(separator: "\n")
        let names = lines.filter { !$0.hasPrefix("#") }.map { corpus.appendingPathComponent(String($0)).path }
        return stride(from: 0, to: names.count, by: max(1, step)).map { names[$0] }
    }

    struct Agreement: CustomStringConvertible {
        var both = 0, either = 0
        /// The same over `I*:` tokens only.
        var hiddenBoth = 0, hiddenEither = 0
        var report = ""
        var ratio: Double { Double(both) / Double(max(1, either)) }
        var hiddenRatio: Double { Double(hiddenBoth) / Double(max(1, hiddenEither)) }
        var description: String {
            "tokens \(both)/\(either) = \(ratio); I*: tokens \(hiddenBoth)/\(hiddenEither) = \(hiddenRatio)"
        }

        init(paths: [String], sa: [String: Set<String>]) {
            for path in paths {
                let theirs = sa[path] ?? []
                let ours = TokenizerDifferentialTests.swampTokens(path)
                both += theirs.intersection(ours).count
                either += theirs.union(ours).count
                let hidden = { (s: Set<String>) in s.filter { $0.hasPrefix("I*:") } }
                hiddenBoth += hidden(theirs).intersection(hidden(ours)).count
                hiddenEither += hidden(theirs).union(hidden(ours)).count
                let missing = theirs.subtracting(ours).sorted(), extra = ours.subtracting(theirs).sorted()
                if !missing.isEmpty || !extra.isEmpty {
                    report += "\(path)\n  missing: \(missing.prefix(40))\n  extra: \(extra.prefix(40))\n"
                }
            }
        }
    }

    @Test(.enabled(if: saAvailable))
    func tokensMatchSpamAssassin() {
        let paths = Self.samplePaths()
        let sa = Self.saTokens(paths)
        let agreement = Agreement(paths: paths, sa: sa)
        print("Bayes token differential, sample: \(agreement)")
        try? agreement.report.write(toFile: "/tmp/bayes-token-diff.txt", atomically: true, encoding: .utf8)
        // Corpus/ messages must match exactly (spam-sales.eml in its body
        // and hidden-text tokens; one of its URI variants differs); the
        // sample as a whole closely.
        let plain = Self.repo.appendingPathComponent("Corpus/ham-plain.eml").path
        #expect(Self.swampTokens(plain) == sa[plain] ?? [])
        let sales = Self.repo.appendingPathComponent("Corpus/spam-sales.eml").path
        let salesHidden = { (s: Set<String>) in s.filter { $0.hasPrefix("I*:") } }
        #expect(!salesHidden(sa[sales] ?? []).isEmpty)
        #expect(salesHidden(Self.swampTokens(sales)) == salesHidden(sa[sales] ?? []))
        #expect(agreement.ratio >= 0.99, "token agreement \(agreement); see /tmp/bayes-token-diff.txt")
    }

    /// Messages with hidden HTML text: body tokens from the visible text
    /// only, `I*:` tokens from the hidden text. SWAMP_SA_INVISIBLE_STEP sets
    /// the stride through the list (default 3; 1 takes all).
    @Test(.enabled(if: saAvailable))
    func invisibleTextTokensMatchSpamAssassin() {
        let step = Int(ProcessInfo.processInfo.environment["SWAMP_SA_INVISIBLE_STEP"] ?? "") ?? 3
        let paths = Self.invisibleTextPaths(step: step)
        #expect(paths.count >= 100 / step)
        let sa = Self.saTokens(paths)
        let agreement = Agreement(paths: paths, sa: sa)
        print("Bayes token differential, \(paths.count) messages with hidden text: \(agreement)")
        try? agreement.report.write(toFile: "/tmp/bayes-token-diff-invisible.txt", atomically: true, encoding: .utf8)
        #expect(agreement.hiddenEither > 0)
        #expect(agreement.ratio >= 0.99, "token agreement \(agreement); see /tmp/bayes-token-diff-invisible.txt")
        #expect(agreement.hiddenRatio >= 0.97, "token agreement \(agreement); see /tmp/bayes-token-diff-invisible.txt")
    }
}
