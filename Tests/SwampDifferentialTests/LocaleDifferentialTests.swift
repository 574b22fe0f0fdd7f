import Foundation
import Testing
@testable import SwampEngine
import SwampRules
import SwampScan
import SwampTestSupport

/// The faraway-charset evals (Locales.swift) against SpamAssassin with
/// `ok_locales en` on both sides (the default, "all", never hits): the
/// stock rules calling them must hit on exactly the same messages.
extension DifferentialTests {
    @Test("faraway-charset evals hit as in SpamAssassin with ok_locales en",
          .enabled(if: DifferentialTests.available, "needs SpamAssassin and ../shared/corpora"),
          .timeLimit(.minutes(20)))
    func sameLocaleHits() async throws {
        let extra = "ok_locales en\n"
        let outcome = try await onOwnThread { () -> (failure: String?, messages: Int, rules: [String: (both: Int, either: Int)], report: String) in
            let files = DifferentialTests.sample()
            let saHits: [String: Set<String>]
            switch DifferentialTests.spamAssassinHits(files, extraConfig: extra) {
            case .success(let hits): saHits = hits
            case .failure(let error): return ("\(error)", 0, [:], "")
            }
            let config = DifferentialTests.stockConfiguration(extra: extra)
            let functions = Set(EvalFunction.localeRegistry.keys)
            let ruleSet = RuleSet(configuration: config)
            let compared = DifferentialTests.rulesCalling(functions, in: config, ruleSet: ruleSet)
            let c = DifferentialTests.compareRuleHits(files: files, saHits: saHits, scanner: SpamScanner(ruleSet: ruleSet),
                                                      compared: compared, what: "charset rules", reportName: "locale-differential-report.txt")
            return (nil, c.messages, c.rules, c.report)
        }
        if let failure = outcome.failure { Issue.record(Comment(rawValue: failure)); return }
        #expect(outcome.messages >= 100)
        #expect(outcome.rules.count >= 3, "the stock rules calling the three functions:\n\(outcome.report)")
        #expect(outcome.rules.values.contains { $0.either > 0 }, "none hit on either side:\n\(outcome.report)")
        let disagreeing = outcome.rules.filter { $0.value.both != $0.value.either }
        #expect(disagreeing.isEmpty, "charset rules that disagree:\n\(outcome.report)")
    }
}
