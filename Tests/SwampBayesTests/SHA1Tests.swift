import Testing
import SwampTestSupport
@testable import SwampBayes

@Suite struct SHA1Tests {
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("The quick brown fox jumps over the lazy dog", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
        (String(repeating: "a", count: 1000), "291e9a6c66994949b57ba5e650361e98fc36b1ba"),
        (String(repeating: "x", count: 55), "cef734ba81a024479e09eb5a75b6ddae62e6abf1"),
        (String(repeating: "x", count: 64), "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163"),
    ])
    func knownVectors(input: String, expected: String) {
        #expect(SHA1.hexDigest(Array(input.utf8)) == expected)
    }

    /// The SHA instructions' block function gives what the Swift one gives,
    /// for random states and blocks (the known vectors above run on
    /// whichever this machine uses).
    @Test(.enabled(if: SHA1.hardware, "no SHA extensions on this processor"))
    func hardwareBlocksAgreeWithSoftware() {
        var random = SplitMix64(seed: 0x5AA1)
        func word() -> UInt32 { UInt32(truncatingIfNeeded: random.next()) }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for _ in 0..<5000 {
                let block = (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                var soft = (word(), word(), word(), word(), word())
                var hard = soft
                block.withUnsafeBufferPointer { p in
                    SHA1.softwareCompress(&soft, p.baseAddress!, w)
                    SHA1.hardwareCompress(&hard, p.baseAddress!)
                }
                #expect([soft.0, soft.1, soft.2, soft.3, soft.4] == [hard.0, hard.1, hard.2, hard.3, hard.4])
            }
        }
    }

    @Test func tokenIsLastFiveBytes() {
        // "abc" → ...c9cd0d89d: the last 5 bytes are 6c 9c d0 d8 9d.
        #expect(TokenHash(text: Array("abc".utf8)).hex == "6c9cd0d89d")
        #expect(TokenHash(hex: "6c9cd0d89d") == TokenHash(text: Array("abc".utf8)))
    }
}
