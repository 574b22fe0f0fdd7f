import Testing
@testable import SwampRegex
import SwampTestSupport

@Suite struct RequiredLiteralsTests {
    func strings(_ pattern: String, _ flags: String = "") -> [String]? {
        RequiredLiterals.of(pattern, options: RegexOptions(perlFlags: flags))?.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [
        // pattern, flags, expected set (sorted), nil = none
        ("viagra", "i", ["viagra"]),
        ("Click Here", "", ["click here"]),
        (#"\bfree\s+money\b"#, "i", ["money"]),
        ("colou?r", "", ["color", "colour"]),
        ("(?:free)?money", "", ["freemoney", "money"]),
        ("(?:cheap|discount) meds", "i", ["cheap meds", "discount meds"]),
        ("(?:cheap|discount)\\s+meds", "i", ["cheap", "discount"]),
        ("[Vv]iagra", "", ["viagra"]),
        ("v[i1!]agra", "i", ["v!agra", "v1agra", "viagra"]),
        (#"www\.example\.com"#, "", ["www.example.com"]),
        (#"\x41BC"#, "", ["abc"]),
        ("(?i)unsubscribe", "", ["unsubscribe"]),
        ("(?=foo)bar", "", ["bar"]),
        ("(?!foo)barbaz", "", ["barbaz"]),
        ("a{3}bcd", "", ["bcd"]),
        ("winner{1,3}", "", ["winne"]),
        ("a very long required string indeed", "", ["a very long requ"]),    // cut to 16
        ("\\Qa.b*c\\E", "", ["a.b*c"]),
        ("abc{", "", ["abc{"]),                                              // a literal brace
        (#"\o{101}bc"#, "", ["abc"]),
        (#"\cAbcd"#, "", ["\u{1}bcd"]),
        (#"\g+1abc"#, "", ["abc"]),                                        // a reference forward
        (#"x\Qa|b)\Ey"#, "", ["xa|b)y"]),
        (#"[[:alpha:]]xyz"#, "", ["xyz"]),
        (#"ab[\x5d]cd"#, "", ["ab]cd"]),
    ] as [(String, String, [String]?)])
    func extracts(pattern: String, flags: String, expected: [String]?) {
        #expect(strings(pattern, flags) == expected)
    }

    @Test(arguments: [
        "a.b",                       // too short
        "foo|.*",                    // one branch needs nothing
        #"\d+"#,
        "[a-z]{10}",
        "(?x) f r e e",              // extended syntax is not followed
        "(?(1)ab|cd)",               // conditionals are not followed
        "x{,2}yz",                   // x{0,2} from PCRE2 10.43 on (literal in 10.42)
        "x{ 2}yz",                   // spaces: x{2} from PCRE2 10.43 on
        "(?<*ab>c)",                 // a non-atomic lookbehind, not a name
        #"\x{100}xy"#,               // too wide for 8-bit mode
        "ab(",                       // broken
        "(*UTF)abc",
        "abc|de",                    // "de" is too short
        "(?:abc)*",
        #"(a)\1xy"#,
    ])
    func findsNothingUseful(pattern: String) {
        #expect(strings(pattern) == nil)
    }

    /// Syntax whose reading once gave a wrong set: each pattern matches its
    /// subject in PCRE2, so its set (if any) must have a member there.
    @Test(arguments: [
        ("abcd(?#x)*", "abc"),                   // a quantifier after a comment applies to the item before
        (#"abcd\E*"#, "abc"),                   // ... after a lone \E
        (#"abcd\Q\E*"#, "abc"),                // ... after an empty quotation
        (#"x\Qabcd\E?yz"#, "xabcyz"),          // ... after a quotation: to its last byte only
        (#"\Qabc\E+(?#x)?def"#, "abccdef"),
        ("[[:a]|abcd:]]efg", "a"),               // no POSIX class: `[[:a]` is a class, then `|`
        (#"[\c]]abc"#, "\u{1d}abc"),           // \c] is one byte; the class ends after it
        (#"(a)\g'1'bcd"#, "aabcd"),             // a reference in quotes
        (#"(?<n>a)\k'n'bcd"#, "aabcd"),
    ] as [(String, String)])
    func soundOnTrickySyntax(pattern: String, subject: String) throws {
        let re = try Regex(pattern)
        let bytes = Array(subject.utf8)
        #expect(re.firstMatch(in: bytes) != nil)
        guard let set = RequiredLiterals.of(pattern, options: []) else { return }
        let text = String(decoding: bytes, as: UTF8.self).lowercased()
        #expect(set.contains { text.contains(String(decoding: $0, as: UTF8.self)) }, "\(set)")
    }

    /// Every set the pattern's matches must hit, most selective first: a
    /// concatenation keeps each piece's requirement (up to three), an
    /// alternation one set of both sides', a lookaround none.
    @Test(arguments: [
        (#"\bfree\s+money\b"#, "i", [["money"], ["free"]]),
        ("(?:cheap|discount)\\s+meds", "i", [["cheap", "discount"], ["meds"]]),
        (#"order\s+now\s+and\s+save\s+big"#, "", [["order"], ["save"], ["now"]]),   // ties: the earlier
        (#"(?:free\s+money|cash\s+prize)"#, "", [["money", "prize"], ["cash", "money"], ["free", "prize"]]),
        (#"(?=\w+foo)bar\s+bazz"#, "", [["bazz"], ["bar"]]),
        (#"free(?:\s+money)?"#, "", [["free"]]),
        (#"(?:free\s+money)+"#, "", [["money"], ["free"]]),
        ("x.y", "", nil),
    ] as [(String, String, [[String]]?)])
    func allSetsOfAConcatenation(pattern: String, flags: String, expected: [[String]]?) {
        let sets = RequiredLiterals.allOf(pattern, options: RegexOptions(perlFlags: flags))
        #expect(sets?.map { $0.map { String(decoding: $0, as: UTF8.self) } } == expected)
        // The single best set is the first of them.
        #expect(RequiredLiterals.of(pattern, options: RegexOptions(perlFlags: flags)) == sets?.first)
    }

    @Test func extendedFlagGivesUp() {
        #expect(strings("f r e e money", "x") == nil)
    }

    /// The promise: whenever the pattern matches, one of its strings occurs
    /// in the text (ASCII case folded). Checked over random texts made of
    /// fragments of the pattern's own text, so matches are common and so
    /// are near misses.
    @Test(arguments: [
        ("(?:abc|cde)e?f+ghi", "i", "abc cde e f ghi x"), ("x[yz]{1,2}w(?:uv|vu)", "", "x y z w uv vu u"),
        ("(?:foo|bar)baz|quxx", "i", "foo bar baz qu xx fo"), ("a(?=bc)bcd", "", "a bc bcd d"),
        (#"\bfoo\b.{0,3}bar"#, "s", "foo bar  \n x ba"), ("(?i:ab)Cde", "", "ab AB C c de"),
        ("[ab][cd][ef]gh", "", "a b c d e f gh g"), ("xab?c?d?ez", "", "xa b c d ez"),
        ("(?:a|b|c)(?:d|e|f)(?:g|h)xy", "", "a b c d e f g h xy x"),
    ] as [(String, String, String)])
    func soundOnRandomTexts(pattern: String, flags: String, fragments: String) throws {
        let options = RegexOptions(perlFlags: flags)
        let re = try Regex(pattern, options: options)
        let set = try #require(RequiredLiterals.of(pattern, options: options))
        let matcher = LiteralMatcher(set)
        let pieces = fragments.split(separator: " ", omittingEmptySubsequences: false).map { Array($0.utf8) }
        var rng = SplitMix64(seed: UInt64(pattern.utf8.count) &* 7919)
        var matched = 0
        for _ in 0..<20000 {
            var text: [UInt8] = []
            for _ in 0..<(Int(rng.next() % 8) + 1) {
                text += pieces[Int(rng.next() % UInt64(pieces.count))].map {
                    rng.next() % 4 == 0 && $0 >= 97 && $0 <= 122 ? $0 - 32 : $0
                }
            }
            guard re.firstMatch(in: text) != nil else { continue }
            matched += 1
            #expect(!matcher.occurring(in: text).isEmpty, "\(pattern) matched \(String(decoding: text, as: UTF8.self)) without \(set)")
        }
        #expect(matched > 10, "few random texts matched \(pattern): the check proved little")
    }
}

@Suite struct LiteralMatcherTests {
    @Test func findsEveryOccurringStringIgnoringCase() {
        let words = ["he", "she", "his", "hers", "viagra", "xyz"].map { Array($0.utf8) }
        let matcher = LiteralMatcher(words)
        #expect(matcher.occurring(in: Array("uSHErs buy VIAGRA".utf8)) == [0, 1, 3, 4])
    }

    /// Automata of a few strings each, reporting them by numbers of a
    /// larger set, mark one array between them as one automaton of all
    /// the strings would (the header views' per-view tables).
    @Test func automataReportTheNumbersGiven() {
        let all = ["free", "money", "viagra", "click", "here", "ee"].map { Array($0.utf8) }
        let whole = LiteralMatcher(all, engine: .automaton)
        let parts: [[Int32]] = [[1, 3], [0, 5], [2, 4]]
        let matchers = parts.map { ids in LiteralMatcher(ids.map { all[Int($0)] }, engine: .automaton, reporting: ids) }
        #expect(matchers.map(\.count) == [4, 6, 5])
        for text in ["FREE money, click HERE", "viagra", "nothing at all", "eek"] {
            let bytes = Array(text.utf8)
            var marks = [UInt32](repeating: 0, count: all.count)
            for m in matchers { bytes.withUnsafeBufferPointer { m.mark($0, with: 7, in: &marks) } }
            let found = Set(marks.indices.filter { marks[$0] == 7 })
            #expect(found == whole.occurring(in: bytes), "\(text)")
        }
    }

    /// Each piece looked at alone, with Hyperscan and with the automaton:
    /// a string's bit is set for exactly the pieces it occurs in (an
    /// occurrence across two pieces counts in neither).
    @Test(arguments: [LiteralMatcher.Engine.automatic, .automaton])
    func marksThePiecesEachStringOccursIn(engine: LiteralMatcher.Engine) {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("abcAB \u{7f}".utf8) + [0xe9]
        func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
        for round in 0..<40 {
            let words = (0..<15).map { _ in random(Int(rng.next() % 3) + 1) }
            let matcher = LiteralMatcher(words, engine: engine)
            // Up to 150 pieces (three words of bits), some empty.
            let count = round == 0 ? 130 : Int(rng.next() % 150) + 1
            var text: [UInt8] = [], ranges: [Range<Int>] = []
            for _ in 0..<count {
                let piece = random(Int(rng.next() % 12))
                if !ranges.isEmpty { text.append(10) }
                ranges.append(text.count..<(text.count + piece.count))
                text += piece
            }
            let words64 = (count + 63) / 64
            var bits = [UInt64](repeating: 0, count: words.count * words64)
            text.withUnsafeBufferPointer { t in
                ranges.withUnsafeBufferPointer { matcher.markPieces(t, pieces: $0, words: words64, into: &bits) }
            }
            for (n, r) in ranges.enumerated() {
                let found = matcher.occurring(in: Array(text[r]))
                for w in words.indices {
                    let bit = bits[w * words64 + n / 64] & (1 << UInt64(n % 64)) != 0
                    #expect(bit == found.contains(w), "round \(round) piece \(n) string \(w)")
                }
            }
        }
    }

    @Test func agreesWithNaiveSearch() {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array("abcAB\u{7f}".utf8) + [0xe9, 0xff]
        func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
        func fold(_ s: [UInt8]) -> [UInt8] { s.map { ($0 >= 65 && $0 <= 90) ? $0 + 32 : $0 } }
        for _ in 0..<50 {
            let words = (0..<20).map { _ in random(Int(rng.next() % 4) + 1) }
            let matcher = LiteralMatcher(words)
            let text = random(200)
            let found = matcher.occurring(in: text)
            let folded = fold(text)
            for (n, w) in words.enumerated() {
                let fw = fold(w)
                let naive = folded.count >= fw.count && (0...(folded.count - fw.count)).contains {
                    Array(folded[$0..<($0 + fw.count)]) == fw
                }
                #expect(found.contains(n) == naive)
            }
        }
    }
}
