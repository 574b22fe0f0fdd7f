import Foundation
import Testing
@testable import SwampMIME
import SwampTestSupport

/// The byte-level host reader for ASCII URIs gives what the reader that
/// lower-cases the whole URI first (as SpamAssassin does) gives.
@Suite struct URIHostTests {
    @Test func asciiReaderAgreesWithTheWholeURIReader() {
        // "\u{1A}" is ":" with the case bit set: only letters fold.
        let schemes = ["", "http://", "HTTPS://", "hxxp:/", "ftp:", "mailto:", "MailTo:", "javascript:", "cid:", "file://", "1http://", "x:",
                       "cid\u{1A}", "mailto\u{1A}"]
        let users = ["", "user@", "a@b@", "us:pw@", "@"]
        let hosts = ["Example.COM", "www.example.co.uk", "198.51.100.7", "[2001:db8::1]", "ex%41mple.com", "ex%20ample.com",
                     "bad_host.com", "localhost", "a.b.c.d.example.net", "xn--bcher-kva.example", "-x.example.org", "EXAMPLE.online"]
        let ports = ["", ":80", ":", ":8a", ":443:"]
        let tails = ["", "/", "/path?q=1", "?x=@y.com", "#frag/x", "/a@b", "?subject=hi@there", "%2F", "/" + String(repeating: "p", count: 300)]
        var rng = SplitMix64(seed: 8)
        func pick(_ a: [String]) -> String { a[Int(rng.next() % UInt64(a.count))] }
        for _ in 0..<20_000 {
            let uri = Array((pick(schemes) + pick(users) + pick(hosts) + pick(ports) + pick(tails)).utf8)
            #expect(URIExtractor.asciiURIHost(uri[...]) == URIExtractor.unicodeURIHost(uri), "\(String(decoding: uri, as: UTF8.self))")
        }
        // And a few written out.
        #expect(URIExtractor.uriHost(Array("HTTP://User@WWW.Example.COM:8080/x?y".utf8))?.host == "www.example.com")
        #expect(URIExtractor.uriHost(Array("mailto:a@b@example.com".utf8)) == nil)
        #expect(URIExtractor.uriHost(Array("mailto:Ann@Example.org?subject=x".utf8))?.host == "example.org")
    }
}

/// SpamAssassin's `redirector_pattern` lines, read from where Debian
/// installs its rules: every line that starts with the directive is
/// taken, and a redirect's target is read out of its URL.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/spamassassin/20_uri_tests.cf"),
                "needs SpamAssassin's rules"))
struct RedirectorTests {
    @Test func readsEveryStockRedirectorPattern() throws {
        let dir = "/usr/share/spamassassin"
        var lines = 0
        for f in try FileManager.default.contentsOfDirectory(atPath: dir) where f.hasSuffix(".cf") {
            // Some rule files are Latin-1: read them as bytes.
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f)), as: UTF8.self)
            lines += text.split(separator: "\n").filter { $0.hasPrefix("redirector_pattern") }.count
        }
        #expect(lines > 0)
        #expect(Redirectors.patterns.count == lines)
    }

    @Test func findsRedirectTargets() {
        func target(_ url: String) -> String? { Redirectors.match(Array(url.utf8)).map { String(decoding: $0, as: UTF8.self) } }
        #expect(target("http://www.google.com/url?sa=t&q=http://spam.example.com/offer&usg=x") == "http://spam.example.com/offer")
        #expect(target("http://chkpt.zdnet.com/chkpt/abc/www.example.org/page") == "www.example.org/page")
        #expect(target("http://www.example.com/plain/page.html") == nil)
    }
}
