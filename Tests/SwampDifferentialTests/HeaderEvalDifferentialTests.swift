import Foundation
import Testing
import SwampEngine
import SwampRules
import SwampScan
import SwampTestSupport

/// The header, relay and FreeMail evals swamp implements (SwampEngine's
/// HeaderEvals.swift, FreemailEvals.swift) against SpamAssassin itself: the stock rules that
/// call them hit on the same messages of the corpus sample.
@Suite("Header evals against SpamAssassin", .serialized)
struct HeaderEvalDifferentialTests {
    static let functions: Set<String> = [
        "check_for_shifted_date", "subject_is_all_caps", "check_for_to_in_subject", "check_equal_from_domains",
        "check_for_matching_env_and_hdr_from", "check_illegal_chars", "check_header_count_range",
        "sorted_recipients", "similar_recipients", "check_ratware_name_id", "check_outlook_message_id",
        "check_unresolved_template", "helo_ip_mismatch", "check_all_trusted", "check_no_relays",
        "check_relays_unparseable", "check_freemail_from", "check_freemail_header",
    ]

    @Test("stock header eval rules hit as in SpamAssassin",
          .enabled(if: DifferentialTests.available, "needs SpamAssassin and ../shared/corpora"),
          .timeLimit(.minutes(20)))
    func sameHits() async throws {
        let outcome = try await onOwnThread { () -> (failure: String?, rules: [String: (both: Int, onlySA: Int, onlySwamp: Int)], report: String) in
            let files = DifferentialTests.sample()
            let saHits: [String: Set<String>]
            switch DifferentialTests.spamAssassinHits(files) {
            case .success(let hits): saHits = hits
            case .failure(let error): return ("\(error)", [:], "")
            }
            let config = DifferentialTests.stockConfiguration()
            var compared: Set<String> = []
            for (name, rule) in config.rules {
                if case .eval(let function, _) = rule.test, Self.functions.contains(function) { compared.insert(name) }
            }
            let scanner = SpamScanner(ruleSet: RuleSet(configuration: config))
            var rules: [String: (both: Int, onlySA: Int, onlySwamp: Int)] = [:]
            var examples: [String: String] = [:]
            for file in files {
                guard let expected = saHits[file], let data = FileManager.default.contents(atPath: file) else { continue }
                let result = scanner.scan(Array(data))
                let got = Set(result.verdict.evaluation.hits.map(\.name) + result.verdict.evaluation.subrules)
                for r in compared {
                    let a = expected.contains(r), b = got.contains(r)
                    guard a || b else { continue }
                    var entry = rules[r] ?? (0, 0, 0)
                    if a && b { entry.both += 1 } else if a { entry.onlySA += 1 } else { entry.onlySwamp += 1 }
                    if a != b, examples[r] == nil { examples[r] = file }
                    rules[r] = entry
                }
            }
            var report = "header evals, \(saHits.count) messages, \(compared.count) rules (both / only SpamAssassin / only swamp):\n"
            for (r, e) in rules.sorted(by: { $0.key < $1.key }) {
                report += "  \(r) \(e.both) / \(e.onlySA) / \(e.onlySwamp) \(examples[r] ?? "")\n"
            }
            return (nil, rules, report)
        }
        print(outcome.report)
        if let failure = outcome.failure { Issue.record("\(failure)"); return }
        // The comparison proves something only if the rules hit at all.
        let total = outcome.rules.values.reduce(0) { $0 + $1.both }
        #expect(total >= 100, "hits both had: \(total)")
        for (rule, e) in outcome.rules {
            let either = e.both + e.onlySA + e.onlySwamp
            #expect(Double(e.both) >= 0.95 * Double(either) || either - e.both <= 1,
                    "\(rule): \(e.both) both, \(e.onlySA) only SpamAssassin, \(e.onlySwamp) only swamp\n\(outcome.report)")
        }
    }
}
