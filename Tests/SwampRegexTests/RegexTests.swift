import Dispatch
import Synchronization
import Testing
@testable import SwampRegex

@Suite struct RegexTests {
    @Test(arguments: [
        // pattern, flags, subject, expected match
        ("foo", "", "a foo b", true),
        ("FOO", "i", "a foo b", true),
        ("FOO", "", "a foo b", false),
        ("^b", "", "a\nb", false),
        ("^b", "m", "a\nb", true),
        ("a.b", "", "a\nb", false),
        ("a.b", "s", "a\nb", true),
        ("a b c", "x", "abc", true),
        (#"(?<!x)y"#, "", "zy", true),
        (#"(?<!x)y"#, "", "xy", false),
        (#"[^]]+\]"#, "", "abc]", true),
        (#"\xe9t\xe9"#, "", "\u{e9}t\u{e9}", false),     // é is two octets in UTF-8
        (#"\xc3\xa9t\xc3\xa9"#, "", "\u{e9}t\u{e9}", true),
        (#"caf\xc3\x89"#, "i", "caf\u{e9}", false),           // /i folds ASCII only, as /aa on octets
        (#"foo$"#, "", "foo\n", true),                    // $ before a final newline, as Perl
        (#"foo\z"#, "", "foo\n", false),
    ])
    func perlSemantics(pattern: String, flags: String, subject: String, expected: Bool) throws {
        let re = try Regex(pattern, options: RegexOptions(perlFlags: flags))
        #expect(re.matches(subject) == expected)
    }

    @Test func compileErrorCarriesOffset() {
        #expect(throws: RegexError.self) { try Regex("a(b") }
        do { _ = try Regex("ab)") } catch { #expect(error.offset == 2) }
    }

    @Test func invalidUTF8IsJustBytes() throws {
        let re = try Regex(#"\xff\xfe"#)
        #expect(re.firstMatch(in: [0x41, 0xff, 0xfe, 0x42]) == 1..<3)
    }

    @Test func countsNonOverlappingMatchesLikePerlG() throws {
        let re = try Regex("ab")
        let scratch = MatchScratch()
        let subject = Array("ab ab xab".utf8)
        let r = subject.withUnsafeBufferPointer { re.countMatches($0, maximum: 10, scratch: scratch) }
        #expect(r.count == 3)
        let capped = subject.withUnsafeBufferPointer { re.countMatches($0, maximum: 2, scratch: scratch) }
        #expect(capped.count == 2)
        // An empty match advances instead of looping forever.
        let empty = try Regex("x*")
        let e = Array("abc".utf8).withUnsafeBufferPointer { empty.countMatches($0, maximum: 100, scratch: scratch) }
        #expect(e.count == 4)
    }

    /// ReDoS bait: nested quantifiers on a long non-matching subject stop at
    /// the match limit and report it instead of running for hours.
    @Test func catastrophicBacktrackingStopsAtTheLimit() throws {
        let re = try Regex("^(a+)+$")
        var limits = MatchLimits()
        limits.matchLimit = 100_000
        let scratch = MatchScratch(limits: limits)
        let subject = Array(repeating: UInt8(ascii: "a"), count: 40) + [UInt8(ascii: "!")]
        let outcome = subject.withUnsafeBufferPointer { re.search($0, scratch: scratch) }
        #expect(outcome == .limitExceeded)
    }

    /// A scratch from the pool has the limits it was taken with, whatever
    /// limits it had when it was given back.
    @Test func pooledScratchTakesTheLimitsAsked() throws {
        let re = try Regex("^(a+)+$", jit: false)
        let subject = Array(repeating: UInt8(ascii: "a"), count: 18) + [UInt8(ascii: "!")]
        var tight = MatchLimits()
        tight.matchLimit = 1_000
        for _ in 0..<3 {
            let limited = MatchScratch.take(limits: tight)
            #expect(subject.withUnsafeBufferPointer { re.search($0, scratch: limited) } == .limitExceeded)
            MatchScratch.give(limited)
            let roomy = MatchScratch.take()
            #expect(subject.withUnsafeBufferPointer { re.search($0, scratch: roomy) } == .noMatch)
            MatchScratch.give(roomy)
        }
        #expect(MatchScratch.pooled <= MatchScratch.poolLimit)
    }

    @Test func emptySubject() throws {
        let re = try Regex("^$")
        #expect(re.firstMatch(in: []) == 0..<0)
    }

    /// Machine code comes once a pattern has been searched often enough,
    /// and the answers do not change when it does.
    @Test func jitComesAfterRepeatedSearches() throws {
        let re = try Regex("b+c", options: .caseless)
        let never = try Regex("b+c", options: .caseless, jit: false)
        #expect(!re.isJIT)
        let scratch = MatchScratch()
        let subject = Array("xxBBbc yy bc".utf8)
        // Other tests scan meanwhile; the 1 % rule is met long before this.
        for _ in 0..<2_000 {
            Regex.noteScan()
            let (n, limited) = subject.withUnsafeBufferPointer { re.countMatches($0, maximum: 10, scratch: scratch) }
            #expect(n == 2 && !limited)
            #expect(subject.withUnsafeBufferPointer { never.countMatches($0, maximum: 10, scratch: scratch).count } == 2)
        }
        #expect(re.isJIT)
        #expect(!never.isJIT)
    }

    /// Threads searching one pattern while it gets its machine code all
    /// see correct answers (the JIT copy is published whole).
    @Test func jitArrivesSafelyUnderConcurrentSearches() throws {
        let re = try Regex(#"\bmoney\s+back\b"#, options: .caseless)
        let hit = Array("get your MONEY  back now".utf8)
        let miss = Array("money is not coming back".utf8)
        let wrong = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let scratch = MatchScratch()
            var bad = 0
            for _ in 0..<500 {
                Regex.noteScan()
                if hit.withUnsafeBufferPointer({ re.countMatches($0, maximum: 1, scratch: scratch).count }) != 1 { bad += 1 }
                if miss.withUnsafeBufferPointer({ re.countMatches($0, maximum: 1, scratch: scratch).count }) != 0 { bad += 1 }
            }
            wrong.withLock { $0 += bad }
        }
        #expect(wrong.withLock { $0 } == 0)
        #expect(re.isJIT)
    }

    /// A cold pattern the interpreter gives up on at its depth limit gets
    /// its machine code at once and the JIT's answer, as a warm one would.
    @Test func interpreterLimitHandsOverToJIT() throws {
        let re = try Regex("(?:a|b)*c")
        #expect(!re.isJIT)
        var limits = MatchLimits()
        limits.depthLimit = 5
        let scratch = MatchScratch(limits: limits)
        let subject = Array((String(repeating: "ab", count: 200) + "c").utf8)
        let outcome = subject.withUnsafeBufferPointer { re.search($0, scratch: scratch) }
        #expect(outcome == .match(0..<subject.count))
        #expect(re.isJIT)
        // Without JIT allowed, the limit stands.
        let interpreted = try Regex("(?:a|b)*c", jit: false)
        #expect(subject.withUnsafeBufferPointer { interpreted.search($0, scratch: scratch) } == .limitExceeded)
    }
}
