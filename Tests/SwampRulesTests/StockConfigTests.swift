import Foundation
import Testing
@testable import SwampRules

/// Loads the stock SpamAssassin configuration the way spamd does: the site
/// `*.pre` files, the distribution rules, then the site `*.cf` files.
enum StockConfig {
    static let rulesDir = "/usr/share/spamassassin"
    static let siteDir = "/etc/spamassassin"
    static var available: Bool { FileManager.default.fileExists(atPath: rulesDir + "/50_scores.cf") }

    static func files(in dir: String, ext: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(ext) }.sorted().map { dir + "/" + $0 }
    }

    static func load() -> Configuration {
        var loader = ConfigLoader()
        for f in files(in: siteDir, ext: ".pre") { loader.load(path: f) }
        loader.load(path: rulesDir)
        for f in files(in: siteDir, ext: ".cf") { loader.load(path: f) }
        return loader.configuration
    }
}

@Suite(.enabled(if: StockConfig.available, "SpamAssassin's rules are not installed"))
struct StockConfigTests {
    /// Rule counts by kind, as SpamAssassin 4.0.1's own parser counts the
    /// same files (`$conf->{test_types}`; see ../shared/SPAMASSASSIN.md).
    /// mimeheader rules are body evals to SpamAssassin, `rbleval`s header
    /// evals, and `reuse`/`askdns` names "empty" tests.
    static let spamAssassinCounts: [String: Int] = [
        "meta": 921, "header": 769, "header exists": 76, "body": 622, "body eval": 206,
        "uri": 144, "header eval": 170, "rawbody": 58, "empty": 32, "full eval": 13,
        "full": 4, "rawbody eval": 7,
    ]

    static func counts(_ conf: Configuration) -> [String: Int] {
        var counts: [String: Int] = [:]
        for r in conf.rules.values {
            switch (r.type, r.test) {
            case (.mimeheader, _): counts["body eval", default: 0] += 1
            case (.header, .exists): counts["header exists", default: 0] += 1; counts["header", default: 0] += 1
            case (_, .eval): counts["\(r.type.rawValue) eval", default: 0] += 1
            default: counts[r.type.rawValue, default: 0] += 1
            }
        }
        counts["empty"] = conf.placeholderRules.count
        return counts
    }

    @Test func loadsWithoutErrorsAndCountsMatchSpamAssassin() {
        let clock = ContinuousClock()
        var conf = Configuration()
        let elapsed = clock.measure { conf = StockConfig.load() }
        print("stock configuration loaded in \(elapsed)")
        let errors = conf.diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)")
        // The only warnings: two metas use DCC_CHECK, defined only when the
        // DCC plugin (not loaded by Debian's .pre files) is.
        #expect(conf.diagnostics.map(\.message).sorted() == [
            "meta DIGEST_MULTIPLE refers to undefined rule DCC_CHECK",
            "meta FSL_BULK_SIG refers to undefined rule DCC_CHECK",
        ])
        #expect(Self.counts(conf) == Self.spamAssassinCounts)
        #expect(conf.rules.count + conf.placeholderRules.count == 2946)
        #expect(conf.ruleOrder.count == 2946)
        #expect(conf.replaceRules.count >= 90)
        #expect(conf.requiredScore == 5)
        #expect(conf.plugins.count == 29)
        #expect(conf.addedHeaders.map(\.name) == ["Checker-Version", "Flag", "Level", "Status"])
        #expect(conf.reportTemplate.count > 10)
    }

    /// The same names and kinds as SpamAssassin, rule for rule, when it can be run.
    @Test(.enabled(if: SpamAssassinProcess.available)) func sameRuleNamesAsSpamAssassin() throws {
        let conf = StockConfig.load()
        let theirs = try SpamAssassinProcess.ruleTypes()
        var mine: [String: String] = [:]
        for (name, r) in conf.rules {
            switch (r.type, r.test) {
            case (.mimeheader, _): mine[name] = "body_eval"
            case (.header, .eval(let f, _)) where f.hasPrefix("check_rbl") || f.hasPrefix("check_dns"): mine[name] = "rbl_eval"
            case (_, .eval): mine[name] = r.type.rawValue + "_eval"
            default: mine[name] = r.type.rawValue
            }
        }
        for name in conf.placeholderRules.keys { mine[name] = "empty" }
        #expect(mine == theirs)
    }
}
