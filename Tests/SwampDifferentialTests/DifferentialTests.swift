import Foundation
import Testing
@testable import SwampEngine
import SwampMIME
import SwampRegex
import SwampRules
import SwampScan
import SwampTestSupport

/// Differential test against SpamAssassin itself (issue: Foundation,
/// acceptance). Both load SpamAssassin's stock rules as Debian installs them,
/// with Bayes and network tests off; both score the same messages of
/// ../shared/corpora/spam; the hit sets are compared on the rules whose
/// outcome depends only on regexes (header/body/rawbody/full/uri without
/// `eval:`, `mimeheader` rules — SpamAssassin runs them as a plugin, but
/// they are regexes over part headers — and metas over only those).
///
/// CI runs a fixed sample (every Nth message). The whole set:
///   SWAMP_DIFF_ALL=1 swift test --filter Differential
/// Figures and the rules that disagree most go to
/// .build/differential-report.txt.
@Suite("Differential against SpamAssassin", .serialized)
struct DifferentialTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora/spam")
    static let stockRules = ProcessInfo.processInfo.environment["SA_RULES_DIR"] ?? "/usr/share/spamassassin"
    static let siteRules = ProcessInfo.processInfo.environment["SA_SITE_DIR"] ?? "/etc/spamassassin"

    static var available: Bool {
        let fm = FileManager.default
        guard fm.fileExists(atPath: corpus.path), fm.fileExists(atPath: stockRules) else { return false }
        return shell("/usr/bin/perl", ["-MMail::SpamAssassin", "-e", "1"], input: nil).status == 0
    }

    /// Loads the stock configuration in SpamAssassin's order: site `.pre`
    /// files, the default rules, then the site `.cf` files; `extra` after
    /// them all, as sa-hits.pl's SA_EXTRA_CONFIG.
    static func stockConfiguration(extra: String = "") -> Configuration {
        var loader = ConfigLoader()
        let fm = FileManager.default
        let site = (try? fm.contentsOfDirectory(atPath: siteRules).sorted()) ?? []
        for f in site where f.hasSuffix(".pre") { loader.load(path: siteRules + "/" + f) }
        loader.load(path: stockRules)
        for f in site where f.hasSuffix(".cf") { loader.load(path: siteRules + "/" + f) }
        loader.load(text: "use_bayes 0\nbayes_auto_learn 0\n", file: "(differential)")
        if !extra.isEmpty { loader.load(text: extra, file: "(differential extra)") }
        return loader.configuration
    }

    /// Rules whose outcome depends only on regexes: the comparison set.
    /// Left out, with their metas: rules whose expanded regex is too large
    /// for Debian's PCRE2 (link size 2; `swamp lint` names them). Those are
    /// a known, documented limit of the build, not a semantic difference.
    static func regexOnlyRules(_ config: Configuration, excluding excluded: Set<String> = []) -> Set<String> {
        var memo: [String: Bool] = [:]
        func regexOnly(_ name: String, _ depth: Int) -> Bool {
            if let m = memo[name] { return m }
            guard depth < 50, !excluded.contains(name), let rule = config.rules[name] else { return false }
            var result: Bool
            switch (rule.type, rule.test) {
            case (.header, .header), (.header, .exists), (.mimeheader, .header): result = true
            case (.body, .regex), (.rawbody, .regex), (.full, .regex), (.uri, .regex): result = true
            case (.meta, .meta(let e)):
                memo[name] = false   // cycles are not regex-only
                result = e.ruleNames.allSatisfy { regexOnly($0, depth + 1) }
            default: result = false
            }
            memo[name] = result
            return result
        }
        return Set(config.rules.keys.filter { regexOnly($0, 0) })
    }

    struct PerlFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// SpamAssassin's hits (scored rules and sub-rules) on each of
    /// `files`, by path, from one run of sa-hits.pl; `extraConfig` is read
    /// after the stock and site files (sa-hits.pl's SA_EXTRA_CONFIG).
    static func spamAssassinHits(_ files: [String], extraConfig: String = "") -> Result<[String: Set<String>], PerlFailed> {
        let script = repoRoot.appendingPathComponent("Tests/SwampDifferentialTests/sa-hits.pl").path
        let sa = shell("/usr/bin/perl", [script], input: files.joined(separator: "\n") + "\n",
                       environment: extraConfig.isEmpty ? [:] : ["SA_EXTRA_CONFIG": extraConfig])
        guard sa.status == 0 else { return .failure(PerlFailed(description: "sa-hits.pl failed: \(sa.error)")) }
        var hits: [String: Set<String>] = [:]
        for line in sa.output.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            hits[String(parts[0])] = Set(parts[1].split(separator: ",").map(String.init))
        }
        return .success(hits)
    }

    static func sample() -> [String] {
        let fm = FileManager.default
        var all: [String] = []
        for label in ["ham", "spam"] {
            let dir = corpus.appendingPathComponent(label).path
            let names = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
            all += names.map { dir + "/" + $0 }
        }
        if ProcessInfo.processInfo.environment["SWAMP_DIFF_ALL"] != nil { return all }
        let step = max(1, all.count / 300)
        return stride(from: 0, to: all.count, by: step).map { all[$0] }
    }

    @Test("stock regex rules hit the same as in SpamAssassin",
          .enabled(if: DifferentialTests.available, "needs SpamAssassin and ../shared/corpora"),
          .timeLimit(.minutes(20)))
    func sameHits() async throws {
        // On a thread of its own: the Perl run and the scans take half a
        // minute, which would hold one of Swift concurrency's threads.
        let outcome = try await onOwnThread { () -> (failure: String?, files: Int, messages: Int,
                                                     identical: Double, jaccard: Double) in
            let files = DifferentialTests.sample()
            let saHits: [String: Set<String>]
            switch DifferentialTests.spamAssassinHits(files) {
            case .success(let hits): saHits = hits
            case .failure(let error): return ("\(error)", files.count, 0, 0, 0)
            }

            let config = DifferentialTests.stockConfiguration()
            let ruleSet = RuleSet(configuration: config)
            let compared = DifferentialTests.regexOnlyRules(config, excluding: Set(ruleSet.tooLarge))
            let scanner = SpamScanner(ruleSet: ruleSet)

            var identical = 0, both = 0, either = 0
            var onlySA: [String: Int] = [:], onlySwamp: [String: Int] = [:]
            var examples: [String: String] = [:]
            for file in files {
                guard let expected = saHits[file], let data = FileManager.default.contents(atPath: file) else { continue }
                let result = scanner.scan(Array(data))
                let got = Set(result.verdict.evaluation.hits.map(\.name) + result.verdict.evaluation.subrules)
                let a = expected.intersection(compared), b = got.intersection(compared)
                if a == b { identical += 1 }
                both += a.intersection(b).count
                either += a.union(b).count
                for r in a.subtracting(b) { onlySA[r, default: 0] += 1; examples[r] = examples[r] ?? file }
                for r in b.subtracting(a) { onlySwamp[r, default: 0] += 1; examples[r] = examples[r] ?? file }
            }
            let n = saHits.count
            let identicalShare = Double(identical) / Double(max(1, n))
            let jaccard = Double(both) / Double(max(1, either))
            var report = "messages \(n), compared rules \(compared.count)\n"
            report += String(format: "identical hit sets: %d (%.2f%%)\n|both|/|either|: %.4f\n", identical, identicalShare * 100, jaccard)
            report += "\nonly SpamAssassin hit (rule, messages, example):\n"
            for (r, c) in onlySA.sorted(by: { $0.value > $1.value }).prefix(60) { report += "  \(r) \(c) \(examples[r] ?? "")\n" }
            report += "\nonly swamp hit:\n"
            for (r, c) in onlySwamp.sorted(by: { $0.value > $1.value }).prefix(60) { report += "  \(r) \(c) \(examples[r] ?? "")\n" }
            let out = DifferentialTests.repoRoot.appendingPathComponent(".build/differential-report.txt")
            try? report.write(to: out, atomically: true, encoding: .utf8)
            print(report)
            return (nil, files.count, n, identicalShare, jaccard)
        }
        if let failure = outcome.failure { Issue.record(Comment(rawValue: failure)); return }
        #expect(outcome.messages >= min(outcome.files, 100))
        #expect(outcome.identical >= 0.95, "identical hit sets on \(outcome.identical * 100)% of messages")
        #expect(outcome.jaccard >= 0.99, "|both|/|either| = \(outcome.jaccard)")
    }

    /// The prefilters — required strings (SwampRegex.RequiredLiterals) and
    /// the Hyperscan stage (SwampRegex.MultiPattern) — only skip rules that
    /// cannot match, and trimmed patterns (SwampRegex.ExistencePattern) hit
    /// where the originals do: with them and without them, every message
    /// gets the same hits, sub-rules and score.
    @Test("the prefilters and trimmed patterns never change a verdict",
          .enabled(if: FileManager.default.fileExists(atPath: DifferentialTests.stockRules)
                       && FileManager.default.fileExists(atPath: DifferentialTests.corpus.path),
                   "needs SpamAssassin's rules and ../shared/corpora"),
          .timeLimit(.minutes(20)))
    func literalPrefilterIsExact() async throws {
        // On a thread of its own, as `sameHits`; the differences come back
        // to be checked here.
        let outcome = try await onOwnThread { () -> (stage: MultiStageInfo?, differences: [String], compared: Int) in
            let config = DifferentialTests.stockConfiguration()
            let filtered = SpamScanner(ruleSet: RuleSet(configuration: config))
            // Compiled here, not from a cache, so this tests this build's stage.
            let stage = filtered.ruleSet.prepareMultiPattern(cacheDirectory: nil)
            // The reference runs every regex, as written: no prefilters, no
            // trimmed patterns.
            let reference = SpamScanner(ruleSet: RuleSet(configuration: config, literalPrefilter: false,
                                                         trimPatterns: false))
            var differences: [String] = []
            var compared = 0
            for file in DifferentialTests.sample() {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                let a = filtered.scan(Array(data), timeLimit: .seconds(600)).verdict
                let b = reference.scan(Array(data), timeLimit: .seconds(600)).verdict
                if a.evaluation.hits.map(\.name).sorted() != b.evaluation.hits.map(\.name).sorted() {
                    differences.append("\(file): hits \(a.evaluation.hits.map(\.name).sorted()) against \(b.evaluation.hits.map(\.name).sorted())")
                }
                if a.evaluation.subrules.sorted() != b.evaluation.subrules.sorted() {
                    let x = Set(a.evaluation.subrules), y = Set(b.evaluation.subrules)
                    differences.append("\(file): sub-rules only filtered \(x.subtracting(y).sorted()), only unfiltered \(y.subtracting(x).sorted())")
                }
                if a.score != b.score { differences.append("\(file): score \(a.score) against \(b.score)") }
                compared += 1
            }
            return (stage, differences, compared)
        }
        #expect(outcome.stage != nil || !MultiPattern.isAvailable, "the Hyperscan stage was not built")
        #expect((outcome.stage?.patterns ?? 0) >= 20, "patterns in the Hyperscan stage: \(outcome.stage?.patterns ?? 0)")
        #expect(outcome.differences.isEmpty, "\(outcome.differences.prefix(20).joined(separator: "\n"))")
        #expect(outcome.compared >= 100)
    }

    static func shell(_ tool: String, _ args: [String], input: String?,
                      environment: [String: String] = [:]) -> (status: Int32, output: String, error: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        do { try p.run() } catch { return (-1, "", "\(error)") }
        // Read both pipes concurrently with writing, so neither fills up.
        final class Box: @unchecked Sendable { var data = Data() }
        let o = Box(), e = Box()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { o.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
        try? inp.fileHandleForWriting.close()
        group.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o.data, as: UTF8.self), String(decoding: e.data, as: UTF8.self))
    }
}

extension DifferentialTests {
    /// The rules of `ruleSet` (those it loaded) whose test is one of the
    /// eval `functions`.
    static func rulesCalling(_ functions: Set<String>, in config: Configuration, ruleSet: RuleSet,
                             except excluded: [String: String] = [:]) -> Set<String> {
        let enabled = Set(ruleSet.rules.map(\.name))
        var compared = Set<String>()
        for (name, rule) in config.rules where enabled.contains(name) && excluded[name] == nil {
            if case .eval(let function, _) = rule.test, functions.contains(function) { compared.insert(name) }
        }
        return compared
    }

    /// Scans `files` with `scanner` and compares, rule by rule, which of
    /// the `compared` rules hit with SpamAssassin's `saHits`: per rule the
    /// messages where both hit and where either did, and a report (written
    /// to .build/`reportName` too) naming a message of each disagreement.
    static func compareRuleHits(files: [String], saHits: [String: Set<String>], scanner: SpamScanner,
                                compared: Set<String>, what: String, reportName: String)
        -> (messages: Int, rules: [String: (both: Int, either: Int)], report: String) {
        var rules: [String: (both: Int, either: Int)] = [:]
        for r in compared { rules[r] = (0, 0) }
        var onlySA: [String: [String]] = [:], onlySwamp: [String: [String]] = [:]
        var messages = 0
        for file in files {
            guard let expected = saHits[file], let data = FileManager.default.contents(atPath: file) else { continue }
            messages += 1
            let result = scanner.scan(Array(data))
            let got = Set(result.verdict.evaluation.hits.map(\.name) + result.verdict.evaluation.subrules)
            let a = expected.intersection(compared), b = got.intersection(compared)
            for r in a.union(b) {
                rules[r, default: (0, 0)].either += 1
                if a.contains(r) && b.contains(r) { rules[r, default: (0, 0)].both += 1 }
            }
            for r in a.subtracting(b) { onlySA[r, default: []].append(file) }
            for r in b.subtracting(a) { onlySwamp[r, default: []].append(file) }
        }
        var report = "messages \(messages), compared \(what) \(compared.count)\n"
        for (r, c) in rules.sorted(by: { $0.key < $1.key }) where c.either > 0 {
            report += String(format: "  %@ %d/%d (%.1f%%)", r, c.both, c.either, 100 * Double(c.both) / Double(c.either))
            if let f = onlySA[r] { report += " only SpamAssassin: \(f.count), e.g. \(f[0])" }
            if let f = onlySwamp[r] { report += " only swamp: \(f.count), e.g. \(f[0])" }
            report += "\n"
        }
        report += "never hit on either side: \(rules.filter { $0.value.either == 0 }.keys.sorted().joined(separator: " "))\n"
        let out = repoRoot.appendingPathComponent(".build/\(reportName)")
        try? report.write(to: out, atomically: true, encoding: .utf8)
        print(report)
        return (messages, rules, report)
    }
}
