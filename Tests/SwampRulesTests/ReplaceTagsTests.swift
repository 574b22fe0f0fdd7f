import Foundation
import Testing
import SwampTestSupport
@testable import SwampRules

struct ReplaceTagsTests {
    static let config = """
        replace_tag A a
        replace_tag B b
        replace_tag AB <A><B>
        replace_tag Z 0
        replace_inter SP [\\s]
        replace_pre P1 x
        replace_post P2 {1,2}
        body T1 /<A><B>/
        body T2 /<inter SP><A><B> <A>/
        body T3 /<post P2><A>c<B>/
        body T4 /<pre P1><A><B>/
        body T5 /<AB>/
        body T6 /<inter SP><AB><A>/i
        body T7 /<A>/
        body T8 /<A><Z><NOPE>(?<!x)<B>/
        body T9 /<inter SP><post P2><pre P1><A><B>/
        header T10 Subject =~ /<A> <B>/
        replace_rules T1 T2 T3 T4 T5 T6 T8 T9 T10
        """

    /// Expected results checked against SpamAssassin 4.0.1 itself.
    @Test(arguments: [
        ("T1", "ab"),
        ("T2", "a[\\s]b a"),         // inter only between adjacent tags
        ("T3", "a{1,2}cb{1,2}"),    // post after every tag
        ("T4", "xaxb"),             // pre before every tag
        ("T5", "ab"),               // a tag whose text has tags: another pass
        ("T6", "ab[\\s]a"),          // the inter modifier is used up by pass one
        ("T7", "<A>"),              // not in replace_rules
        ("T8", "a<Z><NOPE>(?<!x)b"), // "0" and unknown tags stay
        ("T9", "xa{1,2}[\\s]xb{1,2}"),
        ("T10", "a b"),
    ])
    func expansion(_ rule: String, _ expected: String) {
        let conf = load(Self.config)
        #expect(conf.diagnostics.isEmpty)
        #expect(conf.expandedRegex(for: rule)?.pattern == expected)
    }

    @Test func flagsKeptAndNonRegexRulesGiveNil() {
        let conf = load(Self.config + "\nbody E eval:f()\nmeta M T1\nreplace_rules E M")
        #expect(conf.expandedRegex(for: "T6")?.flags == "i")
        #expect(conf.expandedRegex(for: "E") == nil)
        #expect(conf.expandedRegex(for: "M") == nil)
        #expect(conf.expandedRegex(for: "NOPE") == nil)
    }

    @Test func customDelimiters() {
        let conf = load("replace_start %%\nreplace_end %%\nreplace_tag A a\nbody T /%%A%%x/\nreplace_rules T")
        #expect(conf.expandedRegex(for: "T")?.pattern == "ax")
    }

    @Test func explosiveExpansionIsAbandoned() {
        let conf = load("replace_tag L " + String(repeating: "<L>", count: 20) + "\nbody T /<L>/\nreplace_rules T")
        #expect(conf.expandedRegex(for: "T")?.pattern == "<L>")
    }

    @Test func expansionStopsAfterSixPasses() {
        let conf = load("replace_tag L (<L>)\nbody T /<L>/\nreplace_rules T")
        let pattern = conf.expandedRegex(for: "T")?.pattern ?? ""
        #expect(pattern == String(repeating: "(", count: 6) + "<L>" + String(repeating: ")", count: 6))
    }
}

/// The stock rules' expansions, compared with what SpamAssassin itself
/// compiles (`$conf->{test_qrs}` after `finish_parsing`), by running it.
@Suite(.enabled(if: StockConfig.available && SpamAssassinProcess.available, "SpamAssassin is not installed"))
struct ReplaceTagsAgainstSpamAssassin {
    @Test func stockExpansionsMatch() throws {
        let conf = StockConfig.load()
        let names = conf.replaceRules.filter { conf.rules[$0] != nil }.sorted()
        #expect(names.count > 80)
        let theirs = try SpamAssassinProcess.compiledPatterns(names)
        var compared = 0
        for name in names {
            guard let mine = conf.expandedRegex(for: name), let qr = theirs[name] else { continue }
            let (pattern, flags) = SpamAssassinProcess.split(qr)
            // A Latin-1 byte in a rule file is kept raw by Perl and written
            // as \xHH by swamp (same byte for PCRE2); compare only UTF-8 rules.
            guard !pattern.contains("\u{FFFD}") else { continue }
            #expect(mine.pattern == pattern, "\(name)")
            #expect(Set(mine.flags) == Set(flags), "\(name)")
            compared += 1
        }
        #expect(compared > 80)
    }
}

enum SpamAssassinProcess {
    static var available: Bool { spamAssassinModulesInstalled }

    /// Runs SpamAssassin on the stock configuration and returns the
    /// stringified compiled regex of each rule named.
    static func compiledPatterns(_ names: [String]) throws -> [String: String] {
        try run("""
            my $qrs = $sa->{conf}->{test_qrs};
            while (my $name = <STDIN>) { chomp $name; next unless $qrs->{$name};
              print "$name\\t$qrs->{$name}\\n"; }
            """, input: names.joined(separator: "\n") + "\n")
    }

    /// Loads the stock configuration in SpamAssassin, runs `body` (Perl, with
    /// `$sa` set) and reads back `key\tvalue` lines.
    static func run(_ body: String, input: String) throws -> [String: String] {
        let script = """
            use strict; use Mail::SpamAssassin;
            my $sa = Mail::SpamAssassin->new({ rules_filename => '\(StockConfig.rulesDir)',
              site_rules_filename => '\(StockConfig.siteDir)', userprefs_filename => '/dev/null',
              dont_copy_prefs => 1 });
            $sa->init(0);
            \(body)
            """
        let output = try runPerl(script, input: input)
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// Every rule SpamAssassin defines, with its kind (`$conf->{test_types}`).
    static func ruleTypes() throws -> [String: String] {
        let names = [8: "header", 9: "header_eval", 10: "body", 11: "body_eval", 12: "full", 13: "full_eval",
                     14: "rawbody", 15: "rawbody_eval", 16: "uri", 17: "uri_eval", 18: "meta", 19: "rbl_eval", 20: "empty"]
        var result: [String: String] = [:]
        for (rule, type) in try run("""
            my $t = $sa->{conf}->{test_types};
            print "$_\\t$t->{$_}\\n" for keys %$t;
            """, input: "") {
            result[rule] = Int(type).flatMap { names[$0] } ?? type
        }
        return result
    }

    /// `(?^aa:(?aa)(?i)PATTERN)` → ("PATTERN", "i").
    static func split(_ qr: String) -> (String, String) {
        var s = Substring(qr)
        guard s.hasPrefix("(?^"), let colon = s.firstIndex(of: ":"), s.hasSuffix(")") else { return (qr, "") }
        var flags = String(s[s.index(s.startIndex, offsetBy: 3)..<colon].filter { "imsx".contains($0) })
        s = s[s.index(after: colon)..<s.index(before: s.endIndex)]
        if s.hasPrefix("(?aa)") { s = s.dropFirst(5) }
        if s.hasPrefix("(?"), let close = s.firstIndex(of: ")"),
           s[s.index(s.startIndex, offsetBy: 2)..<close].allSatisfy({ "imsx".contains($0) }),
           close > s.index(s.startIndex, offsetBy: 2) {
            flags += s[s.index(s.startIndex, offsetBy: 2)..<close]
            s = s[s.index(after: close)...]
        }
        return (String(s), flags)
    }
}
