import Testing
import SwampEngine
import SwampMIME
import SwampRules

/// `RuleSet(skipUnseenSubrules: true)`: subrules no scored rule reads do
/// not run; everything that shows stays the same.
@Suite struct UnseenSubrulesTests {
    static let rules = """
        body   __READ_BY_SCORED   /lunch/
        body   __READ_BY_UNSCORED /money/
        body   __READ_BY_NOTHING  /paragraph/
        body   __READ_IN_BAYES    /First/
        body   __DEEP             /talks/
        meta   __MIDDLE           __DEEP && __READ_BY_SCORED
        meta   SCORED             __READ_BY_SCORED
        meta   UNSCORED           __READ_BY_UNSCORED
        meta   DEEP_SCORED        __MIDDLE
        meta   BAYES_ONLY         __READ_IN_BAYES
        body   PLAIN_RULE         /about/
        score  SCORED      1
        score  UNSCORED    0
        score  DEEP_SCORED 0.5
        score  BAYES_ONLY  0 0 2 2
        score  PLAIN_RULE  0.25
        """

    static func run(_ config: String, skip: Bool, facts: Facts = Facts()) -> Evaluation {
        var loader = ConfigLoader()
        loader.load(text: config, file: "test.cf")
        let ruleSet = RuleSet(configuration: loader.configuration, skipUnseenSubrules: skip)
        return ruleSet.evaluate(Views(message: Message(bytes: Array(plain.utf8))), facts: facts)
    }

    @Test func unreadSubrulesDoNotRunAndNothingShownChanges() {
        let all = Self.run(Self.rules, skip: false)
        let skipped = Self.run(Self.rules, skip: true)
        #expect(Set(all.subrules) == ["__READ_BY_SCORED", "__READ_BY_UNSCORED", "__READ_BY_NOTHING", "__READ_IN_BAYES",
                                      "__DEEP", "__MIDDLE"])
        // Read by a scored meta directly or two metas deep: they run.
        #expect(Set(skipped.subrules) == ["__READ_BY_SCORED", "__DEEP", "__MIDDLE"])
        #expect(skipped.hitNames == all.hitNames)
        #expect(Set(skipped.hitNames) == ["SCORED", "DEEP_SCORED", "PLAIN_RULE"])
        #expect(skipped.score == all.score)
    }

    @Test func aSubruleRunsInTheScoreSetsWhereItIsRead() {
        var facts = Facts()
        facts.useBayes = true
        let skipped = Self.run(Self.rules, skip: true, facts: facts)
        #expect(skipped.scoreSet == 2)
        #expect(skipped.subrules.contains("__READ_IN_BAYES"))
        #expect(skipped.hitNames.contains("BAYES_ONLY"))
        #expect(skipped.hitNames == Self.run(Self.rules, skip: false, facts: facts).hitNames)
    }

    @Test func templatesThatShowSubrulesKeepThemAll() {
        for template in ["add_header all Sub _SUBTESTS_", "add_header spam Sub _SUBTESTSCOLLAPSED_",
                         "report Subtests: _SUBTESTS(,)_", "unsafe_report _SUBTESTS_",
                         "rewrite_header Subject [_SUBTESTS_]"] {
            let config = Self.rules + "\n" + template
            #expect(Set(Self.run(config, skip: true).subrules) == Set(Self.run(config, skip: false).subrules),
                    "\(template)")
            #expect(Self.run(config, skip: true).subrules.contains("__READ_BY_NOTHING"), "\(template)")
        }
    }
}
