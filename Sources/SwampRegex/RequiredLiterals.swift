/// The strings a pattern cannot match without: a set of which at least one
/// occurs (ASCII letters folded to lower case) in every text the pattern
/// matches. The engine looks for all rules' strings in one pass over a view
/// and runs only the rules whose strings are there, the idea behind
/// SpamAssassin's Rule2XSBody and RE2's prefilter.
///
/// The analysis only ever loses information, never invents it: anything it
/// does not understand counts as "could match anything", which removes a
/// requirement rather than adding one. So a pattern gets a set only when
/// every way of matching it passes through one of the set's strings.
public enum RequiredLiterals {
    /// Strings shorter than this filter too little to be worth a lookup.
    public static let minimumLength = 3
    /// Longer strings are cut to this length: a prefix of a required
    /// string is required too, and short strings keep the automaton small.
    public static let maximumLength = 16
    /// Sets of alternatives larger than this are not tracked exactly.
    static let maximumSetSize = 16

    /// The set for `pattern`, or nil when no useful set exists (the rule
    /// must then always run).
    public static func of(_ pattern: String, options: RegexOptions) -> [[UInt8]]? {
        guard let info = analyse(pattern, options: options), let set = info.requirement() else { return nil }
        return usable(set)
    }

    /// Every useful set found for `pattern`, most selective first (at most
    /// `maximumConjuncts`): a text the pattern matches holds a string of
    /// each. `/\bfree\s+money\b/` gives ["free"] and ["money"], so a rule
    /// runs only where both occur. nil when there is none.
    public static func allOf(_ pattern: String, options: RegexOptions) -> [[[UInt8]]]? {
        guard let info = analyse(pattern, options: options) else { return nil }
        let sets = info.requirements().compactMap(usable)
        return sets.isEmpty ? nil : sets
    }

    /// Sets kept for one pattern: each is a pass over a string table the
    /// rule's check reads, and a third one rarely excludes what two did not.
    static let maximumConjuncts = 3

    static func analyse(_ pattern: String, options: RegexOptions) -> Info? {
        if options.contains(.extended) { return nil }
        var parser = Parser(bytes: Array(pattern.utf8))
        guard let info = parser.parseAlternation(), parser.atEnd else { return nil }
        return info
    }

    /// A set as the filter uses it: strings cut to `maximumLength`, sorted;
    /// nil when one is shorter than `minimumLength` (it would pass nearly
    /// every text) or the set is empty.
    static func usable(_ set: Set<[UInt8]>) -> [[UInt8]]? {
        guard !set.isEmpty else { return nil }
        let cut = Set(set.map { Array($0.prefix(maximumLength)) })
        guard cut.allSatisfy({ $0.count >= minimumLength }) else { return nil }
        return cut.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// What is known about the texts a piece of a pattern matches.
    struct Info {
        /// Every string the piece can match, when there are few (folded).
        var exact: Set<[UInt8]>?
        /// Otherwise: sets of strings such that every match holds one
        /// string of each set (most selective first); empty when nothing
        /// is known.
        var match: [Set<[UInt8]>]

        static let anything = Info(exact: nil, match: [])
        static let empty = Info(exact: [[]], match: [])
        static func literal(_ bytes: Set<UInt8>) -> Info {
            Info(exact: Set(bytes.map { [$0] }), match: [])
        }

        /// The sets one of whose strings every match contains.
        func requirements() -> [Set<[UInt8]>] {
            if let exact { return exact.contains([]) ? [] : [exact] }
            return match
        }

        /// The most selective of them, if any.
        func requirement() -> Set<[UInt8]>? {
            requirements().reduce(nil) { Info.better($0, $1) }
        }

        /// How selective a set is: its shortest string, then fewer strings.
        static func better(_ a: Set<[UInt8]>?, _ b: Set<[UInt8]>?) -> Set<[UInt8]>? {
            guard let a else { return b }
            guard let b else { return a }
            return isBetter(b, than: a) ? b : a
        }

        static func isBetter(_ a: Set<[UInt8]>, than b: Set<[UInt8]>) -> Bool {
            isBetter(rank(a), than: rank(b))
        }

        /// A set's selectivity as `isBetter` weighs it: its shortest
        /// string's length (0 for none), and its size.
        static func rank(_ s: Set<[UInt8]>) -> (shortest: Int, count: Int) {
            var shortest = Int.max
            for x in s where x.count < shortest { shortest = x.count }
            return (shortest == Int.max ? 0 : shortest, s.count)
        }

        static func isBetter(_ a: (shortest: Int, count: Int), than b: (shortest: Int, count: Int)) -> Bool {
            a.shortest != b.shortest ? a.shortest > b.shortest : a.count < b.count
        }

        /// Both pieces' requirements hold for their concatenation (each
        /// matches a part of the text); the most selective are kept.
        static func conjunction(_ a: [Set<[UInt8]>], _ b: [Set<[UInt8]>]) -> [Set<[UInt8]>] {
            var all: [Set<[UInt8]>] = []
            for s in a + b where !s.isEmpty && !all.contains(s) { all.append(s) }
            // Stable: among equals, the earlier stays first. Each set is
            // weighed once (weighing in the comparisons was a fifth of
            // loading the stock rules).
            let ranks = all.map(rank)
            let order = all.indices.sorted { x, y in
                if isBetter(ranks[x], than: ranks[y]) { return true }
                if isBetter(ranks[y], than: ranks[x]) { return false }
                return x < y
            }
            return order.prefix(RequiredLiterals.maximumConjuncts).map { all[$0] }
        }

        /// The piece followed by `next`.
        func then(_ next: Info) -> Info {
            if let a = exact, let b = next.exact, a.count * b.count <= RequiredLiterals.maximumSetSize {
                var product = Set<[UInt8]>()
                for x in a { for y in b { product.insert(Array((x + y).prefix(64))) } }
                return Info(exact: product, match: [])
            }
            return Info(exact: nil, match: Info.conjunction(requirements(), next.requirements()))
        }

        /// The piece or `other`: a match of either holds a string of one
        /// of this piece's sets or of one of the other's, so each union of
        /// a set from each side is required (the most selective are kept).
        func or(_ other: Info) -> Info {
            if let a = exact, let b = other.exact, a.count + b.count <= RequiredLiterals.maximumSetSize {
                return Info(exact: a.union(b), match: [])
            }
            let left = requirements(), right = other.requirements()
            guard !left.isEmpty, !right.isEmpty else { return .anything }
            var unions: [Set<[UInt8]>] = []
            for a in left { for b in right { unions.append(a.union(b)) } }
            return Info(exact: nil, match: Info.conjunction(unions, []))
        }

        /// `x?`: the piece or nothing.
        var optional: Info {
            if let exact, exact.count < RequiredLiterals.maximumSetSize { return Info(exact: exact.union([[]]), match: []) }
            return .anything
        }

        /// `x+` and `x{n,}` with n ≥ 1: one match of the piece at least.
        var repeated: Info {
            Info(exact: nil, match: requirements())
        }
    }

    /// A recursive-descent reader of Perl/PCRE2 pattern syntax, as far as
    /// the analysis needs it. It returns nil for constructs whose meaning it
    /// cannot follow (the pattern then gets no set).
    struct Parser {
        let bytes: [UInt8]
        var i = 0
        var depth = 0
        /// Inside `\Q...\E`, where every byte stands for itself.
        var quoting = false

        var atEnd: Bool { i >= bytes.count }
        func peek(_ offset: Int = 0) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

        static func fold(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b + 32 : b }

        mutating func parseAlternation() -> Info? {
            guard depth < 64 else { return nil }
            depth += 1
            defer { depth -= 1 }
            guard var result = parseSequence() else { return nil }
            while peek() == UInt8(ascii: "|") {
                i += 1
                guard let next = parseSequence() else { return nil }
                result = result.or(next)
            }
            return result
        }

        /// A concatenation. Neighbouring pieces with exact sets are joined
        /// into longer strings (`v`, `[i1]`, `agra` → `viagra`, `v1agra`);
        /// a piece that is not exact ends the run, and of all runs and
        /// pieces the most selective requirement is kept.
        mutating func parseSequence() -> Info? {
            var run = Info.empty
            var found: [Set<[UInt8]>] = []
            var exact = true
            while true {
                skipIgnored()
                guard let c = peek(), quoting || (c != UInt8(ascii: "|") && c != UInt8(ascii: ")")) else { break }
                guard let atom = parseAtom(), let piece = parseQuantifier(atom) else { return nil }
                if let a = run.exact, let b = piece.exact, a.count * b.count <= RequiredLiterals.maximumSetSize {
                    run = run.then(piece)
                    continue
                }
                exact = false
                found = Info.conjunction(found, run.requirements())
                if piece.exact != nil {
                    run = piece
                } else {
                    found = Info.conjunction(found, piece.requirements())
                    run = .empty
                }
            }
            if exact { return run }
            return Info(exact: nil, match: Info.conjunction(found, run.requirements()))
        }

        /// What PCRE2 drops before it reads the next item: a `\E` (ending
        /// quoted text or on its own), a `\Q` (starting it; its bytes are
        /// then items of their own) and `(?#...)` comments. A quantifier
        /// after any of them applies to the item before: `abc(?#x)*`,
        /// `abc\E*` and `abc\Q\E*` are `abc*`, and `\Qabc\E?` is `abc?`.
        mutating func skipIgnored() {
            let backslash = UInt8(ascii: "\\")
            while true {
                if peek() == backslash, peek(1) == UInt8(ascii: "E") {
                    i += 2; quoting = false
                } else if quoting {
                    return
                } else if peek() == backslash, peek(1) == UInt8(ascii: "Q") {
                    i += 2; quoting = true
                } else if peek() == UInt8(ascii: "("), peek(1) == UInt8(ascii: "?"), peek(2) == UInt8(ascii: "#") {
                    // A comment ends at the first ")"; unterminated, it is
                    // left for parseGroup to reject.
                    guard let close = bytes[(i + 3)...].firstIndex(of: UInt8(ascii: ")")) else { return }
                    i = close + 1
                } else {
                    return
                }
            }
        }

        /// Applies a following quantifier (and its lazy/possessive mark).
        mutating func parseQuantifier(_ atom: Info) -> Info? {
            skipIgnored()
            guard !quoting, let c = peek() else { return atom }
            var out: Info
            switch c {
            case UInt8(ascii: "*"): i += 1; out = .anything
            case UInt8(ascii: "+"): i += 1; out = atom.repeated
            case UInt8(ascii: "?"): i += 1; out = atom.optional
            case UInt8(ascii: "{"):
                guard let (low, _) = parseBraces() else { return atom }   // a literal "{"
                out = low == 0 ? .anything : (low == 1 ? atom.repeatedOnce : atom.repeated)
            default: return atom
            }
            skipIgnored()
            if !quoting, let m = peek(), m == UInt8(ascii: "?") || m == UInt8(ascii: "+") { i += 1 }
            skipIgnored()
            if !quoting, let m = peek(), m == UInt8(ascii: "*") || m == UInt8(ascii: "+") || m == UInt8(ascii: "?") || m == UInt8(ascii: "{") {
                // A quantifier of a quantifier is an error in PCRE2.
                return nil
            }
            return out
        }

        /// `{n}`, `{n,}`, `{n,m}`; nil (and nothing consumed) when the brace
        /// is a literal character instead.
        ///
        /// `{,m}` and spaces or tabs around the numbers are read as a
        /// quantifier too, as PCRE2 10.43 and later do (Perl 5.34's syntax).
        /// PCRE2 10.42, Debian 12's, takes them for literal text; reading
        /// them as a quantifier is sound there as well: it only forgets the
        /// text (`x{,3}` needs nothing, `x{ 2}` still needs what `x` needs).
        mutating func parseBraces() -> (Int, Int?)? {
            var j = i + 1
            func number() -> Int? {
                var value = 0, digits = 0
                while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57, digits < 6 {
                    value = value * 10 + Int(bytes[j] - 48); j += 1; digits += 1
                }
                return digits > 0 ? value : nil
            }
            func spaces() {
                while j < bytes.count, bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t") { j += 1 }
            }
            spaces()
            let low = number()
            spaces()
            var high = low
            if j < bytes.count, bytes[j] == UInt8(ascii: ",") {
                j += 1
                spaces()
                high = number()
                spaces()
            }
            guard low != nil || high != nil, j < bytes.count, bytes[j] == UInt8(ascii: "}") else { return nil }
            i = j + 1
            return (low ?? 0, high)
        }

        mutating func parseAtom() -> Info? {
            guard let c = peek() else { return nil }
            if quoting { i += 1; return .literal([Parser.fold(c)]) }
            switch c {
            case UInt8(ascii: "("): return parseGroup()
            case UInt8(ascii: "["): return parseClass()
            case UInt8(ascii: "\\"): return parseEscape()
            case UInt8(ascii: "."): i += 1; return .anything
            case UInt8(ascii: "^"), UInt8(ascii: "$"): i += 1; return .empty
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"): return nil
            default: i += 1; return .literal([Parser.fold(c)])
            }
        }

        mutating func parseGroup() -> Info? {
            i += 1   // "("
            var zeroWidth = false
            if peek() == UInt8(ascii: "*") { return nil }   // verbs
            if peek() == UInt8(ascii: "?") {
                i += 1
                guard let k = peek() else { return nil }
                switch k {
                case UInt8(ascii: ":"), UInt8(ascii: ">"), UInt8(ascii: "|"):
                    i += 1
                case UInt8(ascii: "="), UInt8(ascii: "!"):
                    i += 1; zeroWidth = true
                case UInt8(ascii: "<"):
                    if peek(1) == UInt8(ascii: "=") || peek(1) == UInt8(ascii: "!") { i += 2; zeroWidth = true }
                    else if !skipName(until: UInt8(ascii: ">")) { return nil }   // `(?<*` too: a lookbehind
                case UInt8(ascii: "P"):
                    i += 1
                    guard peek() == UInt8(ascii: "<"), skipName(until: UInt8(ascii: ">")) else { return nil }
                case UInt8(ascii: "'"):
                    guard skipName(until: UInt8(ascii: "'")) else { return nil }
                case UInt8(ascii: "#"):
                    return nil   // an unterminated comment (skipIgnored takes the others)
                default:
                    // Inline flags `(?i)`, `(?s-m:...)`. Case never matters
                    // (everything is folded); `x` changes the syntax, so the
                    // pattern is given up.
                    var sawColon = false
                    while let b = peek() {
                        if b == UInt8(ascii: ")") { break }
                        if b == UInt8(ascii: ":") { sawColon = true; i += 1; break }
                        guard b == UInt8(ascii: "-") || b == UInt8(ascii: "^") || "imsnU".utf8.contains(b) else { return nil }
                        i += 1
                    }
                    if !sawColon {
                        guard peek() == UInt8(ascii: ")") else { return nil }
                        i += 1
                        return .empty
                    }
                }
            }
            guard let inner = parseAlternation(), peek() == UInt8(ascii: ")") else { return nil }
            i += 1
            return zeroWidth ? .empty : inner
        }

        /// Skips `<name>` / `'name'` from the opening character: a word
        /// character that is not a digit, then word characters.
        mutating func skipName(until close: UInt8) -> Bool {
            i += 1
            let start = i
            while let b = peek(), b != close {
                guard b == UInt8(ascii: "_") || (b >= 48 && b <= 57 && i > start) || (b | 32 >= 97 && b | 32 <= 122) else { return false }
                i += 1
            }
            guard peek() == close, i > start else { return false }
            i += 1
            return true
        }

        /// One escape outside a class.
        mutating func parseEscape() -> Info? {
            i += 1
            guard let e = peek() else { return nil }
            i += 1
            switch e {
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "z"),
                 UInt8(ascii: "Z"), UInt8(ascii: "G"), UInt8(ascii: "K"):
                return .empty
            case UInt8(ascii: "p"), UInt8(ascii: "P"), UInt8(ascii: "g"), UInt8(ascii: "k"):
                // Properties and back references: consume a braced or
                // bracketed argument, match unknown text.
                if let open = peek(), open == UInt8(ascii: "{") || open == UInt8(ascii: "<") || open == UInt8(ascii: "'") {
                    let close: UInt8 = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : (open == UInt8(ascii: "<") ? UInt8(ascii: ">") : open)
                    i += 1   // past the opening one, which may be the closing one too: `\k'name'`
                    while let b = peek(), b != close { i += 1 }
                    guard peek() == close else { return nil }
                    i += 1
                } else if e == UInt8(ascii: "g") || e == UInt8(ascii: "p") || e == UInt8(ascii: "P") {
                    // `\g-1`, and `\g+1`: a reference forward.
                    if e == UInt8(ascii: "g"), peek() == UInt8(ascii: "-") || peek() == UInt8(ascii: "+") { i += 1 }
                    while let b = peek(), b >= 48, b <= 57 { i += 1 }
                    if e != UInt8(ascii: "g"), peek() != nil { i += 1 }
                }
                return .anything
            case UInt8(ascii: "N"):
                // `\N{U+...}`: skip the braces too.
                if peek() == UInt8(ascii: "{") && peek(1) == UInt8(ascii: "U") {
                    while let b = peek(), b != UInt8(ascii: "}") { i += 1 }
                    guard peek() == UInt8(ascii: "}") else { return nil }
                    i += 1
                }
                return .anything
            default:
                guard let byte = escapedByte(e) else {
                    // Digits (back references), classes (\d \w \s ...) and
                    // anything else unknown match unknown text.
                    if e >= 48 && e <= 57 { while let b = peek(), b >= 48, b <= 57 { i += 1 } }
                    return .anything
                }
                return .literal([Parser.fold(byte)])
            }
        }

        /// The byte a single-character escape stands for (`\n`, `\x41`,
        /// `\.`), or nil when it is not one byte. Inside a class and out,
        /// it consumes what PCRE2 reads as part of the escape (`\c]` is one
        /// byte, not a `]`).
        mutating func escapedByte(_ e: UInt8) -> UInt8? {
            switch e {
            case UInt8(ascii: "n"): return 10
            case UInt8(ascii: "t"): return 9
            case UInt8(ascii: "r"): return 13
            case UInt8(ascii: "f"): return 12
            case UInt8(ascii: "e"): return 27
            case UInt8(ascii: "a"): return 7
            case UInt8(ascii: "x"):
                if peek() == UInt8(ascii: "{") {
                    // Always consumed to its "}", so that a code point this
                    // mode cannot hold is not read as literal text.
                    var j = i + 1, value = 0, valid = true
                    while j < bytes.count, bytes[j] != UInt8(ascii: "}") {
                        if let d = Parser.hexValue(bytes[j]), value <= 255 { value = value * 16 + d } else { valid = false }
                        j += 1
                    }
                    guard j < bytes.count else { return nil }
                    valid = valid && j > i + 1 && value <= 255
                    i = j + 1
                    return valid ? UInt8(value) : nil
                }
                var value = 0, digits = 0
                while digits < 2, let b = peek(), let d = Parser.hexValue(b) { value = value * 16 + d; i += 1; digits += 1 }
                return UInt8(value)
            case UInt8(ascii: "o"):
                // `\o{...}`, octal, consumed to its "}" as `\x{...}`.
                guard peek() == UInt8(ascii: "{") else { return nil }
                var j = i + 1, value = 0, valid = true
                while j < bytes.count, bytes[j] != UInt8(ascii: "}") {
                    if bytes[j] >= 48, bytes[j] <= 55, value <= 255 { value = value * 8 + Int(bytes[j] - 48) } else { valid = false }
                    j += 1
                }
                guard j < bytes.count else { return nil }
                valid = valid && j > i + 1 && value <= 255
                i = j + 1
                return valid ? UInt8(value) : nil
            case UInt8(ascii: "c"):
                // `\cX`: X in upper case with bit 6 flipped (`\c]` is 0x1d,
                // `\c\` is 0x1c). PCRE2 rejects X outside printable ASCII.
                guard let x = peek(), x >= 32, x < 127 else { return nil }
                i += 1
                return (x >= 97 && x <= 122 ? x - 32 : x) ^ 0x40
            case UInt8(ascii: "0"):
                var value = 0, digits = 0
                while digits < 2, let b = peek(), b >= 48, b <= 55 { value = value * 8 + Int(b - 48); i += 1; digits += 1 }
                return UInt8(value)
            default:
                // Escaped punctuation stands for itself; escaped letters and
                // digits are classes, assertions or references.
                let isAlnum = (e >= 48 && e <= 57) || (e | 32 >= 97 && e | 32 <= 122)
                return isAlnum || e >= 128 ? nil : e
            }
        }

        static func hexValue(_ b: UInt8) -> Int? {
            switch b {
            case 48...57: return Int(b - 48)
            case 65...70: return Int(b - 55)
            case 97...102: return Int(b - 87)
            default: return nil
            }
        }

        /// A bracketed class: its folded members when there are few and it
        /// is not negated, else unknown text of one character.
        mutating func parseClass() -> Info? {
            i += 1   // "["
            var negated = false
            if peek() == UInt8(ascii: "^") { negated = true; i += 1 }
            var members = Set<UInt8>()
            var wide = false   // holds a \d, \w, [:alpha:] ... or a big range
            var first = true
            var previous: UInt8? = nil
            while let c = peek() {
                if c == UInt8(ascii: "]") && !first { break }
                first = false
                if c == UInt8(ascii: "["), let t = peek(1),
                   t == UInt8(ascii: ":") || t == UInt8(ascii: ".") || t == UInt8(ascii: "="),
                   let end = posixEnd(i + 1) {
                    // `[.ch.]` and `[=ch=]`: PCRE2 rejects them.
                    guard t == UInt8(ascii: ":") else { return nil }
                    i = end + 2
                    wide = true; previous = nil
                    continue
                }
                var byte: UInt8
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard let e = peek() else { return nil }
                    i += 1
                    if e == UInt8(ascii: "Q") || e == UInt8(ascii: "E") { return nil }
                    if let b = escapedByte(e) { byte = e == UInt8(ascii: "b") ? 8 : b }
                    else if e == UInt8(ascii: "b") { byte = 8 }
                    else {
                        if e == UInt8(ascii: "p") || e == UInt8(ascii: "P") { return nil }
                        wide = true; previous = nil
                        continue
                    }
                } else {
                    byte = c
                    i += 1
                }
                // A range `a-z` (a "-" before "]" is a literal).
                if let p = previous, byte == UInt8(ascii: "-"), c != UInt8(ascii: "\\"),
                   let next = peek(), next != UInt8(ascii: "]") {
                    var high: UInt8
                    if next == UInt8(ascii: "\\") {
                        i += 1
                        guard let e = peek() else { return nil }
                        i += 1
                        guard let b = escapedByte(e) else { return nil }
                        high = b
                    } else {
                        high = next; i += 1
                    }
                    guard high >= p else { return nil }
                    if Int(high) - Int(p) > 8 { wide = true } else { for b in p...high { members.insert(Parser.fold(b)) } }
                    previous = nil
                    continue
                }
                members.insert(Parser.fold(byte))
                previous = byte
            }
            guard peek() == UInt8(ascii: "]") else { return nil }
            i += 1
            if negated || wide || members.isEmpty || members.count > 4 { return .anything }
            return .literal(members)
        }

        /// Where a POSIX class that opens with `[` and then `terminator`
        /// (at `start`) ends: the index of its closing `:]` (or `.]`,
        /// `=]`). nil when it is no POSIX class: PCRE2's
        /// `check_posix_syntax` stops at a `]` or at a nested `[:`, and the
        /// `[` is then an ordinary member (`[[:a]|b:]` is a class of `[`,
        /// `:` and `a`, then `|`, then `b:]`).
        func posixEnd(_ start: Int) -> Int? {
            let terminator = bytes[start]
            var j = start + 1
            while bytes.count - j >= 2 {
                if bytes[j] == UInt8(ascii: "\\"), bytes[j + 1] == UInt8(ascii: "]") || bytes[j + 1] == UInt8(ascii: "\\") {
                    j += 1
                } else if (bytes[j] == UInt8(ascii: "[") && bytes[j + 1] == terminator) || bytes[j] == UInt8(ascii: "]") {
                    return nil
                } else if bytes[j] == terminator, bytes[j + 1] == UInt8(ascii: "]") {
                    return j
                }
                j += 1
            }
            return nil
        }
    }
}

extension RequiredLiterals.Info {
    /// `x{1}` / `x{1,m}`: the piece once at least; exact when it is `x{1}`.
    var repeatedOnce: RequiredLiterals.Info { RequiredLiterals.Info(exact: nil, match: requirements()) }
}
