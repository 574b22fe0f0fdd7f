// ASCII byte tests the evals share (SwampMIME keeps its own internal ones:
// the engine reads header and body bytes as Perl's byte-string regexes do).

extension UInt8 {
    /// Perl's `\s` on bytes.
    var isASCIIWhitespaceByte: Bool { self == 32 || (self >= 9 && self <= 13) }
    var isASCIIDigitByte: Bool { self >= 48 && self <= 57 }
    var isASCIIAlnumByte: Bool { isASCIIDigitByte || ((self | 0x20) >= 97 && (self | 0x20) <= 122) }
    /// Perl's `\w` on bytes.
    var isASCIIWordByte: Bool { isASCIIAlnumByte || self == 95 }
}

extension Collection where Element == UInt8 {
    func lowercasedASCIIBytes() -> [UInt8] { map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }
}

extension Array where Element == UInt8 {
    /// Where `needle` first occurs at or after `from`.
    func firstIndex(of needle: [UInt8], from: Int = 0) -> Int? {
        guard !needle.isEmpty, count >= needle.count, from >= 0, from <= count - needle.count else { return nil }
        for i in from...(count - needle.count) where self[i] == needle[0] && self[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }
}
