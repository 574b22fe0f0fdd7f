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
