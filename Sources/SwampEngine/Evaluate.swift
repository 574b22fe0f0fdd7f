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
    /// SpamAssassin's report area: "BODY: ", "URI: ", "RAW: ", "FULL: " or "".
    public let area: String
}

/// The outcome of evaluating every rule on one message.
public struct Evaluation: Sendable {
    /// Scored rules that hit, in the order they hit.
    public var hits: [RuleHit] = []
    /// `__` sub-rules that hit.
    public var subrules: [String] = []
    public var score: Double = 0
    public var scoreSet: Int = 0
    /// Rules whose regex ran into a match limit (counted as no hit).
    public var limitExceeded: [String] = []
    /// The deadline passed before every rule ran.
    public var timedOut = false

    public var hitNames: [String] { hits.map(\.name) }
    public func hit(_ name: String) -> Bool {
        hits.contains { $0.name == name } || subrules.contains(name)
    }
}

extension RuleSet {
    /// Runs every rule enabled in the score set over the message's views.
    /// Pure: no I/O, no shared mutable state.
    public func evaluate(_ views: Views, facts: Facts = Facts()) -> Evaluation {
        var run = RuleRun(ruleSet: self, views: views, facts: facts)
        return run.execute()
    }
}

/// The state of one evaluation.
struct RuleRun {
    let ruleSet: RuleSet
    let views: Views
    let facts: Facts
    let set: Int
    let scratch: MatchScratch
    /// Per rule: nil = not run (yet), else its value (hit count, 0 = no hit).
    var values: [Double?]
    var hitOrder: [Int] = []
    var limitExceeded: [String] = []
    var timedOut = false
    var headerCache: [HeaderQuery: [UInt8]?] = [:]
    let clock = ContinuousClock()

    init(ruleSet: RuleSet, views: Views, facts: Facts) {
        self.ruleSet = ruleSet
        self.views = views
        self.facts = facts
        self.set = ruleSet.scoreSet(useBayes: facts.useBayes, useNetwork: facts.useNetwork)
        self.scratch = MatchScratch(limits: ruleSet.matchLimits)
        self.values = Array(repeating: nil, count: ruleSet.rules.count)
    }

    func enabled(_ i: Int) -> Bool { ruleSet.rules[i].scores[set] != 0 }

    mutating func pastDeadline() -> Bool {
        if timedOut { return true }
        if let d = facts.deadline, clock.now >= d { timedOut = true }
        return timedOut
    }

    mutating func record(_ i: Int, _ value: Double) {
        values[i] = value
        if value > 0 { hitOrder.append(i) }
    }

    mutating func header(_ q: HeaderQuery) -> [UInt8]? {
        if let cached = headerCache[q] { return cached }
        let v = views.header(q)
        headerCache[q] = v
        return v
    }

    mutating func execute() -> Evaluation {
        for (name, value) in facts.externalHits {
            if let i = ruleSet.indexByName[name] { record(i, value) }
        }
        runHeaderRules()
        runMultiSubject(ruleSet.bodyRules, views.body, area: "BODY: ")
        runMultiSubject(ruleSet.rawbodyRules, views.rawBody, area: "RAW: ")
        runMultiSubject(ruleSet.uriRules, views.uris, area: "URI: ")
        runMultiSubject(ruleSet.fullRules, [views.full], area: "FULL: ")
        runEvals()
        runMetas()
        return summarize()
    }

    mutating func runHeaderRules() {
        for i in ruleSet.headerRules where enabled(i) && values[i] == nil {
            if pastDeadline() { return }
            let rule = ruleSet.rules[i]
            switch rule.target {
            case .exists(let q):
                record(i, header(q) != nil ? 1 : 0)
            case .header(let q, let negated, let ifUnset):
                let text = header(q) ?? ifUnset ?? []
                guard let re = rule.regex else { continue }
                let (count, limited) = text.withUnsafeBufferPointer {
                    re.countMatches($0, maximum: negated ? 1 : rule.maxHits, scratch: scratch)
                }
                if limited { limitExceeded.append(rule.name) }
                if negated { record(i, count == 0 && !limited ? 1 : 0) }
                else { record(i, Double(count)) }
            default: break
            }
        }
    }

    /// body, rawbody, uri and full rules: the regex runs over each piece;
    /// one hit is enough unless `tflags multiple` counts them all.
    mutating func runMultiSubject(_ indices: [Int], _ pieces: [[UInt8]], area: String) {
        for i in indices where enabled(i) && values[i] == nil {
            if pastDeadline() { return }
            let rule = ruleSet.rules[i]
            guard let re = rule.regex else { continue }
            var total = 0
            var limited = false
            for (n, piece) in pieces.enumerated() {
                if rule.noSubject && n == 0 && area == "BODY: " { continue }
                let (count, hitLimit) = piece.withUnsafeBufferPointer {
                    re.countMatches($0, maximum: rule.maxHits - total, scratch: scratch)
                }
                total += count
                limited = limited || hitLimit
                if total >= rule.maxHits { break }
            }
            if limited { limitExceeded.append(rule.name) }
            record(i, Double(total))
        }
    }

    mutating func runEvals() {
        guard !ruleSet.evalRules.isEmpty else { return }
        var cache = headerCache
        let views = self.views
        let context = EvalContext(views: views, configuration: ruleSet.configuration, facts: facts,
                                  headerText: { q in
                                      if let c = cache[q] { return c }
                                      let v = views.header(q)
                                      cache[q] = v
                                      return v
                                  })
        for i in ruleSet.evalRules where enabled(i) && values[i] == nil {
            if pastDeadline() { return }
            guard case .eval(let fn, let args) = ruleSet.rules[i].target else { continue }
            record(i, Double(fn.run(context, args)))
        }
    }

    /// Metas in dependency order. As in SpamAssassin, a rule that did not
    /// run reads as 0, but a meta that reads a meta which did not run (it
    /// scores 0 in this set) does not run either.
    mutating func runMetas() {
        var scratchValues = values.map { $0 ?? 0 }
        for i in ruleSet.metaOrder where enabled(i) && values[i] == nil {
            guard case .meta(let program) = ruleSet.rules[i].target else { continue }
            let blocked = program.dependencies.contains { d in
                if case .meta = ruleSet.rules[d].target { return values[d] == nil }
                return false
            }
            if blocked { continue }
            let result = scratchValues.withUnsafeBufferPointer { program.evaluate($0, localTestsOnly: !facts.useNetwork) } ?? 0
            // A hit counts as its value (at least 1), as got_hit's `value`.
            let value = result > 0 ? max(1, result) : (result != 0 ? 1 : 0)
            record(i, value)
            scratchValues[i] = value
        }
    }

    func summarize() -> Evaluation {
        var e = Evaluation()
        e.scoreSet = set
        e.limitExceeded = limitExceeded
        e.timedOut = timedOut
        for i in hitOrder {
            let rule = ruleSet.rules[i]
            guard let value = values[i], value > 0 else { continue }
            if rule.isSubrule { e.subrules.append(rule.name); continue }
            let count = rule.multiple ? max(1, Int(value)) : 1
            let score = rule.scores[set] * Double(count)
            e.hits.append(RuleHit(name: rule.name, score: score, count: count,
                                  description: ruleSet.description(of: rule.name), area: area(of: rule)))
            e.score += score
        }
        return e
    }

    func area(of rule: CompiledRule) -> String {
        switch rule.target {
        case .body: return "BODY: "
        case .rawbody: return "RAW: "
        case .uri: return "URI: "
        case .full: return "FULL: "
        default: return ""
        }
    }
}
