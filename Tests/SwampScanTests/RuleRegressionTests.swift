import Foundation
import Testing
import SwampEngine
import SwampMIME
import SwampRules

/// Runs the `test RULE ok|fail TEXT` lines written beside swamp's own rules
/// in Rules/: each TEXT is put where the rule looks (the header it reads,
/// the body, a link) and the rule must hit (ok) or not (fail).
@Suite struct RuleRegressionTests {
    static let rulesDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Rules").path

    static func load() -> RuleSet {
        var loader = ConfigLoader()
        loader.load(path: rulesDir)
        return RuleSet(configuration: loader.configuration)
    }

    @Test func rulesLoadWithoutErrors() {
        let rules = Self.load()
        let errors = rules.diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)")
        #expect(rules.skippedEvals.isEmpty, "\(rules.skippedEvals)")
    }

    @Test func everyTestLine() throws {
        let rules = Self.load()
        let config = rules.configuration
        #expect(config.regressionTests.count >= 10)
        for test in config.regressionTests {
            let rule = try #require(config.rules[test.rule], "test for unknown rule \(test.rule)")
            var headers = "From: tester@example.net\nTo: user@example.org\nSubject: regression\nDate: Sat, 28 Nov 2026 10:00:00 +0000\nMessage-ID: <t@example.net>\n"
            var body = "Nothing to see.\n"
            switch (rule.type, rule.test) {
            case (.header, .header(let target, _, _, _)):
                headers = headers.split(separator: "\n")
                    .filter { !$0.lowercased().hasPrefix(target.name.lowercased() + ":") }
                    .joined(separator: "\n") + "\n"
                headers += "\(target.name): \(test.text)\n"
            case (.uri, _):
                body = "See \(test.text) for details.\n"
            default:
                body = test.text + "\n"
            }
            let views = Views(message: Message(bytes: Array((headers + "\n" + body).utf8)))
            let e = rules.evaluate(views)
            #expect(e.hit(test.rule) == test.shouldHit, "\(test.location): \(test.rule) \(test.shouldHit ? "ok" : "fail") \(test.text)")
        }
    }
}
