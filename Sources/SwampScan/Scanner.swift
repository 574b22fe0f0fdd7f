import Foundation
internal import NIOPosix
import SwampBayes
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
    /// The Bayes classifier's verdict, when Bayes ran.
    public var bayes: BayesVerdict? = nil

    /// Rule names that hit (scored rules), sorted as `_TESTS_` lists them.
    public var tests: [String] { evaluation.hits.map(\.name).sorted() }
}

/// One scan's inputs and outputs together: what rendering needs.
public struct ScanResult: Sendable {
    public let message: Message
    public let views: Views
    public let verdict: Verdict
    /// What the network checks found, when they ran; the report shows its
    /// Received-SPF line and notes.
    public var network: NetworkFindings? = nil
}

/// Scores messages with one loaded configuration. Immutable and shared by
/// all scans; a reload builds a new SpamScanner.
public final class SpamScanner: Sendable {
    public let ruleSet: RuleSet
    public let hostname: String
    public let limits: MessageLimits
    /// The Bayes classifier, when `use_bayes` is on and a store is open.
    public let bayes: BayesClassifier?
    /// With no store yet (`bayes` nil) and autolearn on: what creates the
    /// database on the first message autolearn learns.
    public let bayesCreator: BayesCreator?

    public var configuration: Configuration { ruleSet.configuration }

    public init(ruleSet: RuleSet, hostname: String = SpamScanner.defaultHostname(), bayes: BayesClassifier? = nil,
                creator: BayesCreator? = nil) {
        self.ruleSet = ruleSet
        self.hostname = hostname
        let config = ruleSet.configuration
        self.bayes = config.useBayes ? bayes : nil
        self.bayesCreator = config.useBayes && config.bayesAutoLearn && self.bayes == nil ? creator : nil
        var limits = MessageLimits()
        limits.bodyPartScanSize = ruleSet.configuration.bodyPartScanSize
        limits.rawbodyPartScanSize = ruleSet.configuration.rawbodyPartScanSize
        self.limits = limits
    }

    /// `skipUnseenSubrules`: see `RuleSet.init`; what the daemon, `swamp
    /// check` and `swamp bench` use (their replies are the same either way).
    public convenience init(configuration: Configuration, bayes: BayesClassifier? = nil,
                            creator: BayesCreator? = nil, skipUnseenSubrules: Bool = false) {
        self.init(ruleSet: RuleSet(configuration: configuration, skipUnseenSubrules: skipUnseenSubrules),
                  bayes: bayes, creator: creator)
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
    func finish(message: Message, views: Views, facts: Facts, sideThread: Bool = false) -> ScanResult {
        var facts = facts
        // 3a. Bayes: its probability reaches the engine's check_bayes (the
        // BAYES_* rules), and the Bayes score sets apply once the store is
        // trained enough. With `sideThread`, the scan takes two threads:
        // the rawbody, uri and full rules and Bayes run on another while the
        // header and body rules run on this one, and both share the evals.
        // A scan takes less time when a core is free (a daemon scanning one
        // message at a time), for somewhat more CPU.
        let bayesRun: BayesStep?
        let evaluation: Evaluation
        if sideThread {
            let step = StepBox()
            var probability: (@Sendable () -> Double?)?
            if let bayes {
                facts.useBayes = facts.useBayes || bayes.isAvailable()
                let trust = ruleSet.trust
                probability = {
                    step.value = BayesStep(classifier: bayes, bytes: message.bytes, views: views, trust: trust)
                    return step.value?.verdict?.probability
                }
            }
            evaluation = ruleSet.evaluate(views, facts: facts, alongside: ScanSideThreads.side,
                                          probability: probability)
            // Written on the other thread, which `evaluate` waited for.
            bayesRun = step.value
        } else {
            bayesRun = bayes.map { BayesStep(classifier: $0, bytes: message.bytes, views: views, trust: ruleSet.trust) }
            if let bayesRun {
                facts.useBayes = facts.useBayes || bayesRun.available
                facts.bayesProbability = bayesRun.verdict?.probability
            }
            evaluation = ruleSet.evaluate(views, facts: facts)
        }
        let score = (evaluation.score * 1000).rounded() / 1000
        let required = configuration.requiredScore
        // 4. Autolearn (SpamAssassin's bayes_auto_learn), after the verdict;
        //    with no database yet, into one it creates.
        let autolearn: String
        if !(configuration.bayesAutoLearn && configuration.useBayes) {
            autolearn = "disabled"
        } else if let bayesRun {
            autolearn = bayesRun.autolearn(points: ruleSet.autolearnPoints(evaluation), evaluation: evaluation,
                                           configuration: configuration, isSpam: score >= required)
        } else if let bayesCreator {
            autolearn = BayesStep.autolearn(creating: bayesCreator, bytes: message.bytes, views: views,
                                            trust: ruleSet.trust, points: ruleSet.autolearnPoints(evaluation),
                                            evaluation: evaluation, configuration: configuration,
                                            isSpam: score >= required)
        } else {
            autolearn = "unavailable"
        }
        var verdict = Verdict(score: score, requiredScore: required, isSpam: score >= required,
                              evaluation: evaluation, autolearn: autolearn)
        verdict.bayes = bayesRun?.verdict
        return ScanResult(message: message, views: views, verdict: verdict)
    }

    public static func defaultHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(cString: buffer)
        return name.isEmpty ? "localhost" : name
    }
}

/// The Bayes step run on the other thread of a scan.
private final class StepBox: @unchecked Sendable {
    var value: BayesStep?
}

/// The threads that run a scan's second half (`finish(...,
/// sideThread: true)`): some of its rules and its Bayes step. A Bayes
/// step can block for long: a SQLite database another process holds
/// locked, a PostgreSQL store waiting up to its 30 s timeout. Dispatch's
/// global pool, shared by everything in the process, is no place for that;
/// these threads run this work and nothing else. It waits on nothing the
/// pool runs, so scans waiting for it cannot deadlock the pool: with more
/// scans asking than there are threads, the extra work queues and runs as
/// threads come free.
enum ScanSideThreads {
    /// One per core, as the daemon has scan threads; started on first use.
    static let count = max(1, ProcessInfo.processInfo.activeProcessorCount)

    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: count)
        pool.start()
        return pool
    }()

    /// What `RuleSet.evaluate(_:facts:alongside:probability:)` is given. A
    /// pool that no longer runs (never shut down, but should it be) calls
    /// this at once on the caller's thread, cancelled: the work is done
    /// either way, so a waiting scan always gets its values.
    static let side: SideThreads = { work in pool.submit { _ in work() } }
}
