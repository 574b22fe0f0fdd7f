import Foundation
import Testing
@testable import SwampRegex
import SwampTestSupport

/// Random patterns against PCRE2 itself: whenever PCRE2 matches a subject,
/// one of the pattern's required strings (RequiredLiterals) must occur in
/// it. The patterns come from a grammar of the constructs the analysis
/// reads (escapes, classes, quantifiers, groups, inline flags, quoting,
/// comments) and of some it must give up on; each comes with an example
/// text built alongside it, so that PCRE2 matches often. Patterns PCRE2
/// rejects are skipped.
///
/// A longer search, with another seed:
///   SWAMP_FUZZ_PATTERNS=2000000 SWAMP_FUZZ_SEED=7 swift test --filter RequiredLiteralsFuzz
@Suite struct RequiredLiteralsFuzzTests {
    @Test func requiredStringsOccurInEveryMatch() {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["SWAMP_FUZZ_PATTERNS"].flatMap { Int($0) } ?? 40_000
        var generator = PatternGenerator(seed: environment["SWAMP_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_130)
        var patternsWithSet = 0, matchesChecked = 0, failures = 0
        for _ in 0..<count {
            let (pattern, example) = generator.pattern()
            let flags = generator.flags()
            let options = RegexOptions(perlFlags: flags)
            guard let re = try? Regex(pattern, options: options) else { continue }
            // Every set (allOf) must have a string in every match.
            guard let sets = RequiredLiterals.allOf(pattern, options: options) else { continue }
            patternsWithSet += 1
            let matchers = sets.map { LiteralMatcher($0, engine: .automaton) }
            subjects: for subject in generator.subjects(around: example) where re.firstMatch(in: subject) != nil {
                matchesChecked += 1
                for (set, matcher) in zip(sets, matchers) {
                    let found = matcher.occurring(in: subject)
                    let naive = set.contains { occurs($0, in: subject) }
                    if found.isEmpty || !naive {
                        failures += 1
                        if failures <= 20 {
                            Issue.record("/\(pattern)/\(flags) matches \(show(subject)) without any of \(set.map(show))")
                        }
                        break subjects
                    }
                }
            }
        }
        #expect(failures == 0)
        // The check proves something only if many patterns got a set and
        // matched.
        #expect(patternsWithSet > count / 10, "\(patternsWithSet) patterns with a set")
        #expect(matchesChecked > count / 5, "\(matchesChecked) matches checked")
    }

    /// `needle` in `haystack`, ASCII letters folded: the promise, spelt out.
    func occurs(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        func fold(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b + 32 : b }
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            needle.indices.allSatisfy { fold(haystack[start + $0]) == fold(needle[$0]) }
        }
    }

    func show(_ bytes: [UInt8]) -> String {
        "\"" + bytes.map { b in
            b >= 32 && b < 127 && b != 34 && b != 92 ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
        }.joined() + "\""
    }
}

@Suite struct LiteralMatcherPrefixCutTests {
    /// Strings that need more states than 16 bits can number are cut to
    /// prefixes; every string that occurs must still be reported.
    @Test func reportsEveryOccurringStringAfterTheCut() {
        var rng = SplitMix64(seed: 65_535)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABC0123456789 .-_/".utf8) + [0x0a, 0xc3, 0xa9]
        func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
        func fold(_ s: ArraySlice<UInt8>) -> [UInt8] { s.map { ($0 >= 65 && $0 <= 90) ? $0 + 32 : $0 } }
        // Some strings share prefixes, as rules' strings do.
        var strings: [[UInt8]] = []
        while strings.count < 9_000 {
            if let base = strings.last, rng.next() % 3 == 0 {
                strings.append(Array(base.prefix(Int(rng.next() % UInt64(base.count)))) + random(3 + Int(rng.next() % 6)))
            } else {
                strings.append(random(10 + Int(rng.next() % 7)))
            }
        }
        var prefixes = Set<ArraySlice<UInt8>>()
        for s in strings { for n in 1...s.count { prefixes.insert(fold(s[0..<n])[...]) } }
        #expect(prefixes.count > 65_535, "the strings must need the cut: \(prefixes.count) trie states")

        let matcher = LiteralMatcher(strings, engine: .automaton)
        #expect(matcher.stateCount <= 65_535)
        var byText: [[UInt8]: [Int]] = [:]
        for (n, s) in strings.enumerated() { byText[fold(s[...]), default: []].append(n) }
        let lengths = Set(strings.map(\.count))
        var reported = 0
        for _ in 0..<60 {
            var text = random(300)
            for _ in 0..<(Int(rng.next() % 6)) {
                // Embed some strings, in random case.
                let s = strings[Int(rng.next() % UInt64(strings.count))].map {
                    rng.next() % 2 == 0 && $0 >= 97 && $0 <= 122 ? $0 - 32 : $0
                }
                text.insert(contentsOf: s, at: Int(rng.next() % UInt64(text.count + 1)))
            }
            // Through `mark` with a mark value other than 1, as the engine
            // uses it, and through `occurring`.
            var marks = [UInt32](repeating: 0, count: strings.count)
            text.withUnsafeBufferPointer { matcher.mark($0, with: 7, in: &marks) }
            let listed = matcher.occurring(in: text)
            for start in text.indices {
                for n in lengths where start + n <= text.count {
                    for id in byText[fold(text[start..<(start + n)])] ?? [] {
                        reported += 1
                        #expect(marks[id] == 7 && listed.contains(id), "string \(id) occurs at \(start) but was not reported")
                    }
                }
            }
        }
        #expect(reported > 100)
    }
}

/// Builds random patterns from a small grammar, each with a text it will
/// likely match (exact for plain constructs, a guess for the rest).
struct PatternGenerator {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func percent(_ p: Int) -> Bool { below(100) < p }
    mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    /// Bytes of the subjects: letters of both cases, the punctuation the
    /// grammar spells, a control byte and two high bytes.
    static let alphabet: [UInt8] = Array("abcAB{},-]:|1 \n\\".utf8) + [0x1c, 0x7f, 0xe9]

    mutating func flags() -> String { pick(["", "", "i", "i", "m", "s", "x", "is"]) }

    mutating func pattern() -> (String, [UInt8]) { alternation(depth: 2) }

    /// The example, altered: near misses and near hits.
    mutating func subjects(around example: [UInt8]) -> [[UInt8]] {
        var out = [example]
        for _ in 0..<6 {
            var s = out[below(out.count)]
            switch below(5) {
            case 0 where !s.isEmpty: s.remove(at: below(s.count))
            case 1: s.insert(pick(PatternGenerator.alphabet), at: below(s.count + 1))
            case 2 where !s.isEmpty:
                let k = below(s.count)
                if s[k] >= 97 && s[k] <= 122 { s[k] -= 32 } else if s[k] >= 65 && s[k] <= 90 { s[k] += 32 }
            case 3: s = (0..<below(10)).map { _ in pick(PatternGenerator.alphabet) } + s
            default: s += (0..<below(4)).map { _ in pick(PatternGenerator.alphabet) }
            }
            out.append(s)
        }
        out.append((0..<below(14)).map { _ in pick(PatternGenerator.alphabet) })
        return out
    }

    mutating func alternation(depth: Int) -> (String, [UInt8]) {
        var branches = [sequence(depth: depth)]
        while percent(25) { branches.append(percent(15) ? ("", []) : sequence(depth: depth)) }
        let chosen = pick(branches)
        return (branches.map(\.0).joined(separator: "|"), chosen.1)
    }

    mutating func sequence(depth: Int) -> (String, [UInt8]) {
        var pattern = "", example: [UInt8] = []
        for _ in 0..<(1 + below(5)) {
            let (p, e) = piece(depth: depth)
            pattern += p
            example += e
        }
        return (pattern, example)
    }

    /// Items PCRE2 skips, so that a quantifier after them applies to the
    /// item before.
    mutating func ignorable() -> String { pick(["(?#c)", "(?#(|)", #"\E"#, #"\Q\E"#]) }

    mutating func piece(depth: Int) -> (String, [UInt8]) {
        var (pattern, example) = atom(depth: depth)
        guard percent(35) else { return (pattern, example) }
        if percent(15) { pattern += ignorable() }
        // Quantifiers, with the counts the example takes; the last three
        // are literal text in PCRE2 10.42 but quantifiers from 10.43 on.
        let (quantifier, counts): (String, [Int]) = pick([
            ("*", [0, 1, 2]), ("+", [1, 2]), ("?", [0, 1]), ("{2}", [2]), ("{1,2}", [1, 2]),
            ("{0,1}", [0, 1]), ("{2,}", [2, 3]), ("{0}", [0]), ("{1}", [1]),
            ("{,2}", [0, 1, 2]), ("{ 1}", [1]), ("{1", [1]),
        ])
        pattern += quantifier
        if percent(25) {
            if percent(20) { pattern += ignorable() }
            pattern += pick(["?", "+"])
        }
        let n = pick(counts)
        return (pattern, Array((0..<n).map { _ in example }.joined()))
    }

    mutating func letter() -> UInt8 { pick(Array("abcAB".utf8)) }

    /// A bracketed class of random members, ranges, escapes and POSIX
    /// look-alikes; the example is a byte it may well match.
    mutating func randomClass() -> (String, [UInt8]) {
        var text = "[" + (percent(20) ? "^" : "") + (percent(15) ? "]" : "")
        for _ in 0..<(1 + below(4)) {
            text += pick(["a", "b", "B", "a-c", "A-b", "-", ":", "[", "[:", "[:alpha:]", "[:^space:]", ":]",
                          #"\]"#, #"\\"#, #"\-"#, #"\c]"#, #"\c\"#, #"\x5d"#, #"\x{5D}"#, #"\d"#, #"\b"#, #"\n"#,
                          #"\141"#, #"\o{135}"#, #"\w"#, "a-", #"a-\x63"#, #"\x61-c"#, "|", "(", ")", "{"])
        }
        text += "]"
        return (text, [pick(PatternGenerator.alphabet + Array("[](".utf8) + [0x1d, 0x08])])
    }

    mutating func atom(depth: Int) -> (String, [UInt8]) {
        switch below(depth > 0 ? 20 : 16) {
        case 0...3:
            let l = letter()
            return (String(UnicodeScalar(l)), [percent(20) ? l ^ 0x20 : l])
        case 4, 5:
            let run = (0..<3).map { _ in letter() }
            return (String(decoding: run, as: UTF8.self), run)
        case 6:
            // Escapes of one byte.
            return pick([
                (#"\x61"#, [0x61]), (#"\x{62}"#, [0x62]), (#"\x{0063}"#, [0x63]), (#"\141"#, [0x61]),
                (#"\0141"#, [0x0c, 0x31]), (#"\o{142}"#, [0x62]), (#"\."#, [0x2e]), (#"\-"#, [0x2d]),
                (#"\]"#, [0x5d]), (#"\{"#, [0x7b]), (#"\\"#, [0x5c]), (#"\ca"#, [0x01]), (#"\c\"#, [0x1c]),
                (#"\c]"#, [0x1d]), (#"\e"#, [0x1b]), (#"\t"#, [0x09]), (#"\n"#, [0x0a]), (#"\xe9"#, [0xe9]),
                (#"\x"#, [0x00]), (#"\x4"#, [0x04]), (#"\xzz"#, [0x00, 0x7a, 0x7a]),
            ])
        case 7 where percent(50):
            return randomClass()
        case 7:
            return pick([
                ("[abc]", Array("b".utf8)), ("[^a]", Array("b".utf8)), ("[]a]", Array("]".utf8)),
                ("[^]a]", Array("b".utf8)), ("[a-c]", Array("c".utf8)), ("[A-C]", Array("b".utf8)),
                ("[[:alpha:]]", Array("a".utf8)), ("[[:^digit:]]", Array("a".utf8)), ("[[:a]", Array(":".utf8)),
                ("[[:a]|abc:]", Array("a".utf8)), (#"[\c]]"#, [0x1d]), (#"[\c\]"#, [0x1c]), (#"[\]a]"#, Array("]".utf8)),
                (#"[\x61-\x63]"#, Array("b".utf8)), (#"[\b]"#, [0x08]), (#"[\d]"#, Array("1".utf8)),
                ("[a-]", Array("-".utf8)), ("[-a]", Array("-".utf8)), ("[a-c-]", Array("-".utf8)),
                (#"[\Qa]\E]"#, Array("]".utf8)), (#"[\o{141}b]"#, Array("a".utf8)), (#"[\141]"#, Array("a".utf8)),
                ("[:a:]", Array("a".utf8)), ("[[.a.]]", Array("a".utf8)), ("[a[]", Array("[".utf8)),
                (#"[\x{61}\x{62}]"#, Array("a".utf8)), ("[Z-a]", Array("_".utf8)), (#"[\w-]"#, Array("-".utf8)),
            ])
        case 8:
            return (pick([".", #"\N"#, #"\d"#, #"\w"#, #"\s"#, #"\h"#, #"\R"#, #"\C"#, #"\X"#, #"\pL"#, #"\p{Ll}"#]),
                    [pick(Array("a1 ".utf8))])
        case 9:
            return (pick(["^", "$", #"\b"#, #"\B"#, #"\A"#, #"\z"#, #"\Z"#, #"\G"#, #"\K"#]), [])
        case 10:
            return (pick(["(?i)", "(?-i)", "(?m)", "(?s)", "(?x)", "(?xx)", "(?^)", "(?^i)", "(?n)", "(?U)", "(?J)", "(?ix)"]), [])
        case 11:
            return (pick(["(?#a|b)", "(?#(c)", "(?#)"]), [])
        case 12:
            // Quoted text; sometimes left open to the end of the pattern.
            let body = (0..<(1 + below(4))).map { _ in pick(Array("ab|)(*+?.\\[".utf8)) }
            let text = String(decoding: body, as: UTF8.self)
            return (#"\Q"# + text + (percent(90) ? #"\E"# : ""), body)
        case 13:
            // Back references and subroutine calls, good or bad.
            return (pick([#"\1"#, #"\g1"#, #"\g{1}"#, #"\g{-1}"#, #"\g-1"#, #"\g+1"#, #"\g{+1}"#, #"\k<n>"#,
                          #"\k{n}"#, #"\k'n'"#, "(?P=n)", #"\g<n>"#, #"\g'1'"#, "(?1)", "(?R)", "(?&n)",
                          "(?P>n)", #"\12"#, #"\81"#]),
                    [letter()])
        case 14:
            return pick([("{", Array("{".utf8)), ("}", Array("}".utf8)), ("{a}", Array("{a}".utf8)),
                         ("{,}", Array("{,}".utf8)), ("]", Array("]".utf8)), ("{1,a}", Array("{1,a}".utf8)),
                         ("(*ACCEPT)", []), ("(*FAIL)", []), ("(*SKIP)", []), (#"\E"#, [])])
        case 15:
            let c = pick(Array(" #|(*^$_/'<".utf8))
            return (#"\"# + String(UnicodeScalar(c)), [c])
        default:
            let (inner, example) = alternation(depth: depth - 1)
            let open = pick(["(", "(", "(?:", "(?<n>", "(?'n'", "(?P<n>", "(?>", "(?|", "(?i:", "(?-i:", "(?^:",
                             "(?s:", "(?=", "(?!", "(?<=", "(?<!", "(?x:", "(?<*", "(?*", "(?(1)", "(?(<n>)",
                             "(*napla:", "(?<!a", "(?i-s:"])
            return (open + inner + ")", example)
        }
    }
}
