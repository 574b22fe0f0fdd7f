// A small backtracking matcher for the fixed shapes of Received header
// lines. Patterns are built from Swift values (literals, `\S+`-like runs,
// IP addresses, lazy gaps, optional groups and captures); matching is
// anchored at the start and tries longer runs first, like a regex would.
// Lines are short (a few hundred bytes) and patterns are linear sequences,
// so the search stays small; a step budget bounds it anyway.

indirect enum Pat {
    case lit(String)                 // exact bytes
    case nonSpace(min: Int)          // \S{min,} greedy
    case notIn(String, min: Int)     // [^chars]{min,} greedy (chars: set)
    case anyIn(String, min: Int)     // [chars]{min,} greedy
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
    mutating func match(_ pattern: [Pat], at start: Int = 0) -> Bool {
        for i in caps.indices { caps[i] = nil }
        steps = 0
        return m(pattern[...], start) { _, _ in true }
    }

    /// Matches `pattern` at the first position where it matches (unanchored).
    mutating func search(_ pattern: [Pat]) -> Bool {
        // A pattern that starts with a literal can only match where its
        // first byte is: skip every other position without a match attempt.
        var firstByte: UInt8? = nil
        if case .lit(let l)? = pattern.first { firstByte = l.utf8.first }
        for st in 0...s.count {
            if let b = firstByte, st >= s.count || s[st] != b { continue }
            if match(pattern, at: st) { return true }
        }
        return false
    }

    static func ipEnds(_ s: [UInt8], _ p: Int) -> [Int] {
        // Optional "IPv6:" prefix.
        var st = p
        if s.count - p >= 5, s[p..<(p + 5)].equalsLowercase("ipv6:") { st = p + 5 }
        var e = st
        while e < s.count, s[e].isHexDigit || s[e] == 58 || s[e] == 46 { e += 1 }
        guard e > st else { return [] }
        var out: [Int] = []
        var k = e
        while k > st {
            let t = Substring(String(decoding: s[st..<k], as: UTF8.self))
            if let a = IPAddress(t), !t.hasPrefix("["), !(t.hasSuffix(".") || t.hasSuffix(":")) || t.hasSuffix("::") {
                if a.bytes.count == 4 && !t.contains(":") {
                    // \b(?<!:) IPv4 \b
                    let before = st > 0 ? s[st - 1] : 32
                    let after = k < s.count ? s[k] : 32
                    if !before.isWord && before != 58 && !after.isWord && !(st == p + 5 && st != p) {
                        out.append(k)
                    }
                } else if t.contains(":") {
                    let before = p > 0 ? s[p - 1] : 32
                    let after = k < s.count ? s[k] : 32
                    if st != p || !(before.isHexDigit || before == 58) {
                        if !(after.isHexDigit || after == 58) { out.append(k) }
                    }
                }
            }
            k -= 1
        }
        return out
    }

    private mutating func m(_ pat: ArraySlice<Pat>, _ pos: Int, _ k: (inout LineMatcher, Int) -> Bool) -> Bool {
        steps += 1
        if steps > 20_000 { return false }
        guard let first = pat.first else { return k(&self, pos) }
        let rest = pat.dropFirst()
        switch first {
        case .lit(let l):
            var i = pos
            for c in l.utf8 {
                guard i < s.count, s[i] == c else { return false }
                i += 1
            }
            return m(rest, i, k)
        case .nonSpace(let min):
            var e = pos
            while e < s.count && !s[e].isSpace { e += 1 }
            while e - pos >= min {
                if m(rest, e, k) { return true }
                e -= 1
            }
            return false
        case .notIn(let chars, let min), .anyIn(let chars, let min):
            let negate: Bool
            if case .notIn = first { negate = true } else { negate = false }
            var e = pos
            while e < s.count && (chars.utf8.contains(s[e]) != negate) { e += 1 }
            while e - pos >= min {
                if m(rest, e, k) { return true }
                e -= 1
            }
            return false
        case .digits(let min):
            var e = pos
            while e < s.count && s[e].isDigit { e += 1 }
            while e - pos >= min {
                if m(rest, e, k) { return true }
                e -= 1
            }
            return false
        case .ip:
            for e in LineMatcher.ipEnds(s, pos) where m(rest, e, k) { return true }
            return false
        case .gap:
            var e = pos
            while e <= s.count {
                if m(rest, e, k) { return true }
                e += 1
            }
            return false
        case .rest:
            var e = s.count
            while e >= pos {
                if m(rest, e, k) { return true }
                e -= 1
            }
            return false
        case .end:
            return pos == s.count && m(rest, pos, k)
        case .wordBoundaryAfter:
            let before = pos > 0 ? s[pos - 1].isWord : false
            let after = pos < s.count ? s[pos].isWord : false
            return before != after && m(rest, pos, k)
        case .opt(let inner):
            // Continuations instead of concatenated pattern arrays: the
            // closures are non-escaping, so nothing is allocated.
            if m(inner[...], pos, { me, e in me.m(rest, e, k) }) { return true }
            return m(rest, pos, k)
        case .alt(let options):
            for o in options where m(o[...], pos, { me, e in me.m(rest, e, k) }) { return true }
            return false
        case .cap(let n, let inner):
            let saved = caps[n]
            let ok = m(inner[...], pos) { me, e in
                let prev = me.caps[n]
                me.caps[n] = pos..<e
                if me.m(rest, e, k) { return true }
                me.caps[n] = prev
                return false
            }
            if !ok { caps[n] = saved }
            return ok
        }
    }
}

/// Shorthands for building patterns.
func L(_ s: String) -> Pat { .lit(s) }
let S = Pat.nonSpace(min: 1)
let S0 = Pat.nonSpace(min: 0)
let IP = Pat.ip
func C(_ n: Int, _ p: Pat...) -> Pat { .cap(n, p) }
