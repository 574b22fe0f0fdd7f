import Foundation
import Testing
import SwampEngine
import SwampMIME
import SwampRegex
import SwampRules

/// The daemon has another process compile the multi-pattern stage from
/// `RuleSet.multiStageRequest` into a cache, then loads it from there.
@Suite(.enabled(if: MultiPattern.isAvailable, "Hyperscan cannot run here"))
struct MultiStageRequestTests {
    static let config = """
        body BODY_WORDS /\\w+ \\d{3} \\w+/
        score BODY_WORDS 1
        rawbody RAW_TAG /[a-z]\\d{3}[a-z]\\s/
        score RAW_TAG 1
        uri URI_PATH /\\/[a-z]+\\/\\d{4,}\\//
        score URI_PATH 1

        """

    static func ruleSet() -> RuleSet {
        var loader = ConfigLoader()
        loader.load(text: config, file: "stage.cf")
        return RuleSet(configuration: loader.configuration)
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-stage-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    @Test func aCompiledRequestIsWhatTheRuleSetLoads() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rules = Self.ruleSet()
        let request = rules.multiStageRequest
        #expect(request.views.map(\.count) == [1, 1, 1])
        // Nothing cached yet: loading alone finds nothing.
        #expect(rules.prepareMultiPattern(cacheDirectory: dir, compile: false, whole: true) == nil)
        // The request survives its trip through JSON (the child reads a file).
        let decoded = try JSONDecoder().decode(MultiStageRequest.self, from: JSONEncoder().encode(request))
        #expect(decoded == request)
        #expect(decoded.compile(cacheDirectory: dir))
        // A second rule set of the same rules loads every view from the cache.
        let info = try #require(Self.ruleSet().prepareMultiPattern(cacheDirectory: dir, compile: false, whole: true))
        #expect(info.fromCache)
        #expect(info.patterns == 3)
        // And scans with it: the body rule hits through the stage.
        let loaded = Self.ruleSet()
        _ = loaded.prepareMultiPattern(cacheDirectory: dir, compile: false, whole: true)
        let message = "From: a@example.com\nSubject: x\n\nordered item 123 today\n"
        #expect(loaded.evaluate(Views(message: Message(bytes: Array(message.utf8))), facts: Facts()).hitNames == ["BODY_WORDS"])
    }

    /// Rules changed in one view leave the others' databases cached: a
    /// partial stage is not installed when the whole was asked for.
    @Test func wholeRefusesAStageMissingAView() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(Self.ruleSet().multiStageRequest.compile(cacheDirectory: dir))
        var loader = ConfigLoader()
        loader.load(text: Self.config + "body BODY_OTHER /\\bzq[xy]+\\d\\d/\nscore BODY_OTHER 1\n", file: "stage.cf")
        let changed = RuleSet(configuration: loader.configuration)
        #expect(changed.prepareMultiPattern(cacheDirectory: dir, compile: false, whole: true) == nil)
        let partial = try #require(changed.prepareMultiPattern(cacheDirectory: dir, compile: false))
        #expect(partial.patterns == 2)
    }

    @Test func aRequestThatCannotBeStoredSaysSo() throws {
        // A file where the cache folder should be: nothing can be written.
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blocked = dir + "/file"
        #expect(FileManager.default.createFile(atPath: blocked, contents: Data("x".utf8)))
        #expect(!Self.ruleSet().multiStageRequest.compile(cacheDirectory: blocked))
    }
}

/// Body rules with required strings run only on the paragraphs that hold
/// one string of each set: counts and hits as when every regex runs
/// everywhere.
@Suite struct LiteralPiecesTests {
    @Test func countsAcrossParagraphsAsWithoutTheFilter() {
        let config = """
            body MONEY_WORD /money \\w+/
            tflags MONEY_WORD multiple
            score MONEY_WORD 0.5
            body PAY_NOW /\\bpay\\w* [a-z ]{0,20}\\bnow\\b/i
            score PAY_NOW 1
            body NO_SUBJECT /subjectword/
            tflags NO_SUBJECT nosubject
            score NO_SUBJECT 1

            """
        var paragraphs = ["money one", "nothing here", "money two and money three", "pay it now", "now pay"]
        // Past 64 paragraphs the bits take a second word.
        paragraphs += (0..<70).map { "filler \($0)" } + ["payment due now", "money four"]
        let message = "From: a@example.com\nSubject: subjectword money zero\n\n" + paragraphs.joined(separator: "\n\n") + "\n"
        var loader = ConfigLoader()
        loader.load(text: config, file: "pieces.cf")
        let views = Views(message: Message(bytes: Array(message.utf8)))
        let filtered = RuleSet(configuration: loader.configuration).evaluate(views)
        let reference = RuleSet(configuration: loader.configuration, literalPrefilter: false).evaluate(views)
        #expect(filtered.hits == reference.hits)
        #expect(filtered.hits.first { $0.name == "MONEY_WORD" }?.count == 5)
        #expect(filtered.hit("PAY_NOW"))
        #expect(!filtered.hit("NO_SUBJECT"))
    }
}
