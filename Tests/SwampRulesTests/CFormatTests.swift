import Foundation
import Testing
import SwampRules

@Suite struct CFormatTests {
    /// The text Foundation's `String(format:)` gives, for the formats swamp
    /// writes (Bayes notes, reports, log lines, MIME boundaries).
    @Test func sameTextAsFoundation() {
        let doubles: [Double] = [0, 1, -1, 0.5, 0.99875, 0.00005, 1e-7, 123456.789, -0.0, 5.05, -12.35, 1000,
                                 .infinity, -.infinity, .nan]
        for format: StaticString in ["%3.4f", "%.1f", "%2.1f", "%4.1f", "%4.0f", "%.15g", "%.6g"] {
            for x in doubles {
                #expect(CFormat.double(format, x) == String(format: "\(format)", x), "\(format) \(x)")
            }
        }
        for v: UInt32 in [0, 1, 61, 0xDEAD_BEEF, .max] {
            for format: StaticString in ["%08X", ".%08X", "/%08X", "=%02X"] {
                #expect(CFormat.unsigned(format, v) == String(format: "\(format)", v), "\(format) \(v)")
            }
        }
    }

    /// Text past the first buffer is formatted again whole, not cut.
    @Test func longTextIsWhole() {
        let long = CFormat.double("%.100f", 1.0 / 3)
        #expect(long == String(format: "%.100f", 1.0 / 3))
        #expect(long.utf8.count == 102)
        #expect(CFormat.unsigned("%070u", 7) == String(repeating: "0", count: 69) + "7")
    }

    /// A one-character literal is held as a scalar, with no C string behind
    /// it: it is formatted all the same.
    @Test func aOneCharacterFormat() {
        #expect(CFormat.double("x", 1) == "x")
        #expect(CFormat.unsigned("y", 1) == "y")
    }
}
