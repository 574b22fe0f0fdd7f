import Foundation
import Testing
@testable import SwampMIME

/// SWAMP_PERF=1 prints where the time goes over the spam corpus.
@Suite struct PerfTests {
    @Test func phases() {
        guard ProcessInfo.processInfo.environment["SWAMP_PERF"] == "1", let root = Corpus.root() else { return }
        let files = Corpus.files(under: root.appendingPathComponent("spam"), suffix: ".eml")
        let data = files.compactMap { FileManager.default.contents(atPath: $0.path).map { Array($0) } }
        var tParse = 0.0, tIndex = 0.0, tBody = 0.0, tRaw = 0.0, tURI = 0.0
        for b in data {
            var t0 = Date()
            let m = Message(bytes: b)
            tParse += Date().timeIntervalSince(t0); t0 = Date()
            let idx = HeaderIndex(message: m, trust: TrustPolicy())
            tIndex += Date().timeIntervalSince(t0); t0 = Date()
            let r = BodyRenderer.render(message: m, subject: idx.subjectForBody)
            tBody += Date().timeIntervalSince(t0); t0 = Date()
            _ = BodyRenderer.decodedBody(message: m)
            tRaw += Date().timeIntervalSince(t0); t0 = Date()
            _ = URIExtractor.uris(textLines: r.lines, htmlURIs: r.htmlURIs, limits: m.limits)
            tURI += Date().timeIntervalSince(t0)
        }
        // Received parsing alone.
        var tRecv = 0.0, lines = 0
        for b in data {
            let m = Message(bytes: b)
            let recv = m.headers.filter { $0.name.lowercased() == "received" }.map { HeaderDecoder.decodedValue(raw: $0.rawValue, lname: "received") }
            let t0 = Date()
            for r in recv { _ = ReceivedParser.parseLine(r); lines += 1 }
            tRecv += Date().timeIntervalSince(t0)
        }
        print(String(format: "PERF received: %d lines %.2fs", lines, tRecv))
        print(String(format: "PERF %d msgs: parse %.2fs index %.2fs body %.2fs rawbody %.2fs uri %.2fs", data.count, tParse, tIndex, tBody, tRaw, tURI))
    }
}
