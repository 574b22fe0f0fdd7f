import Testing
@testable import SwampRules

struct ConditionalTests {
    /// Each condition guards `body R /x/`; the rule exists iff it held.
    @Test(arguments: [
        ("version >= 3.004000", true),
        ("(version >= 4.000000)", true),
        ("version >= 4.000001", true),
        ("version > 4.000001", false),
        ("version < 4.000000", false),
        ("version == 4.000001", true),
        ("!((version >= 3.004000))", false),
        ("plugin(Mail::SpamAssassin::Plugin::ReplaceTags)", true),
        ("!plugin(Mail::SpamAssassin::Plugin::ReplaceTags)", false),
        ("plugin(Mail::SpamAssassin::Plugin::DCC)", false),
        ("plugin(Mail::SpamAssassin::Plugin::Dmarc)", true),
        ("plugin(Mail::SpamAssassin::Plugin::RaciallyCharged)", true),
        ("can(Mail::SpamAssassin::Conf::feature_bug6558_free)", true),
        ("!(can(Mail::SpamAssassin::Conf::feature_bug6558_free))", false),
        ("can(Mail::SpamAssassin::Conf::feature_no_such_thing)", false),
        ("can(Mail::SpamAssassin::Conf::compat_welcomelist_blocklist)", false),
        ("can(Mail::SpamAssassin::Conf::perl_min_version_5010000)", true),
        ("can(Mail::SpamAssassin::Plugin::DKIM::has_arc)", false),
        ("can(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length)", true),
        ("can(Mail::SpamAssassin::Plugin::BodyEval::has_nothing)", false),
        ("has(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length)", true),
        ("plugin(Mail::SpamAssassin::Plugin::BodyEval) && version >= 3.004", true),
        ("plugin(Mail::SpamAssassin::Plugin::DCC) || version >= 3.004", true),
        ("plugin(Mail::SpamAssassin::Plugin::DCC) and version >= 3.004", false),
        ("plugin(Mail::SpamAssassin::Plugin::DCC) or version >= 3.004", true),
        ("not plugin(Mail::SpamAssassin::Plugin::DCC)", true),
        ("not 1 || 1", false),
        ("!0 && 1", true),
        ("1 + 2 * 3 == 7", true),
        ("(1 + 2) * 3 == 9", true),
        ("perl_version >= 5.010", true),
        ("local_tests_only", false),
        ("0", false),
        ("1", true),
        ("-1", true),
        ("Some::Class", true),
    ])
    func condition(_ condition: String, _ expected: Bool) {
        let conf = load("""
            \(pluginPrefix)ReplaceTags
            \(pluginPrefix)DMARC
            \(pluginPrefix)BodyEval
            if \(condition)
            body R /x/
            endif
            body AFTER /y/
            """)
        #expect(conf.errors.isEmpty, "\(conf.errors)")
        #expect((conf.rules["R"] != nil) == expected)
        #expect(conf.rules["AFTER"] != nil)
    }

    @Test(arguments: ["version >=", "plugin Foo", "can(NoColons)", "plugin(", "(1", "1 )", "1 $ 2", "system('x')", "$x"])
    func unparseableConditionIsAnErrorAndFalse(_ condition: String) {
        let conf = load("if \(condition)\nbody R /x/\nelse\nbody S /x/\nendif\nbody AFTER /y/")
        #expect(conf.errors.count == 1)
        #expect(conf.errors.first?.location == SourceLocation(file: "/test/local.cf", line: 1))
        #expect(conf.rules["R"] == nil)
        #expect(conf.rules["S"] != nil)
        #expect(conf.rules["AFTER"] != nil)
    }

    @Test func ifpluginNeedsAnEarlierLoadplugin() {
        let conf = load("""
            ifplugin Mail::SpamAssassin::Plugin::URIDNSBL
            body BEFORE /x/
            endif
            \(pluginPrefix)URIDNSBL
            ifplugin Mail::SpamAssassin::Plugin::URIDNSBL
            body AFTER /x/
            endif
            """)
        #expect(conf.rules["BEFORE"] == nil)
        #expect(conf.rules["AFTER"] != nil)
        #expect(conf.plugins == ["Mail::SpamAssassin::Plugin::URIDNSBL"])
    }

    @Test func pluginsCarryAcrossFiles() {
        var loader = ConfigLoader()
        loader.load(text: "\(pluginPrefix)MIMEHeader", file: "/t/init.pre")
        loader.load(text: "ifplugin Mail::SpamAssassin::Plugin::MIMEHeader\nbody R /x/\nendif", file: "/t/a.cf")
        #expect(loader.configuration.rules["R"] != nil)
    }

    @Test func nestingAndElse() {
        let conf = load("""
            \(pluginPrefix)A
            ifplugin Mail::SpamAssassin::Plugin::A
              body A1 /x/
              ifplugin Mail::SpamAssassin::Plugin::B
                body B1 /x/
              else
                body NOTB1 /x/
                if version >= 9
                  body V9 /x/
                else
                  body NOTV9 /x/
                endif
              endif
              body A2 /x/
            else
              body NOTA /x/
              ifplugin Mail::SpamAssassin::Plugin::B
              else
                body INSIDE_FALSE /x/
              endif
            endif
            body TOP /x/
            """)
        #expect(conf.errors.isEmpty)
        #expect(Set(conf.rules.keys) == ["A1", "NOTB1", "NOTV9", "A2", "TOP"])
    }

    @Test(arguments: [
        ("endif", "'endif' without 'if'"),
        ("else", "'else' without 'if'"),
        ("if 1\nelse foo\nendif", "'else' must stand alone"),
        ("if 1\nendif foo\nendif", "'endif' must stand alone"),
        ("if", "'if' without a condition"),
        ("ifplugin", "'ifplugin' without a condition"),
        ("if 1", "unclosed 'if'"),
    ])
    func structureErrors(_ text: String, _ message: String) {
        let conf = load(text)
        #expect(conf.errors.contains { $0.message.contains(message) }, "\(conf.diagnostics)")
    }

    @Test func conditionsInSkippedBlocksAreStillChecked() {
        let conf = load("if 0\nif version >=\nbody A /x/\nendif\nendif\nbody B /x/")
        #expect(conf.errors.map(\.location?.line) == [2])
        #expect(Set(conf.rules.keys) == ["B"])
    }

    @Test func conditionalsDoNotSpanFiles() {
        var loader = ConfigLoader()
        loader.load(text: "if 0\nbody A /x/", file: "/t/a.cf")
        loader.load(text: "body B /x/", file: "/t/b.cf")
        #expect(loader.configuration.rules["A"] == nil)
        #expect(loader.configuration.rules["B"] != nil)
        #expect(loader.configuration.errors.map(\.location) == [SourceLocation(file: "/t/a.cf", line: 1)])
    }

    @Test func enableCompatDefinesCompatFunction() {
        let conf = load("""
            enable_compat welcomelist_blocklist
            if !can(Mail::SpamAssassin::Conf::compat_welcomelist_blocklist)
            meta OLD_NAME (NEW_NAME)
            endif
            """)
        #expect(conf.rules["OLD_NAME"] == nil)
        #expect(conf.otherSettings["enable_compat"] == ["welcomelist_blocklist"])
    }
}
