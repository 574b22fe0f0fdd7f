import Testing
@testable import SwampRules

private func header(_ name: String, _ mods: [String], _ re: String, _ flags: String, _ neg: Bool, _ unset: String?) -> RuleTest {
    RuleTest.header(HeaderTarget(name: name, modifiers: mods), PerlRegex(pattern: re, flags: flags), negated: neg, ifUnset: unset)
}

struct RuleTests {
    @Test(arguments: [
        ("header R Subject =~ /foo/i", RuleType.header, header("Subject", [], "foo", "i", false, nil)),
        ("header R Subject !~ /foo/", .header, header("Subject", [], "foo", "", true, nil)),
        ("header R Subject=~/foo/", .header, header("Subject", [], "foo", "", false, nil)),
        ("header R From:addr =~ /@x\\.com$/", .header, header("From", ["addr"], "@x\\.com$", "", false, nil)),
        ("header R To:first:addr =~ /a/", .header, header("To", ["first", "addr"], "a", "", false, nil)),
        ("header R ALL:raw =~ m{=\\?}", .header, header("ALL", ["raw"], "=\\?", "", false, nil)),
        ("header R X-Spam-Relays-External =~ /^[^\\]]+ rdns= /", .header, header("X-Spam-Relays-External", [], "^[^\\]]+ rdns= ", "", false, nil)),
        ("header R Subject: =~ /x/", .header, header("Subject", [], "x", "", false, nil)),
        ("header R X-Foo =~ /^$/ [if-unset: unset]", .header, header("X-Foo", [], "^$", "", false, "unset")),
        ("header R X-Foo =~ /^a b$/ [if-unset: two words]", .header, header("X-Foo", [], "^a b$", "", false, "two words")),
        ("header R exists:X-Mailer", .header, RuleTest.exists("X-Mailer")),
        ("header R exists:X-Mailer:", .header, RuleTest.exists("X-Mailer")),
        ("header R eval:check_for_missing_to_header()", .header, RuleTest.eval(function: "check_for_missing_to_header", arguments: [])),
        ("header R eval:check_rbl('zen', 'zen.spamhaus.org.', '127.0.0.2')", .header,
         RuleTest.eval(function: "check_rbl", arguments: ["zen", "zen.spamhaus.org.", "127.0.0.2"])),
        ("header R rbleval:check_rbl_sub('zen', '127.0.0.2')", .header, RuleTest.eval(function: "check_rbl_sub", arguments: ["zen", "127.0.0.2"])),
        ("header R From eval:check_x(1)", .header, RuleTest.eval(function: "check_x", arguments: ["1"])),
        ("header R eval:f(1, 2.5,-3 ,\"a,b\", 'it''s', 10.0.0.1, ::1)", .header,
         RuleTest.eval(function: "f", arguments: ["1", "2.5", "-3", "a,b", "it''s", "10.0.0.1", "::1"])),
        ("body R /hello\\s+world/i", .body, RuleTest.regex(PerlRegex(pattern: "hello\\s+world", flags: "i"))),
        ("body R eval:check_body_length('500')", .body, RuleTest.eval(function: "check_body_length", arguments: ["500"])),
        ("rawbody R m{<br>}i", .rawbody, RuleTest.regex(PerlRegex(pattern: "<br>", flags: "i"))),
        ("rawbody R eval:check_x()", .rawbody, RuleTest.eval(function: "check_x", arguments: [])),
        ("full R /^Received:/m", .full, RuleTest.regex(PerlRegex(pattern: "^Received:", flags: "m"))),
        ("full R eval:check_razor2()", .full, RuleTest.eval(function: "check_razor2", arguments: [])),
        ("uri R /\\.example\\.com/", .uri, RuleTest.regex(PerlRegex(pattern: "\\.example\\.com", flags: ""))),
        ("uri R eval:check_uri_x()", .uri, RuleTest.eval(function: "check_uri_x", arguments: [])),
        ("meta R A && !B", .meta, RuleTest.meta(.binary("&&", .rule("A"), .not(.rule("B"))))),
        ("meta R (A + B) > 1", .meta, RuleTest.meta(.binary(">", .binary("+", .rule("A"), .rule("B")), .number(1)))),
        ("mimeheader R Content-Type =~ /pdf/i", .mimeheader, header("Content-Type", [], "pdf", "i", false, nil)),
        ("mimeheader R Content-Type:raw !~ /x/ [if-unset: none]", .mimeheader, header("Content-Type", ["raw"], "x", "", true, "none")),
    ])
    func ruleForms(_ line: String, _ type: RuleType, _ test: RuleTest) {
        let conf = load(line + "\n")
        #expect(conf.errors.isEmpty, "\(conf.errors)")
        let rule = conf.rules["R"]
        #expect(rule?.type == type)
        #expect(rule?.test == test)
        #expect(rule?.location == SourceLocation(file: "/test/local.cf", line: 1))
    }

    @Test(arguments: [
        "header R",
        "header R Subject",
        "header R Subject =~ foo",
        "header R Subject =~ /foo",
        "header R Subject:bogus =~ /x/",
        "header R Subject:RAW =~ /x/",
        "header R exists:Bad/Name",
        "header R eval:nofunction",
        "header R eval:f('unterminated)",
        "header R eval:f(a_b)",
        "header 9R Subject =~ /x/",
        "header R-X Subject =~ /x/",
        "body R foo",
        "body R /a/b/",
        "body R /x/e",
        "body R /(?{ 1 })/",
        "body R eval:",
        "body R eval:f(",
        "rawbody R",
        "full R m{x",
        "uri R x",
        "meta R A &&",
        "meta R A ** 2",
        "meta R $x",
        "meta R A::B",
        "meta R {A}",
        "mimeheader R Content-Type",
        "mimeheader R Content-Type =~ x",
        "body \(String(repeating: "X", count: 101)) /x/",
    ])
    func malformedRulesAreErrorsAndSkipped(_ line: String) {
        let conf = load(line + "\nbody AFTER /ok/\n")
        #expect(conf.errors.count == 1, "\(conf.diagnostics)")
        #expect(conf.errors.first?.location?.line == 1)
        #expect(conf.rules["R"] == nil)
        #expect(conf.rules["AFTER"] != nil)
    }

    @Test func redefinitionReplacesButKeepsFirstOrder() {
        let conf = load("""
            body A /1/
            body B /2/
            header A Subject =~ /3/
            """)
        #expect(conf.ruleOrder == ["A", "B"])
        #expect(conf.rules["A"]?.type == .header)
        #expect(conf.rules["A"]?.location.line == 3)
    }

    @Test func ruleSettings() {
        let conf = load("""
            body A /x/
            describe A Says x
            score A 2.5
            score B 1 2 3 -4.5
            score C (1)
            score A (0.5) (1) (0) (-1)
            tflags A multiple maxhits=5
            priority A -100
            reuse R_OLD R_OLD_ALT
            test A ok some text with x
            test A fail nothing here
            """)
        #expect(conf.descriptions["A"] == "Says x")
        #expect(conf.scores["A"] == [3.0, 3.5, 2.5, 1.5])
        #expect(conf.scores["B"] == [1, 2, 3, -4.5])
        #expect(conf.scores["C"] == nil)
        #expect(conf.errors.count == 1)  // relative score without a score
        #expect(conf.tflags["A"] == ["multiple", "maxhits=5"])
        #expect(conf.priorities["A"] == -100)
        #expect(conf.reuse["R_OLD"] == ["R_OLD_ALT"])
        #expect(conf.placeholderRules["R_OLD"]?.line == 9)
        #expect(conf.regressionTests == [
            RegressionTest(rule: "A", shouldHit: true, text: "some text with x", location: SourceLocation(file: "/test/local.cf", line: 10)),
            RegressionTest(rule: "A", shouldHit: false, text: "nothing here", location: SourceLocation(file: "/test/local.cf", line: 11)),
        ])
        #expect(conf.scoreLocations["B"]?.line == 4)
    }

    @Test(arguments: [
        "score A", "score A 1 2", "score A 1 2 3", "score A x", "score A +1", "score A 1.", "score A .5",
        "describe A", "tflags A", "priority A", "priority A x", "priority 1A 5", "reuse", "reuse A-B",
        "test A", "test A maybe text", "test A ok",
    ])
    func badRuleSettings(_ line: String) {
        let conf = load(line)
        #expect(conf.errors.count == 1, "\(conf.diagnostics)")
    }

    @Test func scoreForUndefinedRuleIsFine() {
        let conf = load("score NO_SUCH_RULE 1\ndescribe NO_SUCH_RULE x\ntflags NO_SUCH_RULE net")
        #expect(conf.diagnostics.isEmpty)
        #expect(conf.scores["NO_SUCH_RULE"] == [1, 1, 1, 1])
    }

    @Test func reuseDoesNotOverwriteARule() {
        let conf = load("body A /x/\nreuse A\nreuse B\nbody B /y/")
        #expect(conf.rules["A"]?.test == .regex(PerlRegex(pattern: "x", flags: "")))
        #expect(conf.placeholderRules.isEmpty)
        #expect(conf.ruleOrder == ["A", "B"])
    }

    @Test func askdnsDefinesAPlaceholder() {
        let conf = load("askdns __X _SENDERDOMAIN_.dbl.example A 127.0.1.2")
        #expect(conf.placeholderRules["__X"] != nil)
        #expect(conf.otherSettings["askdns"] == ["__X _SENDERDOMAIN_.dbl.example A 127.0.1.2"])
    }

    @Test func metaWarnings() {
        let conf = load("""
            body A /x/
            meta M1 A && MISSING
            meta M2 A || R
            meta M3 A && !local_tests_only
            reuse R
            """)
        #expect(conf.errors.isEmpty)
        #expect(conf.warnings.map(\.message) == ["meta M1 refers to undefined rule MISSING"])
        #expect(conf.warnings.first?.location?.line == 2)
    }

    @Test func metaWarningsWaitForTheWholeLoad() {
        var loader = ConfigLoader()
        loader.load(text: "meta M A", file: "/t/a.cf")
        #expect(loader.configuration.warnings.count == 1)
        loader.load(text: "body A /x/", file: "/t/b.cf")
        #expect(loader.configuration.warnings.isEmpty)
    }

    @Test func rulesMatching() {
        let conf = load("""
            body FOO_1 /x/
            body FOO_2 /x/
            body BAR /x/
            score FOO_3 1
            meta FOO_ANY rules_matching(FOO_*) > 1
            meta NONE rules_matching(QQQ?) == 0
            """)
        #expect(conf.errors.isEmpty, "\(conf.errors)")
        guard case .meta(let e) = conf.rules["FOO_ANY"]?.test else { Issue.record("no meta"); return }
        #expect(render(e) == "(((FOO_1 + FOO_2) + FOO_3) > 1)")
        guard case .meta(let n) = conf.rules["NONE"]?.test else { Issue.record("no meta"); return }
        #expect(render(n) == "(0 == 0)")
    }

    @Test func captureTemplatesAndNamedCaptures() {
        let conf = load("""
            header __GB_TO_ADDR To:addr =~ /(?<GB_TO_ADDR>.+)/
            uri T_GB_X /\\#%{GB_TO_ADDR}$/
            priority __GB_TO_ADDR 5
            """)
        #expect(conf.captureRules == ["__GB_TO_ADDR"])
        #expect(conf.priorities["__GB_TO_ADDR"] == 5)
        #expect(conf.captureTemplates["T_GB_X"] == ["GB_TO_ADDR"])
        #expect(conf.rules["T_GB_X"]?.test == .regex(PerlRegex(pattern: "#%\\{GB_TO_ADDR\\}$", flags: "")))
    }
}
