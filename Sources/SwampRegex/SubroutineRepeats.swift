/// Repeated groups written as subroutine calls, for patterns whose
/// compiled code would pass what PCRE2 allows (64 KiB with link size 2, as
/// Debian builds it), where Perl has no such limit. PCRE2 compiles
/// `(?:X){5}` as five copies of X, and a group written out again as a
/// second copy: SpamAssassin's ReplaceTags-expanded patterns repeat
/// groups of a few kilobytes (the form-filling rules) or spell each letter
/// as the same group of look-alike characters wherever it occurs (the
/// extortion rules), and outgrow it.
///
/// A long group that occurs more than once is named where it first occurs
/// (`(?<n>X)`) and called where it occurs again (`(?&n)`); a long group
/// under a counted repeat, `(?:X){m,n}`, becomes `(?:(?<n>X)(?&n){m-1,n-1})`:
/// X once, then called. Since PCRE2 10.30 a subroutine call backtracks
/// like the group it calls (it is not atomic), so the rewritten pattern
/// matches the same texts, trying the same lengths in the same order.
///
/// The new groups capture, which moves the numbers of the groups after
/// them, and a called group keeps the options of where it was written:
/// patterns that refer to groups (back-references, conditions, calls of
/// their own, branch resets), set options inline, quote with `\Q`, or are
/// in extended mode are left as they are (nil).
public enum SubroutineRepeats {
    /// Groups of fewer bytes than this stay as they are: copying them
    /// costs little.
    public static let minimumGroupLength = 24

    /// `minimumLength`: the shortest group rewritten (tests make every
    /// group a candidate).
    public static func rewritten(_ pattern: String, minimumLength: Int = minimumGroupLength) -> String? {
        let b = Array(pattern.utf8)
        guard !refersToGroups(b) else { return nil }
        var counter = Rewriter(bytes: b, counting: true, minimumLength: minimumLength)
        guard counter.sequence(untilClose: false) != nil, counter.position == b.count else { return nil }
        var rewriter = Rewriter(bytes: b, counting: false, minimumLength: minimumLength)
        rewriter.occurrences = counter.occurrences
        guard let out = rewriter.sequence(untilClose: false), rewriter.position == b.count, rewriter.groups > 0 else {
            return nil
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Back-references (`\1`, `\g`, `\k`), conditions `(?(`, recursion and
    /// calls (`(?R)`, `(?1)`, `(?&`, `(?P>`, `(?+1)`, `(?-1)`), `\Q`
    /// quoting, comments, inline options and verbs: anything a new
    /// numbered group could change, or that this scanner does not read.
    static func refersToGroups(_ b: [UInt8]) -> Bool {
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 1 < b.count {
                let c = b[i + 1]
                if (c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "g") || c == UInt8(ascii: "k")
                    || c == UInt8(ascii: "Q") || c == UInt8(ascii: "E") {
                    return true
                }
                i += 2
                continue
            }
            if b[i] == UInt8(ascii: "("), i + 2 < b.count, b[i + 1] == UInt8(ascii: "?") {
                let c = b[i + 2]
                // `(?#`: a comment's text is not pattern syntax, which the
                // scanner below would read as if it were.
                if c == UInt8(ascii: "(") || c == UInt8(ascii: "R") || c == UInt8(ascii: "&") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: "#")
                    || c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                    return true
                }
                if c == UInt8(ascii: "P"), i + 3 < b.count, b[i + 3] == UInt8(ascii: ">") || b[i + 3] == UInt8(ascii: "=") {
                    return true
                }
                // Branch resets, and inline options (`(?i)`, `(?s-m:`): a
                // call would keep the options of the group it calls.
                if c == UInt8(ascii: "|") || c == UInt8(ascii: "^") || c == UInt8(ascii: "-")
                    || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")
                        && c != UInt8(ascii: "P")) {
                    return true
                }
            }
            if b[i] == UInt8(ascii: "("), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") { return true }   // verbs
            i += 1
        }
        return false
    }

    struct Rewriter {
        let bytes: [UInt8]
        /// The first pass only counts the long groups' texts.
        let counting: Bool
        let minimumLength: Int
        var position = 0
        var groups = 0
        /// Each long non-capturing group's text (as written) and how often
        /// it occurs.
        var occurrences: [ArraySlice<UInt8>: Int] = [:]
        /// The names given to the texts that occur more than once.
        var names: [ArraySlice<UInt8>: [UInt8]] = [:]

        init(bytes: [UInt8], counting: Bool, minimumLength: Int) {
            self.bytes = bytes
            self.counting = counting
            self.minimumLength = minimumLength
        }

        /// Copies items up to the `)` closing the current group (not taken)
        /// or the end, rewriting the repeated groups met; nil when a class
        /// does not close or a group is left open.
        mutating func sequence(untilClose: Bool) -> [UInt8]? {
            var out: [UInt8] = []
            // The shortest match of the alternatives done and of the one
            // being read, and of its last item (a quantifier scales it).
            var shortest = Int.max, branch = 0, last = 0
            func item(_ length: Int) { last = length; branch += length }
            while position < bytes.count {
                let c = bytes[position]
                switch c {
                case UInt8(ascii: "\\"):
                    let end = PatternSyntax.escapeEnd(bytes, position)
                    let zeroWidth = end == position + 2 && "bBAzZGK".utf8.contains(bytes[position + 1])
                    out += bytes[position..<end]
                    position = end
                    item(zeroWidth ? 0 : 1)
                case UInt8(ascii: "["):
                    guard let end = PatternSyntax.classEnd(bytes, position) else { return nil }
                    out += bytes[position..<end]
                    position = end
                    item(1)
                case UInt8(ascii: ")"):
                    guard untilClose else { return nil }
                    shortestOfLast = min(shortest, branch)
                    return out
                case UInt8(ascii: "("):
                    guard let group = group() else { return nil }
                    out += group
                    item(groupShortest)
                case UInt8(ascii: "|"):
                    shortest = min(shortest, branch)
                    branch = 0
                    last = 0
                    out.append(c)
                    position += 1
                case UInt8(ascii: "^"), UInt8(ascii: "$"):
                    out.append(c)
                    position += 1
                    item(0)
                case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
                    guard let (minimum, end) = quantifier(at: position) else {
                        // A brace that is a literal.
                        out.append(c)
                        position += 1
                        item(1)
                        continue
                    }
                    branch += last * minimum - last
                    last *= minimum
                    out += bytes[position..<end]
                    position = end
                default:
                    out.append(c)
                    position += 1
                    item(1)
                }
            }
            shortestOfLast = min(shortest, branch)
            return untilClose ? nil : out
        }

        /// The shortest match of the sequence read last, and of the group
        /// read last (with the repeat it took, if it took one).
        var shortestOfLast = 0
        var groupShortest = 0

        /// Any quantifier at `i` (lazy and possessive too): its least count
        /// and the index after it.
        func quantifier(at i: Int) -> (Int, Int)? {
            var minimum: Int
            var j = i + 1
            switch bytes[i] {
            case UInt8(ascii: "*"), UInt8(ascii: "?"): minimum = 0
            case UInt8(ascii: "+"): minimum = 1
            default:
                guard let (m, _, end) = counted(at: i, anySuffix: true) else { return nil }
                minimum = m
                j = end
            }
            if j < bytes.count, bytes[j] == UInt8(ascii: "?") || bytes[j] == UInt8(ascii: "+") { j += 1 }
            return (minimum, j)
        }

        /// The group at `position`, rewritten when it is a long
        /// non-capturing group that occurs again or is under a counted
        /// repeat.
        mutating func group() -> [UInt8]? {
            let start = position
            let plain = position + 2 < bytes.count && bytes[position + 1] == UInt8(ascii: "?")
                && bytes[position + 2] == UInt8(ascii: ":")
            // The opening as written: "(", "(?:", "(?=", "(?<name>"...;
            // whatever follows "(" is copied by the sequence below.
            position += plain ? 3 : 1
            let contentStart = position
            guard let inner = sequence(untilClose: true), position < bytes.count else { return nil }
            let innerShortest = shortestOfLast
            let text = bytes[contentStart..<position]
            position += 1   // ")"
            let lookaround = !plain && start + 2 < bytes.count && bytes[start + 1] == UInt8(ascii: "?")
                && (bytes[start + 2] == UInt8(ascii: "=") || bytes[start + 2] == UInt8(ascii: "!")
                    || (bytes[start + 2] == UInt8(ascii: "<") && start + 3 < bytes.count
                        && (bytes[start + 3] == UInt8(ascii: "=") || bytes[start + 3] == UInt8(ascii: "!"))))
            groupShortest = lookaround ? 0 : innerShortest
            let opening = Array(bytes[start..<contentStart])
            // Only groups that cannot match the empty string: PCRE2 stops
            // repeating a group at an empty match, and a call of one does
            // not always stop the same way.
            let long = plain && text.count >= minimumLength && innerShortest >= 1
            if counting {
                if long { occurrences[text, default: 0] += 1 }
                return []
            }
            guard long else { return opening + inner + [UInt8(ascii: ")")] }
            let repeated = counted(at: position).flatMap { q in (q.1 ?? 0) >= 2 ? q : nil }
            let again = (occurrences[text] ?? 0) >= 2
            if again, let name = names[text] {
                // Written before: called (a quantifier after it, copied
                // as it is, repeats the call).
                return call(name)
            }
            guard again || repeated != nil else { return opening + inner + [UInt8(ascii: ")")] }
            groups += 1
            let name = Array("swamp_r\(groups)".utf8)
            if again { names[text] = name }
            let defined = Array("(?<".utf8) + name + [UInt8(ascii: ">")] + inner + [UInt8(ascii: ")")]
            guard let (minimum, maximum, end) = repeated else { return defined }
            position = end
            groupShortest = innerShortest * minimum
            let low = max(0, minimum - 1)
            let repeatText: String
            switch maximum {
            case nil: repeatText = "{\(low),}"
            case let m? where m - 1 == low: repeatText = "{\(low)}"
            case let m?: repeatText = "{\(low),\(m - 1)}"
            }
            var out = Array("(?:".utf8) + defined + call(name) + Array(repeatText.utf8) + [UInt8(ascii: ")")]
            // {0,n}: the first copy is optional too.
            if minimum == 0 { out += [UInt8(ascii: "?")] }
            return out
        }

        func call(_ name: [UInt8]) -> [UInt8] { Array("(?&".utf8) + name + [UInt8(ascii: ")")] }

        /// A greedy `{m}`, `{m,}` or `{m,n}` at `i`: its bounds and the
        /// index after it; nil for anything else (a lazy or possessive
        /// one, or a brace that is a literal).
        func counted(at i: Int, anySuffix: Bool = false) -> (Int, Int?, Int)? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
            var j = i + 1
            func number() -> Int? {
                let s = j
                while j < bytes.count, bytes[j] >= UInt8(ascii: "0"), bytes[j] <= UInt8(ascii: "9"), j - s < 5 { j += 1 }
                return j > s ? Int(String(decoding: bytes[s..<j], as: UTF8.self)) : nil
            }
            guard let minimum = number() else { return nil }
            var maximum: Int? = minimum
            if j < bytes.count, bytes[j] == UInt8(ascii: ",") {
                j += 1
                maximum = number()
                if let m = maximum, m < minimum { return nil }
            }
            guard j < bytes.count, bytes[j] == UInt8(ascii: "}") else { return nil }
            j += 1
            if !anySuffix, j < bytes.count, bytes[j] == UInt8(ascii: "?") || bytes[j] == UInt8(ascii: "+") { return nil }
            return (minimum, maximum, j)
        }
    }
}
