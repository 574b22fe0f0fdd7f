/// Looser versions of patterns for the Hyperscan prefilter stage: each
/// rewrite matches at least what the original matches, so a text the loose
/// pattern does not match cannot match the original either.
extension MultiPattern {
    /// In long groups of alternatives, every alternative that spells one
    /// UTF-8 character (a lead byte, then continuation bytes) is replaced by
    /// one `[lead bytes][\x80-\xbf]{1,3}` for them all; the other
    /// alternatives stay as they are. SpamAssassin's ReplaceTags spell each
    /// letter of its FUZZY_* rules as such a group, hundreds of bytes of
    /// look-alike characters, which makes a megabyte of Hyperscan database
    /// per rule; loosened, a few kilobytes.
    public static func loosened(_ pattern: String, minimumLength: Int = 48) -> String {
        let b = Array(pattern.utf8)
        return LoosenParser.rewriting(b) { i in
            guard b[i] == UInt8(ascii: "("), i + 2 < b.count, b[i + 1] == UInt8(ascii: "?"), b[i + 2] == UInt8(ascii: ":"),
                  let (end, replacement) = LoosenParser.loosenGroup(b, i), end - i > minimumLength else { return nil }
            return (end, replacement)
        }
    }
}

/// Reads alternatives made of one-byte atoms (bytes, one-byte escapes,
/// classes) and nested `(?:...)` groups of the same, and works out which
/// bytes they can start with and contain.
struct LoosenParser {
    let bytes: [UInt8]
    var position: Int

    /// What a piece can match: byte lengths from `minimum` to `maximum`,
    /// the bytes a match can start with, and the bytes it can hold after
    /// its first.
    struct Shape {
        var minimum: Int
        var maximum: Int
        var first: Set<UInt8>
        var rest: Set<UInt8>
    }

    static let continuation = Set<UInt8>(0x80...0xbf)
    static let leads = Set<UInt8>(0xc0...0xff)

    /// The group at `start` ("(?:" there) rewritten, and the index after
    /// it; nil when no alternative is a UTF-8 character or the group is
    /// not of this grammar.
    static func loosenGroup(_ b: [UInt8], _ start: Int) -> (Int, [UInt8])? {
        // Split the group into top-level alternatives by text.
        var branches: [Range<Int>] = []
        var j = start + 3, depth = 0, branchStart = start + 3
        while j < b.count {
            let c = b[j]
            if c == UInt8(ascii: "\\") { j = PatternSyntax.escapeEnd(b, j); continue }
            if c == UInt8(ascii: "[") { guard let e = PatternSyntax.classEnd(b, j) else { return nil }; j = e; continue }
            if c == UInt8(ascii: "(") { depth += 1 }
            if c == UInt8(ascii: ")") {
                if depth == 0 { break }
                depth -= 1
            }
            if c == UInt8(ascii: "|"), depth == 0 {
                branches.append(branchStart..<j)
                branchStart = j + 1
            }
            j += 1
        }
        guard j < b.count else { return nil }
        branches.append(branchStart..<j)
        var characters: Set<UInt8> = []
        var kept: [Range<Int>] = []
        for r in branches {
            var p = LoosenParser(bytes: Array(b[r]), position: 0)
            if let shape = p.alternation(), p.position == r.count, shape.minimum >= 2, shape.maximum <= 4,
               shape.first.isSubset(of: leads), shape.rest.isSubset(of: continuation) {
                characters.formUnion(shape.first)
            } else {
                kept.append(r)
            }
        }
        guard !characters.isEmpty else { return nil }
        var out = Array("(?:".utf8)
        for r in kept { out += b[r]; out.append(UInt8(ascii: "|")) }
        out += Array("[".utf8)
        for c in characters.sorted() { out += Array(hex(c).utf8) }
        out += Array("][\\x80-\\xbf]{1,3})".utf8)
        return (j + 1, out)
    }

    /// `pattern` with what `rewrite` replaces: it is asked at every byte
    /// outside escapes and classes (which are copied whole) and gives the
    /// index after what it replaced and the replacement, or nil.
    /// `escape`, given an escape's start and end, may replace it whole.
    static func rewriting(_ b: [UInt8], escape: (Int, Int) -> [UInt8]? = { _, _ in nil },
                          _ rewrite: (Int) -> (end: Int, replacement: [UInt8])?) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\") {
                // Escapes whole: \Q...\E text, \x{..} and the like.
                let end = PatternSyntax.escapeEnd(b, i)
                out += escape(i, end) ?? Array(b[i..<end])
                i = end
            } else if b[i] == UInt8(ascii: "[") {
                // A class, to its closing bracket; unclosed, the rest as is.
                let end = PatternSyntax.classEnd(b, i) ?? b.count
                out += b[i..<end]
                i = end
            } else if let (end, replacement) = rewrite(i) {
                out += replacement
                i = end
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(c >> 4)]) + String(digits[Int(c & 15)])
    }

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    mutating func alternation() -> Shape? {
        guard var shape = sequence() else { return nil }
        while position < bytes.count, bytes[position] == UInt8(ascii: "|") {
            position += 1
            guard let next = sequence() else { return nil }
            shape.minimum = min(shape.minimum, next.minimum)
            shape.maximum = max(shape.maximum, next.maximum)
            shape.first.formUnion(next.first)
            shape.rest.formUnion(next.rest)
        }
        return shape
    }

    mutating func sequence() -> Shape? {
        var shape = Shape(minimum: 0, maximum: 0, first: [], rest: [])
        while position < bytes.count, bytes[position] != UInt8(ascii: "|"), bytes[position] != UInt8(ascii: ")") {
            guard let atom = atom() else { return nil }
            // Quantifiers would change lengths and order: not this grammar.
            if position < bytes.count, "*+?{".utf8.contains(bytes[position]) { return nil }
            // Nothing empty in front: the first atom decides the first byte.
            guard atom.minimum >= 1 else { return nil }
            if shape.maximum == 0 {
                shape.first = atom.first
                shape.rest = atom.rest
            } else {
                shape.rest.formUnion(atom.first)
                shape.rest.formUnion(atom.rest)
            }
            shape.minimum += atom.minimum
            shape.maximum += atom.maximum
            if shape.maximum > 8 { return nil }
        }
        return shape.minimum >= 1 ? shape : nil
    }

    mutating func atom() -> Shape? {
        let c = bytes[position]
        func one(_ set: Set<UInt8>) -> Shape { Shape(minimum: 1, maximum: 1, first: set, rest: []) }
        switch c {
        case UInt8(ascii: "("):
            guard position + 2 < bytes.count, bytes[position + 1] == UInt8(ascii: "?"),
                  bytes[position + 2] == UInt8(ascii: ":") else { return nil }
            position += 3
            guard let inner = alternation(), position < bytes.count, bytes[position] == UInt8(ascii: ")") else { return nil }
            position += 1
            return inner
        case UInt8(ascii: "["):
            guard let end = PatternSyntax.classEnd(bytes, position),
                  let set = LoosenParser.classBytes(Array(bytes[(position + 1)..<(end - 1)])) else { return nil }
            position = end
            return one(set)
        case UInt8(ascii: "\\"):
            guard let (set, length) = LoosenParser.escapeBytes(bytes, position) else { return nil }
            position += length
            return one(set)
        case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: "#"):
            return nil
        default:
            position += 1
            // ASCII letters in either case (the pattern may be caseless).
            if c | 32 >= 97 && c | 32 <= 122 { return one([c | 32, c & ~32]) }
            return one([c])
        }
    }

    /// The bytes a one-byte escape at `start` stands for, and its length.
    static func escapeBytes(_ b: [UInt8], _ start: Int) -> (Set<UInt8>, Int)? {
        guard start + 1 < b.count else { return nil }
        let e = b[start + 1]
        switch e {
        case UInt8(ascii: "x"):
            guard start + 3 < b.count, let h = hexValue(b[start + 2]), let l = hexValue(b[start + 3]) else { return nil }
            return ([h << 4 | l], 4)
        case UInt8(ascii: "d"): return (Set(48...57), 2)
        case UInt8(ascii: "w"): return (Set((48...57).map { UInt8($0) } + (65...90).map { UInt8($0) } + (97...122).map { UInt8($0) } + [95]), 2)
        case UInt8(ascii: "s"): return (Set([9, 10, 11, 12, 13, 32]), 2)
        case UInt8(ascii: "t"): return ([9], 2)
        case UInt8(ascii: "n"): return ([10], 2)
        case UInt8(ascii: "r"): return ([13], 2)
        default:
            // Escaped punctuation is that byte; other letters mean more.
            guard e < 128, !(e >= 48 && e <= 57), !(e | 32 >= 97 && e | 32 <= 122) else { return nil }
            return ([e], 2)
        }
    }

    /// The bytes a class (its text between the brackets) matches, ASCII
    /// letters in both cases; nil for what this does not read (negation,
    /// POSIX names, quoting).
    static func classBytes(_ inner: [UInt8]) -> Set<UInt8>? {
        guard let head = inner.first, head != UInt8(ascii: "^") else { return nil }
        var set: Set<UInt8> = []
        var items: [Set<UInt8>] = []     // each item, to read ranges
        var singles: [UInt8?] = []
        var k = 0
        while k < inner.count {
            let c = inner[k]
            if c == UInt8(ascii: "[") { return nil }
            if c == UInt8(ascii: "\\") {
                guard let (s, length) = escapeBytes(inner, k) else { return nil }
                items.append(s)
                singles.append(s.count == 1 ? s.first : nil)
                k += length
                continue
            }
            if c == UInt8(ascii: "-"), let low = singles.last ?? nil, k + 1 < inner.count {
                // A range: low-high, high a byte or a one-byte escape.
                var high: UInt8
                var length = 1
                if inner[k + 1] == UInt8(ascii: "\\") {
                    guard let (s, l) = escapeBytes(inner, k + 1), s.count == 1 else { return nil }
                    high = s.first!
                    length += l
                } else {
                    high = inner[k + 1]
                    length += 1
                }
                guard low <= high else { return nil }
                items[items.count - 1] = Set(low...high)
                singles[singles.count - 1] = nil
                k += length
                continue
            }
            items.append([c])
            singles.append(c)
            k += 1
        }
        for s in items { set.formUnion(s) }
        // Case: letters in either case.
        for c in set where c | 32 >= 97 && c | 32 <= 122 { set.insert(c | 32); set.insert(c & ~32) }
        return set
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        if c >= 48 && c <= 57 { return c - 48 }
        if c | 32 >= 97 && c | 32 <= 102 { return (c | 32) - 87 }
        return nil
    }
}

/// Where escapes and character classes end in PCRE2 pattern text: what a
/// walk over a pattern must skip whole so that `[`, `^`, `{` and the like
/// inside them are not read as syntax.
public enum PatternSyntax {
    /// The index after a class starting at `start` ("[" there): "]" right
    /// after "[" or "[^" is literal, escapes and POSIX names (`[:alpha:]`,
    /// `[:^digit:]`) are skipped whole, any other "[" is literal. nil when
    /// the class does not close or quotes with \Q: the caller must then
    /// assume the worst.
    public static func classEnd(_ b: [UInt8], _ start: Int) -> Int? {
        var j = start + 1
        if j < b.count, b[j] == UInt8(ascii: "^") { j += 1 }
        if j < b.count, b[j] == UInt8(ascii: "]") { j += 1 }
        while j < b.count, b[j] != UInt8(ascii: "]") {
            if b[j] == UInt8(ascii: "\\") {
                if j + 1 < b.count, b[j + 1] == UInt8(ascii: "Q") { return nil }
                // `\cX` is one control character, whatever X is (`]` too).
                j += j + 1 < b.count && b[j + 1] == UInt8(ascii: "c") ? 3 : 2
                continue
            }
            if b[j] == UInt8(ascii: "["), j + 1 < b.count, b[j + 1] == UInt8(ascii: ":") {
                var k = j + 2
                if k < b.count, b[k] == UInt8(ascii: "^") { k += 1 }
                while k < b.count, b[k] | 32 >= 97, b[k] | 32 <= 122 { k += 1 }
                if k + 1 < b.count, b[k] == UInt8(ascii: ":"), b[k + 1] == UInt8(ascii: "]") {
                    j = k + 2
                    continue
                }
            }
            j += 1
        }
        return j < b.count ? j + 1 : nil
    }

    /// The index after an escape starting at `start` ("\\" there): `\Q...\E`
    /// (to the end when `\E` is missing), `\x{..}` and the other braced
    /// escapes whole, `\cX` (a control character: X may be `\` or `[`),
    /// else the backslash and one byte.
    public static func escapeEnd(_ b: [UInt8], _ start: Int) -> Int {
        guard start + 1 < b.count else { return b.count }
        if b[start + 1] == UInt8(ascii: "c") { return min(b.count, start + 3) }
        if b[start + 1] == UInt8(ascii: "Q") {
            var j = start + 2
            while j + 1 < b.count, !(b[j] == UInt8(ascii: "\\") && b[j + 1] == UInt8(ascii: "E")) { j += 1 }
            return min(b.count, j + 2)
        }
        if start + 2 < b.count, "xogkpPN".utf8.contains(b[start + 1]), b[start + 2] == UInt8(ascii: "{") {
            var j = start + 3
            while j < b.count, b[j] != UInt8(ascii: "}") { j += 1 }
            return min(b.count, j + 1)
        }
        return start + 2
    }
}
