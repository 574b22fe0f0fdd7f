import Synchronization
import SwampMIME
import SwampRegex
import SwampRules

/// What the engine is told about the world outside the message: which
/// score set applies and the results of checks made elsewhere (Bayes, DNS,
/// SPF, DKIM), keyed by rule name.
public struct Facts: Sendable {
    public var useBayes: Bool
    public var useNetwork: Bool
    /// Rule name → hit value, for rules whose outcome was decided outside
    /// the engine. Such rules count as evaluated for metas.
    public var externalHits: [String: Double]
    /// What the checks outside the engine noted about their hits, by the
    /// same keys: shown under the rule in the report (`RuleHit.log`).
    public var externalLogs: [String: [String]] = [:]
    /// The Bayes classifier's probability of spam, when it gave one:
    /// what `eval:check_bayes(MIN, MAX)` reads.
    public var bayesProbability: Double?
    /// Past this instant the engine stops running rules and reports what it
    /// has (SECURITY.md: "always an answer, in time").
    public var deadline: ContinuousClock.Instant?

    public init(useBayes: Bool = false, useNetwork: Bool = false,
                externalHits: [String: Double] = [:], deadline: ContinuousClock.Instant? = nil) {
        self.useBayes = useBayes
        self.useNetwork = useNetwork
        self.externalHits = externalHits
        self.deadline = deadline
    }
}

/// One scored rule that hit.
public struct RuleHit: Sendable, Hashable {
    public let name: String
    /// Score added, already multiplied by `count` for `tflags multiple`.
    public let score: Double
    public let count: Int
    public let description: String
    /// SpamAssassin's report area: "BODY: ", "URI: ", "RAW: ", "FULL: ",
    /// "RBL: " or "".
    public let area: String
    /// What the rule noted about its hit, as SpamAssassin's `test_log`
    /// does (the report prints each in brackets below the description):
    /// the Bayes probability, a blocklist's listed address or domain.
    public var log: [String] = []

    public init(name: String, score: Double, count: Int, description: String, area: String, log: [String] = []) {
        self.name = name; self.score = score; self.count = count
        self.description = description; self.area = area; self.log = log
    }

    /// Notes come from what others wrote (a DNS list's TXT answer, the
    /// addresses of a message's headers) and go into reports and headers:
    /// at most this many a rule, each at most this many characters.
    public static let maximumNotes = 10
    public static let maximumNoteLength = 200

    /// `notes` within those bounds, control characters (a line break in a
    /// TXT answer among them) written as spaces.
    public static func bounded(_ notes: [String]) -> [String] {
        notes.prefix(maximumNotes).map { note in
            var out = String.UnicodeScalarView()
            for u in note.unicodeScalars.prefix(maximumNoteLength) {
                out.append(u.value < 0x20 || u.value == 0x7f || (u.value >= 0x80 && u.value < 0xa0) ? " " : u)
            }
            return String(out)
        }
    }
}

/// The outcome of evaluating every rule on one message.
public struct Evaluation: Sendable {
    /// Scored rules that hit, in the order they hit.
    public var hits: [RuleHit] = []
    /// `__` sub-rules that hit (of those that ran: with lazy subrules,
    /// `RuleSet.lazyInSet`, those no meta read are not here).
    public var subrules: [String] = []
    public var score: Double = 0
    public var scoreSet: Int = 0
    /// Rules whose regex ran into a match limit (counted as no hit); lazy
    /// subrules come after the others, in the order the metas read them.
    public var limitExceeded: [String] = []
    /// The deadline passed before every rule ran.
    public var timedOut = false

    public var hitNames: [String] { hits.map(\.name) }
    public func hit(_ name: String) -> Bool {
        hits.contains { $0.name == name } || subrules.contains(name)
    }
}

extension RuleSet {
    /// Runs every rule enabled in the score set over the message's views
    /// (a lazy subrule only when a meta reads it: `RuleSet.lazyInSet`).
    /// Pure: no I/O, no shared mutable state.
    public func evaluate(_ views: Views, facts: Facts = Facts()) -> Evaluation {
        var run = RuleRun(ruleSet: self, views: views, facts: facts)
        defer { MatchScratch.give(run.scratch) }
        return run.execute()
    }

    /// `evaluate` on two threads, for a caller with a core to spare (a
    /// daemon scanning one message): this one runs the header and body
    /// rules, a thread `alongside` gives runs the rawbody, uri and full
    /// rules, then `probability` (the Bayes classifier, when in use: what
    /// `eval:check_bayes` reads); then both take the evals from one
    /// counter (`SharedEvals`; those reading Bayes on the other thread
    /// only). The same work in less time,
    /// and the same outcome as one thread gives, hits in the same order,
    /// unless the deadline passes (then each thread stops where it is, and
    /// which rules ran depends on timing, as it does on one thread). Which
    /// score set applies (`useBayes`, `useNetwork`) must be known from the
    /// start.
    public func evaluate(_ views: Views, facts: Facts, alongside: SideThreads,
                         probability: (@Sendable () -> Double?)?) -> Evaluation {
        var run = RuleRun(ruleSet: self, views: views, facts: facts)
        defer { MatchScratch.give(run.scratch) }
        return run.execute(alongside: alongside, probability: probability)
    }
}

/// A scan's evals on two threads: each thread takes the next from one
/// counter, so whichever is done with its own rules first does more of
/// them, and their values go by eval number (each written by the one
/// thread that took it; read after the side thread's end is waited for,
/// which orders its writes first).
final class SharedEvals: @unchecked Sendable {
    private let next = Atomic<Int>(0)
    private let count: Int
    private let values: UnsafeMutablePointer<Double>
    private let done: UnsafeMutablePointer<Bool>

    init(count: Int) {
        self.count = count
        values = .allocate(capacity: max(1, count))
        values.initialize(repeating: 0, count: max(1, count))
        done = .allocate(capacity: max(1, count))
        done.initialize(repeating: false, count: max(1, count))
    }

    deinit {
        values.deallocate()
        done.deallocate()
    }

    /// The next eval number no thread has taken, if any.
    func take() -> Int? {
        let k = next.add(1, ordering: .relaxed).oldValue
        return k < count ? k : nil
    }

    func set(_ k: Int, _ value: Double) {
        values[k] = value
        done[k] = true
    }

    /// Records the values in eval order, once both threads are done.
    func apply(to run: inout RuleRun) {
        run.ruleSet.evalCalls.withUnsafeBufferPointer { calls in
            for k in 0..<count where done[k] { run.record(calls[k].rule, values[k]) }
        }
    }
}

/// What the body-like rules and the evals found, in the order they ran,
/// for `RuleRun.record` (`apply`): on the scan's thread, or handed back
/// from the side thread.
struct RuleRecords: Sendable {
    var records: [(Int32, Double)] = []
    var limitExceeded: [String] = []
    var timedOut = false
    /// The Bayes probability the other thread got, for the report.
    var bayesProbability: Double?
}

/// The state of one evaluation. The hot loops read plain tables of the
/// rule set and byte buffers of the views, so they pay no reference
/// counting per rule.
struct RuleRun {
    /// Views of more pieces than this look for required strings in the
    /// whole view only (a bit per piece and string, and a scan a piece).
    static let literalPieceLimit = 256

    let ruleSet: RuleSet
    let views: Views
    var facts: Facts
    let set: Int
    let enabled: [Bool]
    /// From the pool; `RuleSet.evaluate` gives it back when the run ends.
    let scratch: MatchScratch
    /// Per rule: its value (hit count, 0 = no hit) once it ran; in
    /// `slots`, which owns them and the metas' stack.
    let values: UnsafeMutableBufferPointer<Double>
    let ran: UnsafeMutableBufferPointer<Bool>
    let slots: RunSlots
    /// The rule set's meta steps and ops (`MetaCode.stepTable`, `opTable`).
    let metaSteps: UnsafeMutableBufferPointer<MetaCode.Step>
    let metaOps: UnsafeMutableBufferPointer<MetaProgram.Op>
    var hitOrder: [Int] = []
    var limitExceeded: [String] = []
    var timedOut = false
    var headerValues: [[UInt8]?]
    var headerFetched: [Bool]
    /// The subrules that run only when a meta reads them
    /// (`RuleSet.lazyInSet`); empty when all run.
    let lazy: [Bool]
    /// The body's pass, for the body subrules it left to run on demand.
    var bodyPass: SubjectPass?
    /// The context evals run on demand get (made on first need).
    var demandContext: EvalContext?
    /// Lazy header rules whose required strings the header pass found
    /// missing (their view's strings are looked for with the others').
    var lazyBlocked: [Bool] = []
    /// Whether the deadline stopped a pass before the metas began.
    var passesCutShort = false
    let clock = ContinuousClock()
    /// With the rule set's profile on: nanoseconds per rule, and the times
    /// its regex ran (got past the prefilters) or its eval was called.
    let profiling: Bool
    var spent: [UInt64] = []
    var runs: [UInt32] = []

    /// `countingScan`: false for a run of some of a scan's rules beside
    /// the run that counts it (`Regex.noteScan`).
    init(ruleSet: RuleSet, views: Views, facts: Facts, countingScan: Bool = true) {
        self.ruleSet = ruleSet
        self.views = views
        self.facts = facts
        self.set = ruleSet.scoreSet(useBayes: facts.useBayes, useNetwork: facts.useNetwork)
        self.enabled = ruleSet.enabledInSet[set]
        self.scratch = MatchScratch.take(limits: ruleSet.matchLimits)
        if countingScan { Regex.noteScan() }
        self.slots = RunSlots(rules: ruleSet.rules.count, stack: ruleSet.metaCode.stackSize)
        (self.values, self.ran) = (slots.values, slots.ran)
        (self.metaSteps, self.metaOps) = (ruleSet.metaCode.stepTable, ruleSet.metaCode.opTable)
        self.headerValues = Array(repeating: nil, count: ruleSet.queries.count)
        self.headerFetched = Array(repeating: false, count: ruleSet.queries.count)
        self.lazy = ruleSet.lazyInSet?[set] ?? []
        self.profiling = ruleSet.profile.isOn
        if profiling {
            spent = Array(repeating: 0, count: ruleSet.rules.count)
            runs = Array(repeating: 0, count: ruleSet.rules.count)
        }
    }

    /// Whether rule `i` runs only when a meta reads it.
    @inline(__always) func isLazy(_ i: Int) -> Bool { !lazy.isEmpty && lazy[i] }

    @inline(__always) func profileStart() -> UInt64 {
        profiling ? monotonicNanoseconds() : 0
    }

    @inline(__always) mutating func charge(_ rule: Int, since start: UInt64) {
        guard profiling else { return }
        spent[rule] &+= monotonicNanoseconds() &- start
    }

    @inline(__always) mutating func countSearch(_ rule: Int) {
        if profiling { runs[rule] &+= 1 }
    }

    mutating func pastDeadline() -> Bool {
        if timedOut { return true }
        if let d = facts.deadline, clock.now >= d { timedOut = true }
        return timedOut
    }

    mutating func record(_ i: Int, _ value: Double) {
        values[i] = value
        ran[i] = true
        if value > 0 { hitOrder.append(i) }
    }

    mutating func header(_ q: Int) -> [UInt8]? {
        if !headerFetched[q] {
            headerValues[q] = views.header(ruleSet.resolvedQueries[q])
            headerFetched[q] = true
        }
        return headerValues[q]
    }

    mutating func execute() -> Evaluation {
        recordExternalHits()
        runHeaderRules()
        var outcome = RuleRecords()
        bodyRules(into: &outcome)
        otherSubjectRules(into: &outcome)
        runEvals(into: &outcome)
        apply(outcome)
        runMetas()
        if profiling { ruleSet.profile.add(spent, ran: runs, values: Array(values)) }
        return summarize()
    }

    mutating func execute(alongside threads: SideThreads, probability: (@Sendable () -> Double?)?) -> Evaluation {
        // The profile's per-rule times are one run's.
        guard !profiling else {
            if let probability { facts.bayesProbability = probability() }
            return execute()
        }
        recordExternalHits()
        let (ruleSet, views, facts) = (self.ruleSet, self.views, self.facts)
        let evals = SharedEvals(count: ruleSet.evalCalls.count)
        let side = SideResult(on: threads) {
            var run = RuleRun(ruleSet: ruleSet, views: views, facts: facts, countingScan: false)
            defer { MatchScratch.give(run.scratch) }
            return run.sideRecords(probability: probability, evals: evals)
        }
        runHeaderRules()
        var outcome = RuleRecords()
        bodyRules(into: &outcome)
        apply(outcome)
        // Then the evals the side thread has not taken (it takes them too,
        // once its rules and Bayes are done), but those reading Bayes.
        runEvals(into: &outcome, sharing: evals)
        let sideOutcome = side.value
        apply(sideOutcome)
        // The evals read no other rule's value: where they ran makes no
        // difference, and their values come after the body-like rules', in
        // rule order, as one thread records them.
        evals.apply(to: &self)
        runMetas()
        return summarize()
    }

    /// Rules decided outside the engine count as run (the evals skip them).
    mutating func recordExternalHits() {
        for (name, value) in facts.externalHits {
            if let i = ruleSet.indexByName[name] { record(i, value) }
        }
    }

    mutating func bodyRules(into outcome: inout RuleRecords) {
        subjectRules(ruleSet.bodyEntries, views.body, ruleSet.bodyLiterals, ruleSet.multiStage.current?.body,
                     isBody: true, into: &outcome)
    }

    /// The rawbody, uri and full rules.
    mutating func otherSubjectRules(into outcome: inout RuleRecords) {
        let stage = ruleSet.multiStage.current
        subjectRules(ruleSet.rawbodyEntries, views.rawBody, ruleSet.rawbodyLiterals, stage?.rawbody, isBody: false,
                     into: &outcome)
        subjectRules(ruleSet.uriEntries, views.uris, ruleSet.uriLiterals, stage?.uri, isBody: false, into: &outcome)
        subjectRules(ruleSet.fullEntries, [views.full], ruleSet.fullLiterals, nil, isBody: false, into: &outcome)
    }

    /// The other thread's share: the rawbody, uri and full rules, then the
    /// Bayes probability, the evals that read it (a slow Bayes store costs
    /// no other rule its place before the deadline), then the evals the
    /// scan's thread has not taken; the rules' values handed back, the
    /// evals' left in `evals`.
    mutating func sideRecords(probability: (@Sendable () -> Double?)?, evals: SharedEvals) -> RuleRecords {
        recordExternalHits()
        var outcome = RuleRecords()
        otherSubjectRules(into: &outcome)
        if let probability { facts.bayesProbability = probability() }
        runEvals(into: &outcome, sharing: evals, readingBayes: true)
        outcome.timedOut = timedOut
        outcome.bayesProbability = facts.bayesProbability
        return outcome
    }

    mutating func apply(_ outcome: RuleRecords) {
        for (rule, value) in outcome.records { record(Int(rule), value) }
        limitExceeded += outcome.limitExceeded
        timedOut = timedOut || outcome.timedOut
        if let p = outcome.bayesProbability { facts.bayesProbability = p }
    }

    mutating func runHeaderRules() {
        // Fetch every header view once, then match with no dictionary or
        // reference counting in the loop.
        for q in ruleSet.queriesInSet[set] { _ = header(q) }
        let values = headerValues
        var limited: [Int32] = []
        // Values are recorded as they come; the rules that hit, few, are
        // put in rule order (as the rules were written) at the end.
        var hits: [Int32] = []
        var done = 0
        func note(_ rule: Int32, _ value: Double) {
            self.values[Int(rule)] = value
            self.ran[Int(rule)] = true
            if value > 0 { hits.append(rule) }
            done += 1
        }
        // Required strings present in each header view, looked for on first
        // use: marks[string] == query + 1 when it occurs in that query's text.
        // The entries come grouped by query, so a query's marks are read
        // before the next query's overwrite them.
        var scanned = [Bool](repeating: false, count: values.count)
        var marks = [UInt32](repeating: 0, count: ruleSet.headerLiterals.count)
        let filter = ruleSet.headerLiterals
        // A lazy rule (`demand`) gets the strings' verdict only.
        if !lazy.isEmpty { lazyBlocked = [Bool](repeating: false, count: ruleSet.rules.count) }
        ruleSet.headerEntries.withUnsafeBufferPointer { entries in
            var visited = 0
            for e in entries where enabled[Int(e.rule)] {
                let deferred = isLazy(Int(e.rule))
                if deferred && e.literals.isEmpty { continue }
                if visited & 63 == 0, pastDeadline() { return }
                visited += 1
                let t0 = profileStart()
                defer { charge(Int(e.rule), since: t0) }
                let value = values[Int(e.query)]
                switch e.kind {
                case .exists:
                    note(e.rule, value != nil ? 1 : 0)
                case .match, .negated:
                    guard let re = e.regex else { continue }
                    let negated = e.kind == .negated
                    if !e.literals.isEmpty, let value {
                        let q = Int(e.query), mark = UInt32(q + 1)
                        if !scanned[q] {
                            if let matcher = filter.byQuery[q] {
                                value.withUnsafeBufferPointer { matcher.mark($0, with: mark, in: &marks) }
                            }
                            scanned[q] = true
                        }
                        if !marks.withUnsafeBufferPointer({ filter.allows(e.literals, $0, mark) }) {
                            // Cannot match: no hit, or a hit for `!~`.
                            if deferred { lazyBlocked[Int(e.rule)] = true } else { note(e.rule, negated ? 1 : 0) }
                            continue
                        }
                    }
                    if deferred { continue }
                    let (hit, hitLimit) = headerMatch(e, re, value)
                    if hitLimit { limited.append(e.rule) }
                    note(e.rule, hit)
                }
            }
        }
        hits.sort()
        hitOrder += hits.lazy.map(Int.init)
        limited.sort()
        limitExceeded += limited.map { ruleSet.rules[Int($0)].name }
    }

    /// A header rule's value on its view's text (matches counted; for
    /// `!~`, 1 when none): an absent header gets the answer on its
    /// `if-unset:` text (or none) worked out at load. Also whether the
    /// match limit cut the count.
    mutating func headerMatch(_ e: HeaderEntry, _ re: RegexHandle, _ text: [UInt8]?) -> (Double, Bool) {
        let negated = e.kind == .negated
        let scratch = self.scratch
        let (count, limited) = text.map { t in
            countSearch(Int(e.rule))
            return t.withUnsafeBufferPointer { re.countMatches($0, maximum: negated ? 1 : e.maxHits, scratch: scratch) }
        } ?? (Int(e.unsetCount), e.unsetLimited)
        return (negated ? (count == 0 && !limited ? 1 : 0) : Double(count), limited)
    }

    /// body, rawbody, uri and full rules: the regex runs over each piece;
    /// one hit is enough unless `tflags multiple` counts them all. The
    /// pieces are laid out in one buffer (`SubjectPass`), and the
    /// prefilters look at it once for all the rules. The body's lazy
    /// subrules are left for `demand`, which runs them on this pass.
    mutating func subjectRules(_ entries: [SubjectEntry], _ pieces: [[UInt8]], _ filter: LiteralFilter,
                               _ multi: MultiPattern?, isBody: Bool, into outcome: inout RuleRecords) {
        guard !entries.isEmpty else { return }
        let pass = SubjectPass(pieces, filter, multi, isBody: isBody)
        let deferring = isBody && !lazy.isEmpty
        if deferring { bodyPass = pass }
        var limited: [Int32] = []
        var results: [(Int32, Double)] = outcome.records
        outcome.records = []
        results.reserveCapacity(results.count + entries.count)
        let before = results.count
        entries.withUnsafeBufferPointer { entries in
            for e in entries where enabled[Int(e.rule)] {
                if deferring, lazy[Int(e.rule)] { continue }
                if (results.count - before) & 63 == 0, pastDeadline() { return }
                let (value, hitLimit) = runEntry(e, pass)
                if hitLimit { limited.append(e.rule) }
                results.append((e.rule, value))
            }
        }
        outcome.records = results
        outcome.limitExceeded += limited.map { ruleSet.rules[Int($0)].name }
    }

    /// One body-like rule over a pass: its value (matches counted), and
    /// whether the match limit cut the count.
    mutating func runEntry(_ e: SubjectEntry, _ pass: SubjectPass) -> (Double, Bool) {
        let t0 = profileStart()
        defer { charge(Int(e.rule), since: t0) }
        guard let (startPiece, viaMulti) = pass.searchStart(e) else { return (0, false) }
        let masked = pass.byPiece && !e.literals.isEmpty
        if masked { pass.mask(for: e.literals) }
        countSearch(Int(e.rule))
        let scratch = self.scratch
        let isBody = pass.isBody
        return pass.joined.withUnsafeBufferPointer { all -> (Double, Bool) in
            // The pass over all pieces saves nothing once the strings have
            // picked the pieces.
            if !viaMulti, !masked, let pre = e.prefilter, pass.joinedPass,
               case .noMatch = pre.search(all, scratch: scratch) {
                return (0, false)
            }
            return pass.ranges.withUnsafeBufferPointer { ranges in
                pass.pieceMask.withUnsafeBufferPointer { mask in
                    var total = 0
                    var hitLimit = false
                    for n in startPiece..<ranges.count {
                        if e.noSubject && isBody && n == 0 { continue }
                        if masked, mask[n >> 6] & (1 << UInt64(n & 63)) == 0 { continue }
                        let piece = UnsafeBufferPointer(rebasing: all[ranges[n]])
                        let (count, lim) = e.regex.countMatches(piece, maximum: e.maxHits - total, scratch: scratch)
                        total += count
                        hitLimit = hitLimit || lim
                        if total >= e.maxHits { break }
                    }
                    return (Double(total), hitLimit)
                }
            }
        }
    }

    /// What evals read: the views, the facts, and header texts (the header
    /// rules' views, fetched or not, by their number; others by query).
    func evalContext() -> EvalContext {
        let texts = HeaderTexts(headerValues, headerFetched)
        let (views, queryIndex) = (self.views, ruleSet.queryIndex)
        return EvalContext(views: views, configuration: ruleSet.configuration, facts: facts,
                           headerText: { q in
                               if let n = queryIndex[q].map(Int.init) {
                                   if texts.fetched[n] { return texts.values[n] }
                                   let v = views.header(q)
                                   (texts.values[n], texts.fetched[n]) = (v, true)
                                   return v
                               }
                               if let c = texts.others[q] { return c }
                               let v = views.header(q)
                               texts.others[q] = v
                               return v
                           }, freemail: ruleSet.freemail, memo: EvalMemo(scratch: scratch))
    }

    /// The eval and mimeheader rules, in rule order, their values into
    /// `outcome`. With `sharing`, those the shared counter hands this
    /// thread, their values into it instead; and first, with
    /// `readingBayes`, every eval that reads the Bayes probability (which
    /// only this thread's facts hold), while the others skip them.
    mutating func runEvals(into outcome: inout RuleRecords, sharing: SharedEvals? = nil, readingBayes: Bool = false) {
        guard !ruleSet.evalCalls.isEmpty else { return }
        let context = evalContext()
        // Evals run on demand later share what these work out once (memo).
        demandContext = context
        var parts: [MIMEPart]? = nil
        var partValues: [String: [[UInt8]?]] = [:]
        // The clock is read before every eighth eval (most take a
        // microsecond or two; reading it, a fraction of that).
        var evalsRun = 0
        // Calls are read in place (see `EvalCall`).
        ruleSet.evalCalls.withUnsafeBufferPointer { calls in
            /// Runs call `call`; false past the deadline.
            func run(_ call: Int) -> Bool {
                let i = calls[call].rule
                guard enabled[i] && !ran[i] && !isLazy(i) else { return true }
                if evalsRun & 7 == 0, pastDeadline() { return false }
                evalsRun += 1
                let t0 = profileStart()
                defer { charge(i, since: t0) }
                countSearch(i)
                let value: Double
                if !calls[call].isMIMEHeader {
                    value = Double(calls[call].function(context, calls[call].arguments))
                } else if let test = calls[call].mimeHeader {
                    if parts == nil { parts = views.message.allParts }
                    value = Double(mimeHeaderHits(i, test, parts ?? [], cache: &partValues))
                } else {
                    return true
                }
                if let sharing { sharing.set(call, value) } else { outcome.records.append((Int32(i), value)) }
                return true
            }
            guard let sharing else {
                for call in calls.indices where !run(call) { return }
                return
            }
            if readingBayes {
                for call in calls.indices where calls[call].readsBayes && !run(call) { return }
            }
            while let call = sharing.take() {
                if !calls[call].readsBayes && !run(call) { return }
            }
        }
    }

    /// SpamAssassin's MIMEHeader plugin: the first part (within the range)
    /// whose header matches decides the count. A negated rule always hits:
    /// the plugin returns true for it whatever the parts hold.
    func mimeHeaderHits(_ rule: Int, _ test: MIMEHeaderTest, _ parts: [MIMEPart],
                        cache: inout [String: [[UInt8]?]]) -> Int {
        guard let re = ruleSet.rules[rule].regex else { return 0 }
        let maxHits = ruleSet.rules[rule].maxHits
        if test.negated { return 1 }
        // Each part's header value is decoded once per scan, whatever the
        // number of rules reading it.
        let key = test.cacheKey
        let perPart: [[UInt8]?]
        if let cached = cache[key] { perPart = cached } else {
            perPart = parts.map { part in
                test.header == "ALL" ? part.allHeaderLines(raw: test.raw) : part.lastHeaderValue(test.header, raw: test.raw)
            }
            cache[key] = perPart
        }
        func value(_ n: Int) -> [UInt8] {
            if let v = perPart[n] { return v }
            return test.raw ? [] : (test.ifUnset ?? [])
        }
        var concatenated: [UInt8] = []
        for n in parts.indices {
            let index = n + 1
            if index > test.range.upperBound { break }
            if index < test.range.lowerBound { continue }
            var v = value(n)
            if test.concat {
                if v.last != 10 { v.append(10) }
                concatenated += v
                continue
            }
            let hits = v.withUnsafeBufferPointer { re.countMatches($0, maximum: maxHits, scratch: scratch).count }
            if hits > 0 { return hits }
        }
        if test.concat {
            return concatenated.withUnsafeBufferPointer { re.countMatches($0, maximum: maxHits, scratch: scratch).count }
        }
        return 0
    }

    /// Metas in dependency order. As in SpamAssassin, a rule that did not
    /// run reads as 0, but a meta that reads a meta which did not run (it
    /// scores 0 in this set) does not run either (`RuleSet.metaRunsInSet`).
    /// The lazy subrules (`RuleSet.lazyInSet`, lazy metas among them) run
    /// when a meta reads them (`demand`); `&&` and `||` read their right
    /// side only when the left leaves the outcome open, as Perl's do, so
    /// what they skip never runs. The values and hits are those of running
    /// everything.
    mutating func runMetas() {
        passesCutShort = timedOut
        let runs = ruleSet.metaRunsInSet[set]
        for k in 0..<ruleSet.metaCode.steps.count {
            let rule = Int(metaSteps[k].rule)
            guard runs[rule], !ran[rule], !isLazy(rule) else { continue }
            record(rule, metaValue(k))
        }
    }

    /// Meta step `k`'s value, as got_hit records it (a hit at least 1).
    /// The program's stack is `slots.stack[base...]`; a lazy meta it reads
    /// runs on the part above it (and may move the stack to grow it).
    mutating func metaValue(_ k: Int, base: Int = 0) -> Double {
        let step = metaSteps[k]
        let localTestsOnly: Double = facts.useNetwork ? 0 : 1
        let (ops, end) = (metaOps, Int(step.opsEnd))
        var stack = slots.stack
        var top = base - 1
        var pc = Int(step.opsStart)
        var divisionByZero = false
        program: while pc < end {
            switch ops[pc] {
            case .rule(let i):
                let i = Int(i)
                if !ran[i] && isLazy(i) {
                    demand(i, above: top + 1)
                    stack = slots.stack
                }
                top += 1; stack[top] = values[i]
            case .constant(let v): top += 1; stack[top] = v
            case .localTestsOnly: top += 1; stack[top] = localTestsOnly
            case .not: stack[top] = stack[top] == 0 ? 1 : 0
            case .negate: stack[top] = -stack[top]
            case .jumpIfFalse(let target):
                if stack[top] == 0 { pc = Int(target); continue }
                top -= 1
            case .jumpIfTrue(let target):
                if stack[top] != 0 { pc = Int(target); continue }
                top -= 1
            case .peekRight(let right, let left, let target):
                let negated = right < 0
                let b = Int(negated ? -right - 1 : right)
                if !ran[b] && isLazy(b) {
                    guard left >= 0, cheapFirst(b, before: Int(left)) else { break }
                    demand(b, above: top + 1)
                    stack = slots.stack
                    guard ran[b] else { break }
                }
                if (values[b] == 0) != negated {
                    top += 1; stack[top] = 0
                    pc = Int(target); continue
                }
            case .binary(let op):
                let b = stack[top], a = stack[top - 1]
                top -= 1
                guard let r = MetaProgram.apply(op, a, b) else {
                    divisionByZero = true
                    break program
                }
                stack[top] = r
            }
            pc += 1
        }
        let value = divisionByZero || top < base ? 0 : stack[top]
        return value > 0 ? max(1, value) : (value != 0 ? 1 : 0)
    }

    /// Whether lazy subrule `b`, the right operand of `a && b`, should run
    /// before `a` (when it reads 0, `a` is then never run): `a` is a body
    /// rule not yet run that the pass's prefilters leave to search, and
    /// `b` costs less: a header rule or an eval (microseconds), or a body
    /// rule the prefilters rule out (nothing). SpamAssassin's
    /// `__MY_MALWARE && __RDNS_NONE` and `__MY_MALWARE && __PASSWORD`
    /// searched for `__MY_MALWARE` in every message, tens of microseconds
    /// of PCRE2, for tests false in most. Either order gives `a && b` the
    /// same value.
    func cheapFirst(_ b: Int, before a: Int) -> Bool {
        guard !ran[a], isLazy(a), let pass = bodyPass, ruleSet.metaStepOfRule[b] < 0 else { return false }
        let bodyA = Int(ruleSet.bodyEntryOfRule[a])
        guard bodyA >= 0, pass.searchStart(ruleSet.bodyEntries[bodyA]) != nil else { return false }
        let bodyB = Int(ruleSet.bodyEntryOfRule[b])
        if bodyB >= 0 { return pass.searchStart(ruleSet.bodyEntries[bodyB]) == nil }
        return ruleSet.headerEntryOfRule[b] >= 0 || ruleSet.evalCallOfRule[b] >= 0
    }

    /// Runs lazy subrule `i`, read by a meta, as the pass it was left out
    /// of would have (when the deadline cut a pass short, it does not run,
    /// and reads 0).
    mutating func demand(_ i: Int, above: Int) {
        let meta = Int(ruleSet.metaStepOfRule[i])
        if meta >= 0 {
            guard ruleSet.metaRunsInSet[set][i] else { return }
            slots.reserveStack(above + ruleSet.metaCode.stackSize)
            return record(i, metaValue(meta, base: above))
        }
        // The passes finished in time: a subrule they left runs whatever
        // the clock says now, as it would have run in them (the metas read
        // no clock). A pass the deadline cut short may not have reached
        // it: it reads 0, as a rule not run does.
        if passesCutShort { return }
        if case let b = Int(ruleSet.bodyEntryOfRule[i]), b >= 0 {
            // (`runEntry` times and counts its search.)
            guard let pass = bodyPass else { return }
            let (value, limited) = runEntry(ruleSet.bodyEntries[b], pass)
            if limited { limitExceeded.append(ruleSet.rules[i].name) }
            return record(i, value)
        }
        let t0 = profileStart()
        defer { charge(i, since: t0) }
        if case let h = Int(ruleSet.headerEntryOfRule[i]), h >= 0 {
            let e = ruleSet.headerEntries[h]
            let text = header(Int(e.query))
            guard e.kind != .exists else { return record(i, text != nil ? 1 : 0) }
            guard let re = e.regex else { return }
            let negated = e.kind == .negated
            if !lazyBlocked.isEmpty && lazyBlocked[i] {
                // Cannot match: no hit, or a hit for `!~`.
                return record(i, negated ? 1 : 0)
            }
            let (hit, limited) = headerMatch(e, re, text)
            if limited { limitExceeded.append(ruleSet.rules[i].name) }
            record(i, hit)
        } else if case let k = Int(ruleSet.evalCallOfRule[i]), k >= 0 {
            if demandContext == nil { demandContext = evalContext() }
            countSearch(i)
            let value = ruleSet.evalCalls.withUnsafeBufferPointer { calls in
                Double(calls[k].function(demandContext!, calls[k].arguments))
            }
            record(i, value)
        }
    }

    func summarize() -> Evaluation {
        var e = Evaluation()
        e.scoreSet = set
        e.limitExceeded = limitExceeded
        e.timedOut = timedOut
        // Rules read in place: a `CompiledRule` copied out is a dozen
        // reference counts.
        // For the evals that describe their hits, made on the first.
        var context = demandContext
        ruleSet.rules.withUnsafeBufferPointer { rules in
            for i in hitOrder {
                let value = values[i]
                guard value > 0 else { continue }
                if rules[i].isSubrule { e.subrules.append(rules[i].name); continue }
                let count = rules[i].multiple ? max(1, Int(value)) : 1
                let score = rules[i].scores[set] * Double(count)
                e.hits.append(RuleHit(name: rules[i].name, score: score, count: count,
                                      description: ruleSet.description(of: rules[i].name), area: area(of: rules[i]),
                                      log: RuleHit.bounded(log(of: rules[i], context: &context))))
                e.score += score
            }
        }
        return e
    }

    func area(of rule: CompiledRule) -> String {
        switch rule.target {
        case .body: return "BODY: "
        case .rawbody: return "RAW: "
        case .uri: return "URI: "
        case .full: return "FULL: "
        case .eval(let function, _):
            // Plugin/Check.pm runs body evals as "BODY: " and rawbody evals
            // as "RAW: " (header and full evals get nothing); the DNS list
            // hits come from Dns.pm as "RBL: ", the URI lists' from
            // URIDNSBL.pm with nothing.
            if EvalFunction.blocklistFunctions.contains(function.name) { return "RBL: " }
            if function.name == "check_uridnsbl" { return "" }
            switch rule.type {
            case .body: return "BODY: "
            case .rawbody: return "RAW: "
            default: return ""
            }
        default: return ""
        }
    }

    /// A hit rule's `test_log` lines: Plugin/Bayes.pm notes the
    /// probability ("score: 0.9987"), the network checks what was listed
    /// (`Facts.externalLogs`), the FreeMail evals the address they found
    /// (asked again for the few rules that hit).
    func log(of rule: CompiledRule, context: inout EvalContext?) -> [String] {
        guard case .eval(let function, let arguments) = rule.target else { return [] }
        if function.name == "check_bayes" {
            return facts.bayesProbability.map { ["score: " + EvalFunction.fixed4($0)] } ?? []
        }
        if let key = EvalFunction.factKey(function.name, arguments) {
            return facts.externalLogs[key] ?? []
        }
        if let describe = EvalFunction.freemailNotes[function.name] {
            if context == nil { context = evalContext() }
            return describe(context!, arguments)
        }
        return []
    }
}

/// One run's per-rule values and the metas' stack, in buffers of its own,
/// so the loops read and write them through pointers: no uniqueness
/// checks, no bounds checks (rule numbers come from the rule set's own
/// tables). The stack holds the deepest program from the start and grows
/// when a lazy meta runs above the one reading it (`RuleRun.demand`).
final class RunSlots {
    let values: UnsafeMutableBufferPointer<Double>
    let ran: UnsafeMutableBufferPointer<Bool>
    private(set) var stack: UnsafeMutablePointer<Double>
    private var stackCapacity: Int

    init(rules: Int, stack size: Int) {
        values = .allocate(capacity: rules)
        values.initialize(repeating: 0)
        ran = .allocate(capacity: rules)
        ran.initialize(repeating: false)
        stackCapacity = max(16, size)
        stack = .allocate(capacity: stackCapacity)
        stack.initialize(repeating: 0, count: stackCapacity)
    }

    deinit {
        values.deallocate()
        ran.deallocate()
        stack.deallocate()
    }

    /// Room for `count` entries (those below kept).
    func reserveStack(_ count: Int) {
        guard count > stackCapacity else { return }
        let capacity = max(count, stackCapacity * 2)
        let grown = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        grown.moveInitialize(from: stack, count: stackCapacity)
        grown.advanced(by: stackCapacity).initialize(repeating: 0, count: capacity - stackCapacity)
        stack.deallocate()
        (stack, stackCapacity) = (grown, capacity)
    }
}

/// The header texts one scan's evals have read (`RuleRun.evalContext`).
private final class HeaderTexts {
    var values: [[UInt8]?]
    var fetched: [Bool]
    var others: [HeaderQuery: [UInt8]?] = [:]
    init(_ values: [[UInt8]?], _ fetched: [Bool]) { (self.values, self.fetched) = (values, fetched) }
}

/// A view's pieces laid out in one buffer, separated by "\n" (what the
/// prefilters assume), and what the prefilters found in it: the required
/// strings present (with a few pieces, which pieces each occurs in: a
/// rule then runs only on the pieces that hold a string of each of its
/// sets, as a match lies within one piece and holds them all; for the
/// stock rules that is a quarter of the bytes those that pass search),
/// and the pieces the multi-pattern stage says each rule may match from.
final class SubjectPass {
    let joined: [UInt8]
    let ranges: [Range<Int>]
    let isBody: Bool
    let filter: LiteralFilter
    let marks: [UInt32]
    private let pieceBits: [UInt64]
    let words: Int
    let byPiece: Bool
    /// The one pass over the joined pieces (`RuleSet.prefilterPattern`)
    /// finds what each piece alone matches, except in an empty last piece:
    /// it starts after the final "\n", where PCRE2's /m `^` does not
    /// match, so `^$` would be lost there.
    let joinedPass: Bool
    /// 1 + the first piece where pattern n of the stage may match, 0
    /// where it cannot (Hyperscan over each piece, all rules at once).
    let firstPiece: [UInt32]
    let useMulti: Bool
    let included: [Bool]
    /// The pieces the last rule given to `mask(for:)` may match in.
    private(set) var pieceMask: [UInt64]
    private var maskScratch: [UInt64]

    /// Where the rule's search over this pass begins: the first piece the
    /// stage leaves it (and whether the stage had a say), or nil when the
    /// stage or the required strings rule it out and its regex need not
    /// run at all.
    func searchStart(_ e: SubjectEntry) -> (piece: Int, viaMulti: Bool)? {
        var start = (piece: 0, viaMulti: false)
        if useMulti, e.multi >= 0, included[Int(e.multi)] {
            let first = Int(firstPiece[Int(e.multi)])
            if first == 0 { return nil }
            start = (first - 1, true)
        }
        if !e.literals.isEmpty, !marks.withUnsafeBufferPointer({ filter.allows(e.literals, $0, 1) }) { return nil }
        return start
    }

    init(_ pieces: [[UInt8]], _ filter: LiteralFilter, _ multi: MultiPattern?, isBody: Bool) {
        var joined: [UInt8] = []
        joined.reserveCapacity(pieces.reduce(pieces.count) { $0 + $1.count })
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(pieces.count)
        for p in pieces {
            if !ranges.isEmpty { joined.append(10) }
            ranges.append(joined.count..<(joined.count + p.count))
            joined.append(contentsOf: p)
        }
        let literalCount = filter.count
        var marks = [UInt32](repeating: 0, count: literalCount)
        let words = (pieces.count + 63) / 64
        // (Only header views' filters lack the one matcher, and they are not run here.)
        precondition(literalCount == 0 || filter.matcher != nil, "a body-like view's strings need their matcher")
        let matcher = literalCount > 0 ? filter.matcher : nil
        let byPiece = matcher != nil && pieces.count > 1 && pieces.count <= RuleRun.literalPieceLimit
        var pieceBits: [UInt64] = []
        if byPiece, let matcher {
            pieceBits = [UInt64](repeating: 0, count: literalCount * words)
            joined.withUnsafeBufferPointer { all in
                ranges.withUnsafeBufferPointer { matcher.markPieces(all, pieces: $0, words: words, into: &pieceBits) }
            }
            pieceBits.withUnsafeBufferPointer { bits in
                for i in 0..<literalCount {
                    var any: UInt64 = 0
                    for w in 0..<words { any |= bits[i &* words &+ w] }
                    if any != 0 { marks[i] = 1 }
                }
            }
        } else if let matcher {
            joined.withUnsafeBufferPointer { matcher.mark($0, with: 1, in: &marks) }
        }
        var firstPiece: [UInt32] = []
        var useMulti = false
        if let multi {
            firstPiece = [UInt32](repeating: 0, count: multi.count)
            useMulti = joined.withUnsafeBufferPointer { all in
                ranges.withUnsafeBufferPointer { multi.scan(all, pieces: $0, into: &firstPiece) }
            }
        }
        (self.joined, self.ranges, self.isBody, self.filter) = (joined, ranges, isBody, filter)
        (self.marks, self.pieceBits, self.words, self.byPiece) = (marks, pieceBits, words, byPiece)
        (self.firstPiece, self.useMulti, self.included) = (firstPiece, useMulti, multi?.included ?? [])
        pieceMask = [UInt64](repeating: ~0, count: words)
        maskScratch = [UInt64](repeating: 0, count: words)
        joinedPass = pieces.count > 1 && pieces.last?.isEmpty == false
    }

    /// Sets `pieceMask` to the pieces that hold a string of each of the
    /// rule's sets.
    func mask(for literals: Range<Int32>) {
        pieceBits.withUnsafeBufferPointer { bits in
            pieceMask.withUnsafeMutableBufferPointer { m in
                maskScratch.withUnsafeMutableBufferPointer {
                    filter.allowedPieces(literals, bits, words: words, into: m, scratch: $0)
                }
            }
        }
    }
}
