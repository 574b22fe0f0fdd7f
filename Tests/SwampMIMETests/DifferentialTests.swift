import Foundation
import Testing
@testable import SwampMIME

/// Compares swamp's views with what SpamAssassin itself computes for the
/// same messages (Tests/SwampMIMETests/sa-views.pl), when SpamAssassin is
/// installed. SWAMP_SA_SAMPLE sets the sample size (default 40 messages),
/// SWAMP_SA_DIRS the corpus folders, SWAMP_SA_VERBOSE=1 prints each difference.
@Suite struct DifferentialTests {
    struct SAViews {
        var headers: [String: [UInt8]?] = [:]
        var body: [[UInt8]] = []
        var visible: [[UInt8]] = []
        var invisible: [[UInt8]] = []
        var rawBody: [[UInt8]] = []
        var uris: [[UInt8]] = []
    }

    static func perlAvailable() -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        p.arguments = ["-MMail::SpamAssassin", "-e", "1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    static func runSA(_ files: [URL], config: String = "") -> [String: SAViews] {
        let p = Process()
        var environment = ProcessInfo.processInfo.environment
        environment["SA_VIEWS_CONFIG"] = config
        p.environment = environment
        p.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        p.arguments = [Corpus.perlHelper.path] + files.map(\.path)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return [:] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return parse(Array(data))
    }

    static func parse(_ d: [UInt8]) -> [String: SAViews] {
        var out: [String: SAViews] = [:]
        var i = 0
        func line() -> String? {
            guard i < d.count else { return nil }
            let st = i
            while i < d.count && d[i] != 10 { i += 1 }
            let s = String(decoding: d[st..<i], as: UTF8.self)
            i += 1
            return s
        }
        var file = ""
        var cur = SAViews()
        while let l = line() {
            if l.hasPrefix("FILE ") { file = String(l.dropFirst(5)); cur = SAViews(); continue }
            if l == "END" { out[file] = cur; continue }
            guard let sp = l.lastIndex(of: " "), let count = Int(l[l.index(after: sp)...]) else { continue }
            let name = String(l[..<sp])
            var vals: [[UInt8]] = []
            if count > 0 {
                for _ in 0..<count {
                    guard let lenLine = line(), let len = Int(lenLine), i + len <= d.count else { return out }
                    vals.append(Array(d[i..<(i + len)])); i += len + 1
                }
            }
            if name.hasPrefix("H:") { cur.headers[String(name.dropFirst(2))] = count < 0 ? .some(nil) : vals.first }
            else if name == "BODY" { cur.body = vals }
            else if name == "VISIBLE" { cur.visible = vals }
            else if name == "INVISIBLE" { cur.invisible = vals }
            else if name == "RAWBODY" { cur.rawBody = vals }
            else if name == "URI" { cur.uris = vals }
        }
        return out
    }

    struct Tally: CustomStringConvertible {
        var total = 0
        var diffs: [String: Int] = [:]
        var identical = 0
        var description: String {
            "\(identical)/\(total) messages identical in every view; differences: " +
                diffs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    static func compare(_ files: [URL], verbose: Bool, trust: TrustPolicy = TrustPolicy(), config: String = "") -> Tally {
        let sa = runSA(files, config: config)
        var tally = Tally()
        for f in files {
            guard let expected = sa[f.path], let data = FileManager.default.contents(atPath: f.path) else { continue }
            tally.total += 1
            let v = Views(message: Message(bytes: Array(data)), trust: trust)
            var same = true
            func note(_ what: String, _ a: String, _ b: String) {
                same = false
                tally.diffs[what, default: 0] += 1
                if verbose { print("DIFF \(f.lastPathComponent) \(what)\n  SA:    \(a.debugDescription.prefix(600))\n  swamp: \(b.debugDescription.prefix(600))") }
            }
            for (name, want) in expected.headers {
                let got = v.header(HeaderQuery(name: name))
                if got != want {
                    // Show the neighbourhood of the first difference.
                    let a = want ?? [], b = got ?? []
                    let k = Array(zip(a, b)).firstIndex(where: { $0.0 != $0.1 }) ?? min(a.count, b.count)
                    let lo = max(0, k - 120)
                    note("H:" + name, want.map { Array($0[min(lo, $0.count)...]).s } ?? "nil", got.map { Array($0[min(lo, $0.count)...]).s } ?? "nil")
                }
            }
            if v.body != expected.body {
                let k = Array(zip(v.body, expected.body)).firstIndex(where: { $0.0 != $0.1 }) ?? min(v.body.count, expected.body.count)
                note("body", k < expected.body.count ? expected.body[k].s : "<end \(expected.body.count)>", k < v.body.count ? v.body[k].s : "<end \(v.body.count)>")
            }
            if v.rawBody != expected.rawBody {
                let k = Array(zip(v.rawBody, expected.rawBody)).firstIndex(where: { $0.0 != $0.1 }) ?? min(v.rawBody.count, expected.rawBody.count)
                note("rawbody", k < expected.rawBody.count ? expected.rawBody[k].s : "<end>", k < v.rawBody.count ? v.rawBody[k].s : "<end>")
            }
            let want = Set(expected.uris), got = Set(v.uris)
            if want != got {
                note("uri", want.subtracting(got).map(\.s).sorted().joined(separator: " | "), got.subtracting(want).map(\.s).sorted().joined(separator: " | "))
            }
            if same { tally.identical += 1 }
        }
        return tally
    }

    /// Corpus messages with text HTML hides, as SpamAssassin judged them
    /// (invisible-text.list), every `step`-th of them.
    static func invisibleTextSample(root: URL, step: Int) -> [URL] {
        let list = URL(fileURLWithPath: #filePath).deletingLastPathComponent().resolvingSymlinksInPath()
            .appendingPathComponent("invisible-text.list")
        let lines = ((try? String(contentsOf: list, encoding: .utf8)) ?? "").split(separator: "\n")
        let names = lines.filter { !$0.hasPrefix("#") }.map { root.appendingPathComponent(String($0)) }
        return stride(from: 0, to: names.count, by: max(1, step)).map { names[$0] }
    }

    /// The visible and invisible body arrays Bayes reads, against
    /// SpamAssassin's, for messages with hidden HTML text and for some
    /// without (where visible must be the whole body and invisible empty).
    /// SWAMP_SA_INVISIBLE_STEP sets the stride through the list (default 4).
    @Test func bodyByVisibilityMatchesSpamAssassin() throws {
        guard let root = Corpus.root(), Self.perlAvailable() else { return }
        let env = ProcessInfo.processInfo.environment
        let verbose = env["SWAMP_SA_VERBOSE"] == "1"
        let hidden = Self.invisibleTextSample(root: root, step: Int(env["SWAMP_SA_INVISIBLE_STEP"] ?? "") ?? 4)
        var plain: [URL] = []
        for sub in ["spam/ham", "spam/spam", "mime/mail-parser-thirdparty"] {
            let all = Corpus.files(under: root.appendingPathComponent(sub), suffix: ".eml")
            plain += stride(from: 0, to: all.count, by: max(1, all.count / 10)).map { all[$0] }
        }
        let files = hidden + plain.filter { !hidden.contains($0) }
        let sa = Self.runSA(files)
        var total = 0, visibleSame = 0, invisibleSame = 0, hiddenSeen = 0
        var misses: [String] = []
        for f in files {
            guard let want = sa[f.path], let data = FileManager.default.contents(atPath: f.path) else { continue }
            total += 1
            let split = Views(message: Message(bytes: Array(data))).bodyByVisibility()
            if !split.invisible.isEmpty { hiddenSeen += 1 }
            if split.visible == want.visible { visibleSame += 1 } else { misses.append("visible " + f.lastPathComponent) }
            if split.invisible == want.invisible { invisibleSame += 1 } else {
                misses.append("invisible " + f.lastPathComponent)
                if verbose {
                    print("DIFF \(f.lastPathComponent) invisible\n  SA:    \(want.invisible.map(\.s))\n  swamp: \(split.invisible.map(\.s))")
                }
            }
        }
        print("SA visible/invisible: \(total) messages (\(hidden.count) with hidden text listed, \(hiddenSeen) found); " +
              "visible identical \(visibleSame), invisible identical \(invisibleSame); \(misses.prefix(20))")
        #expect(total == files.count)
        #expect(hiddenSeen >= hidden.count * 9 / 10)
        // Guard against regressions; the goal is identical arrays.
        #expect(Double(invisibleSame) >= 0.95 * Double(total))
        #expect(Double(visibleSame) >= 0.95 * Double(total))
    }

    @Test func viewsMatchSpamAssassin() throws {
        guard let root = Corpus.root(), Self.perlAvailable() else { return }
        let env = ProcessInfo.processInfo.environment
        let n = Int(env["SWAMP_SA_SAMPLE"] ?? "") ?? 40
        let verbose = env["SWAMP_SA_VERBOSE"] == "1"
        var sample: [URL] = []
        // SWAMP_SA_DIRS picks other corpus folders (comma-separated).
        let dirs = env["SWAMP_SA_DIRS"].map { $0.split(separator: ",").map(String.init) } ?? ["spam/ham", "spam/spam"]
        for sub in dirs {
            let all = Corpus.files(under: root.appendingPathComponent(sub), suffix: ".eml")
            guard !all.isEmpty else { continue }
            let step = max(1, all.count / max(1, n / 2))
            sample += stride(from: 0, to: all.count, by: step).prefix(n / 2).map { all[$0] }
        }
        // SWAMP_SA_TRUSTED / SWAMP_SA_INTERNAL / SWAMP_SA_MSA: networks for both sides.
        func nets(_ key: String) -> [IPNetwork] {
            (env[key] ?? "").split(separator: " ").compactMap { IPNetwork($0) }
        }
        let trust = TrustPolicy(trusted: nets("SWAMP_SA_TRUSTED"), internal: nets("SWAMP_SA_INTERNAL"), msa: nets("SWAMP_SA_MSA"))
        var config = ""
        if let t = env["SWAMP_SA_TRUSTED"] { config += "trusted_networks \(t)\n" }
        if let t = env["SWAMP_SA_INTERNAL"] { config += "internal_networks \(t)\n" }
        if let t = env["SWAMP_SA_MSA"] { config += "msa_networks \(t)\n" }
        let tally = Self.compare(sample, verbose: verbose, trust: trust, config: config)
        print("SA differential: \(tally)")
        #expect(tally.total == sample.count)
        // Guard against regressions; the goal is identical views.
        #expect(Double(tally.identical) >= 0.3 * Double(tally.total))
    }
}
