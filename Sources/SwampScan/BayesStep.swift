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
    /// the score without the Bayes rules must reach
    /// `bayes_auto_learn_threshold_spam` (with at least 3 points each from
    /// header and from body rules) or stay under
    /// `bayes_auto_learn_threshold_nonspam`; the verdict must agree.
    /// Simplified: scores of the score set in use, `noautolearn` flags not
    /// consulted.
    func autolearn(evaluation: Evaluation, configuration: Configuration, isSpam: Bool) -> String {
        var points = 0.0, header = 0.0, body = 0.0
        for hit in evaluation.hits where !hit.name.hasPrefix("BAYES_") {
            points += hit.score
            if hit.area.isEmpty { header += hit.score } else { body += hit.score }
        }
        let cls: MessageClass
        if points <= configuration.bayesAutoLearnThresholdNonspam && !isSpam {
            cls = .ham
        } else if points >= configuration.bayesAutoLearnThresholdSpam && isSpam && header >= 3 && body >= 3 {
            cls = .spam
        } else {
            return "no"
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
