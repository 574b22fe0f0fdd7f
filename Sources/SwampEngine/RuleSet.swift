import Foundation
import SwampMIME
import SwampRegex
import Synchronization
import SwampRules

/// Where a rule looks. One compiled rule reads exactly one view.
enum RuleTarget: Sendable {
    case header(HeaderQuery, negated: Bool, ifUnset: [UInt8]?)
    case exists(HeaderQuery)
    case body
    case rawbody
    case full
    case uri
    case eval(EvalFunction, arguments: [String])
    case meta(MetaProgram)
    case mimeHeader(MIMEHeaderTest)
}

/// A `mimeheader` rule (SpamAssassin's MIMEHeader plugin): a header regex
/// run over each MIME part's headers.
///
/// A class: each scan hands every test to `mimeHeaderHits`, and copying a
/// struct of these fields counted references on each.
final class MIMEHeaderTest: Sendable {
    let header: String
    let raw: Bool
    let negated: Bool
    let ifUnset: [UInt8]?
    /// `tflags range=MIN-MAX`: which parts (1-based, in tree order) count.
    let range: ClosedRange<Int>
    /// `tflags concat`: match once over all parts' values joined.
    let concat: Bool
    /// The scan's cache of each part's value, per header and rawness, is
    /// keyed by this (made once here, not per rule and scan).
    let cacheKey: String

    init(header: String, raw: Bool, negated: Bool, ifUnset: [UInt8]?, range: ClosedRange<Int>, concat: Bool) {
        (self.header, self.raw, self.negated, self.ifUnset, self.range, self.concat) =
            (header, raw, negated, ifUnset, range, concat)
        cacheKey = (raw ? "raw:" : "") + header.lowercased()
    }
}

/// A rule compiled for scanning: its regex, its view, its scores.
struct CompiledRule: Sendable {
    let name: String
    let type: RuleType
    let target: RuleTarget
    let regex: Regex?
    /// Scores for sets 0–3 (no Bayes/no net, net, Bayes, Bayes+net).
    let scores: [Double]
    let multiple: Bool
    let maxHits: Int
    let noSubject: Bool
    let isSubrule: Bool
    var prefilter: Regex? = nil
}

/// A header rule as the hot loop reads it: plain values only.
struct HeaderEntry: Sendable {
    enum Kind: UInt8, Sendable { case match, negated, exists }
    let rule: Int32
    let query: Int32
    let kind: Kind
    let regex: RegexHandle?
    let maxHits: Int
    /// Required strings, as in `SubjectEntry.literals`.
    var literals: Range<Int32> = 0..<0
    /// What the regex gives on the text it sees when the header is absent
    /// (its `if-unset:` text, else nothing), worked out once at load:
    /// matches counted up to the most the rule counts, and whether the
    /// match limit cut the count. A third of a message's header searches
    /// were of absent headers (X-Mailer alone, 50).
    var unsetCount: Int32 = 0
    var unsetLimited = false
}

/// A body, rawbody, uri or full rule as the hot loop reads it.
struct SubjectEntry: Sendable {
    let rule: Int32
    let regex: RegexHandle
    /// Run once over all pieces joined by newlines: no match there means no
    /// match in any piece, so the per-piece loop is skipped (see
    /// `RuleSet.prefilterPattern`). nil when that cannot be guaranteed.
    let prefilter: RegexHandle?
    let maxHits: Int
    let noSubject: Bool
    /// The rule's required strings, as a range of its view's
    /// `LiteralFilter.refs`: when none of them occurs in the view, the rule
    /// cannot match there. Empty when the rule has no such strings and
    /// always runs.
    var literals: Range<Int32> = 0..<0
    /// The rule's number among its view's multi-pattern candidates, or -1
    /// when it is none (see `RuleSet.multiCandidates`).
    var multi: Int32 = -1
}

/// The required strings of one view's rules (SwampRegex.RequiredLiterals),
/// looked for all at once. Entries' `literals` ranges index `refs`, which
/// holds the matcher's string numbers: one or more sets, each ended by -1
/// (`allOf`: the rule can match only where a string of every set occurs).
struct LiteralFilter: Sendable {
    /// The matcher of all the strings, for the body, rawbody, uri and
    /// full views; nil for the header views, which have `byQuery`.
    var matcher: LiteralMatcher?
    let refs: [Int32]
    /// Header views: per view (query number), an automaton of the strings
    /// its own rules need, reporting them by their numbers here; nil for a
    /// view whose rules need none. Empty for the other views.
    var byQuery: [LiteralMatcher?] = []
    /// The strings' numbers run below this.
    let count: Int
    /// Header views this long and longer are searched with Hyperscan
    /// (`LiteralMatcher.Engine.hybrid`): for the stock rules, the ALL views
    /// and Received (a few KB a message, nine tenths of the bytes) go to
    /// it; the table's share of a scan fell from 2.0 to 1.5 %.
    static let hyperscanFrom = 256

    /// Whether the strings of `range` allow a match: some string of each
    /// set has `mark` in `marks`. `range` must not be empty.
    @inline(__always)
    func allows(_ range: Range<Int32>, _ marks: UnsafeBufferPointer<UInt32>, _ mark: UInt32) -> Bool {
        refs.withUnsafeBufferPointer { refs in
            var found = false
            for k in range {
                let ref = refs[Int(k)]
                if ref < 0 {
                    if !found { return false }
                    found = false
                } else if !found, marks[Int(ref)] == mark {
                    found = true
                }
            }
            return true
        }
    }

    /// The pieces where the strings of `range` allow a match, from
    /// `LiteralMatcher.markPieces`' bits: bit n of `mask[n / 64]` when some
    /// string of each set occurs in piece n. `scratch` holds `words` words.
    func allowedPieces(_ range: Range<Int32>, _ bits: UnsafeBufferPointer<UInt64>, words: Int,
                       into mask: UnsafeMutableBufferPointer<UInt64>, scratch: UnsafeMutableBufferPointer<UInt64>) {
        for w in 0..<words { (mask[w], scratch[w]) = (~0, 0) }
        refs.withUnsafeBufferPointer { refs in
            for k in range {
                let ref = Int(refs[Int(k)])
                if ref < 0 {
                    for w in 0..<words { (mask[w], scratch[w]) = (mask[w] & scratch[w], 0) }
                } else {
                    for w in 0..<words { scratch[w] |= bits[ref &* words &+ w] }
                }
            }
        }
    }

    struct Builder {
        let enabled: Bool
        var strings: [[UInt8]] = []
        var index: [[UInt8]: Int32] = [:]
        var refs: [Int32] = []

        /// Whether rules get every set (`RequiredLiterals.allOf`) or the
        /// most selective one only (fewer strings to look for).
        let allSets: Bool

        init(enabled: Bool, allSets: Bool = true) {
            self.enabled = enabled
            self.allSets = allSets
        }

        /// Records the pattern's required strings; the range to store in
        /// its entry (empty: always run the rule).
        mutating func add(pattern: String, options: RegexOptions) -> Range<Int32> {
            guard enabled else { return 0..<0 }
            let found = allSets ? RequiredLiterals.allOf(pattern, options: options)
                : RequiredLiterals.of(pattern, options: options).map { [$0] }
            guard let sets = found else { return 0..<0 }
            let start = Int32(refs.count)
            for set in sets {
                for s in set {
                    let id = index[s] ?? Int32(strings.count)
                    if id == Int32(strings.count) { strings.append(s); index[s] = id }
                    refs.append(id)
                }
                refs.append(-1)
            }
            return start..<Int32(refs.count)
        }

        func build(_ engine: LiteralMatcher.Engine = .automatic) -> LiteralFilter {
            LiteralFilter(matcher: LiteralMatcher(strings, engine: engine), refs: refs, count: strings.count)
        }

        /// For header views: an automaton per view, of the strings its
        /// entries' `literals` name. A view's text is then searched for
        /// its own rules' strings only, in a table that stays in the
        /// processor's cache; one table of all 1,052 strings of the stock
        /// rules (1.2 MB) missed it on most bytes of the header views.
        /// Long texts go to Hyperscan's literal matcher over the same
        /// strings (`hyperscanFrom`).
        func build(byQuery entries: [(query: Int32, literals: Range<Int32>)], queries: Int) -> LiteralFilter {
            var wanted = [Set<Int32>](repeating: [], count: queries)
            for e in entries {
                for k in e.literals where refs[Int(k)] >= 0 { wanted[Int(e.query)].insert(refs[Int(k)]) }
            }
            let matchers = wanted.map { ids -> LiteralMatcher? in
                guard !ids.isEmpty else { return nil }
                let ordered = ids.sorted()
                return LiteralMatcher(ordered.map { strings[Int($0)] }, engine: .hybrid(minimumLength: LiteralFilter.hyperscanFrom),
                                      reporting: ordered)
            }
            return LiteralFilter(matcher: nil, refs: refs, byQuery: matchers, count: strings.count)
        }
    }
}

/// Rules compiled from a `Configuration`, shared read-only by every scan.
/// Failures happen here, at load: a regex that does not compile, a meta that
/// refers to itself, an `eval:` swamp does not implement — each becomes a
/// diagnostic and the rule is left out; nothing fails at scan time.
public final class RuleSet: Sendable {
    public let configuration: Configuration
    let rules: [CompiledRule]
    /// Rules by view, in the plain form the evaluation loops read.
    let headerEntries: [HeaderEntry]
    let bodyEntries: [SubjectEntry]
    let rawbodyEntries: [SubjectEntry]
    let fullEntries: [SubjectEntry]
    let uriEntries: [SubjectEntry]
    /// The distinct header views rules read, so each is fetched once a scan.
    let queries: [HeaderQuery]
    /// The same, resolved once (modifiers in the name read out).
    let resolvedQueries: [ResolvedHeaderQuery]
    /// Each query's number in `queries`.
    let queryIndex: [HeaderQuery: Int32]
    /// The eval and mimeheader rules, in rule order, as the scan calls them.
    let evalCalls: [EvalCall]
    /// The FreeMail plugin's domain lists, read once.
    let freemail: FreemailList?
    /// The metas in `metaOrder` as the loop reads them: rule index, program,
    /// and the metas it reads.
    let metaCode: MetaCode
    /// Whether each rule runs in score set 0…3 (a zero score disables it;
    /// a lazy subrule, `lazyInSet`, runs only when a meta reads it).
    let enabledInSet: [[Bool]]
    /// With `skipUnseenSubrules`: per score set, the enabled subrules that
    /// run only when a meta reads them (`RuleRun.demand`): metas, header
    /// rules, body rules and evals (not those reading Bayes, nor
    /// mimeheader rules). A subrule read only behind a rare condition
    /// (`__BITCOIN_ID && __EXTORT_MANY`, whose sum reads fourteen more)
    /// then costs nothing in most messages. nil otherwise.
    let lazyInSet: [[Bool]]?
    /// Per score set, whether each meta runs at all: enabled, and every
    /// meta it reads runs (as `runMetas` has it).
    let metaRunsInSet: [[Bool]]
    /// Per rule: its place in `headerEntries`, `bodyEntries`, `evalCalls`
    /// and `metaCode.steps`, or -1 (filled only with `lazyInSet`).
    let headerEntryOfRule: [Int32]
    let bodyEntryOfRule: [Int32]
    let evalCallOfRule: [Int32]
    let metaStepOfRule: [Int32]
    /// The header views some enabled rule reads, per score set.
    let queriesInSet: [[Int]]
    /// The required strings of each view's rules, found in one pass over
    /// the view.
    let headerLiterals: LiteralFilter
    let bodyLiterals: LiteralFilter
    let rawbodyLiterals: LiteralFilter
    let uriLiterals: LiteralFilter
    let fullLiterals: LiteralFilter
    /// Body, rawbody and uri rules' patterns, per view, for the
    /// multi-pattern stage; entries' `multi` numbers index these.
    let multiCandidates: [[Candidate]]
    typealias Candidate = (pattern: String, options: RegexOptions, worthAlone: Bool)
    /// The stage once compiled (or loaded): one Hyperscan database per view.
    let multiStage = MultiStageSlot()
    /// Per-rule timing, off unless started (`swamp bench --rule-times`).
    public let profile = RuleProfile()
    /// Keeps every compiled regex alive for the handles above.
    let regexes: [Regex]
    let indexByName: [String: Int]
    public let diagnostics: [Diagnostic]
    /// `eval:` functions swamp does not implement, with the rules that call
    /// them. Those rules never hit.
    public let skippedEvals: [String: [String]]
    /// Rules left out because their regex exceeds what this PCRE2 build
    /// can compile.
    public let tooLarge: [String]
    public let trust: TrustPolicy
    public let matchLimits: MatchLimits

    public var ruleCount: Int { rules.count }
    public var ruleNames: [String] { rules.map(\.name) }

    /// `literalPrefilter: false` runs every subject rule's regex whatever
    /// the text holds: the reference the prefilter is tested against.
    /// `trimPatterns: false` compiles every regex as written; otherwise a
    /// rule that only asks whether its pattern matches (not `tflags
    /// multiple`) runs it without what may match empty at its edges
    /// (`ExistencePattern`), which hits exactly when the original does.
    /// `skipUnseenSubrules`: a `__` subrule that no rule scored in a set
    /// reads (through metas, at any depth) does not run in that set, and
    /// one unread in every set is left out of the prefilters and compiled
    /// to no machine code: its outcome could show nowhere but in
    /// `_SUBTESTS_`, so templates that use that tag keep every subrule.
    /// SpamAssassin's stock rules hold some that cost time every message
    /// for nothing (`__HEAD_ILLEGAL_CHARS`, read only by a meta scored 0;
    /// the forged-Received subrules of two unscored metas). The subrules
    /// that are read then run only when a meta reads them (`lazyInSet`).
    public init(configuration: Configuration, matchLimits: MatchLimits = MatchLimits(),
                literalPrefilter: Bool = true, trimPatterns: Bool = true, skipUnseenSubrules: Bool = false) {
        var config = configuration
        Builtins.addMissing(to: &config)
        self.configuration = config
        self.matchLimits = matchLimits
        var diagnostics: [Diagnostic] = []
        var skipped: [String: [String]] = [:]
        var tooLarge: [String] = []
        let seen = skipUnseenSubrules && !config.templatesShowSubrules ? RuleSet.seenRules(config) : nil
        var compiled: [CompiledRule] = []
        var metaSources: [(index: Int, expression: MetaExpression)] = []

        for name in config.ruleOrder {
            guard let rule = config.rules[name] else { continue }
            let flags = config.tflags[name] ?? []
            let multiple = flags.contains("multiple")
            let maxHits = flags.lazy.compactMap { f -> Int? in
                f.hasPrefix("maxhits=") ? Int(f.dropFirst(8)) : nil
            }.first ?? (multiple ? Int.max : 1)
            var scores = RuleSet.scores(for: name, flags: flags, in: config)
            // An unseen subrule counts as scored 0 where nothing reads it
            // (a subrule's score is never added or shown).
            if let seen, name.hasPrefix("__") {
                for set in scores.indices where !seen[set].contains(name) { scores[set] = 0 }
            }
            // A rule scored 0 in every set never runs (`enabledInSet`): its
            // regex is compiled, so that errors show at load, but not to
            // machine code.
            let runs = scores.contains { $0 != 0 }

            func regex(_ perl: PerlRegex) -> Regex? {
                let expanded = config.expandedRegex(for: name) ?? perl
                let pattern = RuleSet.pcrePattern(expanded.pattern)
                let options = RegexOptions(perlFlags: expanded.flags)
                if trimPatterns && maxHits == 1, let trimmed = ExistencePattern.trimmed(pattern, options: options),
                   let re = try? Regex(trimmed, options: options, jit: runs) {
                    return re
                }
                do {
                    return try Regex(pattern, options: options, jit: runs)
                } catch where error.isTooLarge {
                    // Debian builds PCRE2 with link size 2, so a few of
                    // SpamAssassin's ReplaceTags-expanded patterns exceed its
                    // 64 KiB of compiled code. The rule is left out; the
                    // configuration itself is not wrong.
                    diagnostics.append(Diagnostic(.warning, "rule \(name) skipped: its expanded regex is too large for this PCRE2 build (\(expanded.pattern.utf8.count) bytes; PCRE2 built with link size 2)",
                                                  at: rule.location))
                    tooLarge.append(name)
                    return nil
                } catch {
                    diagnostics.append(Diagnostic(.error, "rule \(name): regex does not compile: \(error)",
                                                  at: rule.location))
                    return nil
                }
            }

            if rule.type == .mimeheader {
                guard case .header(let target, let perl, let negated, let ifUnset) = rule.test,
                      let re = regex(perl) else { continue }
                compiled.append(CompiledRule(
                    name: name, type: rule.type,
                    target: .mimeHeader(MIMEHeaderTest(
                        header: target.name, raw: target.modifiers.contains("raw"), negated: negated,
                        ifUnset: ifUnset.map { Array($0.utf8) }, range: RuleSet.partRange(flags),
                        concat: flags.contains("concat"))),
                    regex: re, scores: scores, multiple: multiple,
                    maxHits: multiple ? (maxHits == Int.max ? 1000 : max(1, maxHits)) : 1,
                    noSubject: false, isSubrule: name.hasPrefix("__")))
                continue
            }
            var target: RuleTarget
            var compiledRegex: Regex? = nil
            switch rule.test {
            case .header(let header, let perl, let negated, let ifUnset):
                guard let re = regex(perl) else { continue }
                compiledRegex = re
                target = .header(HeaderQuery(header), negated: negated, ifUnset: ifUnset.map { Array($0.utf8) })
            case .exists(let header):
                target = .exists(HeaderQuery(HeaderTarget(name: header, modifiers: [])))
            case .regex(let perl):
                guard let re = regex(perl) else { continue }
                compiledRegex = re
                switch rule.type {
                case .body: target = .body
                case .rawbody: target = .rawbody
                case .full: target = .full
                case .uri: target = .uri
                default:
                    diagnostics.append(Diagnostic(.error, "rule \(name): a \(rule.type.rawValue) rule cannot be a bare regex",
                                                  at: rule.location))
                    continue
                }
            case .eval(let function, let arguments):
                guard let fn = EvalFunction.lookup(function, type: rule.type) else {
                    skipped[function, default: []].append(name)
                    continue
                }
                target = .eval(fn, arguments: arguments)
            case .meta(let expression):
                metaSources.append((compiled.count, expression))
                target = .meta(MetaProgram(expression: .number(0)))
            }
            var prefilter: Regex? = nil
            if let re = compiledRegex, rule.type == .body || rule.type == .rawbody || rule.type == .uri,
               let (pattern, flags) = RuleSet.prefilterPattern(re.pattern, flags: re.options) {
                prefilter = (pattern == re.pattern && flags == re.options)
                    ? re : try? Regex(pattern, options: flags, jit: runs)
            }
            compiled.append(CompiledRule(name: name, type: rule.type, target: target, regex: compiledRegex,
                                         scores: scores, multiple: multiple, maxHits: max(1, maxHits),
                                         noSubject: flags.contains("nosubject"), isSubrule: name.hasPrefix("__"),
                                         prefilter: prefilter))
        }

        var indexByName: [String: Int] = [:]
        for (i, rule) in compiled.enumerated() { indexByName[rule.name] = i }

        // Metas: resolve names to indices and order them so each runs after
        // the metas it reads. A cycle disables the metas in it.
        var programs: [Int: MetaProgram] = [:]
        var metaDeps: [Int: [Int]] = [:]
        for (index, expression) in metaSources {
            let program = MetaProgram(expression: expression, indexByName: indexByName)
            programs[index] = program
            metaDeps[index] = program.dependencies.filter { dep in
                if case .meta = compiled[dep].target { return true }
                return false
            }
        }
        var order: [Int] = []
        var state: [Int: Int] = [:]   // 1 visiting, 2 done
        var cyclic: Set<Int> = []
        func visit(_ i: Int) {
            if state[i] == 2 { return }
            if state[i] == 1 { cyclic.insert(i); return }
            state[i] = 1
            for d in metaDeps[i] ?? [] { visit(d) }
            state[i] = 2
            order.append(i)
        }
        for (index, _) in metaSources { visit(index) }
        for i in cyclic {
            diagnostics.append(Diagnostic(.error, "meta rule \(compiled[i].name) depends on itself",
                                          at: config.rules[compiled[i].name]?.location))
        }
        for (index, program) in programs {
            let old = compiled[index]
            compiled[index] = CompiledRule(name: old.name, type: old.type, target: .meta(program), regex: nil,
                                           scores: old.scores, multiple: false, maxHits: 1, noSubject: false,
                                           isSubrule: old.isSubrule)
        }

        var headers: [HeaderEntry] = [], body: [SubjectEntry] = [], raw: [SubjectEntry] = []
        var full: [SubjectEntry] = [], uri: [SubjectEntry] = [], evals: [EvalCall] = []
        var queries: [HeaderQuery] = [], queryIndex: [HeaderQuery: Int32] = [:]
        let unsetScratch = MatchScratch(limits: matchLimits)
        func queryID(_ q: HeaderQuery) -> Int32 {
            if let i = queryIndex[q] { return i }
            let i = Int32(queries.count)
            queries.append(q)
            queryIndex[q] = i
            return i
        }
        // Header, body, rawbody, uri, full. `full` rules are a handful over
        // the whole message: a pass to look for their strings would cost
        // about what running them does.
        // Header views keep one set a rule: their Aho–Corasick tables grow
        // with every string (with the other sets too, 1.8 MB instead of
        // 0.8 for the stock rules, for no CPU saved that alternating runs
        // could tell from noise), and header rules are cheap to run anyway.
        var literalBuilders = (0..<5).map {
            LiteralFilter.Builder(enabled: literalPrefilter && $0 != 4, allSets: $0 != 0)
        }
        func literals(of rule: CompiledRule, view: Int) -> Range<Int32> {
            guard let re = rule.regex else { return 0..<0 }
            return literalBuilders[view].add(pattern: re.pattern, options: re.options)
        }
        for (i, rule) in compiled.enumerated() {
            let r = Int32(i)
            func entry(_ view: Int) -> SubjectEntry {
                var e = SubjectEntry(rule: r, regex: rule.regex!.handle, prefilter: rule.prefilter?.handle,
                                     maxHits: rule.maxHits, noSubject: rule.noSubject)
                e.literals = literals(of: rule, view: view)
                return e
            }
            switch rule.target {
            case .header(let q, let negated, let ifUnset):
                var e = HeaderEntry(rule: r, query: queryID(q), kind: negated ? .negated : .match,
                                    regex: rule.regex?.handle, maxHits: rule.maxHits)
                e.literals = literals(of: rule, view: 0)
                if let re = rule.regex {
                    let (count, limited) = (ifUnset ?? []).withUnsafeBufferPointer {
                        re.countMatches($0, maximum: negated ? 1 : rule.maxHits, scratch: unsetScratch)
                    }
                    e.unsetCount = Int32(clamping: count)
                    e.unsetLimited = limited
                }
                headers.append(e)
            case .exists(let q):
                headers.append(HeaderEntry(rule: r, query: queryID(q), kind: .exists, regex: nil, maxHits: 1))
            case .body: body.append(entry(1))
            case .rawbody: raw.append(entry(2))
            case .uri: uri.append(entry(3))
            case .full: full.append(entry(4))
            case .eval(let fn, let args):
                evals.append(EvalCall(rule: i, eval: fn, arguments: args))
            case .mimeHeader(let test):
                evals.append(EvalCall(rule: i, mimeHeader: test))
            case .meta: break
            }
        }
        rules = compiled
        // Header views are many short texts: the table's per-call cost is
        // nil where Hyperscan's is not (measured: 0.25 ms more a message
        // with Hyperscan for every view); the few long ones go to
        // Hyperscan (`LiteralFilter.hyperscanFrom`).
        headerLiterals = literalBuilders[0].build(byQuery: headers.map { ($0.query, $0.literals) },
                                                  queries: queries.count)
        bodyLiterals = literalBuilders[1].build()
        rawbodyLiterals = literalBuilders[2].build()
        uriLiterals = literalBuilders[3].build()
        fullLiterals = literalBuilders[4].build()
        // Grouped by the header view they read (the literal marks rely on
        // it); the evaluation records results back in rule order.
        let headerEntries = headers.sorted { ($0.query, $0.rule) < ($1.query, $1.rule) }
        self.headerEntries = headerEntries
        // The multi-pattern stage's candidates: body, rawbody and uri rules
        // without required strings that score in some set, numbered in
        // their view (compiled later: prepareMultiPattern). Those PCRE2
        // must try at most positions are worth a database however large;
        // the others only a small one (MultiPattern.smallDatabase).
        func candidates(_ entries: inout [SubjectEntry]) -> [Candidate] {
            guard literalPrefilter else { return [] }
            var patterns: [Candidate] = []
            for n in entries.indices where entries[n].literals.isEmpty {
                let rule = compiled[Int(entries[n].rule)]
                guard let re = rule.regex, rule.scores.contains(where: { $0 != 0 }) else { continue }
                entries[n].multi = Int32(patterns.count)
                patterns.append((re.pattern, re.options, re.startBytes >= RuleSet.multiMinimumStartBytes))
            }
            return patterns
        }
        multiCandidates = [candidates(&body), candidates(&raw), candidates(&uri)]
        bodyEntries = body
        rawbodyEntries = raw
        fullEntries = full
        uriEntries = uri
        self.queries = queries
        resolvedQueries = queries.map(ResolvedHeaderQuery.init)
        self.queryIndex = queryIndex
        evalCalls = evals
        let metaOrder = order.filter { !cyclic.contains($0) }
        let metaCode = MetaCode(metaOrder.compactMap { i in
            guard case .meta(let program) = compiled[i].target else { return nil }
            return (i, program, metaDeps[i] ?? [])
        })
        self.metaCode = metaCode
        let enabledInSet = (0..<4).map { set in compiled.map { $0.scores[set] != 0 } }
        self.enabledInSet = enabledInSet
        let metaRuns = (0..<4).map { set in
            var runs = [Bool](repeating: false, count: compiled.count)
            for step in metaCode.steps {
                let rule = Int(step.rule)
                runs[rule] = enabledInSet[set][rule]
                    && (Int(step.depsStart)..<Int(step.depsEnd)).allSatisfy { runs[Int(metaCode.metaDeps[$0])] }
            }
            return runs
        }
        metaRunsInSet = metaRuns
        if seen != nil {
            var headerOf = [Int32](repeating: -1, count: compiled.count), bodyOf = headerOf
            var evalOf = headerOf, metaOf = headerOf
            for (k, e) in headerEntries.enumerated() { headerOf[Int(e.rule)] = Int32(k) }
            for (k, e) in body.enumerated() { bodyOf[Int(e.rule)] = Int32(k) }
            for (k, c) in evals.enumerated() where !c.isMIMEHeader && !c.readsBayes { evalOf[c.rule] = Int32(k) }
            for (k, step) in metaCode.steps.enumerated() { metaOf[Int(step.rule)] = Int32(k) }
            (headerEntryOfRule, bodyEntryOfRule, evalCallOfRule, metaStepOfRule) = (headerOf, bodyOf, evalOf, metaOf)
            lazyInSet = (0..<4).map { set in
                compiled.indices.map { i in
                    compiled[i].isSubrule && enabledInSet[set][i]
                        && (headerOf[i] >= 0 || bodyOf[i] >= 0 || evalOf[i] >= 0 || metaOf[i] >= 0)
                }
            }
        } else {
            (headerEntryOfRule, bodyEntryOfRule, evalCallOfRule, metaStepOfRule) = ([], [], [], [])
            lazyInSet = nil
        }
        queriesInSet = (0..<4).map { set in
            Array(Set(headers.filter { enabledInSet[set][Int($0.rule)] }.map { Int($0.query) })).sorted()
        }
        regexes = compiled.compactMap(\.regex) + compiled.compactMap(\.prefilter)
        self.indexByName = indexByName
        self.skippedEvals = skipped
        self.freemail = FreemailList(config)
        self.tooLarge = tooLarge

        var trust = TrustPolicy()
        func networks(_ list: [String], _ what: String) -> [IPNetwork] {
            list.compactMap { text in
                if let n = IPNetwork(Substring(text)) { return n }
                diagnostics.append(Diagnostic(.error, "\(what): not a network: \(text)", at: nil))
                return nil
            }
        }
        trust.trusted = networks(config.trustedNetworks, "trusted_networks")
        trust.internal = networks(config.internalNetworks, "internal_networks")
        trust.msa = networks(config.msaNetworks, "msa_networks")
        self.trust = trust
        self.diagnostics = config.diagnostics + diagnostics
    }

    /// Per score set, the rules whose outcome can show: those scored in
    /// the set that are not `__` subrules, and every rule a meta among
    /// them reads, at any depth.
    static func seenRules(_ config: Configuration) -> [Set<String>] {
        var reads: [String: Set<String>] = [:]
        for (name, rule) in config.rules {
            if case .meta(let expression) = rule.test { reads[name] = expression.ruleNames }
        }
        return (0..<4).map { set in
            var seen = Set<String>()
            var pending = config.rules.keys.filter { name in
                !name.hasPrefix("__") && scores(for: name, flags: config.tflags[name] ?? [], in: config)[set] != 0
            }
            while let name = pending.popLast() {
                guard seen.insert(name).inserted else { continue }
                pending += reads[name] ?? []
            }
            return seen
        }
    }

    /// The four scores of a rule: `score` lines, else SpamAssassin's default
    /// (1.0, 0.01 for `T_` rules, negated for `tflags nice`).
    static func scores(for name: String, flags: [String], in config: Configuration) -> [Double] {
        if let s = config.scores[name] { return s.count == 4 ? s : Array(repeating: s.first ?? 0, count: 4) }
        var value = name.hasPrefix("T_") ? 0.01 : 1.0
        if flags.contains("nice") { value = -value }
        return [value, value, value, value]
    }

    /// `tflags range=N`, `range=N-M`, `range=N-`, `range=-M` (default 0-1000).
    static func partRange(_ flags: [String]) -> ClosedRange<Int> {
        guard let flag = flags.first(where: { $0.hasPrefix("range=") }) else { return 0...1000 }
        let spec = flag.dropFirst(6)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let low = parts.first.flatMap { Int($0) }
        let high = parts.count > 1 ? Int(parts[1]) : nil
        switch (low, parts.count > 1, high) {
        case (let l?, true, let h?): return l...max(l, h)
        case (let l?, true, nil): return l...1000
        case (nil, true, let h?): return 0...h
        case (let l?, false, _): return l...l
        default: return 0...1000
        }
    }

    /// A pattern that, run once over all pieces of a view joined by "\n",
    /// matches whenever the rule's pattern matches some piece alone. Body
    /// rules run per paragraph and most match nothing, so one pass over the
    /// joined text saves a match call per paragraph for nearly every rule.
    ///
    /// Why it is sound: a match inside one piece is still a match at the
    /// same place in the joined text, as long as no assertion sees the
    /// difference between a piece's edge and a neighbouring "\n". `\b`, `\B`
    /// and positive lookarounds cannot lose a match that way ("\n" is not a
    /// word character); `^` and `$` keep theirs once `/m` is added. What
    /// could lose one is left without a prefilter: negative lookarounds,
    /// `\A \z \Z \G`, atomic groups and possessive quantifiers, inline
    /// flag changes that turn `m` off, conditionals and verbs.
    static func prefilterPattern(_ pattern: String, flags: RegexOptions) -> (String, RegexOptions)? {
        for unsafe in ["(?!", "(?<!", "\\A", "\\z", "\\Z", "\\G", "(?>", "*+", "++", "?+", "}+",
                       "(?(", "(*", "(?-", "(?^"] where pattern.containsBytes(unsafe) {
            return nil
        }
        // `(?i-m)`, `(?s-m:...)`: m turned off after other letters.
        let bytes = Array(pattern.utf8)
        for start in bytes.indices where bytes[start] == UInt8(ascii: "(") && start + 1 < bytes.count
            && bytes[start + 1] == UInt8(ascii: "?") {
            var j = start + 2, off = false
            while j < bytes.count, bytes[j] == UInt8(ascii: "-") || (bytes[j] | 32 >= 97 && bytes[j] | 32 <= 122) {
                if bytes[j] == UInt8(ascii: "-") { off = true } else if off && bytes[j] == UInt8(ascii: "m") { return nil }
                j += 1
            }
        }
        var flags = flags
        if !flags.contains(.multiline) && hasLineAnchor(bytes, extended: flags.contains(.extended)) {
            flags.insert(.multiline)
        }
        return (pattern, flags)
    }

    /// Whether `^` or `$` may be an anchor in the pattern, the only things
    /// `/m` changes. Escaped ones (`\^`, `\Q^\E`) and those in character
    /// classes (`[^a-z]`, `[$]`) are not, and a pattern without any runs as
    /// its own prefilter instead of being compiled a second time with `/m`.
    /// Anything unclear counts as an anchor, which only costs that copy:
    /// so do all `/x` patterns and those with `(?#` comments, whose
    /// comments may hold a `[` that is no class.
    static func hasLineAnchor(_ p: [UInt8], extended: Bool) -> Bool {
        let backslash = UInt8(ascii: "\\")
        if extended { return true }
        for j in p.indices.dropLast() where p[j] == UInt8(ascii: "(") && p[j + 1] == UInt8(ascii: "?") {
            // Inline flags that may turn on x (`(?x)`, `(?ix:`) or a comment.
            var k = j + 2
            if k < p.count && p[k] == UInt8(ascii: "#") { return true }
            while k < p.count && (p[k] | 32 >= 97 && p[k] | 32 <= 122 || p[k] == UInt8(ascii: "-")) {
                if p[k] == UInt8(ascii: "x") { return true }
                k += 1
            }
        }
        var i = 0
        while i < p.count {
            switch p[i] {
            case backslash:
                guard i + 1 < p.count else { return true }
                i = PatternSyntax.escapeEnd(p, i)
            case UInt8(ascii: "["):
                guard let end = PatternSyntax.classEnd(p, i) else { return true }
                i = end
            case UInt8(ascii: "^"), UInt8(ascii: "$"):
                return true
            default:
                i += 1
            }
        }
        return false
    }

    /// Perl regex text as PCRE2 wants it. `(?aa)` (ASCII-only classes) is
    /// what non-UTF mode does anyway, and PCRE2 rejects the `a` flag.
    static func pcrePattern(_ perl: String) -> String {
        guard perl.containsBytes("(?aa") || perl.containsBytes("(?a)") else { return perl }
        return perl.replacingOccurrences(of: "(?aa)", with: "").replacingOccurrences(of: "(?a)", with: "")
    }

    /// Compiles the multi-pattern stage (or loads it from `cacheDirectory`,
    /// where a compile also leaves it), which lets scans skip the regex of
    /// every body, rawbody and uri rule that Hyperscan finds cannot match.
    /// Scans before it is ready, or without it, give the same results,
    /// only slower. Compiling SpamAssassin's stock rules takes seconds, so
    /// the daemon does it on a thread of its own after it starts serving.
    /// Returns what was built, nil when nothing (Hyperscan unavailable, the
    /// prefilters turned off, or `compile: false` and no cached copy).
    ///
    /// `whole`: install the stage only if every view that has candidates
    /// got its databases (from the cache, with `compile: false`: rules
    /// changed in one view leave the others' cached).
    @discardableResult
    public func prepareMultiPattern(cacheDirectory: String? = nil, compile: Bool = true,
                                    whole: Bool = false) -> MultiStageInfo? {
        guard multiCandidates.contains(where: { !$0.isEmpty }) else { return nil }
        let clock = ContinuousClock()
        let started = clock.now
        let built = multiCandidates.map { patterns in
            patterns.isEmpty ? nil : MultiPattern(patterns.map { ($0.pattern, $0.options) },
                                                  worthAlone: patterns.map(\.worthAlone),
                                                  cacheDirectory: cacheDirectory, compile: compile)
        }
        guard built.contains(where: { $0 != nil }) else { return nil }
        if whole, zip(multiCandidates, built).contains(where: { !$0.isEmpty && $1 == nil }) { return nil }
        let stage = MultiStage(body: built[0], rawbody: built[1], uri: built[2])
        multiStage.install(stage)
        let parts = built.compactMap { $0 }
        return MultiStageInfo(patterns: parts.reduce(0) { $0 + $1.included.filter { $0 }.count },
                              candidates: multiCandidates.reduce(0) { $0 + $1.count },
                              bytes: parts.reduce(0) { $0 + $1.size },
                              fromCache: parts.allSatisfy(\.fromCache),
                              duration: clock.now - started)
    }

    /// The stage's patterns, to compile in another process into the cache
    /// this rule set then loads from (`MultiStageRequest`).
    public var multiStageRequest: MultiStageRequest {
        MultiStageRequest(views: multiCandidates.map { patterns in
            patterns.map { .init(pattern: $0.pattern, options: $0.options.rawValue, worthAlone: $0.worthAlone) }
        })
    }

    /// Rules whose matches can start with fewer distinct bytes than this
    /// get into the multi-pattern stage only with a small database (PCRE2
    /// skips ahead to those).
    static let multiMinimumStartBytes = 20

    public func scoreSet(useBayes: Bool, useNetwork: Bool) -> Int {
        (useBayes ? 2 : 0) + (useNetwork ? 1 : 0)
    }

    public func description(of rule: String) -> String {
        configuration.descriptions[rule] ?? ""
    }
}

/// What `prepareMultiPattern` built.
public struct MultiStageInfo: Sendable {
    /// Patterns in the databases, of the candidates (the rest always run).
    public let patterns: Int
    public let candidates: Int
    public let bytes: Int
    public let fromCache: Bool
    public let duration: Duration
}

/// The compiled multi-pattern stage of one rule set.
struct MultiStage: Sendable {
    let body: MultiPattern?
    let rawbody: MultiPattern?
    let uri: MultiPattern?
}

/// Where a rule set keeps its stage: empty until prepared, then read as a
/// scan's body-like rules start (once, or on each of its two threads).
final class MultiStageSlot: Sendable {
    private let stage = Mutex<MultiStage?>(nil)
    var current: MultiStage? { stage.withLock { $0 } }
    func install(_ s: MultiStage) { stage.withLock { $0 = s } }
}

extension HeaderQuery {
    /// The view a rule's header target (`From:addr`, `ALL:raw`,
    /// `To:first:addr`) reads. The modifiers travel in the name, which
    /// `Views.header` parses, so combinations such as `:raw:addr` keep both.
    public init(_ target: HeaderTarget) {
        let name = ([target.name] + target.modifiers).joined(separator: ":")
        self.init(name: name)
    }
}
