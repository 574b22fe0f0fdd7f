import ArgumentParser
import Foundation
import SwampBayes
import SwampEngine
import SwampRules
import SwampScan

/// Confusion counts and the figures derived from them.
struct Confusion {
    var tp = 0, fp = 0, tn = 0, fn = 0

    mutating func add(spam: Bool, predicted: Bool) {
        switch (spam, predicted) {
        case (true, true): tp += 1
        case (true, false): fn += 1
        case (false, true): fp += 1
        case (false, false): tn += 1
        }
    }

    var precision: Double { tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp) }
    var recall: Double { tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn) }
    var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    var falsePositiveRate: Double { fp + tn == 0 ? 0 : Double(fp) / Double(fp + tn) }

    var json: String {
        String(format: "{\"tp\": %d, \"fp\": %d, \"tn\": %d, \"fn\": %d, \"precision\": %.6f, \"recall\": %.6f, \"f1\": %.6f, \"false_positive_rate\": %.6f}",
               tp, fp, tn, fn, precision, recall, f1, falsePositiveRate)
    }

    func line(_ name: String) -> String {
        String(format: "%-12@ %5d %5d %5d %5d   %.4f    %.4f  %.4f  %.4f",
               name as NSString, tp, fp, tn, fn, precision, recall, f1, falsePositiveRate)
    }
}

extension Bench {
    /// k-fold cross-validation: each message is scored once, by a Bayes
    /// database trained on the other folds (stratified: ham and spam are
    /// dealt round-robin into the folds in name order).
    func crossValidate(config: SwampRules.Configuration, folds k: Int) throws {
        let messages = try loadCorpus()
        let fold: [Int] = {
            var hamSeen = 0, spamSeen = 0
            return messages.map { m in
                defer { if m.spam { spamSeen += 1 } else { hamSeen += 1 } }
                return (m.spam ? spamSeen : hamSeen) % k
            }
        }()
        let loadStart = ContinuousClock.now
        let ruleSet = RuleSet(configuration: config)
        if !noMultiPattern { ruleSet.prepareMultiPattern(cacheDirectory: MultiPatternCache.directory()) }
        let loadSeconds = seconds(ContinuousClock.now - loadStart)
        let rulesOnly = SpamScanner(ruleSet: ruleSet)

        var combined = Confusion(), bayesAlone = Confusion(), rules = Confusion()
        let thresholds = [0.4, 0.5, 0.9, 0.99, 0.999]
        var byThreshold = Array(repeating: Confusion(), count: thresholds.count)
        var learnSeconds = 0.0, learned = 0
        var scanSeconds = 0.0, scanned = 0
        var rulesSeconds = 0.0
        var noVerdict = 0
        var lines: [(index: Int, line: String)] = []
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        for f in 0..<k {
            // A fresh database per fold: a file, or with bayes_sql_dsn rows
            // of a scratch user in the shared database.
            let (bayes, remove) = try BayesSetup.openScratch(config, name: "fold\(f)", directory: dir)
            defer {
                do { try remove() } catch { printError("swamp bench: \(error)") }
            }
            // Learn the other folds: spam and ham, tokenized on all cores.
            let start = ContinuousClock.now
            for cls in [MessageClass.spam, .ham] {
                let train = messages.indices.filter { fold[$0] != f && messages[$0].spam == (cls == .spam) }
                let summary = try LearnRun(bayes: bayes, mode: .learn(cls)).run(messages: train.map { messages[$0].bytes })
                learned += summary.changed + summary.skipped + summary.unparseable
            }
            learnSeconds += seconds(ContinuousClock.now - start)

            // Score the held-out fold, one core.
            let scanner = SpamScanner(ruleSet: ruleSet, bayes: bayes)
            for i in messages.indices where fold[i] == f {
                let t0 = ContinuousClock.now
                let result = scanner.scan(messages[i].bytes)
                let verdict = result.verdict
                scanSeconds += seconds(ContinuousClock.now - t0)
                if scores != nil { lines.append((i, Self.scoreLine(messages[i].name, result: result, scanner: scanner))) }
                scanned += 1
                combined.add(spam: messages[i].spam, predicted: verdict.isSpam)
                if verdict.bayes?.probability == nil { noVerdict += 1 }
                let p = verdict.bayes?.probability ?? 0
                bayesAlone.add(spam: messages[i].spam, predicted: p > 0.6)
                for (t, threshold) in thresholds.enumerated() {
                    byThreshold[t].add(spam: messages[i].spam, predicted: p > threshold)
                }
                let t1 = ContinuousClock.now
                rules.add(spam: messages[i].spam, predicted: rulesOnly.scan(messages[i].bytes).verdict.isSpam)
                rulesSeconds += seconds(ContinuousClock.now - t1)
            }
        }

        if let scores {
            // In corpus order, each message scored by the fold that held it out.
            let text = lines.sorted { $0.index < $1.index }.map { $0.line + "\n" }.joined()
            try Data(text.utf8).write(to: URL(fileURLWithPath: scores))
        }
        let learnRate = Double(learned) / max(learnSeconds, 1e-9)
        let scanRate = Double(scanned) / max(scanSeconds, 1e-9)
        let rulesRate = Double(scanned) / max(rulesSeconds, 1e-9)
        if json {
            print("{\"messages\": \(messages.count), \"folds\": \(k), \"rules\": \(ruleSet.ruleCount), "
                  + "\"rules_bayes\": \(combined.json), \"bayes\": \(bayesAlone.json), \"rules_only\": \(rules.json), "
                  + "\"bayes_thresholds\": {" + zip(thresholds, byThreshold).map { "\"\($0.0)\": \($0.1.json)" }.joined(separator: ", ") + "}, "
                  + String(format: "\"learn_messages_per_second\": %.1f, \"scan_messages_per_second\": %.1f, "
                           + "\"scan_rules_only_messages_per_second\": %.1f, \"bayes_no_verdict\": %d, \"load_seconds\": %.3f}",
                           learnRate, scanRate, rulesRate, noVerdict, loadSeconds))
        } else {
            print("\(k)-fold cross-validation, \(messages.count) messages (\(messages.filter(\.spam).count) spam), \(ruleSet.ruleCount) rules")
            print("               TP    FP    TN    FN   precision recall  F1      FP rate")
            print(combined.line("rules+Bayes"))
            print(bayesAlone.line("Bayes alone"))
            print(rules.line("rules alone"))
            for (t, threshold) in thresholds.enumerated() {
                print(byThreshold[t].line(String(format: "Bayes > %g", threshold)))
            }
            print("Bayes alone: spam when BAYES_60 or higher hits (probability above 0.6); \(noVerdict) messages had no Bayes verdict.")
            print(String(format: "learning: %.0f messages/second (all cores); scoring: %.1f messages/second with Bayes, %.1f rules only (one core)",
                         learnRate, scanRate, rulesRate))
        }
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
