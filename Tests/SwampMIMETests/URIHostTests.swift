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
