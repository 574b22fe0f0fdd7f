/// Shorter patterns for rules that only ask whether a pattern matches
/// somewhere in a text (every rule but a `tflags multiple` one, which
/// counts matches).
///
/// For that question whatever may match the empty string at the edges of
/// a pattern is dead weight: `(?:your\s)?name` matches somewhere exactly
/// when `name` does, and `foo\s+` exactly when `foo\s` does. Trimmed, the
/// search starts at fewer places (PCRE2 tries a match at every byte a
/// match can start with: `\s?name` may start at every space) and does
/// less at each. SpamAssassin's ReplaceTags patterns begin with long
/// optional prefixes: `__FILL_THIS_FORM_SHORT2` costs half as much
/// trimmed.
///
/// The rewrite reads the whole pattern and gives up (nil) on anything
/// whose meaning it would have to reason about beyond that: back
/// references and named groups (captures move), conditionals, recursion,
/// verbs, comments, `/x`, `\Q...\E`, `\K`. Possessive quantifiers and
/// atomic groups are never removed or looked into: they cannot give back
/// what they took, so skipping them is not always a way to match.
public enum ExistencePattern {
    /// `pattern` with what may match empty at its edges removed, when that
    /// changes anything: the result matches somewhere in a text exactly
    /// when `pattern` does (the empty pattern when it matches everywhere).
    public static func trimmed(_ pattern: String, options: RegexOptions) -> String? {
        guard !options.contains(.extended) else { return nil }
        let bytes = Array(pattern.utf8)
        var parser = ExistenceParser(bytes: bytes)
        guard let top = parser.alternation(), parser.position == bytes.count else { return nil }
        var alternatives: [[UInt8]] = []
        for sequence in top {
            // One alternative that matches empty anywhere: so does the whole.
            guard let text = parser.trim(sequence, front: true, back: true) else { return "" }
            alternatives.append(text)
        }
        let out = Array(alternatives.joined(separator: [UInt8(ascii: "|")]))
        return out == bytes ? nil : String(decoding: out, as: UTF8.self)
    }
}

/// The pattern read into sequences of elements, enough to know which
/// elements may match nothing and where groups begin and end.
struct ExistenceParser {
    let bytes: [UInt8]
    var position = 0

    struct Element {
        enum Kind {
            /// One byte, a class, an escape that stands for a character, `.`.
            case atom
            /// Zero-width and conditional (`^`, `\b`, lookaround) or not to
            /// be looked into (an atomic group): kept as it is.
            case stop
            /// `(?i)`: zero-width and unconditional, kept where it is.
            case setting
            /// `(...)`, `(?:...)`, `(?i:...)`: `open` is its opening text.
            case group(open: Range<Int>, capturing: Bool, alternatives: [[Element]])
        }
        var kind: Kind
        /// The element without its quantifier, and with it.
        var atom: Range<Int>
        var whole: Range<Int>
        var minimum = 1
        var maximum: Int? = 1
        var possessive = false
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    func at(_ i: Int) -> UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func alternation() -> [[Element]]? {
        var out: [[Element]] = []
        while true {
            guard let s = sequence() else { return nil }
            out.append(s)
            guard at(position) == UInt8(ascii: "|") else { return out }
            position += 1
        }
    }

    mutating func sequence() -> [Element]? {
        var out: [Element] = []
        while let c = at(position), c != UInt8(ascii: "|"), c != UInt8(ascii: ")") {
            guard var element = element() else { return nil }
            guard quantifier(&element) else { return nil }
            out.append(element)
        }
        return out
    }

    /// One element without its quantifier.
    mutating func element() -> Element? {
        let start = position
        let c = bytes[position]
        func made(_ kind: Element.Kind) -> Element {
            Element(kind: kind, atom: start..<position, whole: start..<position)
        }
        switch c {
        case UInt8(ascii: "\\"):
            guard let (end, zeroWidth) = escape(at: position) else { return nil }
            position = end
            return made(zeroWidth ? .stop : .atom)
        case UInt8(ascii: "["):
            // A class with \Q in it is not read: classEnd says so.
            guard let end = PatternSyntax.classEnd(bytes, position) else { return nil }
            position = end
            return made(.atom)
        case UInt8(ascii: "^"), UInt8(ascii: "$"):
            position += 1
            return made(.stop)
        case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
            return nil
        case UInt8(ascii: "{"):
            // A `{` that begins no quantifier is a literal; `{,n}` is one
            // in newer PCRE2 only: not guessed at.
            if at(position + 1) == UInt8(ascii: ",") { return nil }
            position += 1
            return made(.atom)
        case UInt8(ascii: "("):
            return group()
        default:
            position += 1
            return made(.atom)
        }
    }

    /// The end of the escape at `i` and whether it is an assertion; nil
    /// for escapes this does not read (back references, `\Q`, `\K`, ...).
    func escape(at i: Int) -> (end: Int, zeroWidth: Bool)? {
        guard let e = at(i + 1) else { return nil }
        switch e {
        case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "z"), UInt8(ascii: "Z"),
             UInt8(ascii: "G"):
            return (i + 2, true)
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "g"), UInt8(ascii: "k"), UInt8(ascii: "K"),
             UInt8(ascii: "Q"), UInt8(ascii: "E"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "U"),
             UInt8(ascii: "L"), UInt8(ascii: "l"), UInt8(ascii: "X"), UInt8(ascii: "R"), UInt8(ascii: "C"):
            return nil
        case UInt8(ascii: "x"):
            if at(i + 2) == UInt8(ascii: "{") { return (PatternSyntax.escapeEnd(bytes, i), false) }
            // \x and two hex digits; with fewer, the escape would take in
            // digits that come to follow it once something is dropped.
            guard let h = at(i + 2), LoosenParser.hexValue(h) != nil,
                  let l = at(i + 3), LoosenParser.hexValue(l) != nil else { return nil }
            return (i + 4, false)
        case UInt8(ascii: "p"), UInt8(ascii: "P"):
            if at(i + 2) == UInt8(ascii: "{") { return (PatternSyntax.escapeEnd(bytes, i), false) }
            return at(i + 2) == nil ? nil : (i + 3, false)
        case UInt8(ascii: "c"):
            return at(i + 2) == nil ? nil : (i + 3, false)
        case UInt8(ascii: "N"):
            // `\N+{a}` trimmed would read as the escape `\N{a}`.
            return nil
        default:
            return (i + 2, false)
        }
    }

    /// A parenthesised element, `(` at `position`.
    mutating func group() -> Element? {
        let start = position
        var capturing = false
        var stop = false
        if at(start + 1) == UInt8(ascii: "*") { return nil }          // verbs
        if at(start + 1) != UInt8(ascii: "?") {
            capturing = true
            position += 1
        } else {
            guard let kind = at(start + 2) else { return nil }
            switch kind {
            case UInt8(ascii: ":"):
                position += 3
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: ">"):
                stop = true
                position += 3
            case UInt8(ascii: "<"):
                // Lookbehind; `(?<name>` is a named group: not read.
                guard let k = at(start + 3), k == UInt8(ascii: "=") || k == UInt8(ascii: "!") else { return nil }
                stop = true
                position += 4
            default:
                // Option letters, then `)` (a setting) or `:` (a group).
                var j = start + 2
                while let f = at(j), "imsnUJ-".utf8.contains(f) { j += 1 }
                guard j > start + 2, let end = at(j) else { return nil }
                if end == UInt8(ascii: ")") {
                    position = j + 1
                    return Element(kind: .setting, atom: start..<position, whole: start..<position)
                }
                guard end == UInt8(ascii: ":") else { return nil }
                position = j + 1
            }
        }
        let open = start..<position
        guard let alternatives = alternation(), at(position) == UInt8(ascii: ")") else { return nil }
        position += 1
        return Element(kind: stop ? .stop : .group(open: open, capturing: capturing, alternatives: alternatives),
                       atom: start..<position, whole: start..<position)
    }

    /// Reads a quantifier after `element`, if there is one; false when
    /// what follows cannot be read.
    mutating func quantifier(_ element: inout Element) -> Bool {
        guard let q = at(position) else { return true }
        switch q {
        case UInt8(ascii: "?"): (element.minimum, element.maximum) = (0, 1); position += 1
        case UInt8(ascii: "*"): (element.minimum, element.maximum) = (0, nil); position += 1
        case UInt8(ascii: "+"): (element.minimum, element.maximum) = (1, nil); position += 1
        case UInt8(ascii: "{"):
            guard let (end, low, high) = braces(at: position) else { return true }
            (element.minimum, element.maximum) = (low, high)
            position = end
        default:
            return true
        }
        // A setting cannot be repeated; an assertion repeated is not read.
        if case .setting = element.kind { return false }
        if at(position) == UInt8(ascii: "+") {
            element.possessive = true
            position += 1
        } else if at(position) == UInt8(ascii: "?") {
            position += 1
        }
        element.whole = element.atom.lowerBound..<position
        return true
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`: its end and bounds.
    func braces(at i: Int) -> (end: Int, low: Int, high: Int?)? {
        func number(_ j: inout Int) -> Int? {
            var v = 0, digits = 0
            while let d = at(j), d >= 48 && d <= 57 {
                v = v * 10 + Int(d - 48)
                j += 1
                digits += 1
                if digits > 5 { return nil }
            }
            return digits > 0 ? v : nil
        }
        var j = i + 1
        guard let low = number(&j) else { return nil }
        if at(j) == UInt8(ascii: "}") { return (j + 1, low, low) }
        guard at(j) == UInt8(ascii: ",") else { return nil }
        j += 1
        if at(j) == UInt8(ascii: "}") { return (j + 1, low, nil) }
        guard let high = number(&j), at(j) == UInt8(ascii: "}"), high >= low else { return nil }
        return (j + 1, low, high)
    }

    /// Whether `element` can always match nothing, wherever it stands:
    /// skipping it is one of the ways its quantifier or its group may take,
    /// with no condition on the text.
    func nullable(_ element: Element) -> Bool {
        if element.possessive { return false }
        switch element.kind {
        case .setting: return true
        case .stop: return false
        case .atom: return element.minimum == 0
        case .group(_, _, let alternatives):
            // PCRE2 10.42 takes `(a|\Ab){0}c` as anchored, as if the
            // group's `\A` led the pattern: groups with an anchor stay.
            guard !anchors(element) else { return false }
            return element.minimum == 0 || alternatives.contains { $0.allSatisfy(nullable) }
        }
    }

    /// Whether `element` holds `^`, `\A` or `\G`.
    func anchors(_ element: Element) -> Bool {
        switch element.kind {
        case .atom, .setting: return false
        case .stop:
            var i = element.atom.lowerBound
            while i < element.atom.upperBound {
                switch bytes[i] {
                case UInt8(ascii: "^"): return true
                case UInt8(ascii: "\\"):
                    if let e = at(i + 1), e == UInt8(ascii: "A") || e == UInt8(ascii: "G") { return true }
                    i += 2
                    continue
                case UInt8(ascii: "["):
                    i = PatternSyntax.classEnd(bytes, i) ?? element.atom.upperBound
                    continue
                default: break
                }
                i += 1
            }
            return false
        case .group(_, _, let alternatives):
            return alternatives.contains { $0.contains(where: anchors) }
        }
    }

    /// `sequence` with its nullable elements dropped at the front and/or
    /// back, and the elements then at the edges trimmed in turn; nil when
    /// the whole sequence is nullable (it matches empty everywhere).
    func trim(_ sequence: [Element], front: Bool, back: Bool) -> [UInt8]? {
        var keep = [Bool](repeating: true, count: sequence.count)
        var first: Int? = nil
        if front {
            for (i, e) in sequence.enumerated() {
                if case .setting = e.kind { continue }
                if nullable(e) { keep[i] = false; continue }
                first = i
                break
            }
            guard first != nil else { return nil }
        }
        var last: Int? = nil
        if back {
            for i in sequence.indices.reversed() {
                let e = sequence[i]
                if case .setting = e.kind { continue }
                if nullable(e) { keep[i] = false; continue }
                last = i
                break
            }
            guard last != nil else { return nil }
        }
        var out: [UInt8] = []
        for (i, e) in sequence.enumerated() where keep[i] {
            out += edge(e, front: i == first, back: i == last) ?? Array(bytes[e.whole])
        }
        return out
    }

    /// An element at the front and/or back of what is searched, rewritten:
    /// `X{m,n}` does as `X{m}` there, and a group's alternatives are
    /// trimmed at that edge (the copy at the edge only). nil: unchanged.
    func edge(_ e: Element, front: Bool, back: Bool) -> [UInt8]? {
        guard front || back, !e.possessive, e.minimum >= 1 else { return nil }
        let atom = Array(bytes[e.atom])
        func repeated(_ n: Int) -> [UInt8] {
            n <= 0 ? [] : n == 1 ? atom : atom + Array("{\(n)}".utf8)
        }
        switch e.kind {
        case .atom:
            return e.maximum == e.minimum ? nil : repeated(e.minimum)
        case .setting, .stop:
            return nil
        case .group(let open, let capturing, let alternatives):
            func copy(front: Bool, back: Bool) -> [UInt8]? {
                var texts: [[UInt8]] = []
                for a in alternatives {
                    guard let t = trim(a, front: front, back: back) else { return nil }
                    texts.append(t)
                }
                // The trimmed copy captures nothing: groups keep their count.
                return (capturing ? Array("(?:".utf8) : Array(bytes[open]))
                    + Array(texts.joined(separator: [UInt8(ascii: "|")])) + [UInt8(ascii: ")")]
            }
            let m = e.minimum
            if front && back {
                if m == 1 { return copy(front: true, back: true) }
                guard let head = copy(front: true, back: false), let tail = copy(front: false, back: true) else { return nil }
                return head + repeated(m - 2) + tail
            }
            guard let trimmed = copy(front: front, back: back) else { return nil }
            return front ? trimmed + repeated(m - 1) : repeated(m - 1) + trimmed
        }
    }
}
