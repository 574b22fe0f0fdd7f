// Bayes within one scan: classify, and autolearn afterwards. Kept apart
// from Scanner.swift so the scan reads as straight-line steps.

import Foundation
import SwampBayes
import SwampEngine
import SwampMIME
import SwampRules

struct BayesStep {
    let classifier: BayesClassifier
    let prepared: PreparedMessage
    let available: Bool
    let verdict: BayesVerdict?

    init(classifier: BayesClassifier, bytes: [UInt8], views: Views, trust: TrustPolicy) {
        self.classifier = classifier
        prepared = Self.prepare(bytes, views: views, for: classifier, trust: trust)
        available = classifier.isAvailable()
        verdict = available ? try? classifier.classify(prepared) : nil
    }

    /// The message's tokens without an earlier filter's markup; parsed
    /// again only when there was markup to remove.
    static func prepare(_ bytes: [UInt8], views: Views, for classifier: BayesClassifier,
                        trust: TrustPolicy) -> PreparedMessage {
        let clean = FilterMarkup.strip(bytes, subjectTag: classifier.subjectTag)
        if clean.count == bytes.count && clean == bytes {
            return classifier.prepare(views: views)
        }
        let message = Message(bytes: clean, limits: classifier.limits)
        return classifier.prepare(views: Views(message: message, trust: trust))
    }

    /// Autolearn into this step's database: `_AUTOLEARN_`.
    func autolearn(points: AutolearnPoints, evaluation: Evaluation, configuration: Configuration,
                   isSpam: Bool) -> String {
        guard let cls = Self.autolearnClass(points: points, evaluation: evaluation, configuration: configuration,
                                            isSpam: isSpam) else { return "no" }
        return Self.learn(prepared, as: cls, into: classifier)
    }

    /// Autolearn with no database yet: the same decision, with no Bayes
    /// rule hit and no points from Bayes (there is nothing to classify
    /// against); the database is created only when the decision is to
    /// learn (see `BayesCreator`), and "failed" when it cannot be.
    static func autolearn(creating creator: BayesCreator, bytes: [UInt8], views: Views, trust: TrustPolicy,
                          points: AutolearnPoints, evaluation: Evaluation, configuration: Configuration,
                          isSpam: Bool) -> String {
        var points = points
        points.learned = 0
        guard let cls = autolearnClass(points: points, evaluation: evaluation, configuration: configuration,
                                       isSpam: isSpam) else { return "no" }
        guard let classifier = creator.classifier() else { return "failed" }
        return learn(prepare(bytes, views: views, for: classifier, trust: trust), as: cls, into: classifier)
    }

    /// SpamAssassin's autolearn decision (Plugin/AutoLearnThreshold.pm):
    /// the score without Bayes must stay under
    /// `bayes_auto_learn_threshold_nonspam` (ham) or reach
    /// `bayes_auto_learn_threshold_spam` with at least 3 points each from
    /// header and body rules (spam; `autolearn_force` rules waive that);
    /// Bayes itself must not disagree by more than a point, and the
    /// verdict must agree with the class learned. Nil: not to be learned.
    static func autolearnClass(points: AutolearnPoints, evaluation: Evaluation, configuration: Configuration,
                               isSpam: Bool) -> MessageClass? {
        let cls: MessageClass
        if points.total < configuration.bayesAutoLearnThresholdNonspam {
            cls = .ham
        } else if points.total >= configuration.bayesAutoLearnThresholdSpam {
            cls = .spam
        } else {
            return nil
        }
        switch cls {
        case .spam:
            let required = points.forcedBy.isEmpty ? 3.0 : -99
            guard points.body >= required, points.header >= required,
                  points.learned >= -1, isSpam else { return nil }
        case .ham:
            guard points.learned <= 1, !isSpam else { return nil }
        }
        if configuration.bayesAutoLearnOnError {
            let hit = Set(evaluation.hits.map(\.name))
            if (cls == .spam && hit.contains("BAYES_99")) || (cls == .ham && hit.contains("BAYES_00")) { return nil }
        }
        return cls
    }

    /// Learns the message: `_AUTOLEARN_` is the class, "no" when it was
    /// learned before, "failed" when the store refused.
    static func learn(_ prepared: PreparedMessage, as cls: MessageClass, into classifier: BayesClassifier) -> String {
        do {
            switch try classifier.store.learn(prepared.item, as: cls) {
            case .learned, .relearned: return cls.rawValue
            default: return "no"
            }
        } catch {
            return "failed"
        }
    }
}
