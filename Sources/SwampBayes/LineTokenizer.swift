// One line of text → Bayes token strings, with the normalisations of
// SpamAssassin's Plugin/Bayes.pm `_tokenize_line` (4.0): which bytes make
// words, "..." and "--" splits, Title Case folding at sentence starts,
// trimming, the stop list, address and domain break-outs, `u8:` and `sk:`
// forms of long tokens, and the decomposed variants of body tokens.
// Written from the documented behaviour; see the tests for the cases.

/// Where a line came from; the rules differ per region.
enum Region { case header, body, uri }

/// What takes the tokens the line tokenizer finds, each given as a head
/// (usually a prefix such as `I*:`) and the rest, so that no token need be
/// put together in memory of its own. `count` counts every token taken,
/// empty ones included.
protocol TokenSink {
    var count: Int { get }
    mutating func take<H: Collection, T: Collection>(_ head: H, _ tail: T) where H.Element == UInt8, T.Element == UInt8
}

/// Token strings, one array each.
extension Array: TokenSink where Element == [UInt8] {
    mutating func take<H: Collection, T: Collection>(_ head: H, _ tail: T) where H.Element == UInt8, T.Element == UInt8 {
        var t = [UInt8]()
        t.reserveCapacity(head.count + tail.count)
        t.append(contentsOf: head)
        t.append(contentsOf: tail)
        append(t)
    }
}

struct LineTokenizer {
    let maxTokenLength: Int
    let stopwords: Stopwords

    /// Appends the tokens of `line` (each prefixed with `prefix`) to `out`.
    func tokenize<Sink: TokenSink>(_ line: [UInt8], prefix: [UInt8], region: Region, into out: inout Sink) {
        var s = Self.wordBytes(line)
        s = Self.splitRuns(s, of: UInt8(ascii: "."), min: 3)
        s = Self.splitRuns(s, of: UInt8(ascii: "-"), min: 2)
        if region != .header { s = Self.lowerTitleCase(s) }
        var i = 0
        let n = s.count
        while i < n {
            while i < n && isSpace(s[i]) { i += 1 }
            let start = i
            while i < n && !isSpace(s[i]) { i += 1 }
            if i > start { token(s[start..<i], prefix: prefix, region: region, into: &out) }
        }
    }

    private func token<Sink: TokenSink>(_ raw: ArraySlice<UInt8>, prefix: [UInt8], region: Region,
                                        into out: inout Sink) {
        // Trim -'". , from both ends so `"foo` and `foo,` are `foo`.
        var lo = raw.startIndex, hi = raw.endIndex
        while lo < hi && isTrim(raw[lo]) { lo += 1 }
        while hi > lo && isTrim(raw[hi - 1]) { hi -= 1 }
        var token = raw[lo..<hi]
        // Tokens under three bytes are too grey to keep.
        if token.count < 3 { return }
        if stopwords.contains(token) { return }

        if region != .header {
            if Self.hasAddress(token) {
                Self.mailAddressTokens(token, into: &out)
            } else if Self.hasDomain(token) {
                // "UD:" = URL domain: the token and each parent domain.
                out.take(Self.ud, token)
                var bit = token
                while let dot = bit.firstIndex(of: UInt8(ascii: ".")), dot > bit.startIndex, dot + 1 < bit.endIndex {
                    bit = bit[(dot + 1)...]
                    out.take(Self.ud, bit)
                }
            }
        }

        // Long tokens: keep 3- and 4-byte UTF-8 characters one by one, or
        // the first seven characters ("sk:" = skip). Tokens with '*' are
        // split tokens such as "HTo:D*net" and stay whole.
        if token.count > maxTokenLength && !token.contains(UInt8(ascii: "*")) {
            if Self.hasTwoContinuationBytes(token) {
                let chars = Self.wideUTF8Characters(token)
                if !chars.isEmpty {
                    for c in chars { out.take(prefix, Self.u8 + c) }
                    return
                }
            }
            if region != .uri, let cut = Self.sevenCharacterPrefix(token) {
                token = (Self.sk + token[..<(token.startIndex + cut)])[...]
            }
        }

        if region != .header {
            let hasOther = token.contains { !isWordOrSplit($0) }
            if hasOther { out.take(prefix, token.filter(isWordOrSplit)) }
            if token.contains(where: { $0 >= 65 && $0 <= 90 }) {
                let lower = token.map(asciiLower)
                out.take(prefix, lower)
                if hasOther { out.take(prefix, lower.filter(isWordOrSplit)) }
            }
        }
        out.take(prefix, token)
    }

    static let ud = Array("UD:".utf8)
    static let u8 = Array("u8:".utf8)
    static let sk = Array("sk:".utf8)

    /// Bytes that make words: `[A-Za-z0-9,@*!_'"$. -]`, whole UTF-8
    /// sequences and `\xA1-\xFF`; anything else becomes a space (bug 7130).
    static func wordBytes(_ line: [UInt8]) -> [UInt8] {
        // Lines of word bytes only (and UTF-8 and high bytes, kept as they
        // are) come back unchanged, sharing their storage.
        let n = line.count
        var i = 0
        while i < n {
            // The loop below, up to the first byte it would change.
            let b = line[i]
            if isWordByte(b) { i += 1; continue }
            let len = utf8SequenceLength(line, at: i)
            if len > 1 { i += len; continue }
            if b >= 0xA1 { i += 1; continue }
            break
        }
        if i >= n { return line }
        var out = [UInt8]()
        out.reserveCapacity(n)
        out.append(contentsOf: line[0..<i])
        while i < n {
            let b = line[i]
            if isWordByte(b) { out.append(b); i += 1; continue }
            let len = utf8SequenceLength(line, at: i)
            if len > 1 {
                out.append(contentsOf: line[i..<(i + len)]); i += len
            } else if b >= 0xA1 {
                out.append(b); i += 1
            } else {
                out.append(32); i += 1
            }
        }
        return out
    }

    /// `s/(\w)(X{min,6})(\w)/$1 $2 $3/g`: runs of dots or dashes between word
    /// characters become their own token.
    static func splitRuns(_ s: [UInt8], of c: UInt8, min: Int) -> [UInt8] {
        // Most lines have dots and dashes but no run to split: they come
        // back unchanged, sharing their storage, after one look.
        hasRun(s, of: c, min: min) ? splittingRuns(s, of: c, min: min) : s
    }

    /// `splitRuns`' substitution, always made on a copy.
    static func splittingRuns(_ s: [UInt8], of c: UInt8, min: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(s.count + 8)
        let n = s.count
        var i = 0
        while i < n {
            if isWord(s[i]) {
                var j = i + 1
                while j < n && s[j] == c { j += 1 }
                let run = j - i - 1
                if run >= min && run <= 6 && j < n && isWord(s[j]) {
                    out.append(s[i]); out.append(32)
                    out.append(contentsOf: s[(i + 1)..<j])
                    out.append(32); out.append(s[j])
                    i = j + 1
                    continue
                }
            }
            out.append(s[i]); i += 1
        }
        return out
    }

    /// Whether `splitRuns` would change `s`: a word byte, `min` to 6 of
    /// `c`, a word byte. (Its loop's first match, without the copying.)
    static func hasRun(_ s: [UInt8], of c: UInt8, min: Int) -> Bool {
        s.withUnsafeBufferPointer { s in
            let n = s.count
            var i = 0
            while i < n {
                guard s[i] == c else { i += 1; continue }
                // A run of `c` from i; the byte before it must be a word byte.
                var j = i + 1
                while j < n && s[j] == c { j += 1 }
                let run = j - i
                if i > 0 && isWord(s[i - 1]) && run >= min && run <= 6 && j < n && isWord(s[j]) { return true }
                i = j
            }
            return false
        }
    }

    /// `s/(?:^|\.\s+)([A-Z])([^A-Z]+)(?:\s|$)/ ' '.lc($1).$2.' ' /ge`: a
    /// capital that starts the line or a sentence is lowercased when no
    /// other capital follows before a space. Emulates the regex exactly,
    /// greedy `[^A-Z]+` included (it can swallow a following ". ").
    static func lowerTitleCase(_ s: [UInt8]) -> [UInt8] {
        let n = s.count
        var out = [UInt8]()
        var copied = 0
        var p = 0
        while p < n {
            // Try a match starting at p.
            var capital = -1
            if p == 0 && isUpper(s[0]) { capital = 0 }
            if capital < 0 && s[p] == UInt8(ascii: ".") {
                var q = p + 1
                while q < n && isPerlSpace(s[q]) { q += 1 }
                if q > p + 1 && q < n && isUpper(s[q]) { capital = q }
            }
            if capital >= 0, let end = titleCaseEnd(s, capital: capital) {
                if out.isEmpty { out.reserveCapacity(n + 8) }
                out.append(contentsOf: s[copied..<p])
                out.append(32)
                out.append(s[capital] | 0x20)
                out.append(contentsOf: s[(capital + 1)..<end.groupEnd])
                out.append(32)
                copied = end.matchEnd
                p = end.matchEnd
                // An empty remainder cannot match again; a match always
                // consumes at least two bytes.
                continue
            }
            p += 1
        }
        if copied == 0 { return s }
        out.append(contentsOf: s[copied..<n])
        return out
    }

    private static func titleCaseEnd(_ s: [UInt8], capital: Int) -> (groupEnd: Int, matchEnd: Int)? {
        let n = s.count
        let q = capital + 1
        var u = q
        while u < n && !isUpper(s[u]) { u += 1 }
        if u == n { return u > q ? (n, n) : nil }
        var k = u - 1
        while k > q { if isPerlSpace(s[k]) { return (k, k + 1) }; k -= 1 }
        return nil
    }

    static func hasAddress(_ t: ArraySlice<UInt8>) -> Bool {
        guard t.count >= 3 else { return false }
        for i in (t.startIndex + 1)..<(t.endIndex - 1) where t[i] == UInt8(ascii: "@") {
            if !isPerlSpace(t[i - 1]) && !isPerlSpace(t[i + 1]) { return true }
        }
        return false
    }

    static func hasDomain(_ t: ArraySlice<UInt8>) -> Bool {
        guard t.count >= 3 else { return false }
        for i in (t.startIndex + 1)..<(t.endIndex - 1) where t[i] == UInt8(ascii: ".") {
            let c = t[i + 1] | 0x20
            if !isPerlSpace(t[i - 1]) && c >= 97 && c <= 122 { return true }
        }
        return false
    }

    /// `_tokenize_mail_addrs`: U*local, D*domain and D* for each parent
    /// domain, splitting at the last `@`.
    static func mailAddressTokens<Sink: TokenSink>(_ addr: ArraySlice<UInt8>, into out: inout Sink) {
        guard let at = addr.lastIndex(of: UInt8(ascii: "@")), at > addr.startIndex, at + 1 < addr.endIndex else { return }
        out.take(userMark, addr[..<at])
        var domain = addr[(at + 1)...]
        out.take(domainMark, domain)
        while let dot = domain.firstIndex(of: UInt8(ascii: ".")), dot > domain.startIndex, dot + 1 < domain.endIndex {
            domain = domain[(dot + 1)...]
            out.take(domainMark, domain)
        }
    }

    static func mailAddressTokens<Sink: TokenSink>(_ addr: [UInt8], into out: inout Sink) {
        mailAddressTokens(addr[...], into: &out)
    }

    static let userMark = Array("U*".utf8)
    static let domainMark = Array("D*".utf8)

    static func hasTwoContinuationBytes(_ t: ArraySlice<UInt8>) -> Bool {
        var run = 0
        for b in t {
            if b >= 0x80 && b <= 0xBF { run += 1; if run == 2 { return true } } else { run = 0 }
        }
        return false
    }

    /// `/((?:[\xE0-\xEF]|[\xF0-\xF4][\x80-\xBF])[\x80-\xBF]{2})/g` (bug 7135).
    static func wideUTF8Characters(_ t: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        let n = t.endIndex
        var i = t.startIndex
        while i < n {
            let b = t[i]
            if b >= 0xE0 && b <= 0xEF, i + 2 < n, isCont(t[i + 1]), isCont(t[i + 2]) {
                out.append(t[i..<(i + 3)]); i += 3; continue
            }
            if b >= 0xF0 && b <= 0xF4, i + 3 < n, isCont(t[i + 1]), isCont(t[i + 2]), isCont(t[i + 3]) {
                out.append(t[i..<(i + 4)]); i += 4; continue
            }
            i += 1
        }
        return out
    }

    /// The end of the first seven characters (UTF-8 sequences or single
    /// bytes) when at least two more bytes follow (bug 7141), else nil.
    static func sevenCharacterPrefix(_ t: ArraySlice<UInt8>) -> Int? {
        var i = t.startIndex
        for _ in 0..<7 {
            guard i < t.endIndex else { return nil }
            let b = t[i]
            if b <= 0x7F || b >= 0xF5 { i += 1 } else { i += max(1, utf8SequenceLength(t, at: i)) }
        }
        return t.endIndex - i >= 2 ? i - t.startIndex : nil
    }
}

/// SpamAssassin's stop list: tokens matching it are dropped. The built-in
/// English list is the expansion of the `bayes_stopword_en` regex of
/// 60_bayes_stopwords.cf (matched whole, case-insensitively).
struct Stopwords: Sendable {
    let words: Set<[UInt8]>

    static let english: [String] = [
        "able", "already", "all", "and", "any", "are", "because", "both", "can", "come",
        "each", "email", "even", "few", "first", "for", "from", "give", "have", "has", "http",
        "information", "into", "it's", "just", "know", "like", "long", "look", "made", "mail",
        "mailing", "mailto", "make", "many", "more", "most", "much", "need", "not", "now",
        "number", "off", "only", "one", "out", "own", "people", "place", "right", "same",
        "see", "such", "that", "this", "through", "the", "time", "using", "web", "where",
        "why", "with", "without", "world", "work", "year", "years", "you", "you're", "your",
    ]

    init(languages: [String]) {
        words = languages.contains("en") ? Set(Self.english.map { Array($0.utf8) }) : []
        packed = Set(words.compactMap { Self.pack($0) })
    }

    /// The lowercased words packed into two integers each (none is longer
    /// than 16 bytes), so a lookup allocates nothing.
    private let packed: Set<PackedWord>

    struct PackedWord: Hashable, Sendable {
        var low: UInt64 = 0
        var high: UInt64 = 0

        /// Looked up for every token: the mix of `TokenHash` instead of SipHash.
        func _rawHashValue(seed: Int) -> Int {
            Int(truncatingIfNeeded: mixedHash(low ^ (high &* 0xC2B2_AE3D_27D4_EB4F), seed: seed))
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(low)
            hasher.combine(high)
        }
    }

    /// The token lowercased and packed, when it is short enough to be a word.
    @inline(__always)
    private static func pack<C: Collection>(_ token: C) -> PackedWord? where C.Element == UInt8 {
        guard token.count <= 11 else { return nil }
        var p = PackedWord()
        var k: UInt64 = 0
        for b in token {
            let c = UInt64(asciiLower(b))
            if k < 8 { p.low |= c << (k * 8) } else { p.high |= c << ((k - 8) * 8) }
            k += 1
        }
        p.high |= UInt64(token.count) << 56
        return p
    }

    func contains<C: Collection>(_ token: C) -> Bool where C.Element == UInt8 {
        guard !packed.isEmpty, let p = Self.pack(token) else { return false }
        return packed.contains(p)
    }
}

@inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 32 }
@inline(__always) func isPerlSpace(_ b: UInt8) -> Bool { b == 32 || (b >= 9 && b <= 13) }
@inline(__always) func isUpper(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }
@inline(__always) func isCont(_ b: UInt8) -> Bool { b >= 0x80 && b <= 0xBF }
@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }
@inline(__always) func isWord(_ b: UInt8) -> Bool {
    (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
}
/// `[\w:*]`: what decomposition keeps.
@inline(__always) func isWordOrSplit(_ b: UInt8) -> Bool { isWord(b) || b == 58 || b == 42 }
@inline(__always) func isTrim(_ b: UInt8) -> Bool { b == 45 || b == 39 || b == 34 || b == 46 || b == 44 }
/// `[A-Za-z0-9,@*!_'"$. -]`
@inline(__always) func isWordByte(_ b: UInt8) -> Bool {
    isWord(b) || b == 44 || b == 64 || b == 42 || b == 33 || b == 39 || b == 34 || b == 36 || b == 46 || b == 32 || b == 45
}

/// The length of a well-formed 2-, 3- or 4-byte UTF-8 sequence at `i`
/// (by the loose lead/continuation shape Plugin/Bayes.pm uses), else 0.
@inline(__always) func utf8SequenceLength(_ s: [UInt8], at i: Int) -> Int {
    utf8SequenceLength(s[...], at: i)
}

@inline(__always) func utf8SequenceLength(_ s: ArraySlice<UInt8>, at i: Int) -> Int {
    let b = s[i], n = s.endIndex
    if b >= 0xC0 && b <= 0xDF { return i + 1 < n && isCont(s[i + 1]) ? 2 : 0 }
    if b >= 0xE0 && b <= 0xEF { return i + 2 < n && isCont(s[i + 1]) && isCont(s[i + 2]) ? 3 : 0 }
    if b >= 0xF0 && b <= 0xF4 { return i + 3 < n && isCont(s[i + 1]) && isCont(s[i + 2]) && isCont(s[i + 3]) ? 4 : 0 }
    return 0
}
