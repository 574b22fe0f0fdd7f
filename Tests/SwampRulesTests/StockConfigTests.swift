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
    @Test func loadsWithoutErrors() {
        let conf = StockConfig.load()
        let errors = conf.diagnostics.filter { $0.severity == .error }
        for e in errors { print(e) }
        for w in conf.diagnostics.filter({ $0.severity == .warning }) { print(w) }
        #expect(errors.isEmpty)
        var counts: [String: Int] = [:]
        for r in conf.rules.values {
            var key = r.type.rawValue
            switch r.test {
            case .eval: key += " eval"
            case .exists: key += " exists"
            default: break
            }
            counts[key, default: 0] += 1
        }
        if let out = ProcessInfo.processInfo.environment["SWAMP_RULES_DUMP"] {
            var text = ""
            for name in conf.ruleOrder {
                if let r = conf.rules[name] {
                    text += "\(name)\t\(r.type.rawValue)\t\(conf.expandedRegex(for: name).map { "\($0.pattern)" } ?? "")\n"
                } else { text += "\(name)\tempty\t\n" }
            }
            try? text.write(toFile: out, atomically: true, encoding: .utf8)
        }
        print(counts.sorted { $0.key < $1.key }, "placeholders", conf.placeholderRules.count)
    }
}
