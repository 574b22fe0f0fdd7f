internal import CHyperscan
#if canImport(Glibc)
import Glibc
#endif

/// Many patterns looked for with Hyperscan, in prefilter mode (long ones
/// exactly, or a leading part of them: `windowLength`):
/// when a pattern matches a text, its number is reported (and sometimes
/// when it does not: lookarounds, back-references and widened repeats make
/// Hyperscan's version looser), so a pattern not reported cannot match and
/// its PCRE2 search is skipped. Which patterns might match is all this
/// answers; PCRE2 still decides every hit. The idea of rspamd's and
/// SpamAssassin's Rule2XSBody prefilters, for every pattern at once.
///
/// Patterns Hyperscan cannot take, even in prefilter mode, are left out:
/// `included` says which are in.
public final class MultiPattern: @unchecked Sendable {
    /// The patterns, split over several databases (see `compile`); each
    /// reports its patterns by their number in the whole set.
    private let databases: [OpaquePointer]
    private let scratches: ScratchPool
    /// Per pattern given: whether the database holds it.
    public let included: [Bool]
    public var count: Int { included.count }
    /// Bytes of the compiled databases.
    public let size: Int
    /// Databases: each is one pass over a scanned text.
    public var databaseCount: Int { databases.count }
    /// Whether the database came from the cache rather than a compile.
    public let fromCache: Bool

    /// Longer patterns are left out unless worth a database alone (see
    /// `windowLength`). SpamAssassin's ReplaceTags-expanded
    /// obfuscation patterns (FUZZY_*, 4–12 KB each) compile to a megabyte
    /// of database apiece and take seconds; below this length the stock
    /// rules' patterns average about 15 KiB and milliseconds.
    public static let maximumLength = 2000

    /// A longer pattern worth a database of its own is compiled exactly,
    /// not in prefilter mode (which approximates a pattern this long to
    /// one that reports every text): whole if Hyperscan can, else its
    /// longest leading part it can (`LeadingPart`: a text where no leading
    /// part matches cannot match the whole), among those up to this long.
    /// SpamAssassin's form-filling patterns, 7–8 KB as the stage gets
    /// them: too large whole; their leading parts of ~5 KB (a field name,
    /// a separator, another field name) compile in about a second to a
    /// megabyte each and let PCRE2 skip six messages of seven.
    public static let windowLength = 6000

    /// Leading parts compiled per pattern, and compiles of long patterns
    /// in all (a failed one takes half a second, a successful one a second;
    /// a part Hyperscan cannot read is turned away before, at no cost):
    /// the daemon's stage compile stops at `StageChild.timeLimit`, and a
    /// rule set of many long patterns must not push the rest of the stage
    /// past it. The stock rules take 14.
    static let leadingPartAttempts = 8
    static let longCompileBudget = 48

    /// A long pattern whose database (whole or leading part) is larger is
    /// left out: every database is memory the daemon keeps and a pass over
    /// each text. The stock `__YOUR_PASSWORD`'s part, 2 MB, scanned for 10
    /// µs a message to spare PCRE2 1 µs (a meta reads it in few messages);
    /// the form-filling ones are 1.1 and 1.5 MB.
    public static let longDatabase = 1536 * 1024

    /// Whether this machine can run Hyperscan (it needs SSSE3 on x86).
    public static var isAvailable: Bool { hs_valid_platform() == HS_SUCCESS }

    /// Compiles `patterns` (PCRE2-syntax text and Perl flags), numbered by
    /// their position, or loads the databases compiled for the same
    /// patterns from `cacheDirectory` (compiling takes seconds for a large
    /// rule set; loading, milliseconds). With `compile: false` only the
    /// cache is tried. nil when nothing could be had or Hyperscan cannot
    /// run here.
    ///
    /// `worthAlone[n]` says whether pattern n is worth a database of its
    /// own however large (PCRE2 must try it at most positions of a text);
    /// the others are taken only when their database is small
    /// (`smallDatabase`), and those share databases (`grouped`). All are
    /// worth it when not given.
    public convenience init?(_ patterns: [(pattern: String, options: RegexOptions)], worthAlone: [Bool]? = nil,
                             cacheDirectory: String? = nil, compile: Bool = true) {
        self.init(patterns, worthAlone: worthAlone, cacheDirectory: cacheDirectory, compile: compile,
                  longFrom: MultiPattern.maximumLength)
    }

    /// `longFrom`: patterns longer than this are taken as long ones
    /// (`windowLength`); tests lower it to try the exact path on short ones.
    init?(_ patterns: [(pattern: String, options: RegexOptions)], worthAlone: [Bool]?,
          cacheDirectory: String?, compile: Bool, longFrom: Int) {
        guard !patterns.isEmpty, MultiPattern.isAvailable else { return nil }
        let flags = patterns.map { MultiPattern.flags($0.options) }
        let texts: [[CChar]] = patterns.map { MultiPattern.text($0.pattern, options: $0.options) }
        let alone = worthAlone ?? [Bool](repeating: true, count: patterns.count)
        precondition(alone.count == patterns.count)
        let cacheFile = cacheDirectory.map { "\($0)/multi-\(MultiPattern.key(texts, flags, worthAlone: alone)).hs" }
        var loaded: ([OpaquePointer], [Bool])? = nil
        var fromCache = false
        if let cacheFile, let l = MultiPattern.load(cacheFile, count: patterns.count) {
            loaded = l
            fromCache = true
        } else if compile, let compiled = MultiPattern.compile(texts, flags, worthAlone: alone, longFrom: longFrom, parts: { i in
            LeadingPart.all(patterns[i].pattern, options: patterns[i].options).lazy
                .map { MultiPattern.text($0, options: patterns[i].options) }
        }) {
            // Hyperscan's compiler works in tens of megabytes of heap; give
            // what it freed back, or a daemon keeps it for good.
            _ = malloc_trim(0)
            if let cacheFile { MultiPattern.store(compiled.0, included: compiled.1, to: cacheFile) }
            loaded = compiled
        }
        guard let (dbs, included) = loaded else { return nil }
        guard let pool = ScratchPool(for: dbs) else { dbs.forEach { hs_free_database($0) }; return nil }
        self.databases = dbs
        self.scratches = pool
        self.included = included
        self.size = dbs.reduce(0) { $0 + MultiPattern.size(of: $1) }
        self.fromCache = fromCache
    }

    deinit { databases.forEach { hs_free_database($0) } }

    /// Scans the pieces, laid out in `text` one after another with a
    /// newline between them (the patterns are compiled multi-line, so `^`
    /// and `$` hold at every piece's edges), and records, per pattern
    /// reported, the number of the piece its first match ends in plus one
    /// (`found` holds 0 for patterns not reported; it must have `count`
    /// entries). A match across pieces only makes the report looser: the
    /// first match ends no later than the first match within a piece, so
    /// the piece recorded is never past the first piece where PCRE2 can
    /// match. One call per database for the whole text: a call costs
    /// about as much as scanning a paragraph. Returns false when Hyperscan
    /// could not scan: then treat every pattern as possibly matching
    /// everywhere.
    public func scan(_ text: UnsafeBufferPointer<UInt8>, pieces: UnsafeBufferPointer<Range<Int>>,
                     into found: inout [UInt32]) -> Bool {
        precondition(found.count == count)
        guard !pieces.isEmpty, let length = UInt32(exactly: text.count) else { return pieces.isEmpty }
        guard let taken = scratches.take() else { return false }
        defer { scratches.give(taken) }
        let scratch = taken.pointer
        var empty: UInt8 = 0
        return withUnsafeMutablePointer(to: &empty) { e in
            found.withUnsafeMutableBufferPointer { marks -> Bool in
                var context = ScanContext(marks: marks.baseAddress!, count: marks.count, pieces: pieces)
                return withUnsafeMutablePointer(to: &context) { c in
                    let base = text.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(e)
                    for database in databases {
                        let rc = hs_scan(database, base.assumingMemoryBound(to: CChar.self), length, 0, scratch,
                                         { id, _, to, _, context in
                                             let c = context!.assumingMemoryBound(to: ScanContext.self)
                                             // A database from the cache is trusted no further than this.
                                             guard Int(id) < c.pointee.count else { return 0 }
                                             if c.pointee.marks[Int(id)] == 0 {
                                                 c.pointee.marks[Int(id)] = UInt32(c.pointee.piece(endingAt: Int(to)) + 1)
                                             }
                                             return 0
                                         }, c)
                        if rc != HS_SUCCESS { return false }
                    }
                    return true
                }
            }
        }
    }

    private struct ScanContext {
        let marks: UnsafeMutablePointer<UInt32>
        let count: Int
        let pieces: UnsafeBufferPointer<Range<Int>>

        /// The last piece starting at or before the match's last byte.
        func piece(endingAt end: Int) -> Int {
            let last = max(0, end - 1)
            var low = 0, high = pieces.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if pieces[mid].lowerBound <= last { low = mid } else { high = mid - 1 }
            }
            return low
        }
    }

    // MARK: Compiling

    static func flags(_ options: RegexOptions) -> UInt32 {
        // Multi-line whatever the rule says: the pieces are scanned as one
        // text, and `^`/`$` must hold at each piece's edges (looser for a
        // rule without /m, which is all a prefilter needs).
        var f = UInt32(HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_MULTILINE)
        if options.contains(.caseless) { f |= UInt32(HS_FLAG_CASELESS) }
        if options.contains(.dotAll) { f |= UInt32(HS_FLAG_DOTALL) }
        return f
    }

    /// The text Hyperscan gets: bounded repeats widened (`widened`), and
    /// `/x`, for which it has no flag, said inline.
    static func text(_ pattern: String, options: RegexOptions) -> [CChar] {
        let extended = options.contains(.extended) || pattern.contains("(?x") || pattern.contains("(?ix")
        let widened = MultiPattern.widened(extended ? pattern : MultiPattern.loosened(pattern))
        let text = MultiPattern.lineAnchored(widened)
        return Array((options.contains(.extended) ? "(?x)" + text : text).utf8CString)
    }

    /// `\A` and `\G` become `^`, `\z` and `\Z` become `$`: the pieces are
    /// scanned as one multi-line text, where those hold only at its very
    /// start or end, and `^`/`$` hold at every piece's edges (and at line
    /// ends within a piece: looser, which a prefilter may be).
    static func lineAnchored(_ pattern: String) -> String {
        let b = Array(pattern.utf8)
        return LoosenParser.rewriting(b, escape: { i, end in
            guard end == i + 2 else { return nil }
            switch b[i + 1] {
            case UInt8(ascii: "A"), UInt8(ascii: "G"): return [UInt8(ascii: "^")]
            case UInt8(ascii: "z"), UInt8(ascii: "Z"): return [UInt8(ascii: "$")]
            default: return nil
            }
        }) { _ in nil }
    }

    /// `x{m,n}` becomes `x*` (m = 0), `x+` (m = 1) or `x{m,}`, and `x{m}`,
    /// `x{m,}` with m over 4 become `x{4,}`: a looser
    /// pattern, so still a prefilter, and one Hyperscan compiles in a
    /// fraction of the time (SpamAssassin's form-filling patterns nest
    /// `{1,3}` groups and `{1,100}` runs: 18 s for one, exactly; 2 s widened).
    /// Braces inside classes, after a backslash or within `\Q…\E` are text.
    public static func widened(_ pattern: String) -> String {
        let b = Array(pattern.utf8)
        func digits(from j: Int) -> Int {
            var k = j
            while k < b.count, b[k] >= 48, b[k] <= 57 { k += 1 }
            return k
        }
        return LoosenParser.rewriting(b) { i in
            guard b[i] == UInt8(ascii: "{") else { return nil }
            let m0 = i + 1, m1 = digits(from: m0)
            guard m1 > m0, m1 < b.count, let m = Int(String(decoding: b[m0..<m1], as: UTF8.self)) else { return nil }
            if b[m1] == UInt8(ascii: ",") {
                let n0 = m1 + 1, n1 = digits(from: n0)
                if n1 > n0, n1 < b.count, b[n1] == UInt8(ascii: "}"),
                   let n = Int(String(decoding: b[n0..<n1], as: UTF8.self)), n > 1, n > m {
                    switch m {
                    case 0: return (n1 + 1, [UInt8(ascii: "*")])
                    case 1: return (n1 + 1, [UInt8(ascii: "+")])
                    default: return (n1 + 1, Array("{\(min(m, 4)),}".utf8))
                    }
                }
            }
            // x{n} and x{m,} for large n and m: x{4,}.
            guard m > 4 else { return nil }
            if b[m1] == UInt8(ascii: "}") { return (m1 + 1, Array("{4,}".utf8)) }
            if m1 + 1 < b.count, b[m1] == UInt8(ascii: ","), b[m1 + 1] == UInt8(ascii: "}") {
                return (m1 + 2, Array("{4,}".utf8))
            }
            return nil
        }
    }

    /// Databases of patterns not `worthAlone` up to this size are taken
    /// (and share databases, `grouped`); larger ones are left out.
    /// SpamAssassin's stock rules: 125 of 146 candidates in the stage, 3.4
    /// MiB (38 and 1.1 MiB with only the patterns worth a database alone; 105 and 1.8
    /// MiB with a 32 KiB cap); the small ones (drug-name look-alikes, money
    /// amounts: 2–32 KiB each alone) each saved 2–15 µs a message of PCRE2
    /// searches, look-alike patterns of 45–350 KiB 5–8 µs apiece. From 32
    /// KiB to 160: rule time 1.52 → 1.20 ms, `swamp bench` 3.50 → 3.24 ms
    /// of CPU a message, daemon PSS +0.8–1.9 MiB.
    public static let smallDatabase = 160 * 1024

    /// Hyperscan reports only the first pattern of a set it rejects, so each
    /// is checked alone first, then compiled alone: its database's size
    /// decides where it goes. Small ones share databases (Hyperscan
    /// merges their literal tables; see `grouped`); larger ones get one
    /// each if `worthAlone`, and are left out otherwise. Hyperscan builds one automaton per
    /// database, and for SpamAssassin's large look-alike patterns the
    /// combination grows far past its parts (38 stock patterns: 5.4 MiB in
    /// one database, 1.1 MiB in one each).
    ///
    /// Long patterns worth a database alone go first: `parts(i)` gives the
    /// texts of pattern i's leading parts, longest first (see
    /// `windowLength`).
    static func compile<Parts: Sequence<[CChar]>>(_ texts: [[CChar]], _ flags: [UInt32], worthAlone: [Bool],
                                                  longFrom: Int = maximumLength, budget: Int = longCompileBudget,
                                                  parts: (Int) -> Parts) -> ([OpaquePointer], [Bool])? {
        var included = [Bool](repeating: false, count: texts.count)
        var databases: [OpaquePointer] = []
        var budget = budget
        for i in texts.indices where worthAlone[i] && texts[i].count > longFrom + 1 && budget > 0 {
            let exact = flags[i] & ~UInt32(HS_FLAG_PREFILTER)
            let tries = ([texts[i]] + parts(i))
                .lazy.filter { $0.count <= windowLength + 1 && !$0.dropLast().contains(0) && !anchorsTheText($0) }
                .filter { minimumWidth($0, exact) >= 2 }
                .prefix(min(leadingPartAttempts, budget))
            for text in tries {
                budget -= 1
                var trial = texts
                trial[i] = text
                if let db = compileGroup(trial, [UInt32](repeating: exact, count: texts.count), [i]) {
                    if size(of: db) <= longDatabase {
                        databases.append(db)
                        included[i] = true
                    } else {
                        hs_free_database(db)
                    }
                    break
                }
            }
        }
        let long = included
        for i in texts.indices where texts[i].count <= min(longFrom, maximumLength) + 1 && !texts[i].dropLast().contains(0)
            && !anchorsTheText(texts[i]) {
            // A pattern that matches one byte reports nearly every text:
            // no use as a filter (and PCRE2 finds such a match at once).
            if minimumWidth(texts[i], flags[i]) >= 2 { included[i] = true }
        }
        var small: [Int] = []
        var alone: [Int: Int] = [:]
        for i in included.indices where included[i] && !long[i] {
            guard let db = compileGroup(texts, flags, [i]) else { included[i] = false; continue }
            let bytes = size(of: db)
            if bytes <= smallDatabase {
                small.append(i)
                alone[i] = bytes
                hs_free_database(db)
            } else if worthAlone[i] {
                databases.append(db)
            } else {
                hs_free_database(db)
                included[i] = false
            }
        }
        let (shared, failed) = grouped(texts, flags, small, alone: alone)
        failed.forEach { included[$0] = false }
        databases.insert(contentsOf: shared, at: 0)
        return databases.isEmpty ? nil : (databases, included)
    }

    /// The fewest bytes a match of `text` spans; -1 when Hyperscan cannot
    /// read it with `flags`.
    static func minimumWidth(_ text: [CChar], _ flags: UInt32) -> Int {
        var info: UnsafeMutablePointer<hs_expr_info_t>? = nil
        var error: UnsafeMutablePointer<hs_compile_error_t>? = nil
        let rc = text.withUnsafeBufferPointer { hs_expression_info($0.baseAddress, flags, &info, &error) }
        defer {
            if let info { free(info) }
            if let error { hs_free_compile_error(error) }
        }
        guard rc == HS_SUCCESS, let info else { return -1 }
        return Int(info.pointee.min_width)
    }

    /// Databases for the patterns numbered `ids`, as few as may be: all in
    /// one when it comes to at most twice the size of their databases
    /// alone (`alone`), else each half grouped so. Every database is a
    /// pass over the text (~3 µs a message apiece for the stock rules,
    /// whose 75 small patterns, each alone, cost 0.2 ms a message), while
    /// Hyperscan merges some patterns' automata far past their parts.
    /// Also returns the patterns that would not compile even alone.
    static func grouped(_ texts: [[CChar]], _ flags: [UInt32], _ ids: [Int],
                        alone: [Int: Int]) -> ([OpaquePointer], [Int]) {
        guard !ids.isEmpty else { return ([], []) }
        let db = compileGroup(texts, flags, ids)
        if let db {
            let parts = ids.reduce(0) { $0 + (alone[$1] ?? 0) }
            if ids.count == 1 || size(of: db) <= 2 * parts { return ([db], []) }
            hs_free_database(db)
        } else if ids.count == 1 {
            return ([], ids)
        }
        let half = ids.count / 2
        let (a, failedA) = grouped(texts, flags, Array(ids[..<half]), alone: alone)
        let (b, failedB) = grouped(texts, flags, Array(ids[half...]), alone: alone)
        return (a + b, failedA + failedB)
    }

    /// Frees what `grouped` returned (for tests).
    static func release(_ databases: [OpaquePointer]) {
        databases.forEach { hs_free_database($0) }
    }

    /// One database of the patterns numbered `ids`, or nil when Hyperscan
    /// fails to compile them together (`grouped` then halves them).
    private static func compileGroup(_ texts: [[CChar]], _ flags: [UInt32], _ ids: [Int]) -> OpaquePointer? {
        var db: OpaquePointer? = nil
        var error: UnsafeMutablePointer<hs_compile_error_t>? = nil
        let rc = withPointers(texts, ids) { pointers in
            hs_compile_multi(pointers, ids.map { flags[$0] }, ids.map { UInt32($0) }, UInt32(ids.count),
                             UInt32(HS_MODE_BLOCK), nil, &db, &error)
        }
        if let error { hs_free_compile_error(error) }
        return rc == HS_SUCCESS ? db : nil
    }

    /// Whether the pattern is unsafe to scan over pieces joined into one
    /// text: it turns multi-line off (`(?-m)`, `(?i-m:`), so its `^` and
    /// `$` would hold only at the text's start and end; or the walk that
    /// turned its `\A` and `\z` into line anchors (`lineAnchored`) may have
    /// misread it: a comment `(?#…)` (PCRE2 ends it at the first `)`,
    /// backslashes and all), a `#` comment in extended mode, or a class
    /// that does not close where the walk can tell. Such a pattern stays
    /// out of the stage and always runs.
    static func anchorsTheText(_ text: [CChar]) -> Bool {
        let b = text.map { UInt8(bitPattern: $0) }
        // A misread walk matters only where there is something it should
        // have seen: a text-anchor escape or a `-m` anywhere at all.
        var couldHide = false
        for k in b.indices.dropLast() where (b[k] == UInt8(ascii: "\\") && "AGzZ".utf8.contains(b[k + 1]))
            || (b[k] == UInt8(ascii: "-") && b[k + 1] == UInt8(ascii: "m")) {
            couldHide = true
            break
        }
        var i = 0
        var extended = false
        func letter(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) }
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\\"):
                i = PatternSyntax.escapeEnd(b, i)
                continue
            case UInt8(ascii: "["):
                guard let end = PatternSyntax.classEnd(b, i) else { return couldHide }
                i = end
                continue
            case UInt8(ascii: "#") where extended:
                if couldHide { return true }
            case UInt8(ascii: "(") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "?"):
                if i + 2 < b.count, b[i + 2] == UInt8(ascii: "#"), couldHide { return true }
                var j = i + 2, negative = false
                while j < b.count, b[j] == UInt8(ascii: "-") || letter(b[j]) {
                    if b[j] == UInt8(ascii: "-") { negative = true }
                    if negative, b[j] == UInt8(ascii: "m") { return true }
                    if !negative, b[j] == UInt8(ascii: "x") { extended = true }
                    j += 1
                }
            default:
                break
            }
            i += 1
        }
        return false
    }

    /// Pointers to the texts numbered `ids`, valid inside `body`.
    private static func withPointers<R>(_ texts: [[CChar]], _ ids: [Int],
                                        _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let total = ids.reduce(0) { $0 + texts[$1].count }
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, total))
        defer { storage.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        var offset = 0
        for i in ids {
            texts[i].withUnsafeBufferPointer { src in
                (storage + offset).update(from: src.baseAddress!, count: src.count)
            }
            pointers.append(UnsafePointer(storage + offset))
            offset += texts[i].count
        }
        return body(pointers)
    }

    private static func size(of db: OpaquePointer) -> Int {
        var size = 0
        _ = hs_database_size(db, &size)
        return size
    }

    // MARK: The cache

    /// Names the pattern set: Hyperscan's version, every flag and text.
    /// Two FNV-1a hashes with different offsets: 128 bits.
    static func key(_ texts: [[CChar]], _ flags: [UInt32], worthAlone: [Bool]) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325, h2: UInt64 = 0x6c62_272e_07bb_0142
        func mix(_ byte: UInt8) {
            h1 = (h1 ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            h2 = (h2 ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 ^ (h2 >> 29)
        }
        var version = hs_version().map { String(cString: $0) } ?? ""
        version += "|widened-2|loosened-2|width-2|max-\(maximumLength)|window-lookarounds-\(windowLength)-\(leadingPartAttempts)-\(longDatabase)-\(longCompileBudget)|joined-2|small-\(smallDatabase)|grouped-1"
        for byte in version.utf8 { mix(byte) }
        for (n, (t, f)) in zip(texts, flags).enumerated() {
            mix(worthAlone[n] ? 1 : 0)
            for s in 0..<4 { mix(UInt8(truncatingIfNeeded: f >> (8 * UInt32(s)))) }
            for c in t { mix(UInt8(bitPattern: c)) }
        }
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(h1) + hex(h2)
    }

    private static let magic: [UInt8] = Array("SWAMPHS2".utf8)

    /// File: magic, pattern count (4 bytes LE), one byte per pattern
    /// (included or not), the number of databases (4 bytes LE), then each
    /// serialized database after its length (8 bytes LE). Hyperscan checks
    /// each database itself (version, platform) when loading it.
    static func load(_ path: String, count: Int) -> ([OpaquePointer], [Bool])? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        guard fseek(f, 0, SEEK_END) == 0 else { return nil }
        let length = ftell(f)
        guard length > magic.count + 8 + count, length < 1 << 30, fseek(f, 0, SEEK_SET) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: length)
        guard bytes.withUnsafeMutableBytes({ fread($0.baseAddress, 1, length, f) }) == length else { return nil }
        guard Array(bytes[0..<magic.count]) == magic else { return nil }
        func number(at i: Int, width: Int) -> Int? {
            guard i >= 0, i + width <= bytes.count else { return nil }
            var n = 0
            for k in 0..<width { n |= Int(bytes[i + k]) << (8 * k) }
            return n
        }
        guard number(at: magic.count, width: 4) == count else { return nil }
        let start = magic.count + 4
        let included = bytes[start..<(start + count)].map { $0 != 0 }
        guard let n = number(at: start + count, width: 4), n > 0, n <= count else { return nil }
        var databases: [OpaquePointer] = []
        var at = start + count + 4
        for _ in 0..<n {
            guard let size = number(at: at, width: 8), size > 0, size <= length - at - 8 else { break }
            var db: OpaquePointer? = nil
            let rc = bytes.withUnsafeBytes { raw in
                hs_deserialize_database(raw.baseAddress!.advanced(by: at + 8).assumingMemoryBound(to: CChar.self),
                                        size, &db)
            }
            guard rc == HS_SUCCESS, let db else { break }
            databases.append(db)
            at += 8 + size
        }
        guard databases.count == n, at == length else {
            databases.forEach { hs_free_database($0) }
            return nil
        }
        // Used now: `prune` keeps it.
        _ = utime(path, nil)
        return (databases, included)
    }

    /// Writes beside the final name, then renames: a reader never sees a
    /// half-written file. Failing to write only costs the next start a
    /// compile.
    static func store(_ databases: [OpaquePointer], included: [Bool], to path: String) {
        var blobs: [(UnsafeMutablePointer<CChar>, Int)] = []
        defer { blobs.forEach { free($0.0) } }
        for db in databases {
            var serialized: UnsafeMutablePointer<CChar>? = nil
            var length = 0
            guard hs_serialize_database(db, &serialized, &length) == HS_SUCCESS, let serialized else { return }
            blobs.append((serialized, length))
        }
        // The folder and its parent (~/.cache), if missing.
        if let slash = path.lastIndex(of: "/") {
            let dir = String(path[..<slash])
            if let up = dir.lastIndex(of: "/"), up > dir.startIndex { _ = mkdir(String(dir[..<up]), 0o755) }
            _ = mkdir(dir, 0o755)
        }
        let temporary = path + ".\(getpid()).tmp"
        guard let f = fopen(temporary, "wb") else { return }
        func le(_ n: Int, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } }
        var header = magic + le(included.count, 4)
        header += included.map { $0 ? 1 : 0 }
        header += le(blobs.count, 4)
        var ok = header.withUnsafeBytes { fwrite($0.baseAddress, 1, header.count, f) } == header.count
        for (blob, length) in blobs where ok {
            let size = le(length, 8)
            ok = size.withUnsafeBytes { fwrite($0.baseAddress, 1, 8, f) } == 8 && fwrite(blob, 1, length, f) == length
        }
        if fclose(f) != 0 || !ok { unlink(temporary); return }
        if rename(temporary, path) != 0 { unlink(temporary) }
        if let slash = path.lastIndex(of: "/") { prune(String(path[..<slash]), keeping: path) }
    }

    /// Databases unused for this long are removed when a new one is
    /// written: each rule set leaves files of megabytes, and loading one
    /// marks it used.
    static let unusedLifetime: Int = 30 * 24 * 3600

    /// Removes `multi-*.hs` files in `directory` not used for
    /// `unusedLifetime` (and stale temporary files), except `keeping`.
    static func prune(_ directory: String, keeping: String, now: Int = time(nil)) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("multi-"), name.hasSuffix(".hs") || name.hasSuffix(".tmp") else { continue }
            let path = directory + "/" + name
            var info = stat()
            guard path != keeping, stat(path, &info) == 0 else { continue }
            if now - Int(info.st_mtim.tv_sec) > unusedLifetime { unlink(path) }
        }
    }
}
