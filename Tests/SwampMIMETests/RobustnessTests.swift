import Foundation
import Testing
@testable import SwampMIME
import SwampTestSupport

/// Every corpus message parses, mutated and hostile messages finish within
/// the limits (../shared/SECURITY.md, "Message").
@Suite struct RobustnessTests {
    static func corpusFiles() -> [URL] {
        guard let root = Corpus.root() else { return [] }
        return Corpus.files(under: root.appendingPathComponent("mime")).filter { !$0.lastPathComponent.hasSuffix(".json") }
            + Corpus.files(under: root.appendingPathComponent("spam"), suffix: ".eml")
    }

    @Test func everyCorpusMessageParses() throws {
        let files = Self.corpusFiles()
        guard !files.isEmpty else { return }
        var parsed = 0
        for (k, f) in files.enumerated() {
            guard let data = FileManager.default.contents(atPath: f.path) else { continue }
            let m = Message(bytes: Array(data))
            parsed += 1
            // Rendering every view of every file is the differential test's
            // job; here a quarter of them keeps the debug run short.
            guard k % 4 == 0 else { continue }
            let v = Views(message: m)
            #expect(v.uris.count <= m.limits.maxURIs)
            _ = v.header(HeaderQuery(name: "ALL"))
            _ = v.header(HeaderQuery(name: "From", modifier: .addr))
        }
        #expect(parsed > 3_000)
    }

    @Test func mutatedMessagesFinish() throws {
        let files = Self.corpusFiles()
        guard !files.isEmpty else { return }
        var rng = SplitMix64(seed: 0x5A4D_4D49_4D45)
        let rounds = Int(ProcessInfo.processInfo.environment["SWAMP_FUZZ_ROUNDS"] ?? "") ?? 300
        for round in 0..<rounds {
            let f = files[Int(rng.next() % UInt64(files.count))]
            guard var b = FileManager.default.contents(atPath: f.path).map({ Array($0) }), !b.isEmpty else { continue }
            switch round % 5 {
            case 4:  // token soup: header, MIME and HTML syntax in random order
                let tokens = ["Content-Type: multipart/mixed; boundary=\"q\"\n", "--q\n", "--q--\n", "\n", "Subject: =?utf-8?B?",
                              "?=", "<a href=\"http://x.example/", "<div style=\"color:", "Received: from a (b [1.2.3.4]) by c",
                              "Content-Transfer-Encoding: base64\n", "Content-Transfer-Encoding: quoted-printable\n", "=\n", "=ZZ",
                              "&#x10FFFF;", "\u{0}", "\r\n", " (", ")", "[", "]", "@", "www.", ".com ", "charset=utf-16\n",
                              "Content-Type: message/rfc822\n", "<!--", "-->", "</", ">", "\u{1B}$B"]
                var out = ""
                for _ in 0..<(50 + Int(rng.next() % 400)) { out += tokens[Int(rng.next() % UInt64(tokens.count))] }
                b = Array(out.utf8)
            case 0:  // bit flips
                for _ in 0..<(1 + Int(rng.next() % 64)) {
                    let i = Int(rng.next() % UInt64(b.count))
                    b[i] ^= UInt8(1 << (rng.next() % 8))
                }
            case 1:  // truncation
                b = Array(b.prefix(Int(rng.next() % UInt64(b.count))))
            case 2:  // duplicated lines (boundaries included)
                let lines = b.split(separator: 10, omittingEmptySubsequences: false)
                var out: [UInt8] = []
                for l in lines {
                    out += l; out.append(10)
                    if l.starts(with: [45, 45]) || rng.next() % 50 == 0 { out += l; out.append(10) }
                }
                b = out
            default:  // random byte splices
                for _ in 0..<8 {
                    let i = Int(rng.next() % UInt64(b.count))
                    let junk: [UInt8] = [0, 0xFF, 61, 90, 90, 60, 62, 13, 10, 0x1B]
                    b.insert(junk[Int(rng.next() % UInt64(junk.count))], at: i)
                }
            }
            let v = Views(message: Message(bytes: b))
            #expect(v.message.root.children.count <= v.message.limits.maxParts)
        }
    }

    func timed(_ body: () -> Void) -> Double {
        let t0 = Date()
        body()
        return Date().timeIntervalSince(t0)
    }

    @Test func deeplyNestedMultiparts() {
        var s = "Subject: nest\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
        for i in 0..<10_000 { s += "--b\(i)\nContent-Type: multipart/mixed; boundary=\"b\(i + 1)\"\n\n" }
        s += "--b10000\nContent-Type: text/plain\n\nhello\n"
        let t = timed {
            let t0 = Date()
            let m = Message(bytes: Array(s.utf8))
            if ProcessInfo.processInfo.environment["SWAMP_PERF"] == "1" { print("nested parse", Date().timeIntervalSince(t0)) }
            var depth = 0
            var p = m.root
            while let c = p.children.first { depth += 1; p = c }
            #expect(depth <= m.limits.maxDepth + 1)
            _ = Views(message: m)
        }
        #expect(t < 120)  // a hang detector: tests share the CPUs
    }

    @Test func manyParts() {
        var s = "Subject: parts\nContent-Type: multipart/mixed; boundary=\"x\"\n\n"
        for i in 0..<100_000 { s += "--x\nContent-Type: text/plain\n\npart \(i)\n" }
        s += "--x--\n"
        let t = timed {
            let m = Message(bytes: Array(s.utf8))
            #expect(m.root.children.count <= m.limits.maxParts)
            #expect(!m.defects.isEmpty)
            let v = Views(message: m)
            #expect(v.body.count < 5_000)
        }
        #expect(t < 120)  // a hang detector: tests share the CPUs
    }

    @Test func manyHeaderLines() {
        var s = ""
        for i in 0..<100_000 { s += "X-H\(i): v\n" }
        s += "\nbody\n"
        let t = timed {
            let m = Message(bytes: Array(s.utf8))
            #expect(m.headers.count <= m.limits.maxHeaderFields)
            _ = Views(message: m).header(HeaderQuery(name: "ALL"))
        }
        #expect(t < 120)  // a hang detector: tests share the CPUs
    }

    @Test func hugeSingleHeader() {
        var b = Array("Subject: ".utf8)
        b += [UInt8](repeating: 65, count: 5_000_000)
        for _ in 0..<50_000 { b += Array("\n folded".utf8) }
        b += Array("\nTo: a@b.example\n\nbody\n".utf8)
        let t = timed {
            let m = Message(bytes: b)
            let v = Views(message: m)
            let subj = v.header(HeaderQuery(name: "Subject"))
            #expect((subj?.count ?? 0) <= 8_193)
        }
        #expect(t < 120)  // a hang detector: tests share the CPUs
    }

    @Test func hostileEncodings() {
        let s = """
        Subject: =?utf-8?B?!!!notbase64?= =?x-unknown?Q?=ZZ=41?=
        Content-Type: multipart/alternative; boundary=""

        --
        Content-Type: text/plain; charset=utf-16
        Content-Transfer-Encoding: base64

        //5IAGkA@@@junk===AAA
        --
        Content-Type: text/html; charset=x-nonsense
        Content-Transfer-Encoding: quoted-printable

        <b>=ZZ=4=\n<div style="color:#fff">\u{0}</div>&#99999999;&#x110000;&bogus;
        """
        let v = views(s)
        _ = v.header(HeaderQuery(name: "Subject"))
        #expect(!v.body.isEmpty)
    }
}

extension RobustnessTests {
    @Test func htmlBombs() {
        var html = ""
        for _ in 0..<150_000 { html += "<div><font color=red><td>" }
        html += "deep" + String(repeating: "</font></div>", count: 150_000)
        html += "<a href=\"" + String(repeating: "x", count: 1_000_000) + "\">big</a>"
        html += String(repeating: "&amp;&#65;&lt;", count: 100_000)
        let s = "Subject: bomb\nContent-Type: text/html\n\n" + html
        let t0 = Date()
        let v = views(s)
        #expect(!v.body.isEmpty)
        #expect(v.uris.allSatisfy { $0.count <= 8_192 })
        #expect(Date().timeIntervalSince(t0) < 120)
    }

    @Test func tenMegabyteHeader() {
        var b = Array("X-Big: ".utf8)
        b += [UInt8](repeating: 0x61, count: 10 * 1024 * 1024)
        b += Array("\nSubject: after\n\nbody\n".utf8)
        let t0 = Date()
        let m = Message(bytes: b)
        let v = Views(message: m)
        #expect((v.header(HeaderQuery(name: "X-Big"))?.count ?? 0) <= 8_193)
        #expect(!m.defects.isEmpty)
        #expect(Date().timeIntervalSince(t0) < 120)
    }
}

/// The HTML facts kept for the eval rules stay bounded whatever the part
/// repeats: anchors, titles and comments past HTMLStats.maximumTexts are
/// not kept (and anchors are appended in place, not copied each time).
@Suite struct HTMLStatsBoundsTests {
    @Test func repeatedAnchorsTitlesAndCommentsAreCapped() {
        let n = 20_000
        let html = String(repeating: "<a href=\"x\">t</a><title>s</title><!-- c -->", count: n)
        let r = HTMLRenderer.render(Array(html.utf8), maxURIs: 100)
        #expect(r.stats.anchors?.count == HTMLStats.maximumTexts)
        #expect(r.stats.titles.count == HTMLStats.maximumTexts)
        #expect(r.stats.comments.count == HTMLStats.maximumTexts)
        // The kept ones hold their own text only.
        #expect(r.stats.anchors?.last == Array("t".utf8))
        #expect(r.stats.titles.last == Array("s".utf8))
    }
}
