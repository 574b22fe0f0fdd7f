import Foundation
import Testing
@testable import SwampRegex
import SwampTestSupport

/// SubroutineRepeats: repeated long groups as subroutine calls, so that
/// patterns too large for a PCRE2 built with link size 2 compile, and
/// match as written.
@Suite struct SubroutineRepeatsTests {
    @Test func rewritesRepeatsAndRepeatedGroups() {
        let x = "(?:alpha|beta|gamma|delta|epsilon)"
        #expect(SubroutineRepeats.rewritten("\(x){5}z")
                == "(?:(?<swamp_r1>alpha|beta|gamma|delta|epsilon)(?&swamp_r1){4})z")
        // Unbounded repeats stay (PCRE2 copies the group once for them).
        #expect(SubroutineRepeats.rewritten("\(x){2,}") == nil)
        #expect(SubroutineRepeats.rewritten("\(x){0,3}") == "(?:(?<swamp_r1>alpha|beta|gamma|delta|epsilon)(?&swamp_r1){0,2})?")
        // Written twice: named where first seen, called after (its own
        // quantifier kept).
        #expect(SubroutineRepeats.rewritten("a\(x)b\(x)+c") == "a(?<swamp_r1>alpha|beta|gamma|delta|epsilon)b(?&swamp_r1)+c")
        // Nothing to gain, or unsafe to touch: nil. A group that can match
        // the empty string stays too.
        #expect(SubroutineRepeats.rewritten("(?:ab){5}") == nil)
        #expect(SubroutineRepeats.rewritten("(?:alpha|beta|gamma|delta|epsilon|){5}") == nil)
        #expect(SubroutineRepeats.rewritten("(?:(?:alpha|beta|gamma|delta|epsilon)?){5}") == nil)
        #expect(SubroutineRepeats.rewritten("(?:\\b(?=alpha|beta|gamma|delta|epsilon)$){5}") == nil)
        #expect(SubroutineRepeats.rewritten("\(x){5}?") == nil)
        #expect(SubroutineRepeats.rewritten("(a)\(x){5}\\1") == nil)
        #expect(SubroutineRepeats.rewritten("(?i)\(x){5}") == nil)
        #expect(SubroutineRepeats.rewritten("\\Q(?:\\E\(x){5}") == nil)
        // A comment's text is not syntax: `[` in it opens no class.
        #expect(SubroutineRepeats.rewritten("(?#[)\(x){5}]") == nil)
        #expect(SubroutineRepeats.rewritten("[(?:]\(x){5}") == "[(?:](?:(?<swamp_r1>alpha|beta|gamma|delta|epsilon)(?&swamp_r1){4})")
    }

    /// A pattern over PCRE2's code limit here compiles through the rewrite
    /// and finds what Perl finds.
    @Test func tooLargePatternsCompile() throws {
        let field = "(?:" + (0..<300).map { "field\($0)name" }.joined(separator: "|") + ")"
        let pattern = "(?:\(field)(?:\\s?[:=]\\s?|\\sand\\s)){40}"
        let subject = Array(((0..<45).map { "field\($0 % 60)name: " }.joined()).utf8)
        // As written it is too large for this PCRE2 (a back-reference
        // keeps the rewrite off).
        #expect(throws: RegexError.self) { try Regex(pattern + "()\\1", options: .caseless) }
        let re = try Regex(pattern, options: .caseless)
        #expect(re.firstMatch(in: subject) == 0..<(40 * "fieldNname: ".count + (40 - 10)))
        #expect(re.firstMatch(in: Array("field1name: field2name".utf8)) == nil)
    }

    /// Random patterns of groups under counted repeats and groups written
    /// again, every group a candidate: the rewritten pattern finds the same
    /// first match, start and end, in every subject and from every start.
    @Test func rewrittenPatternsMatchAsWritten() {
        var rng = SplitMix64(seed: 20_261_202)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var groups: [String] = []
        func atom(_ depth: Int) -> String {
            switch below(depth > 0 ? 12 : 8) {
            case 0: return "a"
            case 1: return "b"
            case 2: return "[ab]"
            case 3: return "."
            case 4: return "\\d"
            case 5: return "ab"
            case 6: return ["a*", "b+", "a?", "(?=a)", "\\b", "^", "$"][below(7)]
            case 7 where !groups.isEmpty: return groups[below(groups.count)]
            default:
                var branches: [String] = []
                for _ in 0..<(1 + below(3)) { branches.append((0..<(1 + below(3))).map { _ in atom(depth - 1) }.joined()) }
                let group = (below(4) == 0 ? "(" : "(?:") + branches.joined(separator: "|") + ")"
                if below(3) == 0 { groups.append(group) }
                let quantifier = ["", "", "{2}", "{3}", "{0,2}", "{1,3}", "{2,}", "{0,}", "+", "*", "?", "{2}?", "{1,2}+"][below(13)]
                return group + quantifier
            }
        }
        var rewritten = 0, compared = 0, failures = 0, limited = 0
        for n in 0..<6_000 {
            groups = []
            let pattern = (0..<(1 + below(4))).map { _ in atom(3) }.joined()
            let options: RegexOptions = n % 3 == 0 ? [.caseless] : (n % 3 == 1 ? [.multiline] : [.dotAll])
            guard let re = try? Regex(pattern, options: options),
                  let smaller = SubroutineRepeats.rewritten(pattern, minimumLength: 1),
                  let re2 = try? Regex(smaller, options: options) else { continue }
            rewritten += 1
            for _ in 0..<12 {
                let subject = Array((0..<below(24)).map { _ in ["a", "b", "A", "1", " ", "\n"][below(6)] }.joined().utf8)
                for start in [0, 1, subject.count / 2] where start <= subject.count {
                    compared += 1
                    let (a, b) = MatchScratch.borrowing { scratch in
                        subject.withUnsafeBufferPointer { (re.search($0, from: start, scratch: scratch),
                                                           re2.search($0, from: start, scratch: scratch)) }
                    }
                    // The calls cost PCRE2 more steps: a pattern that
                    // backtracks wildly may reach the match limit only
                    // rewritten (counted; Perl, which has no limit, is
                    // what both stand for).
                    if a == .limitExceeded || b == .limitExceeded { limited += 1; continue }
                    if a != b {
                        failures += 1
                        if failures <= 10 { Issue.record("/\(pattern)/ as /\(smaller)/ from \(start) in \(subject): \(a) against \(b)") }
                    }
                }
            }
        }
        #expect(failures == 0)
        #expect(rewritten > 1_000, "\(rewritten) patterns rewritten")
        #expect(compared > 10_000)
        #expect(limited * 200 < compared, "\(limited) of \(compared) searches reached the match limit")
    }
}

/// `runPerl` with more than a pipe holds each way: Perl answers as it
/// reads, so writing everything before reading would wait for ever.
@Suite struct RunPerlTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: perlPath), "needs Perl"), .timeLimit(.minutes(10)))
    func moreThanAPipeEachWay() throws {
        let input: [UInt8] = (0..<20_000).flatMap { Array("line \($0) of a long input\n".utf8) } + [0xff, 10]
        #expect(input.count > 400_000)
        let output = try runPerl("binmode STDIN; binmode STDOUT; while (<STDIN>) { print }", bytes: input)
        #expect(output == input)
    }
}
