import Testing
@testable import SwampBayes

/// Expected values computed with SpamAssassin 4.0.1's
/// Mail::SpamAssassin::Bayes::Combine::combine and f(w) formula.
@Suite struct ClassifierTests {
    @Test(arguments: [
        (300, 200, [0.99, 0.98, 0.01, 0.95], 0.594032209359466),
        (250, 400, Array(repeating: 0.9999, count: 150), 1.0),
        (250, 400, Array(repeating: 0.0001, count: 100) + Array(repeating: 0.99, count: 50), 0.49999999760177),
        (1000, 1000, [0.2, 0.15, 0.85, 0.9, 0.05], 0.375057620617878),
    ])
    func chiSquareCombining(nspam: Int, nham: Int, probabilities: [Double], expected: Double) throws {
        let p = try #require(Combiner.combine(nspam: nspam, nham: nham, probabilities: probabilities))
        #expect(abs(p - expected) < 1e-12)
    }

    @Test func robinsonTokenProbability() throws {
        #expect(abs(try #require(Combiner.tokenProbability(spam: 3, ham: 1, nspam: 300, nham: 200)) - 0.665708850289495) < 1e-12)
        #expect(abs(try #require(Combiner.tokenProbability(spam: 0, ham: 1, nspam: 300, nham: 200)) - 0.0156699029126214) < 1e-12)
        #expect(Combiner.tokenProbability(spam: 0, ham: 0, nspam: 300, nham: 200) == nil)
        // bayes_use_hapaxes 0: tokens seen once do not count.
        #expect(Combiner.tokenProbability(spam: 1, ham: 0, nspam: 300, nham: 200, useHapaxes: false) == nil)
    }

    @Test func noVerdictBeforeEnoughTraining() {
        let t = TokenHash(value: 1)
        let counts = [t: TokenCounts(spam: 50, ham: 0, atime: 0)]
        let settings = BayesSettings()
        #expect(Combiner.classify(tokens: [t], counts: counts, nspam: 199, nham: 500, settings: settings).probability == nil)
        #expect(Combiner.classify(tokens: [t], counts: counts, nspam: 500, nham: 199, settings: settings).probability == nil)
        let v = Combiner.classify(tokens: [t], counts: counts, nspam: 200, nham: 200, settings: settings)
        #expect(v.probability != nil && v.probability! > 0.5)
    }

    @Test func weakTokensAreLeftOut() {
        // 0.5-ish tokens are ignored; with no strong token there is no verdict.
        let a = TokenHash(value: 1), b = TokenHash(value: 2)
        let counts = [a: TokenCounts(spam: 10, ham: 10, atime: 0), b: TokenCounts(spam: 11, ham: 10, atime: 0)]
        let v = Combiner.classify(tokens: [a, b], counts: counts, nspam: 300, nham: 300, settings: BayesSettings())
        #expect(v.probability == nil)
        #expect(v.learnedTokenCount == 2)
    }

    @Test func atMost150Tokens() {
        var counts: [TokenHash: TokenCounts] = [:]
        var tokens: [TokenHash] = []
        for i in 0..<400 {
            let t = TokenHash(value: UInt64(i))
            tokens.append(t)
            counts[t] = i < 200 ? TokenCounts(spam: 40, ham: 0, atime: 0) : TokenCounts(spam: 0, ham: 5, atime: 0)
        }
        let v = Combiner.classify(tokens: tokens, counts: counts, nspam: 300, nham: 300, settings: BayesSettings())
        #expect(v.significant.count == 150)
        // The strongest (40 spam) come first.
        #expect(v.significant.allSatisfy { $0.spam == 40 })
    }

    @Test(arguments: [
        (0.0, ["BAYES_00"]), (0.01, ["BAYES_00"]), (0.011, ["BAYES_05"]), (0.5, ["BAYES_50"]), (0.55, ["BAYES_50", "SWAMP_BAYES_55"]),
        (0.99, ["BAYES_95"]), (0.995, ["BAYES_99"]), (0.9995, ["BAYES_99", "BAYES_999"]), (1.0, ["BAYES_99", "BAYES_999"]),
    ])
    func bayesRuleRanges(p: Double, rules: [String]) {
        let v = BayesVerdict(probability: p, nspam: 1, nham: 1, tokenCount: 0, learnedTokenCount: 0, significant: [])
        #expect(v.rules == rules)
    }
}
