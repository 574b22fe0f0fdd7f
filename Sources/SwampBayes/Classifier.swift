// Token counts → a spam probability: Gary Robinson's f(w) per token and
// Fisher's chi-square combining of the strongest tokens, with
// SpamAssassin's constants (Bayes/CombineChi.pm, Plugin/Bayes.pm `scan`).
//   Robinson: http://radio.weblogs.com/0101454/stories/2002/09/16/spamDetection.html
//   Chi-square combining: https://www.linuxjournal.com/article/6467

import Foundation

/// A token's training counts and last access time (epoch seconds).
public struct TokenCounts: Sendable, Hashable {
    public var spam: Int
    public var ham: Int
    public var atime: Int
    public init(spam: Int, ham: Int, atime: Int) { self.spam = spam; self.ham = ham; self.atime = atime }
}

/// One token that took part in a verdict.
public struct SignificantToken: Sendable, Hashable {
    public let hash: TokenHash
    public let text: String?
    public let probability: Double
    public let spam: Int
    public let ham: Int
}

/// The outcome of classifying one message.
public struct BayesVerdict: Sendable {
    /// The combined probability of spam, or nil when Bayes gives no verdict
    /// (too little training, or no usable token).
    public let probability: Double?
    /// Messages learned when the verdict was made.
    public let nspam: Int
    public let nham: Int
    /// Tokens of the message, and how many of them the store knew.
    public let tokenCount: Int
    public let learnedTokenCount: Int
    /// The tokens used, strongest first.
    public let significant: [SignificantToken]

    /// The BAYES_* rules this probability hits, as SpamAssassin's
    /// 23_bayes.cf ranges define them: `check_bayes(min, max)` hits when
    /// `(min == 0 || p > min) && p <= max`.
    public var rules: [String] {
        guard let p = probability else { return [] }
        return (BayesRules.ranges + BayesRules.swampRanges)
            .filter { ($0.min == 0 || p > $0.min) && p <= $0.max }.map(\.name)
    }
}

public enum BayesRules {
    public static let ranges: [(name: String, min: Double, max: Double)] = [
        ("BAYES_00", 0.00, 0.01), ("BAYES_05", 0.01, 0.05), ("BAYES_20", 0.05, 0.20),
        ("BAYES_40", 0.20, 0.40), ("BAYES_50", 0.40, 0.60), ("BAYES_60", 0.60, 0.80),
        ("BAYES_80", 0.80, 0.95), ("BAYES_95", 0.95, 0.99), ("BAYES_99", 0.99, 1.00),
        ("BAYES_999", 0.999, 1.00),
    ]

    /// swamp's own: the upper half of BAYES_50, so that a ruleset can
    /// draw the line at 0.5 (Rules/50_bayes_scores.cf; measured in the
    /// README's "Bayes" section).
    public static let swampRanges: [(name: String, min: Double, max: Double)] = [
        ("SWAMP_BAYES_55", 0.50, 0.60),
    ]
}

public enum Combiner {
    /// Robinson's x: the probability assumed for a token never seen.
    public static let x = 0.538
    /// Robinson's s: the strength of that assumption.
    public static let s = 0.030
    /// Tokens within this distance of 0.5 say nothing and are left out.
    public static let minProbabilityStrength = 0.346
    /// At most this many of the strongest tokens are combined.
    public static let maxSignificantTokens = 150

    /// f(w) for a token seen `spam` times in `nspam` spam and `ham` times in
    /// `nham` ham; nil when it was seen too rarely to count.
    public static func tokenProbability(spam: Int, ham: Int, nspam: Int, nham: Int,
                                        useHapaxes: Bool = true) -> Double? {
        guard nspam > 0, nham > 0 else { return nil }
        let threshold = useHapaxes ? 1 : 2
        let n = spam + ham
        guard n >= threshold else { return nil }
        let sd = Double(spam), hd = Double(ham)
        // p = (s/ns) / (s/ns + n/nn), written without the divisions.
        let p = (sd * Double(nham)) / (hd * Double(nspam) + sd * Double(nham))
        return (s * x + Double(n) * p) / (s + Double(n))
    }

    /// Fisher's method over the token probabilities, with the class priors
    /// as starting products and exponent bookkeeping against underflow.
    public static func combine(nspam: Int, nham: Int, probabilities: [Double]) -> Double? {
        guard !probabilities.isEmpty else { return nil }
        let total = Double(nspam + nham)
        guard total > 0 else { return nil }
        var sProduct = Double(nspam) / total
        var hProduct = Double(nham) / total
        var sExp = 0, hExp = 0
        for p in probabilities {
            sProduct *= 1.0 - p
            hProduct *= p
            if sProduct < 1e-200 {
                let (m, e) = frexp(sProduct); sProduct = m; sExp += e
            }
            if hProduct < 1e-200 {
                let (m, e) = frexp(hProduct); hProduct = m; hExp += e
            }
        }
        let ln2 = log(2.0)
        let sLog = log(sProduct) + Double(sExp) * ln2
        let hLog = log(hProduct) + Double(hExp) * ln2
        let sStat = 1.0 - chi2q(-2.0 * sLog, halfDegrees: probabilities.count)
        let hStat = 1.0 - chi2q(-2.0 * hLog, halfDegrees: probabilities.count)
        return (sStat - hStat + 1.0) / 2.0
    }

    /// The chi-square survival function for 2·`halfDegrees` degrees of
    /// freedom (even), capped at 1.
    public static func chi2q(_ x2: Double, halfDegrees: Int) -> Double {
        let m = x2 / 2.0
        var term = exp(-m)
        var sum = term
        var i = 1
        while i < halfDegrees {
            term *= m / Double(i)
            sum += term
            i += 1
        }
        return min(sum, 1.0)
    }

    /// Classifies a message's tokens against their counts.
    public static func classify(tokens: [TokenHash], counts: [TokenHash: TokenCounts],
                                nspam: Int, nham: Int, settings: BayesSettings,
                                texts: [TokenHash: String] = [:]) -> BayesVerdict {
        func none(_ learned: Int = 0) -> BayesVerdict {
            BayesVerdict(probability: nil, nspam: nspam, nham: nham, tokenCount: tokens.count,
                         learnedTokenCount: learned, significant: [])
        }
        guard nspam >= settings.minSpam, nham >= settings.minHam, nspam > 0, nham > 0 else { return none() }
        var scored: [(TokenHash, Double, TokenCounts)] = []
        for t in tokens {
            guard let c = counts[t],
                  let p = tokenProbability(spam: c.spam, ham: c.ham, nspam: nspam, nham: nham,
                                           useHapaxes: settings.useHapaxes) else { continue }
            scored.append((t, p, c))
        }
        guard !scored.isEmpty else { return none() }
        // Strongest first (ties broken by hash so results are stable), the
        // first 150, then only those far enough from 0.5: the same as the
        // first 150 of those far enough, which leaves fewer to sort.
        var strong = scored.filter { abs($0.1 - 0.5) >= minProbabilityStrength }
        strong.sort { a, b in
            let sa = abs(a.1 - 0.5), sb = abs(b.1 - 0.5)
            return sa != sb ? sa > sb : a.0 < b.0
        }
        let used = strong.prefix(maxSignificantTokens)
        guard let p = combine(nspam: nspam, nham: nham, probabilities: used.map(\.1)) else { return none(scored.count) }
        return BayesVerdict(probability: p, nspam: nspam, nham: nham, tokenCount: tokens.count,
                            learnedTokenCount: scored.count,
                            significant: used.map {
                                SignificantToken(hash: $0.0, text: texts[$0.0], probability: $0.1,
                                                 spam: $0.2.spam, ham: $0.2.ham)
                            })
    }
}
