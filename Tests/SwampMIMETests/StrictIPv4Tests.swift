import Testing
@testable import SwampMIME
import SwampTestSupport

/// HostFinder.isStrictIPv4 against the rule it implements, written the
/// plain way (split at dots, four parts of 1-3 digits, no leading zero,
/// at most 255), on listed edge cases, random strings of digits and dots,
/// and random dotted numbers.
@Suite struct StrictIPv4Tests {
    static func reference(_ t: [UInt8]) -> Bool {
        let parts = t.split(separator: 46, omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ (48...57).contains($0) }) else { return false }
            if p.count > 1 && p.first == 48 { return false }
            if Int(String(decoding: p, as: UTF8.self))! > 255 { return false }
        }
        return true
    }

    @Test(arguments: ["1.2.3.4", "255.255.255.255", "0.0.0.0", "10.0.0.1", "256.1.1.1", "1.2.3", "1.2.3.4.5",
                      "01.2.3.4", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4a", "1000.1.1.1", "", "...", "1.2.3.00",
                      "199.255.249.250", "1.2.3.-4"])
    func listedCases(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(HostFinder.isStrictIPv4(bytes[...]) == Self.reference(bytes))
    }

    @Test func randomDigitsAndDots() {
        var random = SplitMix64(seed: 0x1904)
        let alphabet: [UInt8] = Array("0123456789.....2551x".utf8)
        var valid = 0
        for _ in 0..<20_000 {
            let t: [UInt8]
            if random.next() % 2 == 0 {
                let n = Int(random.next() % 17)
                t = (0..<n).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            } else {
                // Dotted numbers: three to five parts of one to four digits.
                let parts = (0..<(3 + Int(random.next() % 3))).map { _ in
                    (0..<(1 + Int(random.next() % 4))).map { _ in UInt8(48 + random.next() % 10) }
                }
                t = Array(parts.joined(separator: [46]))
            }
            let expected = Self.reference(t)
            #expect(HostFinder.isStrictIPv4(t[...]) == expected, "\(String(decoding: t, as: UTF8.self))")
            if expected { valid += 1 }
        }
        // Enough addresses among them to test the "yes" side too.
        #expect(valid > 150, "\(valid) valid")
    }
}
