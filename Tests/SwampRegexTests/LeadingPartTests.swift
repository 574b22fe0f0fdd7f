import Testing
@testable import SwampRegex
import SwampTestSupport

@Suite struct LeadingPartTests {
    /// Plain groups are opened into their pieces; the parts come longest
    /// first and never whole.
    @Test func partsOfASequence() {
        #expect(LeadingPart.all("ab(?:cd)e", options: []) == ["abcd", "abc", "ab", "a"])
        #expect(LeadingPart.all(#"\bx[yz]+(?:\s(?:ab|c))?q{2}"#, options: [])
                == [#"\bx[yz]+(?:\s(?:ab|c))?"#, #"\bx[yz]+"#, #"\bx"#, #"\b"#])
        // Nested plain groups open too.
        #expect(LeadingPart.all("(?:a(?:bc))d", options: []) == ["abc", "ab", "a"])
    }

    /// Groups that capture, repeat, have alternatives or set options are
    /// pieces of their own: opened, their meaning would change.
    @Test func groupsThatMustStayWhole() {
        #expect(LeadingPart.all("(x)(?:y)+(?i:z)(?:(?i)w)(?:u|v)t", options: [])
                == ["(x)(?:y)+(?i:z)(?:(?i)w)(?:u|v)", "(x)(?:y)+(?i:z)(?:(?i)w)", "(x)(?:y)+(?i:z)", "(x)(?:y)+", "(x)"])
        #expect(LeadingPart.all("(?:ab){3}", options: []) == [])
    }

    /// Lookarounds match no text: every part leaves them out, and the
    /// whole without them comes first. Other assertions stay.
    @Test func lookaroundsAreLeftOut() {
        #expect(LeadingPart.all("(?=m)(?!mx)m(?:a)b", options: []) == ["mab", "ma", "m"])
        #expect(LeadingPart.all(#"a(?<=a)\b(?<!b)c(?=d)+"#, options: []) == [#"a\bc"#, #"a\b"#, "a"])
        #expect(LeadingPart.all("(?=a)(?!b)", options: []) == [])
        // An atomic group is not zero-width: it stays a piece.
        #expect(LeadingPart.all("(?>ab)c", options: []) == ["(?>ab)"])
    }

    /// Nothing is made of what is not one sequence or cannot be read.
    @Test func onlyWhatItCanRead() {
        #expect(LeadingPart.all("ab|cd", options: []) == [])
        #expect(LeadingPart.all("a b c", options: [.extended]) == [])
        #expect(LeadingPart.all(#"(a)b\1"#, options: []) == [])
        #expect(LeadingPart.all("a", options: []) == [])
    }

    /// Wherever the whole pattern matches, every leading part matches:
    /// checked with PCRE2 on random texts, with assertions in the parts.
    @Test func everyPartMatchesWhereTheWholeDoes() throws {
        let patterns = [
            #"\b(?:fo(?:o|x))(?=\s)\s+(?:ba[rz])\b[.!]?$"#,
            #"(?:^|\W)(?:n(?:ame)?)\s?[:=](?:\s|_){1,4}(?:a(?:ge)?)(?<=e)\s?[:=]"#,
            #"(?:(?:x|y)z)+(?:zz(?!x))(?:x|y)"#,
            #"(?=f)(?!fox)f(?:o|x)+(?<=o)\s(?!a)(?:ba)"#,
        ]
        var rng = SplitMix64(seed: 20_261_201)
        let alphabet = Array("fobxarz nme:=_gy.!\n".utf8)
        var matched = 0
        for pattern in patterns {
            let whole = try Regex(pattern, options: [.caseless, .multiline])
            let parts = try LeadingPart.all(pattern, options: []).map { try Regex($0, options: [.caseless, .multiline]) }
            #expect(parts.count >= 3)
            for _ in 0..<20_000 {
                var text: [UInt8] = []
                for _ in 0..<Int(rng.next() % 14) { text.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
                // Seed some texts with a match of the whole.
                if rng.next() % 4 == 0 { text += Array(["foo bar", "name: age=", "xzyzzzy"][Int(rng.next() % 3)].utf8) }
                guard whole.firstMatch(in: text) != nil else { continue }
                matched += 1
                for (n, part) in parts.enumerated() {
                    #expect(part.firstMatch(in: text) != nil, "part \(n) of /\(pattern)/ misses \(String(decoding: text, as: UTF8.self))")
                }
            }
        }
        #expect(matched > 2_000)
    }
}
