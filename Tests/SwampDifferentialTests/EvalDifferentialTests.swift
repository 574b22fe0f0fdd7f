import Foundation
import Testing
@testable import SwampEngine
import SwampRules
import SwampScan
import SwampTestSupport

/// The eval functions swamp implements (the header and relay evals of
/// HeaderEvals.swift, FreemailEvals.swift, the MIME, body and HTML evals of
/// BodyEvals.swift, the list evals of ListEvals.swift, and the rest of the
/// registry; not the network ones)
/// against SpamAssassin's own plugins: the stock rules whose test is one of
/// those evals must hit on the same messages of the sample as in
/// SpamAssassin, rule by rule (|both| / |either| ≥ 95 %). One Perl run
/// serves the whole comparison. The figures go to
/// .build/eval-differential-report.txt.
extension DifferentialTests {
    /// Stock rules left out of the comparison, and why.
    static let evalExclusions: [String: String] = [:]

    /// The functions compared: every native eval but the network ones.
    static var comparedEvalFunctions: Set<String> {
        Set(EvalFunction.registry.keys).union(EvalFunction.headerRegistry.keys)
            .union(EvalFunction.freemailRegistry.keys).union(EvalFunction.bodyRegistry.keys)
            .union(EvalFunction.forgeryRegistry.keys).union(EvalFunction.localeRegistry.keys)
            .union(EvalFunction.listRegistry.keys)
    }

    @Test("stock eval rules hit as in SpamAssassin",
          .enabled(if: DifferentialTests.available, "needs SpamAssassin and ../shared/corpora"),
          .timeLimit(.minutes(30)))
    func sameEvalHits() async throws {
        let outcome = try await onOwnThread { () -> (failure: String?, messages: Int, rules: [String: (both: Int, either: Int)], report: String) in
            let files = DifferentialTests.sample()
            let saHits: [String: Set<String>]
            switch DifferentialTests.spamAssassinHits(files) {
            case .success(let hits): saHits = hits
            case .failure(let error): return ("\(error)", 0, [:], "")
            }
            let functions = DifferentialTests.comparedEvalFunctions

            let config = DifferentialTests.stockConfiguration()
            let ruleSet = RuleSet(configuration: config)
            let compared = DifferentialTests.rulesCalling(functions, in: config, ruleSet: ruleSet,
                                                          except: DifferentialTests.evalExclusions)
            let scanner = SpamScanner(ruleSet: ruleSet)
            let c = DifferentialTests.compareRuleHits(files: files, saHits: saHits, scanner: scanner, compared: compared,
                                                      what: "eval rules", reportName: "eval-differential-report.txt")
            return (nil, c.messages, c.rules, c.report)
        }
        if let failure = outcome.failure { Issue.record(Comment(rawValue: failure)); return }
        #expect(outcome.messages >= 100)
        // Rules that fire on most mail must be among those compared.
        #expect((outcome.rules["HTML_MESSAGE"]?.either ?? 0) > 0)
        #expect((outcome.rules["__MIME_QP"]?.either ?? 0) > 0)
        #expect((outcome.rules["HEADER_FROM_DIFFERENT_DOMAINS"]?.either ?? 0) > 0)
        #expect((outcome.rules["FREEMAIL_FROM"]?.either ?? 0) > 0)
        let disagreeing = outcome.rules.filter { $0.value.either > 0 && Double($0.value.both) < 0.95 * Double($0.value.either) }
        #expect(disagreeing.isEmpty, "rules agreeing on less than 95 %:\n\(outcome.report)")
    }
}
