import Foundation
import Testing
@testable import SwampRegex
import SwampTestSupport

@Suite struct ExistencePatternTests {
    func trimmed(_ p: String, _ flags: String = "") -> String? {
        ExistencePattern.trimmed(p, options: RegexOptions(perlFlags: flags))
    }

    @Test func dropsWhatMayMatchEmptyAtTheEdges() {
        #expect(trimmed(#"(?:your\s)?name"#) == "name")
        #expect(trimmed(#"foo\s+"#) == #"foo\s"#)
        #expect(trimmed(#"\s*foo.*"#) == "foo")
        #expect(trimmed(#"a{2,5}b"#) == "a{2}b")
        #expect(trimmed(#"\bfoo?"#) == #"\bfo"#)
        #expect(trimmed(#"(?:a|b?c)d"#) == "(?:a|c)d")
        // A group repeated: its first copy trimmed, the rest as written.
        #expect(trimmed(#"(?:x?ab){3}"#) == "(?:ab)(?:x?ab)(?:x?ab)")
        #expect(trimmed(#"(?:x?ab?){3}"#) == "(?:ab?)(?:x?ab?)(?:x?a)")
        #expect(trimmed(#"(?:x?ab){2,4}c"#) == "(?:ab)(?:x?ab)c")
        // A capturing group's trimmed copy captures nothing.
        #expect(trimmed(#"(x?a)+b"#) == "(?:a)b")
        // Each top-level alternative on its own.
        #expect(trimmed(#"x?abc|def\d*"#) == "abc|def")
        // Settings stay where they are.
        #expect(trimmed(#"(?i)x?abc"#) == "(?i)abc")
        #expect(trimmed(#"(?i:x?ab)c"#) == "(?i:ab)c")
    }

    @Test func matchingEverywhereBecomesTheEmptyPattern() {
        #expect(trimmed("a?") == "")
        #expect(trimmed("abc|x*") == "")
        #expect(trimmed("(?:a|)") == "")
    }

    @Test func leavesAloneWhatItMustNotTouch() {
        // Unchanged.
        #expect(trimmed(#"\bfoo\b"#) == nil)
        #expect(trimmed("^a?b") == nil)
        // Possessive and atomic: skipping them is not always a way to match.
        #expect(trimmed("(?:ab)?+ab") == nil)
        #expect(trimmed("(?>a?)b") == nil)
        // Captures that something reads, and syntax not read.
        #expect(trimmed(#"(a)?b\1"#) == nil)
        #expect(trimmed("(?<n>a)?b") == nil)
        #expect(trimmed("x?a b", "x") == nil)
        #expect(trimmed(#"x?\Qab\E"#) == nil)
        #expect(trimmed("x?(?#c)a") == nil)
        #expect(trimmed("x?a{,2}") == nil)
        #expect(trimmed(#"x?\Ka"#) == nil)
        // PCRE2 10.42 reads `(a|\Ab){0}c` as anchored: such groups stay.
        #expect(trimmed(#"(a|\Ab){0}c"#) == nil)
        #expect(trimmed(#"(?:x|^y)?c"#) == nil)
        // \x4 would become \x4c without the quantifier between.
        #expect(trimmed(#"\x4+c"#) == nil)
        #expect(trimmed(#"\N+{a}"#) == nil)
    }

    /// SpamAssassin's form-filling rule, whose cost this was made for: its
    /// leading optional words go, the repeated part stays.
    @Test func fillThisFormShape() throws {
        let your = #"(?:a?\s?copy\sof\s)?(?:(?:your|din)[\s,:]{1,5})?(?:present\s|current\s){0,3}"#
        let all = #"(?:(?:first|last)?\s?name|(?:home\s)?phone)"#
        let p = "(?:" + your + all + #"[\s:]{1,4}){3}"#
        let t = try #require(trimmed(p, "i"))
        #expect(t.hasPrefix(#"(?:(?:name|phone)[\s:]{1,4})"#))
        let a = try Regex(p, options: .caseless), b = try Regex(t, options: .caseless)
        for text in ["Your first name: phone: name:", "name phone name", "name: phone:", "copy of your name: x"] {
            #expect((a.firstMatch(in: Array(text.utf8)) != nil) == (b.firstMatch(in: Array(text.utf8)) != nil), "\(text)")
        }
    }
}

/// Random patterns against PCRE2: wherever the original matches somewhere
/// in a subject, the trimmed pattern must too, and the other way round.
///   SWAMP_FUZZ_PATTERNS=2000000 SWAMP_FUZZ_SEED=7 swift test --filter ExistencePatternFuzz
@Suite struct ExistencePatternFuzzTests {
    @Test func trimmedPatternsMatchWhereTheOriginalsDo() {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["SWAMP_FUZZ_PATTERNS"].flatMap { Int($0) } ?? 40_000
        var generator = PatternGenerator(seed: environment["SWAMP_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_130)
        var trimmedCount = 0, compared = 0, failures = 0
        for _ in 0..<count {
            let (pattern, example) = generator.pattern()
            let flags = generator.flags()
            let options = RegexOptions(perlFlags: flags)
            guard let original = try? Regex(pattern, options: options),
                  let text = ExistencePattern.trimmed(pattern, options: options) else { continue }
            trimmedCount += 1
            guard let trimmed = try? Regex(text, options: options) else {
                failures += 1
                if failures <= 20 { Issue.record("/\(pattern)/\(flags) trimmed to /\(text)/, which does not compile") }
                continue
            }
            for subject in generator.subjects(around: example) {
                compared += 1
                let a = original.firstMatch(in: subject) != nil, b = trimmed.firstMatch(in: subject) != nil
                if a != b {
                    failures += 1
                    if failures <= 20 {
                        Issue.record("/\(pattern)/\(flags) \(a ? "matches" : "does not match") \(subject), /\(text)/ \(b ? "does" : "does not")")
                    }
                    break
                }
            }
        }
        #expect(failures == 0)
        // Most of the grammar's patterns hold something the rewrite does
        // not read; enough are left.
        #expect(trimmedCount > count / 40, "\(trimmedCount) patterns trimmed")
        #expect(compared > count / 8, "\(compared) subjects compared")
    }
}
