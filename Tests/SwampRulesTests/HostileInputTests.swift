import Testing
@testable import SwampRules
import SwampTestSupport


/// Garbage assembled from the language's own pieces must give diagnostics,
/// never a crash or a hang.
struct HostileInputTests {
    static let fragments = [
        "header", "body", "rawbody", "full", "uri", "meta", "mimeheader", "describe", "score", "tflags",
        "priority", "reuse", "test", "if", "ifplugin", "else", "endif", "include", "lang", "replace_tag",
        "replace_rules", "replace_inter", "replace_post", "replace_pre", "add_header", "remove_header",
        "report_safe", "rewrite_header", "dns_server", "time_limit", "loadplugin", "rules_matching(",
        "R", "__R", "Subject", "From:addr:first", "ALL:raw", "exists:", "eval:", "rbleval:", "f(", "'a'",
        "\"", "(", ")", "[if-unset:", "]", "=~", "!~", "/", "m{", "}", "m!", "!", "#", "\\#", "\\", "&&",
        "||", "+", "-", "*", "**", "<", ">", "<A>", "<inter", "<pre", "<post", "(?{", "(?<N>", "%{X}",
        "version", ">=", "3.004", "plugin(", "can(", "Mail::SpamAssassin::Plugin::X", "::", "and", "or",
        "not", "0", "1", "-1.5", "1e9", "é", "\u{0}", "\t", " ", "  ", "ok", "fail", "spam", "all", "ham",
        "~/x", "/nonexistent", "$x", "@y", ";", ":", "?", "x",
    ]

    @Test(arguments: 0..<8)
    func garbageNeverCrashes(_ seed: Int) {
        var rng = SplitMix64(state: UInt64(seed) &* 7919)
        var text = ""
        for _ in 0..<1500 {
            let n = Int.random(in: 1...8, using: &rng)
            let parts = (0..<n).map { _ in Self.fragments.randomElement(using: &rng)! }
            text += parts.joined(separator: Bool.random(using: &rng) ? " " : "") + "\n"
        }
        var loader = ConfigLoader()
        loader.load(text: text, file: "/fuzz/\(seed).cf")
        let conf = loader.configuration
        #expect(conf.files == ["/fuzz/\(seed).cf"])
        for name in conf.replaceRules { _ = conf.expandedRegex(for: name) }
        for d in conf.diagnostics { #expect(d.location != nil) }
    }

    @Test func longLinesAndDeepParentheses() throws {
        let deep = String(repeating: "(", count: 5_000) + "A" + String(repeating: ")", count: 5_000)
        let conf = load("meta M \(deep)\nbody B /\(String(repeating: "x", count: 200_000))/\nif " + String(repeating: "!", count: 10_000) + "1\nendif")
        #expect(conf.rules["M"] == nil)
        #expect(conf.rules["B"] != nil)
        #expect(conf.errors.count == 2)
        let nested = String(repeating: "(", count: 50) + "A" + String(repeating: ")", count: 50)
        #expect(load("meta M \(nested)\nbody A /x/").diagnostics.isEmpty)
    }
}
