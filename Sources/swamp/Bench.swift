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
            // Folds must not leak into each other through autolearning.
            config.bayesAutoLearn = false
            config.useBayes = true
            try crossValidate(config: config, folds: folds)
            return
        }
        let loadStart = ContinuousClock.now
        let scanner = SpamScanner(configuration: config)
        // The daemon compiles this stage after it starts; here it is part
        // of loading.
        if !noMultiPattern { scanner.ruleSet.prepareMultiPattern(cacheDirectory: MultiPatternCache.directory()) }
        let loadTime = ContinuousClock.now - loadStart

        let messages = try loadCorpus()

        var tp = 0, fp = 0, tn = 0, fn = 0
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = Self.processCPUSeconds()
        for round in 0..<max(1, rounds) {
            for m in messages {
                let verdict = scanner.scan(m.bytes).verdict
                guard round == 0 else { continue }
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
            print("rules only (Bayes not in use), \(messages.count) messages, \(scanner.ruleSet.ruleCount) rules")
            print("TP \(tp)  FP \(fp)  TN \(tn)  FN \(fn)")
            print(String(format: "precision %.4f  recall %.4f  F1 %.4f  false-positive rate %.4f", precision, recall, f1, fpr))
            print(String(format: "scoring: %.1f messages/second (%.3f ms/message, one core); rules loaded in %.2f s",
                         scanned / seconds, seconds * 1000 / scanned,
                         Double(loadTime.components.attoseconds) / 1e18 + Double(loadTime.components.seconds)))
        }
    }

    func loadCorpus() throws -> [(bytes: [UInt8], spam: Bool)] {
        var messages: [(bytes: [UInt8], spam: Bool)] = []
        for (label, spam) in [("ham", false), ("spam", true)] {
            let dir = (corpus as NSString).appendingPathComponent(label)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                printError("swamp bench: cannot read \(dir)")
                throw ExitCode(66)
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                if let data = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(name)) {
                    messages.append((Array(data), spam))
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
