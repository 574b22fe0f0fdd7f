import Testing
import SwampEngine
import SwampMIME
import SwampRules

/// `eval:check_bayes` and the autolearn points, as SpamAssassin defines
/// them (Plugin/Bayes.pm, PerMsgStatus `_get_autolearn_points`).
@Suite struct BayesRulesTests {
    static let ranges = """
    body BAYES_00  eval:check_bayes('0.00', '0.01')
    body BAYES_50  eval:check_bayes('0.40', '0.60')
    body BAYES_99  eval:check_bayes('0.99', '1.00')
    body BAYES_999 eval:check_bayes('0.999', '1.00')
    body BAYES_TOP eval:check_bayes('0.9', 'undef')
    """

    @Test(arguments: [
        (0.0, ["BAYES_00"]), (0.01, ["BAYES_00"]), (0.0100001, []), (0.4, []), (0.5, ["BAYES_50"]),
        (0.99, ["BAYES_TOP"]), (0.995, ["BAYES_99", "BAYES_TOP"]), (0.999, ["BAYES_99", "BAYES_TOP"]),
        (1.0, ["BAYES_99", "BAYES_999", "BAYES_TOP"]),
    ] as [(Double, [String])])
    func rangesAsSpamAssassin(probability: Double, expected: [String]) {
        var facts = Facts()
        facts.bayesProbability = probability
        #expect(hits(Self.ranges, plain, facts: facts) == Set(expected))
    }

    @Test func noVerdictNoHit() {
        #expect(hits(Self.ranges, plain).isEmpty)
        var facts = Facts()
        facts.bayesProbability = 1
        #expect(hits(Self.ranges + "\nuse_bayes 0\n", plain, facts: facts).isEmpty)
        #expect(hits(Self.ranges + "\nuse_bayes_rules 0\n", plain, facts: facts).isEmpty)
    }

    @Test func autolearnPointsSplitHeaderBodyAndMetas() {
        let config = """
        header H_RULE   Subject =~ /Hello/
        score  H_RULE   1 1 4 4
        body   B_RULE   /lunch/
        score  B_RULE   2 2 5 5
        full   F_RULE   /money/
        score  F_RULE   0.5
        header __H_SUB  From =~ /alice/
        body   __B_SUB  /paragraph/
        meta   M_RULE   __H_SUB && __B_SUB && B_RULE
        score  M_RULE   3
        body   NOAUTO   /First/
        score  NOAUTO   7
        tflags NOAUTO   noautolearn
        body   LEARNED  /Second/
        score  LEARNED  0 0 2.5 2.5
        tflags LEARNED  learn
        """
        var loader = ConfigLoader()
        loader.load(text: config, file: "test.cf")
        let ruleSet = RuleSet(configuration: loader.configuration)
        let views = Views(message: Message(bytes: Array(plain.utf8)))
        // Score set 2 (Bayes on): autolearn recomputes in set 0, but counts
        // the `learn` rules in the set in use.
        let evaluation = ruleSet.evaluate(views, facts: Facts(useBayes: true))
        #expect(Set(evaluation.hitNames) == ["H_RULE", "B_RULE", "F_RULE", "M_RULE", "NOAUTO", "LEARNED"])
        let points = ruleSet.autolearnPoints(evaluation)
        // H 1 + B 2 + F 0.5 + M 3; NOAUTO and LEARNED left out.
        #expect(points.total == 6.5)
        // M's 3 points: one header input, two body inputs.
        #expect(points.header == 1 + 1)
        #expect(points.body == 2 + 2)
        #expect(points.learned == 2.5)
        #expect(points.forcedBy.isEmpty)
    }
}
