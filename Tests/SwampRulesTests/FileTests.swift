import Foundation
import Testing
@testable import SwampRules

/// A scratch directory removed when the value goes away.
final class ScratchDirectory {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

struct FileTests {
    @Test func includeIsRelativeToTheIncludingFile() throws {
        let dir = try ScratchDirectory()
        try dir.write("sub/rules.cf", "body INCLUDED /x/\ninclude more.cf")
        try dir.write("sub/more.cf", "body MORE /x/")
        let main = try dir.write("local.cf", "body BEFORE /x/\ninclude sub/rules.cf\nbody AFTER /x/")
        var loader = ConfigLoader()
        loader.load(path: main)
        let conf = loader.configuration
        #expect(conf.diagnostics.isEmpty, "\(conf.diagnostics)")
        #expect(conf.ruleOrder == ["BEFORE", "INCLUDED", "MORE", "AFTER"])
        #expect(conf.rules["MORE"]?.location == SourceLocation(file: dir.path + "/sub/more.cf", line: 1))
        #expect(conf.rules["AFTER"]?.location == SourceLocation(file: main, line: 3))
        #expect(conf.files == [main, dir.path + "/sub/rules.cf", dir.path + "/sub/more.cf"])
    }

    @Test func includeCycleIsReported() throws {
        let dir = try ScratchDirectory()
        try dir.write("a.cf", "body A /x/\ninclude b.cf")
        try dir.write("b.cf", "body B /x/\ninclude a.cf")
        var loader = ConfigLoader()
        loader.load(path: dir.path + "/a.cf")
        let conf = loader.configuration
        #expect(conf.errors.count == 1)
        #expect(conf.errors.first?.message.contains("cycle") == true)
        #expect(conf.errors.first?.location == SourceLocation(file: dir.path + "/b.cf", line: 2))
        #expect(Set(conf.rules.keys) == ["A", "B"])
    }

    @Test func selfIncludeAndDepthLimit() throws {
        let dir = try ScratchDirectory()
        for i in 0..<30 { try dir.write("d\(i).cf", "body D\(i) /x/\ninclude d\(i + 1).cf") }
        try dir.write("d30.cf", "body D30 /x/")
        var loader = ConfigLoader()
        loader.maxIncludeDepth = 5
        loader.load(path: dir.path + "/d0.cf")
        #expect(loader.configuration.rules.count == 5)
        #expect(loader.configuration.errors.count == 1)
        #expect(loader.configuration.errors.first?.message.contains("deeper than 5") == true)
    }

    @Test func missingIncludeIsAnError() {
        let conf = load("include /nonexistent/x.cf\nbody A /x/")
        #expect(conf.errors.count == 1)
        #expect(conf.errors.first?.location?.line == 1)
        #expect(conf.rules["A"] != nil)
    }

    @Test func includeInsideAFalseBlockIsSkipped() {
        let conf = load("if 0\ninclude /nonexistent/x.cf\nendif")
        #expect(conf.diagnostics.isEmpty)
    }

    @Test func directoryLoadsPreThenCfSorted() throws {
        let dir = try ScratchDirectory()
        try dir.write("20_b.cf", "ifplugin Mail::SpamAssassin::Plugin::X\nbody B /x/\nendif")
        try dir.write("10_a.cf", "body A /x/")
        try dir.write("z.pre", "loadplugin Mail::SpamAssassin::Plugin::X")
        try dir.write("notes.txt", "this is not config")
        try dir.write(".hidden.cf", "body HIDDEN /x/")
        var loader = ConfigLoader()
        loader.load(path: dir.path)
        #expect(loader.configuration.ruleOrder == ["A", "B"])
        #expect(loader.configuration.files.map { ($0 as NSString).lastPathComponent } == ["z.pre", "10_a.cf", "20_b.cf"])
    }

    @Test func rulesDirLoadsADirectoryRelativeToTheFile() throws {
        let dir = try ScratchDirectory()
        try dir.write("rules/10_x.cf", "body X /x/")
        try dir.write("rules/01.pre", "loadplugin Mail::SpamAssassin::Plugin::Y")
        let main = try dir.write("swamp.cf", "rules_dir rules\nifplugin Mail::SpamAssassin::Plugin::Y\nbody AFTER /x/\nendif")
        var loader = ConfigLoader()
        loader.load(path: main)
        #expect(loader.configuration.diagnostics.isEmpty, "\(loader.configuration.diagnostics)")
        #expect(loader.configuration.rulesDirs == [dir.path + "/rules"])
        #expect(loader.configuration.ruleOrder == ["X", "AFTER"])
    }

    @Test func rulesDirMustBeADirectory() throws {
        let dir = try ScratchDirectory()
        let main = try dir.write("swamp.cf", "rules_dir swamp.cf\nrules_dir nowhere")
        var loader = ConfigLoader()
        loader.load(path: main)
        #expect(loader.configuration.errors.count == 2)
    }

    @Test func latin1FileKeepsBytesAsEscapes() throws {
        let dir = try ScratchDirectory()
        let file = dir.path + "/latin1.cf"
        let bytes: [UInt8] = Array("body R /caf".utf8) + [0xE9] + Array("/\n".utf8)
        FileManager.default.createFile(atPath: file, contents: Data(bytes))
        var loader = ConfigLoader()
        loader.load(path: file)
        #expect(loader.configuration.rules["R"]?.test == .regex(PerlRegex(pattern: "caf\\xe9", flags: "")))
    }
}
