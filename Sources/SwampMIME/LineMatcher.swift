// A small backtracking matcher for the fixed shapes of Received header
// lines. Patterns are built from Swift values (literals, `\S+`-like runs,
// IP addresses, lazy gaps, optional groups and captures); matching is
// anchored at the start and tries longer runs first, like a regex would.
// Lines are short (a few hundred bytes) and patterns are linear sequences,
// so the search stays small; a step budget bounds it anyway.

/// Not `indirect`: the nested cases hold arrays, which are references
/// already, so reading a pattern's parts takes no box of its own.
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
    let pats: [Pat]
    let literals: [[UInt8]]

    init(_ pats: [Pat]) {
        self.pats = pats
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
        return matchUnchecked(pattern.pats, at: start)
    }

    private mutating func matchUnchecked(_ pattern: [Pat], at start: Int) -> Bool {
        for i in caps.indices { caps[i] = nil }
        steps = 0
        return m(pattern[...], start) { _, _ in true }
    }

    /// Matches `pattern` at the first position where it matches (unanchored).
    mutating func search(_ linePattern: LinePattern) -> Bool {
        guard literalsPresent(linePattern, from: 0) else { return false }
        let pattern = linePattern.pats
        // A leading literal: only its occurrences can start a match.
        if case .lit(let u)? = pattern.first {
            var from = 0
            while let st = firstIndexOf(u, in: s, from: from) {
                if matchUnchecked(pattern, at: st) { return true }
                from = st + 1
            }
            return false
        }
        for st in 0...s.count where matchUnchecked(pattern, at: st) { return true }
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

    /// `follow` is the byte that must come right after `pat`'s match
    /// (the first of a literal that follows the group `pat` is the inside
    /// of), or -1 when unknown.
    private mutating func m(_ pat: ArraySlice<Pat>, _ pos: Int, follow: Int = -1,
                            _ k: (inout LineMatcher, Int) -> Bool) -> Bool {
        steps += 1
        if steps > 20_000 { return false }
        guard let first = pat.first else { return k(&self, pos) }
        let rest = pat.dropFirst()
        // A greedy run followed by a literal can end only before the
        // literal's first byte: the other ends are not even tried. A group's
        // last part looks past the group's end.
        let next = rest.isEmpty ? follow : Self.firstByte(rest.first!)
        @inline(__always) func viable(_ e: Int) -> Bool { next < 0 || (e < s.count && Int(s[e]) == next) }
        switch first {
        case .lit(let u):
            guard s.count - pos >= u.count else { return false }
            var i = 0
            while i < u.count { if s[pos + i] != u[i] { return false }; i += 1 }
            return m(rest, pos + u.count, follow: follow, k)
        case .nonSpace(let min):
            var e = pos
            while e < s.count && !s[e].isSpace { e += 1 }
            while e - pos >= min {
                if viable(e) && m(rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .notIn(let set, let min), .anyIn(let set, let min):
            let negate: Bool
            if case .notIn = first { negate = true } else { negate = false }
            var e = pos
            while e < s.count && (set.contains(s[e]) != negate) { e += 1 }
            while e - pos >= min {
                if viable(e) && m(rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .digits(let min):
            var e = pos
            while e < s.count && s[e].isDigit { e += 1 }
            while e - pos >= min {
                if viable(e) && m(rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .ip:
            return LineMatcher.anyIPEnd(s, pos) { e in viable(e) && m(rest, e, follow: follow, k) }
        case .gap:
            if case .lit(let u)? = rest.first {
                // Lazy: the nearest occurrences of the next literal first.
                var from = pos
                while let e = firstIndexOf(u, in: s, from: from) {
                    if m(rest, e, follow: follow, k) { return true }
                    from = e + 1
                }
                return false
            }
            var e = pos
            while e <= s.count {
                if m(rest, e, follow: follow, k) { return true }
                e += 1
            }
            return false
        case .rest:
            if case .lit(let u)? = rest.first {
                // Greedy: the farthest occurrences of the next literal first.
                var hits: [Int] = []
                var from = pos
                while let e = firstIndexOf(u, in: s, from: from) { hits.append(e); from = e + 1 }
                for e in hits.reversed() where m(rest, e, follow: follow, k) { return true }
                return false
            }
            var e = s.count
            while e >= pos {
                if m(rest, e, follow: follow, k) { return true }
                e -= 1
            }
            return false
        case .end:
            return pos == s.count && m(rest, pos, follow: follow, k)
        case .wordBoundaryAfter:
            let before = pos > 0 ? s[pos - 1].isWord : false
            let after = pos < s.count ? s[pos].isWord : false
            return before != after && m(rest, pos, follow: follow, k)
        case .opt(let inner):
            if m(inner[...], pos, follow: next, { me, e in me.m(rest, e, follow: follow, k) }) { return true }
            return m(rest, pos, follow: follow, k)
        case .alt(let options):
            for o in options where m(o[...], pos, follow: next, { me, e in me.m(rest, e, follow: follow, k) }) { return true }
            return false
        case .cap(let n, let inner):
            let saved = caps[n]
            let ok = m(inner[...], pos, follow: next) { me, e in
                let prev = me.caps[n]
                me.caps[n] = pos..<e
                if me.m(rest, e, follow: follow, k) { return true }
                me.caps[n] = prev
                return false
            }
            if !ok { caps[n] = saved }
            return ok
        }
    }

    /// The byte a match of `p` must start with, or -1 when it can vary.
    private static func firstByte(_ p: Pat) -> Int {
        if case .lit(let u) = p, let b = u.first { return Int(b) }
        return -1
    }
}

/// Shorthands for building patterns.
func L(_ s: String) -> Pat { .lit(Array(s.utf8)) }
let S = Pat.nonSpace(min: 1)
let S0 = Pat.nonSpace(min: 0)
let IP = Pat.ip
func C(_ n: Int, _ p: Pat...) -> Pat { .cap(n, p) }
