internal import CPCRE2
import Synchronization

/// Why a pattern did not compile. `offset` is the byte offset in the pattern
/// where PCRE2 gave up.
public struct RegexError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let offset: Int
    public let message: String
    public var description: String { "\(message) at offset \(offset)" }
    /// The compiled pattern would exceed PCRE2's code size limit.
    public var isTooLarge: Bool { code == PCRE2_ERROR_PATTERN_TOO_LARGE }
}

/// Flags of a Perl-style `/re/imsx`.
public struct RegexOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let caseless = RegexOptions(rawValue: 1 << 0)
    public static let multiline = RegexOptions(rawValue: 1 << 1)
    public static let dotAll = RegexOptions(rawValue: 1 << 2)
    public static let extended = RegexOptions(rawValue: 1 << 3)

    /// Parses Perl flag letters; letters other than `imsx` are ignored.
    public init(perlFlags: String) {
        var o: RegexOptions = []
        for c in perlFlags {
            switch c {
            case "i": o.insert(.caseless)
            case "m": o.insert(.multiline)
            case "s": o.insert(.dotAll)
            case "x": o.insert(.extended)
            default: break
            }
        }
        self = o
    }
}

/// Bounds on one match (SECURITY.md, "Regex engine"): a pattern that
/// backtracks catastrophically stops at these and counts as no match.
public struct MatchLimits: Sendable, Hashable {
    /// PCRE2 `match_limit`: calls of the internal match function.
    public var matchLimit: UInt32 = 1_000_000
    /// PCRE2 `depth_limit` (interpreter only; JIT is bounded by its stack).
    public var depthLimit: UInt32 = 10_000
    public init() {}
}

/// The outcome of one search.
public enum MatchOutcome: Sendable, Equatable {
    case match(Range<Int>)
    case noMatch
    /// A match or depth limit was hit: treated as no match, and reported.
    case limitExceeded
    case error(Int32)
}

/// A compiled pattern. Immutable once built, so one instance is shared by
/// every scan on every thread; per-scan state lives in `MatchScratch`.
public final class Regex: @unchecked Sendable {
    private let code: OpaquePointer
    /// The interpreted code and, once searched often enough, its JIT copy
    /// (see `swamp_regex` in the CPCRE2 shim).
    private let state: UnsafeMutablePointer<swamp_regex>
    public let pattern: String
    public let options: RegexOptions
    /// Whether the JIT version is in use now (it comes after
    /// `jitThreshold` searches, and can fail for huge patterns).
    public var isJIT: Bool { swamp_regex_is_jit(state) != 0 }

    /// A pattern gets machine code once searched this many times and in
    /// at least 1 % of the scans since it was compiled (`noteScan`); until
    /// then PCRE2's interpreter runs it. Rules whose required strings
    /// seldom occur never get there, and their JIT code (about 11 MiB for
    /// SpamAssassin's stock rules, most of them rarely searched) is never
    /// made.
    public static let jitThreshold = 16

    /// Scans begun in this process, for the 1 % above.
    nonisolated(unsafe) static let scans: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    /// Counts one scan (one message through a rule set).
    public static func noteScan() { swamp_counter_increment(scans) }

    /// Compiles in 8-bit, non-UTF mode: the subject is octets, as in
    /// SpamAssassin's `qr//aa` over UTF-8 bytes. With `jit` the pattern
    /// gets machine code once it has been searched `jitThreshold` times;
    /// `jit: false` leaves it to PCRE2's interpreter for good (for patterns
    /// that are checked but never run).
    public init(_ pattern: String, options: RegexOptions = [], jit: Bool = true) throws(RegexError) {
        var flags: UInt32 = 0
        if options.contains(.caseless) { flags |= UInt32(PCRE2_CASELESS) }
        if options.contains(.multiline) { flags |= UInt32(PCRE2_MULTILINE) }
        if options.contains(.dotAll) { flags |= UInt32(PCRE2_DOTALL) }
        if options.contains(.extended) { flags |= UInt32(PCRE2_EXTENDED) }
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        func compile(_ text: String) -> OpaquePointer? {
            var copy = Array(text.utf8)
            return copy.withUnsafeMutableBufferPointer { b in
                pcre2_compile_8(b.baseAddress, b.count, flags, &errorCode, &errorOffset, nil)
            }
        }
        var compiled = compile(pattern)
        // Too large for this PCRE2 (link size 2): its counted repeats of
        // long groups as subroutine calls, the same pattern in a fraction
        // of the code. `pattern` stays as written, for everything that
        // reads it (required strings, the Hyperscan stage).
        if compiled == nil, errorCode == PCRE2_ERROR_PATTERN_TOO_LARGE, !options.contains(.extended),
           let smaller = SubroutineRepeats.rewritten(pattern) {
            let (code, offset) = (errorCode, errorOffset)
            compiled = compile(smaller)
            if compiled == nil { (errorCode, errorOffset) = (code, offset) }
        }
        guard let compiled else {
            throw RegexError(code: errorCode, offset: errorOffset, message: Regex.message(for: errorCode))
        }
        code = compiled
        self.pattern = pattern
        self.options = options
        state = .allocate(capacity: 1)
        state.initialize(to: swamp_regex(base: compiled, jitted: nil, searches: 0,
                                         born: swamp_counter_load(Regex.scans), jit_state: jit ? 1 : 0))
    }

    deinit {
        if let jitted = state.pointee.jitted { pcre2_code_free_8(jitted) }
        state.deinitialize(count: 1)
        state.deallocate()
        pcre2_code_free_8(code)
    }

    /// How many bytes a match can start with, as PCRE2's start-of-match
    /// optimisations know it: 0 when anchored, 1 for a known first byte or
    /// line start, the size of its start bitmap otherwise, 256 when it
    /// knows nothing. PCRE2 tries a match at every position that passes,
    /// so the wider this is, the more a search costs.
    public var startBytes: Int {
        var options: UInt32 = 0
        if pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_ALLOPTIONS), &options) == 0,
           options & UInt32(PCRE2_ANCHORED) != 0 { return 0 }
        var firstType: UInt32 = 0
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTCODETYPE), &firstType) == 0 else { return 256 }
        if firstType == 1 || firstType == 2 { return 1 }
        var bitmap: UnsafePointer<UInt8>? = nil
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTBITMAP), &bitmap) == 0, let bitmap else { return 256 }
        var count = 0
        for i in 0..<32 { count += bitmap[i].nonzeroBitCount }
        return count
    }

    /// A reference to the compiled code that costs no reference counting
    /// to pass around in hot loops. Valid while this `Regex` is alive.
    public var handle: RegexHandle { RegexHandle(state: state) }

    /// Searches `subject` from byte `start`. `notEmptyAtStart` forbids an
    /// empty match at `start` (for iterating over all matches as Perl's //g).
    public func search(_ subject: UnsafeBufferPointer<UInt8>, from start: Int = 0,
                       notEmptyAtStart: Bool = false, scratch: MatchScratch) -> MatchOutcome {
        handle.search(subject, from: start, notEmptyAtStart: notEmptyAtStart, scratch: scratch)
    }

    /// Convenience for tests and one-off matches.
    public func firstMatch(in bytes: [UInt8]) -> Range<Int>? {
        MatchScratch.borrowing { scratch in
            bytes.withUnsafeBufferPointer { buf in
                if case .match(let r) = search(buf, scratch: scratch) { return r }
                return nil
            }
        }
    }

    public func matches(_ text: String) -> Bool { firstMatch(in: Array(text.utf8)) != nil }

    /// The range of capture group `group` in the first match, nil when
    /// nothing matched or the group took no part. Allocates its own match
    /// data: for the odd lookup, not for the rule loops.
    public func capture(_ group: Int, in bytes: [UInt8], limits: MatchLimits = MatchLimits()) -> Range<Int>? {
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return nil }
        defer { pcre2_match_data_free_8(data) }
        guard let context = pcre2_match_context_create_8(nil) else { return nil }
        defer { pcre2_match_context_free_8(context) }
        pcre2_set_match_limit_8(context, limits.matchLimit)
        pcre2_set_depth_limit_8(context, limits.depthLimit)
        let rc = bytes.withUnsafeBufferPointer { b -> Int32 in
            var empty: UInt8 = 0
            return withUnsafePointer(to: &empty) { e in
                pcre2_match_8(code, b.baseAddress ?? e, b.count, 0, 0, data, context)
            }
        }
        guard rc > group else { return nil }
        let ovector = pcre2_get_ovector_pointer_8(data)!
        let start = ovector[2 * group], end = ovector[2 * group + 1]
        // PCRE2_UNSET: the group did not take part.
        guard start != ~0, end != ~0, start <= end else { return nil }
        return Int(start)..<Int(end)
    }

    /// Counts non-overlapping matches as Perl's `while (/re/g)` does, up to
    /// `maximum`.
    public func countMatches(_ subject: UnsafeBufferPointer<UInt8>, maximum: Int,
                             scratch: MatchScratch) -> (count: Int, limited: Bool) {
        handle.countMatches(subject, maximum: maximum, scratch: scratch)
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(code, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "PCRE2 error \(code)"
    }
}

/// The compiled code of a `Regex`, unowned: the `Regex` keeps it alive.
/// Trivially copyable, so hot loops over thousands of rules pay no
/// reference counting.
public struct RegexHandle: @unchecked Sendable {
    fileprivate let state: UnsafeMutablePointer<swamp_regex>

    /// Searches `subject` from byte `start`. `notEmptyAtStart` forbids an
    /// empty match at `start` (for iterating over all matches as Perl's //g).
    public func search(_ subject: UnsafeBufferPointer<UInt8>, from start: Int = 0,
                       notEmptyAtStart: Bool = false, scratch: MatchScratch) -> MatchOutcome {
        let options: UInt32 = notEmptyAtStart ? UInt32(PCRE2_NOTEMPTY_ATSTART) : 0
        // A zero-length buffer may have a nil base address; PCRE2 accepts a
        // non-null pointer with length 0.
        let base = subject.baseAddress ?? UnsafePointer(scratch.emptySubject)
        let code = swamp_regex_code(state, Regex.jitThreshold, Regex.scans)
        var rc = pcre2_match_8(code, base, subject.count, start, options, scratch.matchData, scratch.context)
        // The interpreter stopped at a limit: JIT decides, as it would once
        // the pattern is warm (see swamp_regex_jit_now).
        if rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT,
           code == state.pointee.base, let jit = swamp_regex_jit_now(state) {
            rc = pcre2_match_8(jit, base, subject.count, start, options, scratch.matchData, scratch.context)
        }
        if rc >= 0 {
            let ovector = pcre2_get_ovector_pointer_8(scratch.matchData)!
            return .match(Int(ovector[0])..<Int(ovector[1]))
        }
        switch rc {
        case PCRE2_ERROR_NOMATCH, PCRE2_ERROR_PARTIAL: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT,
             PCRE2_ERROR_JIT_STACKLIMIT:
            return .limitExceeded
        default: return .error(rc)
        }
    }

    /// Counts non-overlapping matches as Perl's `while (/re/g)` does, up to
    /// `maximum`.
    public func countMatches(_ subject: UnsafeBufferPointer<UInt8>, maximum: Int,
                             scratch: MatchScratch) -> (count: Int, limited: Bool) {
        var count = 0
        var position = 0
        var notEmpty = false
        while count < maximum && position <= subject.count {
            switch search(subject, from: position, notEmptyAtStart: notEmpty, scratch: scratch) {
            case .match(let r):
                count += 1
                position = r.upperBound
                notEmpty = r.isEmpty
                if r.isEmpty && r.upperBound >= subject.count { return (count, false) }
            case .noMatch, .error:
                return (count, false)
            case .limitExceeded:
                return (count, true)
            }
        }
        return (count, false)
    }

}

/// Per-thread match state: PCRE2 match data, a match context with the limits
/// and a JIT stack. Not Sendable: each scan (or thread) owns one.
///
/// Creating one maps its JIT stack and freeing it unmaps it: a system call
/// each way, and the unmapping makes the kernel interrupt every other core
/// running the process to flush its address cache. Scans therefore take
/// one from a shared pool (`take`, `give`, `borrowing`) instead of making
/// their own.
public final class MatchScratch {
    fileprivate let matchData: OpaquePointer
    fileprivate let context: OpaquePointer
    private let jitStack: OpaquePointer?
    fileprivate let emptySubject: UnsafeMutablePointer<UInt8>
    private var limits: MatchLimits

    public init(limits: MatchLimits = MatchLimits()) {
        matchData = pcre2_match_data_create_8(1, nil)!
        context = pcre2_match_context_create_8(nil)!
        self.limits = limits
        pcre2_set_match_limit_8(context, limits.matchLimit)
        pcre2_set_depth_limit_8(context, limits.depthLimit)
        // 32 KiB grows to 1 MiB: enough for SpamAssassin's largest patterns,
        // bounded for hostile ones (PCRE2_ERROR_JIT_STACKLIMIT otherwise).
        jitStack = pcre2_jit_stack_create_8(32 * 1024, 1024 * 1024, nil)
        if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
        emptySubject = .allocate(capacity: 1)
        emptySubject.initialize(to: 0)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
        emptySubject.deallocate()
    }

    // MARK: - The pool

    /// A scratch in the pool, owned by no one.
    private struct Spare: @unchecked Sendable {
        let scratch: MatchScratch
    }

    /// Scratches kept beyond this many are freed when given back: as many
    /// as scans ever ran at once, up to this, stay mapped.
    static let poolLimit = 32
    private static let spares = Mutex<[Spare]>([])

    /// A scratch with these limits that no one else holds, from the pool
    /// when it has one; `give` it back when done.
    public static func take(limits: MatchLimits = MatchLimits()) -> MatchScratch {
        guard let spare = spares.withLock({ $0.popLast() }) else { return MatchScratch(limits: limits) }
        let scratch = spare.scratch
        if scratch.limits != limits {
            scratch.limits = limits
            pcre2_set_match_limit_8(scratch.context, limits.matchLimit)
            pcre2_set_depth_limit_8(scratch.context, limits.depthLimit)
        }
        return scratch
    }

    /// Returns a scratch from `take`; it must not be used afterwards.
    public static func give(_ scratch: MatchScratch) {
        let spare = Spare(scratch: scratch)
        spares.withLock { spares in
            if spares.count < poolLimit { spares.append(spare) }
        }
    }

    /// Runs `body` with a scratch from the pool, given back after.
    public static func borrowing<T>(limits: MatchLimits = MatchLimits(), _ body: (MatchScratch) throws -> T) rethrows -> T {
        let scratch = take(limits: limits)
        defer { give(scratch) }
        return try body(scratch)
    }

    /// Scratches waiting in the pool (for tests).
    static var pooled: Int { spares.withLock { $0.count } }
}
