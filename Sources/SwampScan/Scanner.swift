import Foundation
import SwampEngine
import SwampMIME
import SwampRules

/// swamp's version, as `_VERSION_` shows it.
public enum SwampVersion {
    public static let version = "0.1.0"
    public static let subversion = "swamp"
}

/// The decision on one message.
public struct Verdict: Sendable {
    /// Total score, rounded to three decimals as SpamAssassin rounds it.
    public let score: Double
    public let requiredScore: Double
    public let isSpam: Bool
    public let evaluation: Evaluation
    /// `_AUTOLEARN_`: no, ham, spam, disabled, failed, unavailable.
    public let autolearn: String

    /// Rule names that hit (scored rules), sorted as `_TESTS_` lists them.
    public var tests: [String] { evaluation.hits.map(\.name).sorted() }
}

/// One scan's inputs and outputs together: what rendering needs.
public struct ScanResult: Sendable {
    public let message: Message
    public let views: Views
    public let verdict: Verdict
}

/// Scores messages with one loaded configuration. Immutable and shared by
/// all scans; a reload builds a new SpamScanner.
public final class SpamScanner: Sendable {
    public let ruleSet: RuleSet
    public let hostname: String
    public let limits: MessageLimits

    public var configuration: Configuration { ruleSet.configuration }

    public init(ruleSet: RuleSet, hostname: String = SpamScanner.defaultHostname()) {
        self.ruleSet = ruleSet
        self.hostname = hostname
        var limits = MessageLimits()
        limits.bodyPartScanSize = ruleSet.configuration.bodyPartScanSize
        limits.rawbodyPartScanSize = ruleSet.configuration.rawbodyPartScanSize
        self.limits = limits
    }

    public convenience init(configuration: Configuration) {
        self.init(ruleSet: RuleSet(configuration: configuration))
    }

    /// Scores one message. Bayes and network tests are not in use until
    /// those parts exist, so score set 0 applies unless `facts` says more.
    public func scan(_ bytes: [UInt8], facts: Facts = Facts(), timeLimit: Duration? = nil) -> ScanResult {
        var facts = facts
        if facts.deadline == nil {
            let limit = timeLimit ?? .milliseconds(Int64(configuration.timeLimit * 1000))
            facts.deadline = ContinuousClock.now.advanced(by: limit)
        }
        // 1. Parse once, 2. render the views once, 3. evaluate, 4. decide.
        let message = Message(bytes: bytes, limits: limits)
        let views = Views(message: message, trust: ruleSet.trust)
        return finish(message: message, views: views, facts: facts)
    }

    /// Steps 3 and 4 of a scan; NetworkScan.swift runs the network checks
    /// between the views and these.
    func finish(message: Message, views: Views, facts: Facts) -> ScanResult {
        let evaluation = ruleSet.evaluate(views, facts: facts)
        let score = (evaluation.score * 1000).rounded() / 1000
        let required = configuration.requiredScore
        // No Bayes store exists yet, so autolearning is "unavailable" as
        // SpamAssassin says when no learner ran.
        let autolearn = configuration.bayesAutoLearn && configuration.useBayes ? "unavailable" : "disabled"
        let verdict = Verdict(score: score, requiredScore: required, isSpam: score >= required,
                              evaluation: evaluation, autolearn: autolearn)
        return ScanResult(message: message, views: views, verdict: verdict)
    }

    public static func defaultHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(cString: buffer)
        return name.isEmpty ? "localhost" : name
    }
}
