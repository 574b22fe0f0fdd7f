import Foundation

// Small byte-level helpers shared by the parsers. Everything in SwampMIME
// works on `[UInt8]` / `ArraySlice<UInt8>`: SpamAssassin's rules match octets,
// and byte scanning is what keeps parsing linear and fast.

@usableFromInline let cr: UInt8 = 13
@usableFromInline let lf: UInt8 = 10
@usableFromInline let sp: UInt8 = 32
@usableFromInline let tab: UInt8 = 9

extension UInt8 {
    /// Perl's ASCII `\s` in byte mode: space, \t, \n, \v, \f, \r.
    @inlinable var isSpace: Bool { self == 32 || (self >= 9 && self <= 13) }
    @inlinable var isWSP: Bool { self == 32 || self == 9 }
    @inlinable var isDigit: Bool { self >= 48 && self <= 57 }
    @inlinable var isAlpha: Bool { (self | 0x20) >= 97 && (self | 0x20) <= 122 }
    @inlinable var isAlnum: Bool { isDigit || isAlpha }
    /// Perl `\w` in byte mode.
    @inlinable var isWord: Bool { isAlnum || self == 95 }
    @inlinable var isHexDigit: Bool {
        isDigit || ((self | 0x20) >= 97 && (self | 0x20) <= 102)
    }
    @inlinable var hexValue: UInt8 {
        isDigit ? self - 48 : (self | 0x20) - 87
    }
    @inlinable var lowercasedASCII: UInt8 {
        (self >= 65 && self <= 90) ? self | 0x20 : self
    }
    @inlinable var uppercasedASCII: UInt8 {
        (self >= 97 && self <= 122) ? self & ~0x20 : self
    }
}

extension Collection where Element == UInt8 {
    @inlinable func lowercasedASCII() -> [UInt8] { map { $0.lowercasedASCII } }

    /// Case-insensitive ASCII equality with a lowercase literal.
    @inlinable func equalsLowercase(_ other: String) -> Bool {
        var it = makeIterator()
        for o in other.utf8 {
            guard let b = it.next(), b.lowercasedASCII == o else { return false }
        }
        return it.next() == nil
    }

    @inlinable func hasPrefixLowercase(_ other: String) -> Bool {
        var it = makeIterator()
        for o in other.utf8 {
            guard let b = it.next(), b.lowercasedASCII == o else { return false }
        }
        return true
    }
}

extension Array where Element == UInt8 {
    init(_ s: String) { self = Array(s.utf8) }

    @inlinable func firstIndex(of needle: [UInt8], from start: Int = 0) -> Int? {
        firstIndexOf(needle, in: self, from: start)
    }

    /// Decodes as UTF-8 with replacement; for places where a String is wanted.
    var utf8String: String { String(decoding: self, as: UTF8.self) }

    /// Latin-1 view (one Character per byte), for names that may hold
    /// arbitrary octets.
    var latin1String: String {
        String(unsafeUninitializedCapacity: count * 2) { buf in
            var i = 0
            for b in self {
                if b < 0x80 { buf[i] = b; i += 1 } else {
                    buf[i] = 0xC0 | (b >> 6); buf[i + 1] = 0x80 | (b & 0x3F); i += 2
                }
            }
            return i
        }
    }
}

/// Substring search in a byte array: memchr for the first byte, then a
/// compare; the needles here are short (boundaries, tags, keywords).
@inlinable func firstIndexOf(_ needle: [UInt8], in hay: [UInt8], from start: Int) -> Int? {
    needle.withUnsafeBufferPointer { firstIndexOf($0, in: hay, from: start) }
}

@inlinable func firstIndexOf(_ nd: UnsafeBufferPointer<UInt8>, in hay: [UInt8], from start: Int) -> Int? {
    hay.withUnsafeBufferPointer { firstIndexOf(nd, in: $0, from: start) }
}

@inlinable func firstIndexOf(_ nd: UnsafeBufferPointer<UInt8>, in h: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
    let n = nd.count
    guard n > 0 else { return start }
    guard start >= 0, h.count - start >= n, let base = h.baseAddress, let nb = nd.baseAddress else { return nil }
    var i = start
    let last = h.count - n
    while i <= last {
        guard let p = memchr(base + i, Int32(nb[0]), last - i + 1) else { return nil }
        let at = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
        if n == 1 || memcmp(base + at + 1, nb + 1, n - 1) == 0 { return at }
        i = at + 1
    }
    return nil
}

/// Naive search is fine for the short needles used here (boundaries, tags).
@inlinable func firstIndexOf<C: RandomAccessCollection>(_ needle: [UInt8], in hay: C, from start: Int) -> Int?
where C.Element == UInt8, C.Index == Int {
    let n = needle.count
    guard n > 0 else { return start }
    let first = needle[0]
    var i = Swift.max(start, hay.startIndex)
    let end = hay.endIndex - n
    while i <= end {
        if hay[i] == first {
            var j = 1
            while j < n && hay[i + j] == needle[j] { j += 1 }
            if j == n { return i }
        }
        i += 1
    }
    return nil
}

/// Case-insensitive variant: ASCII letters fold on both sides, so the
/// needle may be a literal's bytes in any case, read in place.
@inlinable func firstIndexOfCI<N: RandomAccessCollection, C: RandomAccessCollection>(_ needle: N, in hay: C,
                                                                                   from start: Int) -> Int?
where N.Element == UInt8, N.Index == Int, C.Element == UInt8, C.Index == Int {
    let n = needle.count
    guard n > 0 else { return start }
    let n0 = needle.startIndex
    var i = Swift.max(start, hay.startIndex)
    let end = hay.endIndex - n
    while i <= end {
        var j = 0
        while j < n && hay[i + j].lowercasedASCII == needle[n0 + j].lowercasedASCII { j += 1 }
        if j == n { return i }
        i += 1
    }
    return nil
}

/// Trims Perl `\s` from both ends.
@inlinable func trimSpace<C: RandomAccessCollection>(_ s: C) -> C.SubSequence
where C.Element == UInt8 {
    var lo = s.startIndex, hi = s.endIndex
    while lo < hi && s[lo].isSpace { lo = s.index(after: lo) }
    while hi > lo && s[s.index(hi, offsetBy: -1)].isSpace { hi = s.index(hi, offsetBy: -1) }
    return s[lo..<hi]
}

/// Splits into lines, each keeping its terminating LF (Perl `split /^/m`).
func splitLines(_ bytes: ArraySlice<UInt8>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = bytes.startIndex
    var i = start
    let end = bytes.endIndex
    bytes.withUnsafeBufferPointer { buf in
        let base = bytes.startIndex
        while i < end {
            if buf[i - base] == lf {
                out.append(start..<(i + 1))
                start = i + 1
            }
            i += 1
        }
    }
    if start < end { out.append(start..<end) }
    return out
}

/// A 256-entry membership table for byte classes used in hot loops.
struct ByteSet: Sendable {
    let member: [Bool]
    init(_ chars: String, extra: [UInt8] = []) {
        var t = [Bool](repeating: false, count: 256)
        for c in chars.utf8 { t[Int(c)] = true }
        for c in extra { t[Int(c)] = true }
        member = t
    }
    @inline(__always) func contains(_ c: UInt8) -> Bool { member[Int(c)] }
}

/// The ASCII characters `trimmingASCII` removes from the ends of a string.
public enum ASCIITrim: Sendable {
    /// Space and tab: Foundation's `.whitespaces`, in ASCII.
    case spaces
    /// Line feed, vertical tab, form feed, carriage return: `.newlines`.
    case newlines
    /// Both: `.whitespacesAndNewlines` (and Perl's `\s` on bytes).
    case spacesAndNewlines

    func contains(_ c: UInt8) -> Bool {
        let space = c == 32 || c == 9
        let newline = c >= 10 && c <= 13
        switch self {
        case .spaces: return space
        case .newlines: return newline
        case .spacesAndNewlines: return space || newline
        }
    }
}

extension StringProtocol {
    /// Without the ASCII characters of `set` at either end: what
    /// `trimmingCharacters(in:)` does for ASCII, without bridging to
    /// NSString (which the scan paths paid per CSS declaration, charset
    /// name and header line: ~1 % of a scan). Other Unicode spaces stay,
    /// as Perl's `\s` on bytes leaves them.
    public func trimmingASCII(_ set: ASCIITrim) -> String {
        let u = Array(utf8)
        guard let first = u.firstIndex(where: { !set.contains($0) }) else { return "" }
        let last = u.lastIndex(where: { !set.contains($0) })!
        return String(decoding: u[first...last], as: UTF8.self)
    }
}

extension StringProtocol {
    /// The first occurrence of `needle`, compared byte for byte in UTF-8, as
    /// Perl's `index` does. Foundation's `range(of:)` and `contains(_:)`
    /// bridge to NSString and compare Unicode-aware: several times slower,
    /// and paid on the scan paths per MIME part, CSS colour, Received line
    /// and rendered header.
    public func firstByteRange(of needle: String) -> Range<Index>? {
        let n = Array(needle.utf8)
        guard !n.isEmpty else { return startIndex..<startIndex }
        let found: Int?? = utf8.withContiguousStorageIfAvailable { h in
            n.withUnsafeBufferPointer { firstIndexOf($0, in: h, from: 0) }
        }
        let offset: Int?
        if let found { offset = found } else { offset = firstIndexOf(n, in: Array(utf8), from: 0) }
        guard let offset else { return nil }
        let lower = utf8.index(utf8.startIndex, offsetBy: offset)
        return lower..<utf8.index(lower, offsetBy: n.count)
    }

    /// Whether `needle` occurs, compared byte for byte (see `firstByteRange`).
    public func containsBytes(_ needle: String) -> Bool { firstByteRange(of: needle) != nil }
}
