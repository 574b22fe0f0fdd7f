// A small backtracking matcher for the fixed shapes of Received header
// lines. Patterns are built from Swift values (literals, `\S+`-like runs,
// IP addresses, lazy gaps, optional groups and captures); matching is
// anchored at the start and tries longer runs first, like a regex would.
// Lines are short (a few hundred bytes) and patterns are linear sequences,
// so the search stays small; a step budget bounds it anyway. A pattern is
// written as `Pat` values and matched in a flat layout of plain values
// (`FlatProgram`) made once, when the pattern is.

/// A pattern's parts as they are written; matching reads them laid out
/// flat (`FlatProgram`).
enum Pat {
    case lit([UInt8])                // exact bytes
    case nonSpace(min: Int)          // \S{min,} greedy
    case notIn(ByteSet, min: Int)    // [^chars]{min,} greedy
    case anyIn(ByteSet, min: Int)    // [chars]{min,} greedy
    case digits(min: Int)            // \d{min,}
    case ip                          // SpamAssassin IP_ADDRESS
    case gap                         // .*? lazy
    case rest                        // .* greedy
    case end                         // $
    case opt([Pat])                  // (?: ... )?
    case alt([[Pat]])                // (?: a | b )
    case cap(Int, [Pat])             // capture group n
    case wordBoundaryAfter           // \b (after a word char, before a non-word char)
}

/// A pattern with the literals any match must contain, worked out once:
/// `match` and `search` test those before trying the pattern (the
/// parser tries dozens of patterns on every Received line, most of which
/// lack one of their literals), the longest first, as the rarer.
struct LinePattern: Sendable {
    let literals: [[UInt8]]
    /// The literal a match starts with, if any: only its occurrences can
    /// start one (`search`).
    let leadingLiteral: [UInt8]?
    /// The parts flattened: plain values, read through pointers while
    /// matching, so a step takes no reference count (nested arrays of
    /// `Pat` took several a step, most of the matcher's time).
    let program: FlatProgram

    init(_ pats: [Pat]) {
        program = FlatProgram(pats)
        if case .lit(let u)? = pats.first { leadingLiteral = u } else { leadingLiteral = nil }
        var found: [[UInt8]] = []
        func collect(_ pattern: [Pat]) {
            for p in pattern {
                switch p {
                case .lit(let l): if l.count >= 2 && !found.contains(l) { found.append(l) }
                case .cap(_, let inner): collect(inner)
                default: break
                }
            }
        }
        collect(pats)
        literals = found.sorted { $0.count > $1.count }
    }
}

/// A 256-bit byte set: a plain value, unlike `ByteSet`'s table.
struct ByteBits: Sendable {
    private var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    init() {}
    init(_ set: ByteSet) {
        for c in 0...255 where set.contains(UInt8(c)) {
            let bit = UInt64(1) << UInt64(c & 63)
            switch c >> 6 {
            case 0: w.0 |= bit
            case 1: w.1 |= bit
            case 2: w.2 |= bit
            default: w.3 |= bit
            }
        }
    }
    @inline(__always) func contains(_ c: UInt8) -> Bool {
        let word: UInt64
        switch c >> 6 {
        case 0: word = w.0
        case 1: word = w.1
        case 2: word = w.2
        default: word = w.3
        }
        return word >> UInt64(c & 63) & 1 == 1
    }
}

/// One part of a flattened pattern. `a` and `b` are a literal's offset and
/// length in the program's bytes, or a group's first part and part count
/// (an alternation's parts are `.seq`s, one per option), or a run's
/// minimum length in `a`; `n` is a capture's number.
struct FlatPart: Sendable {
    enum Kind: UInt8, Sendable {
        case lit, nonSpace, notIn, anyIn, digits, ip, gap, rest, end, opt, alt, seq, cap, wordBoundaryAfter
    }
    var kind: Kind
    var a: Int32 = 0, b: Int32 = 0
    var n: Int32 = 0
    var set = ByteBits()
}

/// A `[Pat]` laid out flat: each sequence's parts side by side in `parts`,
/// the literals' bytes in `bytes`; the whole pattern is `top`.
struct FlatProgram: Sendable {
    private(set) var parts: [FlatPart] = []
    private(set) var bytes: [UInt8] = []
    private(set) var top: Range<Int> = 0..<0

    init(_ pats: [Pat]) {
        top = add(pats)
    }

    /// Lays out `seq` and returns where its parts are.
    private mutating func add(_ seq: [Pat]) -> Range<Int> {
        let start = parts.count
        // The sequence's own parts first, side by side; the groups' parts
        // after them.
        parts.append(contentsOf: seq.map { _ in FlatPart(kind: .end) })
        for (i, p) in seq.enumerated() {
            let laid = part(p)
            parts[start + i] = laid
        }
        return start..<(start + seq.count)
    }

    private mutating func part(_ p: Pat) -> FlatPart {
        func group(_ kind: FlatPart.Kind, _ inner: [Pat], n: Int = 0) -> FlatPart {
            let r = add(inner)
            return FlatPart(kind: kind, a: Int32(r.lowerBound), b: Int32(r.count), n: Int32(n))
        }
        switch p {
        case .lit(let u):
            let at = bytes.count
            bytes.append(contentsOf: u)
            return FlatPart(kind: .lit, a: Int32(at), b: Int32(u.count))
        case .nonSpace(let min): return FlatPart(kind: .nonSpace, a: Int32(min))
        case .notIn(let set, let min): return FlatPart(kind: .notIn, a: Int32(min), set: ByteBits(set))
        case .anyIn(let set, let min): return FlatPart(kind: .anyIn, a: Int32(min), set: ByteBits(set))
        case .digits(let min): return FlatPart(kind: .digits, a: Int32(min))
        case .ip: return FlatPart(kind: .ip)
        case .gap: return FlatPart(kind: .gap)
        case .rest: return FlatPart(kind: .rest)
        case .end: return FlatPart(kind: .end)
        case .wordBoundaryAfter: return FlatPart(kind: .wordBoundaryAfter)
        case .opt(let inner): return group(.opt, inner)
        case .cap(let n, let inner): return group(.cap, inner, n: n)
        case .alt(let options):
            // The options as sequences, side by side.
            let start = parts.count
            parts.append(contentsOf: options.map { _ in FlatPart(kind: .seq) })
            for (i, o) in options.enumerated() {
                let laid = group(.seq, o)
                parts[start + i] = laid
            }
            return FlatPart(kind: .alt, a: Int32(start), b: Int32(options.count))
        }
    }
}

/// A flattened program as the matcher reads it, through pointers valid
/// for one match.
struct FlatView {
    let parts: UnsafeBufferPointer<FlatPart>
    let bytes: UnsafeBufferPointer<UInt8>

    @inline(__always) func literal(_ p: FlatPart) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(p.a)..<Int(p.a + p.b)])
    }

    /// The byte a match of `p` must start with, or -1 when it can vary.
    @inline(__always) func firstByte(_ p: FlatPart) -> Int {
        p.kind == .lit && p.b > 0 ? Int(bytes[Int(p.a)]) : -1
    }
}

struct LineMatcher {
    let s: [UInt8]
    var caps: [Range<Int>?] = Array(repeating: nil, count: 8)
    var steps = 0

    init(_ s: [UInt8]) { self.s = s }

    func cap(_ i: Int) -> String? {
        guard let r = caps[i] else { return nil }
        return String(decoding: s[r], as: UTF8.self)
    }

    /// Matches `pattern` at `start` (anchored).
    mutating func match(_ pattern: LinePattern, at start: Int = 0) -> Bool {
        guard literalsPresent(pattern, from: start) else { return false }
        return matchUnchecked(pattern, at: start)
    }

    private mutating func matchUnchecked(_ pattern: LinePattern, at start: Int) -> Bool {
        for i in caps.indices { caps[i] = nil }
        steps = 0
        let program = pattern.program
        return program.parts.withUnsafeBufferPointer { parts in
            program.bytes.withUnsafeBufferPointer { bytes in
                m(FlatView(parts: parts, bytes: bytes), program.top, start, follow: -1) { _, _ in true }
            }
        }
    }

    /// Matches `pattern` at the first position where it matches (unanchored).
    mutating func search(_ linePattern: LinePattern) -> Bool {
        guard literalsPresent(linePattern, from: 0) else { return false }
        // A leading literal: only its occurrences can start a match.
        if let u = linePattern.leadingLiteral {
            var from = 0
            while let st = firstIndexOf(u, in: s, from: from) {
                if matchUnchecked(linePattern, at: st) { return true }
                from = st + 1
            }
            return false
        }
        for st in 0...s.count where matchUnchecked(linePattern, at: st) { return true }
        return false
    }

    /// A cheap necessary condition: every mandatory literal occurs somewhere.
    private func literalsPresent(_ pattern: LinePattern, from: Int) -> Bool {
        for l in pattern.literals where firstIndexOf(l, in: s, from: from) == nil { return false }
        return true
    }

    /// Calls `body` with each end of an IP address starting at `p`, longest
    /// first, until it returns true (then true).
    static func anyIPEnd(_ s: [UInt8], _ p: Int, _ body: (Int) -> Bool) -> Bool {
        // Optional "IPv6:" prefix.
        var st = p
        if s.count - p >= 5, s[p..<(p + 5)].equalsLowercase("ipv6:") { st = p + 5 }
        var e = st
        var hasColon = false
        while e < s.count, s[e].isHexDigit || s[e] == 58 || s[e] == 46 { if s[e] == 58 { hasColon = true }; e += 1 }
        guard e > st else { return false }
        let before: UInt8 = st > 0 ? s[st - 1] : 32
        if !hasColon {
            // \b(?<!:) IPv4 \b
            guard st == p, !before.isWord, before != 58, s[st].isDigit else { return false }
            var k = e
            while k > st {
                let after: UInt8 = k < s.count ? s[k] : 32
                if !after.isWord && HostFinder.isStrictIPv4(s[st..<k]) && body(k) { return true }
                k -= 1
            }
            return false
        }
        let beforeP: UInt8 = p > 0 ? s[p - 1] : 32
        if st == p && (beforeP.isHexDigit || beforeP == 58) { return false }
        var k = e
        while k > st {
            let after: UInt8 = k < s.count ? s[k] : 32
            if !(after.isHexDigit || after == 58) {
                let t = Substring(String(decoding: s[st..<k], as: UTF8.self))
                if t.contains(":"), IPAddress.parseIPv6(t) != nil { if body(k) { return true } }
                else if !t.contains(":"), st == p, !before.isWord, before != 58, HostFinder.isStrictIPv4(s[st..<k]), !after.isWord, body(k) { return true }
            }
            k -= 1
        }
        return false
    }

    /// Matches the parts `seq` of the program at `pos`, then `k` at the end.
    /// `follow` is the byte that must come right after `seq`'s match (the
    /// first of a literal that follows the group `seq` is the inside of),
    /// or -1 when unknown.
    private mutating func m(_ prog: FlatView, _ seq: Range<Int>, _ pos: Int, follow: Int,
                            _ k: (inout LineMatcher, Int) -> Bool) -> Bool {
        steps += 1
        if steps > 20_000 { return false }
        guard !seq.isEmpty else { return k(&self, pos) }
        let first = prog.parts[seq.lowerBound]
        let rest = (seq.lowerBound + 1)..<seq.upperBound
        // A greedy run followed by a literal can end only before the
        // literal's first byte: the other ends are not even tried. A group's
        // last part looks past the group's end.
        let next = rest.isEmpty ? follow : prog.firstByte(prog.parts[rest.lowerBound])
        @inline(__always) func viable(_ e: Int) -> Bool { next < 0 || (e < s.count && Int(s[e]) == next) }
        /// The literal that starts `rest`, if it does.
        func restLiteral() -> UnsafeBufferPointer<UInt8>? {
            guard let r = rest.first, prog.parts[r].kind == .lit else { return nil }
            return prog.literal(prog.parts[r])
        }
        switch first.kind {
        case .lit:
            let u = prog.literal(first)
            guard s.count - pos >= u.count else { return false }
            var i = 0
            while i < u.count { if s[pos + i] != u[i] { return false }; i += 1 }
            return m(prog, rest, pos + u.count, follow: follow, k)
        case .nonSpace:
            var e = pos
            while e < s.count && !s[e].isSpace { e += 1 }
            while e - pos >= Int(first.a) {
                if viable(e) && m(prog, rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .notIn, .anyIn:
            let negate = first.kind == .notIn
            var e = pos
            while e < s.count && (first.set.contains(s[e]) != negate) { e += 1 }
            while e - pos >= Int(first.a) {
                if viable(e) && m(prog, rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .digits:
            var e = pos
            while e < s.count && s[e].isDigit { e += 1 }
            while e - pos >= Int(first.a) {
                if viable(e) && m(prog, rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .ip:
            return LineMatcher.anyIPEnd(s, pos) { e in viable(e) && m(prog, rest, e, follow: follow, k) }
        case .gap:
            if let u = restLiteral() {
                // Lazy: the nearest occurrences of the next literal first.
                var from = pos
                while let e = firstIndexOf(u, in: s, from: from) {
                    if m(prog, rest, e, follow: follow, k) { return true }
                    from = e + 1
                }
                return false
            }
            var e = pos
            while e <= s.count {
                if m(prog, rest, e, follow: follow, k) { return true }
                e += 1
            }
            return false
        case .rest:
            if let u = restLiteral() {
                // Greedy: the farthest occurrences of the next literal first.
                var hits: [Int] = []
                var from = pos
                while let e = firstIndexOf(u, in: s, from: from) { hits.append(e); from = e + 1 }
                for e in hits.reversed() where m(prog, rest, e, follow: follow, k) { return true }
                return false
            }
            var e = s.count
            while e >= pos {
                if m(prog, rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .end:
            return pos == s.count && m(prog, rest, pos, follow: follow, k)
        case .wordBoundaryAfter:
            let before = pos > 0 ? s[pos - 1].isWord : false
            let after = pos < s.count ? s[pos].isWord : false
            return before != after && m(prog, rest, pos, follow: follow, k)
        case .opt:
            let inner = Int(first.a)..<Int(first.a + first.b)
            if m(prog, inner, pos, follow: next, { me, e in me.m(prog, rest, e, follow: follow, k) }) { return true }
            return m(prog, rest, pos, follow: follow, k)
        case .alt:
            for o in Int(first.a)..<Int(first.a + first.b) {
                let option = prog.parts[o]
                let inner = Int(option.a)..<Int(option.a + option.b)
                if m(prog, inner, pos, follow: next, { me, e in me.m(prog, rest, e, follow: follow, k) }) { return true }
            }
            return false
        case .seq:
            // Only inside an alternation, which reads it itself.
            return m(prog, Int(first.a)..<Int(first.a + first.b), pos, follow: next) { me, e in
                me.m(prog, rest, e, follow: follow, k)
            }
        case .cap:
            let n = Int(first.n)
            let inner = Int(first.a)..<Int(first.a + first.b)
            let saved = caps[n]
            let ok = m(prog, inner, pos, follow: next) { me, e in
                let prev = me.caps[n]
                me.caps[n] = pos..<e
                if me.m(prog, rest, e, follow: follow, k) { return true }
                me.caps[n] = prev
                return false
            }
            if !ok { caps[n] = saved }
            return ok
        }
    }
}

/// Shorthands for building patterns.
func L(_ s: String) -> Pat { .lit(Array(s.utf8)) }
let S = Pat.nonSpace(min: 1)
let S0 = Pat.nonSpace(min: 0)
let IP = Pat.ip
func C(_ n: Int, _ p: Pat...) -> Pat { .cap(n, p) }
