import ArgumentParser
import Foundation
import SwampBayes
import SwampEngine
import SwampScan
import SwampRules

/// `swamp bench --corpus DIR`: score every message of DIR/ham and DIR/spam
/// and report accuracy and speed. Without `--folds` the rules alone;
/// with `--folds N`, N-fold cross-validation of rules+Bayes, Bayes alone
/// and rules alone (a fresh Bayes database per fold).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a labelled corpus (DIR/ham, DIR/spam): accuracy and messages/second."
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Directory with ham/ and spam/ subdirectories of messages.")
    var corpus: String

    @Flag(name: .long, help: "Print the figures as JSON.")
    var json = false

    @Flag(name: .customLong("no-multi-pattern"), help: "Leave out the Hyperscan stage (to measure what it saves).")
    var noMultiPattern = false

    @Option(name: .customLong("repeat"), help: "Scan the corpus this many times for the timing (default 1).")
    var rounds: Int = 1

    @Option(name: .long, help: "Cross-validate Bayes over N folds (train on N-1, score the held-out fold).")
    var folds: Int?

    @Flag(name: .long, help: "Scan with the configured Bayes database, as `swamp check` and the daemon do (it must have been trained; autolearn is off, so it stays unchanged).")
    var bayes = false

    @Flag(name: .long, help: "Also render each reply as the daemon's PROCESS does (the message with headers, or the report_safe wrapper), inside the timing.")
    var process = false

    @Option(name: .long, help: "Write one line per message to FILE: its name, score, rules hit, Bayes probability and a digest of its added headers and report (to compare two builds). With --folds, each message as scored by the fold that held it out.")
    var scores: String?

    @Option(name: .customLong("rule-times"), help: "After the figures, list the N rules that took the most time (their prefilters, regexes and evals), with microseconds per message.")
    var ruleTimes: Int?

    /// CPU time of the whole process: comparable across runs on a busy
    /// machine, where wall time is not.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func run() async throws {
        var config: SwampRules.Configuration
        do { config = try options.load() } catch let e as CLIError {
            printError("swamp bench: \(e.message)")
            throw ExitCode(e.code)
        }
        if let folds {
            guard folds >= 2 else { throw ValidationError("--folds needs at least 2") }
            guard !bayes, !process else {
                throw ValidationError("--folds trains its own Bayes per fold: --bayes and --process do not apply")
            }
            // Folds must not leak into each other through autolearning.
            config.bayesAutoLearn = false
            config.useBayes = true
            try crossValidate(config: config, folds: folds)
            return
        }
        let loadStart = ContinuousClock.now
        var classifier: BayesClassifier? = nil
        if bayes {
            // Measured, not trained: no autolearning into the database.
            config.bayesAutoLearn = false
            let (opened, problem) = BayesSetup.openForScanning(config, snapshot: true)
            if let problem { printError("swamp bench: \(problem)") }
            guard let opened else {
                printError("swamp bench: --bayes needs a trained Bayes database (swamp learn) and use_bayes 1")
                throw ExitCode(78)
            }
            classifier = opened
        }
        // No `BayesCreator`: a bench run never creates a database, with
        // autolearn on or off (its scans report autolearn "unavailable").
        let scanner = SpamScanner(configuration: config, bayes: classifier, skipUnseenSubrules: true)
        // The daemon compiles this stage after it starts; here it is part
        // of loading.
        if !noMultiPattern { scanner.ruleSet.prepareMultiPattern(cacheDirectory: MultiPatternCache.directory()) }
        let loadTime = ContinuousClock.now - loadStart

        let messages = try loadCorpus()

        var tp = 0, fp = 0, tn = 0, fn = 0
        var lines: [String] = []
        var replyBytes = 0
        let clock = ContinuousClock()
        let start = clock.now
        if ruleTimes != nil { scanner.ruleSet.profile.start(rules: scanner.ruleSet.ruleCount) }
        let cpuStart = Self.processCPUSeconds()
        for round in 0..<max(1, rounds) {
            for m in messages {
                let result = scanner.scan(m.bytes)
                if process { replyBytes &+= scanner.processedMessage(for: result).count }
                let verdict = result.verdict
                guard round == 0 else { continue }
                if scores != nil { lines.append(Self.scoreLine(m.name, result: result, scanner: scanner)) }
                switch (m.spam, verdict.isSpam) {
                case (true, true): tp += 1
                case (true, false): fn += 1
                case (false, true): fp += 1
                case (false, false): tn += 1
                }
            }
        }
        let elapsed = clock.now - start
        let cpuSeconds = Self.processCPUSeconds() - cpuStart
        if let scores {
            try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: scores))
        }
        _ = replyBytes
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let scanned = Double(messages.count * max(1, rounds))
        let precision = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
        let recall = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
        let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        let fpr = fp + tn == 0 ? 0 : Double(fp) / Double(fp + tn)
        let figures: [(String, Any)] = [
            ("messages", messages.count), ("rules", scanner.ruleSet.ruleCount),
            ("tp", tp), ("fp", fp), ("tn", tn), ("fn", fn),
            ("precision", precision), ("recall", recall), ("f1", f1), ("false_positive_rate", fpr),
            ("scan_messages_per_second", scanned / seconds),
            ("scan_ms_per_message", seconds * 1000 / scanned),
            ("scan_cpu_ms_per_message", cpuSeconds * 1000 / scanned),
            ("load_seconds", Double(loadTime.components.attoseconds) / 1e18 + Double(loadTime.components.seconds)),
        ]
        if json {
            let body = figures.map { key, value in
                if let d = value as? Double { return "\"\(key)\": \(String(format: "%.6g", d))" }
                return "\"\(key)\": \(value)"
            }.joined(separator: ", ")
            print("{\(body)}")
        } else {
            print("\(bayes ? "rules and Bayes" : "rules only (Bayes not in use)"), \(messages.count) messages, \(scanner.ruleSet.ruleCount) rules")
            print("TP \(tp)  FP \(fp)  TN \(tn)  FN \(fn)")
            print(String(format: "precision %.4f  recall %.4f  F1 %.4f  false-positive rate %.4f", precision, recall, f1, fpr))
            print(String(format: "scoring: %.1f messages/second (%.3f ms/message, one core); rules loaded in %.2f s",
                         scanned / seconds, seconds * 1000 / scanned,
                         Double(loadTime.components.attoseconds) / 1e18 + Double(loadTime.components.seconds)))
        }
        if let ruleTimes { Self.printRuleTimes(scanner.ruleSet, top: ruleTimes, scanned: scanned) }
    }

    /// The rules that took the most time, slowest first: microseconds per
    /// message scanned, the share of all rule time, and the share of
    /// messages where its regex ran (past the prefilters) and where it hit.
    static func printRuleTimes(_ ruleSet: RuleSet, top: Int, scanned: Double) {
        let (nanoseconds, runs, hits) = ruleSet.profile.totals
        let names = ruleSet.ruleNames
        let total = nanoseconds.reduce(0, +)
        let searches = runs.reduce(0) { $0 + Double($1) }
        let hitting = runs.indices.reduce(0) { $0 + Double(runs[$1] > 0 ? hits[$1] : 0) }
        print(String(format: "rule time: %.3f ms/message in %d rules; %.1f regexes or evals run per message, %.1f of them hit",
                     Double(total) / 1e6 / scanned, names.count, searches / scanned, hitting / scanned))
        let order = nanoseconds.indices.sorted { nanoseconds[$0] > nanoseconds[$1] }
        for i in order.prefix(max(0, top)) where nanoseconds[i] > 0 {
            let perMessage = Double(nanoseconds[i]) / 1e3 / scanned
            print(String(format: "%9.1f us/msg %5.1f%% of rule time, searched in %5.1f%%, hit in %5.1f%% of messages  ",
                         perMessage, 100 * Double(nanoseconds[i]) / Double(max(1, total)), 100 * Double(runs[i]) / scanned,
                         100 * Double(hits[i]) / scanned) + names[i])
        }
    }

    /// One message's outcome as text: name, score, rules, Bayes
    /// probability, token counts and significant tokens, autolearn, and an
    /// FNV-1a digest of the added headers and the report.
    static func scoreLine(_ name: String, result: ScanResult, scanner: SpamScanner) -> String {
        let v = result.verdict
        var digest: UInt64 = 0xcbf29ce484222325
        for b in (scanner.addedHeaders(for: result) + scanner.report(for: result)).utf8 {
            digest = (digest ^ UInt64(b)) &* 0x100000001b3
        }
        var bayes = v.bayes?.probability.map { String(format: "%.17g", $0) } ?? "-"
        if let b = v.bayes {
            bayes += "/\(b.tokenCount)/\(b.learnedTokenCount)/" + b.significant.map { $0.hash.hex }.joined(separator: ",")
        }
        return "\(name) \(v.score) \(v.tests.joined(separator: ",")) bayes=\(bayes) autolearn=\(v.autolearn) "
            + String(digest, radix: 16)
    }

    func loadCorpus() throws -> [(bytes: [UInt8], spam: Bool, name: String)] {
        var messages: [(bytes: [UInt8], spam: Bool, name: String)] = []
        for (label, spam) in [("ham", false), ("spam", true)] {
            let dir = (corpus as NSString).appendingPathComponent(label)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                printError("swamp bench: cannot read \(dir)")
                throw ExitCode(66)
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                if let data = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(name)) {
                    messages.append((Array(data), spam, "\(label)/\(name)"))
                }
            }
        }
        guard !messages.isEmpty else {
            printError("swamp bench: no messages under \(corpus)")
            throw ExitCode(66)
        }
        return messages
    }
}
