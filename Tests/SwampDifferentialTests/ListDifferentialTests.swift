import Foundation
import Testing
@testable import SwampEngine
import SwampRules
import SwampScan
import SwampTestSupport

/// The welcomelist and blocklist evals (ListEvals.swift) against
/// SpamAssassin's WLBLEval, WelcomeListSubject and VBounce: both load the
/// stock rules plus list directives that match some messages of the
/// corpus's sample (mailing-list recipients, senders, the relays they came
/// through, Subjects, URI hosts), and every rule whose test is one of those
/// evals must hit on exactly the same messages. The figures go to
/// .build/list-differential-report.txt.
extension DifferentialTests {
    /// Read after the stock files on both sides. The T_ rules reach the
    /// functions no stock rule calls, or calls only with lists of its own.
    static let listConfig = """
    welcomelist_to debian-user@lists.debian.org
    more_spam_to *@spamassassin.taint.org
    all_spam_to rpm-zzzlist@freshrpms.net
    blocklist_to ilug@linux.ie Irish?Linux*@*
    welcomelist_from *@csmining.org
    unwelcomelist_from *@csmining.org
    welcomelist_from *@CSMining.org
    blocklist_from rssfeeds@spamassassin.taint.org
    welcomelist_from_rcvd *@csmining.org debian.org
    welcomelist_from_rcvd *@*.ie linux.ie
    def_welcomelist_from_rcvd *@spamassassin.taint.org [127.0.0.1]
    def_welcomelist_from_rcvd *@freshrpms.net [209.132.176.0/20]
    welcomelist_allows_relays *@linux.ie
    enlist_addrlist (DEBIAN) debian-*@lists.debian.org *@debian.org
    welcomelist_subject [ilug]*
    blocklist_subject re: fwd:
    whitelist_subject *debian*
    blocklist_uri_host xent.com !www.xent.com
    welcomelist_uri_host lists.debian.org
    enlist_uri_host (NEWS) cnet.com !home.cnet.com zdnet.com
    delist_uri_host (NEWS) zdnet.com
    enlist_uri_host (DOTCOM) com !cnet.com !online.com !xent.com
    welcomelist_bounce_relays *.debian.org
    header T_FORGED_IN_WL eval:check_forged_in_welcomelist()
    header T_FORGED_IN_DEF_WL eval:check_forged_in_default_welcomelist()
    header T_TO_DEBIAN eval:check_to_in_list('DEBIAN')
    header T_FROM_DEBIAN eval:check_from_in_list('DEBIAN')
    header T_REPLYTO_DEBIAN eval:check_replyto_in_list('DEBIAN')
    header T_URI_NEWS eval:check_uri_host_listed('NEWS')
    header T_URI_DOTCOM eval:check_uri_host_listed('DOTCOM')
    """

    /// Rules that must hit at least once on SpamAssassin's side, so the
    /// comparison is not vacuous.
    static let listRulesExpectedToHit = [
        "USER_IN_WELCOMELIST_TO", "USER_IN_MORE_SPAM_TO", "USER_IN_ALL_SPAM_TO", "USER_IN_BLOCKLIST_TO",
        "USER_IN_WELCOMELIST", "USER_IN_BLOCKLIST", "SUBJECT_IN_WELCOMELIST", "SUBJECT_IN_BLOCKLIST",
        "URI_HOST_IN_BLOCKLIST", "URI_HOST_IN_WELCOMELIST", "T_TO_DEBIAN", "T_URI_NEWS", "T_URI_DOTCOM",
    ]

    @Test("list evals hit as in SpamAssassin",
          .enabled(if: DifferentialTests.available, "needs SpamAssassin and ../shared/corpora"),
          .timeLimit(.minutes(20)))
    func sameListHits() async throws {
        let outcome = try await onOwnThread { () -> (failure: String?, messages: Int, rules: [String: (both: Int, either: Int)], report: String) in
            let files = DifferentialTests.sample()
            let saHits: [String: Set<String>]
            switch DifferentialTests.spamAssassinHits(files, extraConfig: DifferentialTests.listConfig) {
            case .success(let hits): saHits = hits
            case .failure(let error): return ("\(error)", 0, [:], "")
            }
            let config = DifferentialTests.stockConfiguration(extra: DifferentialTests.listConfig)
            let functions = Set(EvalFunction.listRegistry.keys)
            let ruleSet = RuleSet(configuration: config)
            let compared = DifferentialTests.rulesCalling(functions, in: config, ruleSet: ruleSet)
            let scanner = SpamScanner(ruleSet: ruleSet)
            let c = DifferentialTests.compareRuleHits(files: files, saHits: saHits, scanner: scanner, compared: compared,
                                                      what: "list rules", reportName: "list-differential-report.txt")
            return (nil, c.messages, c.rules, c.report)
        }
        if let failure = outcome.failure { Issue.record(Comment(rawValue: failure)); return }
        #expect(outcome.messages >= 100)
        for rule in DifferentialTests.listRulesExpectedToHit {
            #expect((outcome.rules[rule]?.either ?? 0) > 0, "\(rule) never hit:\n\(outcome.report)")
        }
        let disagreeing = outcome.rules.filter { $0.value.both != $0.value.either }
        #expect(disagreeing.isEmpty, "list rules that disagree:\n\(outcome.report)")
    }
}
