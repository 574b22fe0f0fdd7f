/// Finds which of many strings occur in a text, in one pass, ignoring ASCII
/// case. Built once per rule set and shared by every scan. Hyperscan's
/// literal matcher does the looking where it runs (LiteralScanner);
/// otherwise, or when asked, this type's own Aho–Corasick automaton,
/// compiled to a table indexed by state and byte class.
///
/// The table's columns are byte classes rather than bytes: every byte that
/// appears in no string shares one class, and an upper-case letter shares
/// its lower-case letter's. With a few thousand strings of rules that is
/// some tens of classes; states are 16-bit, which keeps the table a few
/// megabytes. Should the strings need more than 65,535 states, they are
/// cut to shorter prefixes until they fit: a string is then reported when
/// its prefix occurs, which is what a prefilter may do (a text holding a
/// string holds its prefix).
public final class LiteralMatcher: Sendable {
    /// How to look: Hyperscan's literal matcher where it runs (`automatic`),
    /// else, or when asked (`automaton`), the table below; or both
    /// (`hybrid`): Hyperscan for texts of `minimumLength` bytes and more,
    /// the table for shorter ones. A call into Hyperscan costs about as
    /// much as the table's walk over a short header; over a long text the
    /// table, a megabyte for many strings, misses the processor's cache at
    /// most bytes, while Hyperscan's literal matcher reads several bytes a
    /// step from tables that stay in it.
    public enum Engine: Sendable, Equatable { case automatic, automaton, hybrid(minimumLength: Int) }

    public let count: Int
    /// Hyperscan, when it took the strings; then the table is empty,
    /// unless `hybrid`.
    private let hyperscan: LiteralScanner?
    /// Texts this long and longer go to Hyperscan (when it took the strings).
    private let hyperscanFrom: Int
    private let classOf: [UInt8]
    private let classCount: Int
    /// next state = transitions[state * classCount + class]
    private let transitions: [UInt16]
    /// For each state, the strings ending there (directly or by a suffix),
    /// as a range into `outputs`; empty for most states.
    private let outputStart: [Int32]
    private let outputs: [Int32]

    /// `strings` in any case; matching folds ASCII letters. `ids`, for the
    /// automaton only: the number each string is reported as (its position
    /// otherwise), so that several matchers can mark one array; `count` is
    /// then the largest number plus one.
    public init(_ strings: [[UInt8]], engine: Engine = .automatic, reporting ids: [Int32]? = nil) {
        precondition(ids == nil || (engine != .automatic && ids!.count == strings.count && ids!.allSatisfy { $0 >= 0 }),
                     "reported numbers are for the automaton, one per string")
        count = ids.map { Int($0.max() ?? -1) + 1 } ?? strings.count
        if engine == .automatic, let scanner = LiteralScanner(strings) {
            hyperscan = scanner
            hyperscanFrom = 0
            classOf = []
            classCount = 1
            transitions = []
            outputStart = []
            outputs = []
            return
        }
        if case .hybrid(let minimumLength) = engine, let scanner = LiteralScanner(strings, ids: ids) {
            (hyperscan, hyperscanFrom) = (scanner, minimumLength)
        } else {
            (hyperscan, hyperscanFrom) = (nil, 0)
        }
        func fold(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b + 32 : b }

        // Byte classes.
        var classes = [UInt8](repeating: 0, count: 256)
        var used = [Bool](repeating: false, count: 256)
        for s in strings { for b in s { used[Int(fold(b))] = true } }
        // Folded, at most 230 distinct bytes are in use: the classes fit.
        var next: UInt8 = 1
        for b in 0..<256 where used[b] {
            classes[b] = next
            next += 1
        }
        for b in 65...90 { classes[b] = classes[b + 32] }
        let width = Int(classes.max() ?? 0) + 1

        // The trie, of at most 65,535 states.
        var goto: [[Int32]] = []
        var ending: [[Int32]] = []
        var cut = strings.map(\.count).max() ?? 0
        repeat {
            goto = [[Int32](repeating: -1, count: width)]
            ending = [[]]
            for (id, s) in strings.enumerated() {
                var state = 0
                for b in s.prefix(cut) {
                    let c = Int(classes[Int(fold(b))])
                    if goto[state][c] < 0 {
                        goto[state][c] = Int32(goto.count)
                        goto.append([Int32](repeating: -1, count: width))
                        ending.append([])
                    }
                    state = Int(goto[state][c])
                }
                ending[state].append(ids?[id] ?? Int32(id))
            }
            cut = cut * 3 / 4
        } while goto.count > Int(UInt16.max) && cut > 0

        // Failure links, breadth first, turning the trie into a full table.
        let states = goto.count
        var fail = [Int32](repeating: 0, count: states)
        var queue: [Int] = []
        queue.reserveCapacity(states)
        for c in 0..<width {
            if goto[0][c] < 0 { goto[0][c] = 0 } else { queue.append(Int(goto[0][c])) }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            ending[state] += ending[Int(fail[state])]
            for c in 0..<width {
                let child = goto[state][c]
                if child < 0 {
                    goto[state][c] = goto[Int(fail[state])][c]
                } else {
                    fail[Int(child)] = goto[Int(fail[state])][c]
                    queue.append(Int(child))
                }
            }
        }

        var table: [UInt16] = []
        table.reserveCapacity(states * width)
        for row in goto { table += row.map { UInt16($0) } }
        var start: [Int32] = []
        start.reserveCapacity(states + 1)
        var flat: [Int32] = []
        for e in ending {
            start.append(Int32(flat.count))
            flat += Set(e).sorted()
        }
        start.append(Int32(flat.count))
        classOf = classes
        classCount = width
        transitions = table
        outputStart = start
        outputs = flat
    }

    /// Sets `marks[id] = mark` for every string that occurs in `text`.
    /// `marks` must hold `count` entries. A new mark value per text lets one
    /// array serve many texts with no clearing in between.
    public func mark(_ text: UnsafeBufferPointer<UInt8>, with mark: UInt32, in marks: inout [UInt32]) {
        precondition(marks.count >= count)
        if let hyperscan, text.count >= hyperscanFrom {
            let done = marks.withUnsafeMutableBufferPointer { hyperscan.mark(text, with: mark, in: $0) }
            // Could not scan: every string counts as present (a prefilter
            // may say "maybe", never "no" wrongly).
            if !done { for i in 0..<count { marks[i] = mark } }
            return
        }
        classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { table in
                outputStart.withUnsafeBufferPointer { start in
                    outputs.withUnsafeBufferPointer { outputs in
                        marks.withUnsafeMutableBufferPointer { marks in
                            let width = classCount
                            var state = 0
                            for b in text {
                                state = Int(table[state &* width &+ Int(classOf[Int(b)])])
                                let lo = Int(start[state]), hi = Int(start[state &+ 1])
                                if lo != hi {
                                    for k in lo..<hi { marks[Int(outputs[k])] = mark }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Which pieces of `text` each string occurs in (each piece looked at
    /// alone): bit n of `bits[string * words + n / 64]` for piece n.
    /// `words` must be at least `(pieces.count + 63) / 64` and `bits` hold
    /// `count * words` zeros. Should Hyperscan fail, every string counts
    /// as present in every piece.
    public func markPieces(_ text: UnsafeBufferPointer<UInt8>, pieces: UnsafeBufferPointer<Range<Int>>, words: Int,
                           into bits: inout [UInt64]) {
        precondition(words * 64 >= pieces.count && bits.count >= count * words)
        if let hyperscan, text.count >= hyperscanFrom {
            let done = bits.withUnsafeMutableBufferPointer { hyperscan.markPieces(text, pieces: pieces, words: words, into: $0) }
            if !done { for i in bits.indices { bits[i] = ~0 } }
            return
        }
        classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { table in
                outputStart.withUnsafeBufferPointer { start in
                    outputs.withUnsafeBufferPointer { outputs in
                        bits.withUnsafeMutableBufferPointer { bits in
                            let width = classCount
                            for (n, range) in pieces.enumerated() {
                                let bit: UInt64 = 1 << UInt64(n & 63), word = n >> 6
                                var state = 0
                                for b in text[range] {
                                    state = Int(table[state &* width &+ Int(classOf[Int(b)])])
                                    let lo = Int(start[state]), hi = Int(start[state &+ 1])
                                    if lo != hi {
                                        for k in lo..<hi { bits[Int(outputs[k]) &* words &+ word] |= bit }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Which strings occur in `text`, by number: for tests and one-offs.
    public func occurring(in text: [UInt8]) -> Set<Int> {
        var marks = [UInt32](repeating: 0, count: count)
        text.withUnsafeBufferPointer { mark($0, with: 1, in: &marks) }
        return Set(marks.indices.filter { marks[$0] == 1 })
    }

    /// The automaton's states, at most 65,535 (0 with Hyperscan).
    var stateCount: Int { transitions.count / classCount }

    /// Whether Hyperscan does the looking.
    public var usesHyperscan: Bool { hyperscan != nil }

    /// The table's size in bytes, for the record.
    public var tableBytes: Int { transitions.count * 2 + outputs.count * 4 + outputStart.count * 4 + 256 }
}
