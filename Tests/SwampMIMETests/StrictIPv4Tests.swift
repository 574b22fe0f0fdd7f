import Testing
@testable import SwampMIME

/// HostFinder.isStrictIPv4 against the rule it implements, written the
/// plain way (split at dots, four parts of 1-3 digits, no leading zero,
/// at most 255), on listed edge cases and random strings of digits and dots.
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
        var random = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("0123456789.....2551x".utf8)
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...16, using: &random)
            let t = (0..<n).map { _ in alphabet.randomElement(using: &random)! }
            #expect(HostFinder.isStrictIPv4(t[...]) == Self.reference(t), "\(String(decoding: t, as: UTF8.self))")
        }
    }
}
