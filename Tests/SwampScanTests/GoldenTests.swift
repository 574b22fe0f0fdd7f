import Foundation
import Testing
import SwampEngine
import SwampRules
import SwampScan

/// The X-Spam headers and the report swamp writes for each message in
/// Corpus/, with swamp's own rules, pinned in Corpus/expected/. After an
/// intended change, regenerate with `SWAMP_UPDATE_GOLDEN=1 swift test
/// --filter GoldenTests` and review the diff.
@Suite struct GoldenTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = root.appendingPathComponent("Corpus")
    static let expected = corpus.appendingPathComponent("expected")

    static let scanner: SpamScanner = {
        var loader = ConfigLoader()
        loader.load(path: root.appendingPathComponent("Rules").path)
        return SpamScanner(ruleSet: RuleSet(configuration: loader.configuration), hostname: "mx.example.org")
    }()

    static var messages: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? [])
            .filter { $0.hasSuffix(".eml") }.sorted()
    }

    @Test(arguments: GoldenTests.messages)
    func headersAndReport(_ name: String) throws {
        let data = try Data(contentsOf: Self.corpus.appendingPathComponent(name))
        let result = Self.scanner.scan(Array(data))
        let base = (name as NSString).deletingPathExtension
        let outputs = [
            "\(base).headers": Self.scanner.addedHeaders(for: result),
            "\(base).report": Self.scanner.report(for: result),
        ]
        for (file, text) in outputs {
            let url = Self.expected.appendingPathComponent(file)
            if ProcessInfo.processInfo.environment["SWAMP_UPDATE_GOLDEN"] != nil {
                try FileManager.default.createDirectory(at: Self.expected, withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            let golden = try String(contentsOf: url, encoding: .utf8)
            #expect(text == golden, "\(file) differs from Corpus/expected/\(file)")
        }
    }

    @Test func gtubeScoresAtLeast1000AndCleanHamScoresZero() throws {
        let gtube = Self.scanner.scan(Array(try Data(contentsOf: Self.corpus.appendingPathComponent("gtube.eml"))))
        #expect(gtube.verdict.score >= 1000)
        #expect(gtube.verdict.isSpam)
        let ham = Self.scanner.scan(Array(try Data(contentsOf: Self.corpus.appendingPathComponent("ham-plain.eml"))))
        #expect(ham.verdict.score == 0)
        #expect(ham.verdict.evaluation.hits.isEmpty)
    }
}
