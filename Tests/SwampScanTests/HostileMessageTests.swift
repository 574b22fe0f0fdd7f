import Foundation
import Testing
import SwampEngine
import SwampMIME
import SwampRules
import SwampScan

/// SECURITY.md, "Message": hostile messages go through a whole scan with
/// swamp's rules in bounded time, and GTUBE is found however it is wrapped.
@Suite struct HostileMessageTests {
    static let scanner: SpamScanner = {
        var loader = ConfigLoader()
        loader.load(path: RuleRegressionTests.rulesDir)
        return SpamScanner(configuration: loader.configuration)
    }()

    static let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

    func scanWithin(_ seconds: Int, _ message: String) -> ScanResult {
        let clock = ContinuousClock()
        let start = clock.now
        let result = Self.scanner.scan(Array(message.utf8))
        #expect(clock.now - start < .seconds(seconds))
        return result
    }

    @Test func nestedMultipartBomb() {
        var m = "Subject: bomb\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
        for i in 0..<5_000 { m += "--b\(i)\nContent-Type: multipart/mixed; boundary=\"b\(i + 1)\"\n\n" }
        m += "--b5000\nContent-Type: text/plain\n\n\(Self.gtube)\n"
        _ = scanWithin(20, m)
    }

    @Test func manyParts() {
        var m = "Subject: parts\nContent-Type: multipart/mixed; boundary=\"p\"\n\n"
        for _ in 0..<100_000 { m += "--p\nContent-Type: text/plain\n\nx\n" }
        m += "--p--\n"
        _ = scanWithin(30, m)
    }

    @Test func headerFlood() {
        var m = ""
        for i in 0..<100_000 { m += "X-Flood-\(i): value \(i)\n" }
        m += "Subject: flood\n\nbody\n"
        _ = scanWithin(30, m)
    }

    @Test func hugeSingleHeader() {
        let m = "Subject: " + String(repeating: "A", count: 10_000_000) + "\n\nbody\n"
        _ = scanWithin(30, m)
    }

    @Test func gtubeInQuotedPrintableHTML() {
        let m = """
        Subject: qp
        MIME-Version: 1.0
        Content-Type: text/html; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        <html><body><p>XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-=
        EMAIL*C.34X</p></body></html>

        """
        let r = scanWithin(10, m)
        #expect(r.verdict.isSpam)
        #expect(r.verdict.tests.contains("GTUBE"))
    }

    @Test func brokenEncodingsAndNULs() {
        let m = "Subject: =?x-unknown?B?!!!?=\nContent-Type: text/plain; charset=x-nonsense\nContent-Transfer-Encoding: base64\n\n@@@@\u{0}\u{0}=ZZ\n"
        _ = scanWithin(10, m)
    }
}
