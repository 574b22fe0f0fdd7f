import Testing
import SwampEngine
import SwampMIME
import SwampRules

/// `RuleSet(skipUnseenSubrules: true)`: subrules no scored rule reads do
/// not run, and the others run only when a meta reads them; everything
/// that shows stays the same.
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

    /// The rules run whole and lazily, once it is checked that what shows
    /// (the scored hits and the score) is the same.
    static func both(_ config: String) -> (all: Evaluation, lazy: Evaluation) {
        let all = run(config, skip: false), lazy = run(config, skip: true)
        #expect(lazy.hitNames == all.hitNames)
        #expect(lazy.score == all.score)
        return (all, lazy)
    }

    @Test func unreadSubrulesDoNotRunAndNothingShownChanges() {
        let (all, skipped) = Self.both(Self.rules)
        #expect(Set(all.subrules) == ["__READ_BY_SCORED", "__READ_BY_UNSCORED", "__READ_BY_NOTHING", "__READ_IN_BAYES",
                                      "__DEEP", "__MIDDLE"])
        // Read by a scored meta directly or two metas deep: they run.
        #expect(Set(skipped.subrules) == ["__READ_BY_SCORED", "__DEEP", "__MIDDLE"])
        #expect(Set(skipped.hitNames) == ["SCORED", "DEEP_SCORED", "PLAIN_RULE"])
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

    /// Subrules of every kind a meta can leave unread: header (with and
    /// without required strings, negated, exists), body (counted), eval,
    /// and metas of them.
    static let lazyRules = """
        header __GUARD       Subject =~ /Hello/
        header __H_LIT       From =~ /alice/
        header __H_NEG       To !~ /nobody/
        header __H_EXISTS    exists:Date
        header __H_ANY       Subject =~ /./
        body   __B_MONEY     /money/
        tflags __B_MONEY     multiple
        body   __B_NEVER     /zebra/
        body   __B_LUNCH     /lunch/
        header __E_DATE      eval:check_for_shifted_date('-1000', '1000')
        header __E_NOTO      eval:check_for_missing_to_header()
        meta   __M_INNER     __B_MONEY > 2 && __H_EXISTS
        meta   __M_UNREAD    __B_LUNCH && __E_DATE && __H_ANY
        meta   GUARDED_ON    __GUARD && __H_LIT && __M_INNER && !__E_NOTO && __H_NEG
        meta   GUARDED_OFF   __B_NEVER && (__M_UNREAD + __B_MONEY)
        meta   SUMMED        (__B_MONEY + __H_EXISTS) > 3
        score  GUARDED_ON 1
        score  GUARDED_OFF 1
        score  SUMMED 1
        """

    @Test func subrulesAMetaLeavesUnreadDoNotRun() {
        let (all, lazy) = Self.both(Self.lazyRules)
        #expect(Set(all.hitNames) == ["GUARDED_ON", "SUMMED"])
        // Read behind `__B_NEVER &&`, which is false: they never run, and
        // neither does what only they read.
        for unread in ["__M_UNREAD", "__B_LUNCH", "__E_DATE", "__H_ANY"] {
            #expect(all.subrules.contains(unread), "\(unread)")
            #expect(!lazy.subrules.contains(unread), "\(unread)")
        }
        // Read where the outcome is open: they run, with the same values
        // (three counted matches, a negated header, an absent header's
        // exists), and hit as they do when everything runs.
        for read in ["__GUARD", "__H_LIT", "__H_NEG", "__H_EXISTS", "__B_MONEY", "__M_INNER"] {
            #expect(lazy.subrules.contains(read), "\(read)")
        }
    }

    @Test func aGuardThatHoldsRunsWhatItGuards() {
        let config = Self.lazyRules.replacingOccurrences(of: "/zebra/", with: "/paragraph/")
        let (all, lazy) = Self.both(config)
        #expect(Set(all.hitNames) == ["GUARDED_ON", "GUARDED_OFF", "SUMMED"])
        #expect(Set(lazy.subrules) == Set(all.subrules))
    }

    /// `a && b`, a costly body rule and a cheaper test: when `b` reads 0
    /// (a header rule or an eval run first, or a body rule the prefilters
    /// rule out), `a` never runs; the metas read the same either way.
    static let cheapFirstRules = """
        body   __COSTLY_1    /lunch/
        body   __COSTLY_2    /lunch/
        body   __COSTLY_3    /lunch/
        body   __COSTLY_4    /lunch/
        body   __COSTLY_5    /lunch/
        body   __COSTLY_6    /lunch/
        body   __COSTLY_7    /lunch/
        header __NO_HEADER   X-Absent =~ /./
        header __HAS_SUBJECT Subject =~ /Hello/
        header __E_NOTO      eval:check_for_missing_to_header()
        body   __B_ABSENT    /zebra/
        body   __B_PRESENT   /paragraph/
        meta   HEADER_FALSE  __COSTLY_1 && __NO_HEADER
        meta   ABSENT_WORD   __COSTLY_2 && __B_ABSENT
        meta   NEGATED_TRUE  __COSTLY_3 && !__HAS_SUBJECT
        meta   EVAL_FALSE    __COSTLY_4 && __E_NOTO
        meta   BOTH_TRUE     __COSTLY_5 && __HAS_SUBJECT
        meta   BODY_RIGHT    __COSTLY_6 && __B_PRESENT
        meta   DIVIDES       (__COSTLY_7 / 0 && __NO_HEADER) + 1
        score  HEADER_FALSE 1
        score  ABSENT_WORD 1
        score  NEGATED_TRUE 1
        score  EVAL_FALSE 1
        score  BOTH_TRUE 1
        score  BODY_RIGHT 1
        score  DIVIDES 1
        """

    @Test func aCheapTestThatFailsSparesTheCostlyOne() {
        let (all, lazy) = Self.both(Self.cheapFirstRules)
        #expect(Set(all.hitNames) == ["BOTH_TRUE", "BODY_RIGHT"])
        for n in 1...7 { #expect(all.subrules.contains("__COSTLY_\(n)")) }
        // Not run: the test beside each reads 0 (or its negation does).
        for n in 1...4 { #expect(!lazy.subrules.contains("__COSTLY_\(n)"), "__COSTLY_\(n)") }
        // Run: the other test holds; a body rule left to search costs as
        // much; a division by zero on the left makes the whole meta 0,
        // which only running the left side finds.
        for n in 5...7 { #expect(lazy.subrules.contains("__COSTLY_\(n)"), "__COSTLY_\(n)") }
        #expect(lazy.subrules.contains("__B_PRESENT"))
    }

    @Test func twoThreadsLeaveTheSameSubrulesUnread() {
        var loader = ConfigLoader()
        loader.load(text: Self.lazyRules, file: "test.cf")
        let ruleSet = RuleSet(configuration: loader.configuration, skipUnseenSubrules: true)
        let views = Views(message: Message(bytes: Array(plain.utf8)))
        let one = ruleSet.evaluate(views)
        for threads in [AlongsideTests.Threads(), AlongsideTests.Threads(delay: 0.05)] {
            let two = ruleSet.evaluate(views, facts: Facts(), alongside: threads.side, probability: nil)
            AlongsideTests.same(one, two, "lazy subrules, two threads")
        }
    }
}
