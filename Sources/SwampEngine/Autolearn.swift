import SwampRules

/// The points SpamAssassin's autolearn decision weighs
/// (PerMsgStatus `_get_autolearn_points`): the message's score recomputed
/// in the score set without Bayes, split into header and body points.
public struct AutolearnPoints: Sendable, Equatable {
    /// Score without Bayes, `noautolearn`, `userconf` and `learn` rules.
    public var total = 0.0
    public var header = 0.0
    public var body = 0.0
    /// Points of the `learn` rules (the BAYES_* rules), in the set in use.
    public var learned = 0.0
    /// Rules flagged `autolearn_force` that hit.
    public var forcedBy: [String] = []
    public init() {}
}

extension RuleSet {
    /// The autolearn points of an evaluation, as SpamAssassin counts them.
    public func autolearnPoints(_ evaluation: Evaluation) -> AutolearnPoints {
        var points = AutolearnPoints()
        let original = evaluation.scoreSet
        let set = original & ~2
        let config = configuration
        for hit in evaluation.hits {
            guard let i = indexByName[hit.name] else { continue }
            let rule = rules[i]
            let flags = config.tflags[hit.name] ?? []
            if flags.contains("noautolearn") || flags.contains("userconf") { continue }
            if flags.contains("learn") {
                points.learned += rule.scores[original]
                continue
            }
            if flags.contains("autolearn_force") { points.forcedBy.append(hit.name) }
            let score = rule.scores[set]
            guard score != 0 else { continue }
            let forced = flags.contains("autolearn_header") ? "header" : (flags.contains("autolearn_body") ? "body" : "")
            switch (forced, Self.autolearnArea(rule.type)) {
            case ("header", _), ("", "header"):
                points.header += score
            case ("body", _), ("", "body"):
                points.body += score
            case ("", "meta"):
                // A meta's points go to header and body in the proportion
                // of its direct header and body inputs (3 decimals, as
                // SpamAssassin's sprintf).
                if case .meta(let expression)? = config.rules[hit.name]?.test {
                    var head = 0, bodyDeps = 0
                    for name in expression.ruleNames {
                        guard let d = indexByName[name] else { continue }
                        switch Self.autolearnArea(rules[d].type) {
                        case "header": head += 1
                        case "body": bodyDeps += 1
                        default: break
                        }
                    }
                    let all = head + bodyDeps
                    if all > 0 {
                        points.header += Self.round3(score * Double(head) / Double(all))
                        points.body += Self.round3(score * Double(bodyDeps) / Double(all))
                    }
                }
            default:
                break
            }
            points.total += score
        }
        points.total = Self.round3(points.total)
        return points
    }

    /// SpamAssassin's test types as autolearn groups them: header rules
    /// (and header evals), body-like rules (body, rawbody, uri and their
    /// evals; the MIMEHeader plugin registers body evals), metas; `full`
    /// rules belong to neither.
    static func autolearnArea(_ type: RuleType) -> String {
        switch type {
        case .header: return "header"
        case .body, .rawbody, .uri, .mimeheader: return "body"
        case .meta: return "meta"
        case .full: return ""
        }
    }

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
