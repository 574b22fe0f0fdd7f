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
        // Tokenize the message without an earlier filter's markup; parse
        // again only when there was markup to remove.
        let clean = FilterMarkup.strip(bytes, subjectTag: classifier.subjectTag)
        if clean.count == bytes.count && clean == bytes {
            prepared = classifier.prepare(views: views)
        } else {
            let message = Message(bytes: clean, limits: classifier.limits)
            prepared = classifier.prepare(views: Views(message: message, trust: trust))
        }
        available = classifier.isAvailable()
        verdict = available ? try? classifier.classify(prepared) : nil
    }

    /// SpamAssassin's autolearn decision (Plugin/AutoLearnThreshold.pm):
    /// the score without Bayes must stay under
    /// `bayes_auto_learn_threshold_nonspam` (ham) or reach
    /// `bayes_auto_learn_threshold_spam` with at least 3 points each from
    /// header and body rules (spam; `autolearn_force` rules waive that);
    /// Bayes itself must not disagree by more than a point, and the
    /// verdict must agree with the class learned.
    func autolearn(points: AutolearnPoints, evaluation: Evaluation, configuration: Configuration,
                   isSpam: Bool) -> String {
        let cls: MessageClass
        if points.total < configuration.bayesAutoLearnThresholdNonspam {
            cls = .ham
        } else if points.total >= configuration.bayesAutoLearnThresholdSpam {
            cls = .spam
        } else {
            return "no"
        }
        switch cls {
        case .spam:
            let required = points.forcedBy.isEmpty ? 3.0 : -99
            guard points.body >= required, points.header >= required,
                  points.learned >= -1, isSpam else { return "no" }
        case .ham:
            guard points.learned <= 1, !isSpam else { return "no" }
        }
        if configuration.bayesAutoLearnOnError {
            let hit = Set(evaluation.hits.map(\.name))
            if (cls == .spam && hit.contains("BAYES_99")) || (cls == .ham && hit.contains("BAYES_00")) { return "no" }
        }
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
