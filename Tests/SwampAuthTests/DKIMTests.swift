import Foundation
import SwampDNS
import SwampTestSupport
import Testing
@testable import SwampAuth

/// dkimpy-signed messages against DKIMTestKeys' zone.
struct DKIMFixture {
    let keys: DKIMTestKeys
    var zone: DNSZone { keys.zone }

    static let message = """
        From: Alice <alice@example.com>
        To: bob@example.net
        Subject: quarterly figures
        Date: Mon, 1 Jan 2024 00:00:00 +0000
        Message-ID: <1@example.com>

        Hello  Bob,\t
        the figures are attached.

        """

    func sign(_ message: String = DKIMFixture.message, selector: String = "s1", key: String = "rsa2048.key",
              args: [String] = []) throws -> [UInt8] {
        try keys.sign(message, selector: selector, key: key, args: args)
    }

    func signWithLength(_ message: String = DKIMFixture.message) throws -> [UInt8] {
        try keys.signWithLength(message)
    }

    func verify(_ bytes: [UInt8]) async -> [DKIMSignatureOutcome] {
        await DKIMVerifier(resolver: StaticResolver(zone: zone)).verify(bytes)
    }
}

private func replacing(_ bytes: [UInt8], _ a: String, _ b: String) -> [UInt8] {
    Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: a, with: b).utf8)
}

@Suite("DKIM with dkimpy signatures", .enabled(if: DKIMTestKeys.available, "needs dkimsign (python3-dkim) and openssl"))
struct DKIMSignedTests {
    let f: DKIMFixture
    init() throws { f = DKIMFixture(keys: try #require(DKIMTestKeys.shared)) }

    @Test(arguments: [["simple", "simple"], ["relaxed", "simple"], ["simple", "relaxed"], ["relaxed", "relaxed"]])
    func rsaSHA256Verifies(canon: [String]) async throws {
        let signed = try f.sign(args: ["--hcanon", canon[0], "--bcanon", canon[1]])
        let out = await f.verify(signed)
        #expect(out.count == 1)
        #expect(out.first?.result == .pass, "\(out.first?.problem ?? "")")
        #expect(out.first?.domain == "example.com")
        #expect(out.first?.keyBits == 2048)
        #expect(out.first?.isWeak == false)
    }

    @Test func verifiesOverTheTestDNSServer() async throws {
        let server = try await TestDNSServer.start(zone: f.zone)
        let resolver = try LDNSResolver(dnsServers: [server.hostPort], timeout: .seconds(1), attempts: 1)
        let out = await DKIMVerifier(resolver: resolver).verify(try f.sign(selector: "ed", key: "ed.key", args: ["--signalg", "ed25519-sha256"]))
        await server.stop()
        #expect(out.first?.result == .pass)
    }

    @Test(arguments: ["relaxed", "simple"])
    func ed25519Verifies(canon: String) async throws {
        let signed = try f.sign(selector: "ed", key: "ed.key", args: ["--signalg", "ed25519-sha256", "--hcanon", canon, "--bcanon", canon])
        let out = await f.verify(signed)
        #expect(out.first?.result == .pass, "\(out.first?.problem ?? "")")
        #expect(out.first?.algorithm == .ed25519SHA256)
    }

    @Test func rsaSHA1VerifiesButIsWeak() async throws {
        // The "old" key has no h= tag, so it allows sha1.
        let out = await f.verify(try f.sign(selector: "old", key: "rsa1024.key", args: ["--signalg", "rsa-sha1"]))
        #expect(out.first?.result == .pass, "\(out.first?.problem ?? "")")
        #expect(out.first?.isWeak == true)
        // dknewkey's key says h=sha256: a sha1 signature with it is refused.
        #expect(await f.verify(try f.sign(args: ["--signalg", "rsa-sha1"])).first?.result == .permerror)
    }

    @Test func key1024Verifies() async throws {
        let out = await f.verify(try f.sign(selector: "old", key: "rsa1024.key"))
        #expect(out.first?.result == .pass, "\(out.first?.problem ?? "")")
        #expect(out.first?.keyBits == 1024)
    }

    @Test func lineEndingsDoNotMatter() async throws {
        let signed = try f.sign()
        let crlf = replacing(signed, "\n", "\r\n")
        #expect(await f.verify(crlf).first?.result == .pass)
    }

    @Test func changedBodyFails() async throws {
        let signed = try f.sign()
        let out = await f.verify(replacing(signed, "figures are attached", "figures are attacked"))
        #expect(out.first?.result == .fail)
        #expect(out.first?.problem == "body hash mismatch")
    }

    @Test func changedSignedHeaderFails() async throws {
        let signed = try f.sign(selector: "ed", key: "ed.key", args: ["--signalg", "ed25519-sha256"])
        #expect(await f.verify(replacing(signed, "Subject: quarterly", "Subject: Quarterly")).first?.result == .fail)
        let rsa = try f.sign()
        #expect(await f.verify(replacing(rsa, "To: bob@", "To: eve@")).first?.result == .fail)
    }

    @Test func addedFromHeaderFails() async throws {
        // dkimpy over-signs From, so a second From breaks the signature.
        let signed = try f.sign()
        #expect(await f.verify(replacing(signed, "To: bob", "From: mallory@evil.test\nTo: bob")).first?.result == .fail)
    }

    @Test func bodyLengthLeavesAppendedContentUnsigned() async throws {
        let signed = try f.signWithLength()
        let clean = await f.verify(signed)
        #expect(clean.first?.result == .pass, "\(clean.first?.problem ?? "")")
        #expect(clean.first?.hasUnsignedBodyContent == false)
        let appended = signed + Array("Click http://evil.test/ now\n".utf8)
        let out = await f.verify(appended)
        #expect(out.first?.result == .pass)
        #expect(out.first?.hasUnsignedBodyContent == true)
    }

    @Test func keyProblems() async throws {
        let signed = try f.sign()
        #expect(await f.verify(replacing(signed, "s=s1;", "s=nokey;")).first?.result == .permerror)
        #expect(await f.verify(replacing(signed, "s=s1;", "s=revoked;")).first?.result == .fail)
        #expect(await f.verify(replacing(signed, "s=s1;", "s=broken;")).first?.result == .temperror)
        // An Ed25519 signature checked against an RSA key.
        let ed = try f.sign(selector: "ed", key: "ed.key", args: ["--signalg", "ed25519-sha256"])
        #expect(await f.verify(replacing(ed, "s=ed;", "s=s1;")).first?.result == .permerror)
    }

    @Test func signatureCountIsBounded() async throws {
        let signed = try f.sign()
        let text = String(decoding: signed, as: UTF8.self)
        let end = text.range(of: "From: Alice")!.lowerBound
        let sig = String(text[..<end])
        let many = String(repeating: sig, count: 20) + String(text[end...])
        #expect(await f.verify(Array(many.utf8)).count == 5)
    }
}

@Suite struct DKIMParserTests {
    @Test func tagLists() throws {
        let t = try DKIMTagList(parsing: Array(" v=1; a = rsa-sha256 ;\r\n\tb=ab cd\r\n ef;".utf8))
        #expect(t.string("v") == "1" && t.string("a") == "rsa-sha256" && t.compact("b") == "abcdef")
        #expect(throws: DKIMTagError.self) { try DKIMTagList(parsing: Array("v=1; v=1".utf8)) }
        #expect(throws: DKIMTagError.self) { try DKIMTagList(parsing: Array("v=1;; a=b".utf8)) }
        #expect(throws: DKIMTagError.self) { try DKIMTagList(parsing: Array("1v=1".utf8)) }
        #expect(throws: DKIMTagError.self) { try DKIMTagList(parsing: Array("novalue".utf8)) }
    }

    @Test func canonicalisation() {
        let lines: [ArraySlice<UInt8>] = ["a  b \t", "", "c", "", ""].map { Array($0.utf8)[...] }
        #expect(DKIMVerifier.canonicalBody(lines, relaxed: true) == Array("a b\r\n\r\nc\r\n".utf8))
        #expect(DKIMVerifier.canonicalBody(lines, relaxed: false) == Array("a  b \t\r\n\r\nc\r\n".utf8))
        #expect(DKIMVerifier.canonicalBody([], relaxed: false) == Array("\r\n".utf8))
        #expect(DKIMVerifier.canonicalBody([], relaxed: true) == [])
        #expect(DKIMVerifier.relaxedHeader(Array("SubJect \t:  a  b\r\n\tc \r\n".utf8)) == Array("subject:a b c\r\n".utf8))
        #expect(DKIMVerifier.removingSignatureValue(Array("DKIM-Signature: a=1; b=xy\r\n z; bh=q\r\n".utf8))
                == Array("DKIM-Signature: a=1; b=; bh=q\r\n".utf8))
    }

    /// Fuzz-style: random tag lists and random DKIM-Signature fields never
    /// crash the parser or the verifier.
    @Test func randomInputsNeverCrash() async {
        var rng = SplitMix64(seed: 6376)
        let pieces = ["v=1", "a=rsa-sha256", "a=ed25519-sha256", "d=example.com", "s=s1", "h=from:to", "bh=", "b=",
                      "l=5", "l=99999999999999999999999", "i=@example.com", "i=x@evil.test", "c=relaxed/simple",
                      "c=foo", "x=1", "q=dns/txt", ";", "=", " ", "\r\n\t", "AAAA", "====", "\u{0}", "é"]
        let verifier = DKIMVerifier(resolver: StaticResolver(zone: DNSZone()))
        for _ in 0..<2000 {
            var field = ""
            for _ in 0..<Int(rng.next() % 14) { field += pieces[Int(rng.next() % UInt64(pieces.count))] + "; " }
            _ = try? DKIMTagList(parsing: Array(field.utf8))
            let message = "DKIM-Signature: \(field)\nFrom: a@example.com\n\nbody\n"
            let out = await verifier.verify(Array(message.utf8))
            #expect(out.count == 1 && out[0].result != .pass)
        }
        for _ in 0..<2000 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? DKIMTagList(parsing: bytes)
        }
    }
}

@Suite("SpamAssassin's tdata DKIM messages")
struct DKIMCorpusTests {
    static let corpus = SPFSuite.repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/corpora/mime/spamassassin-tdata-dkim")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: corpus.path)))
    func everyMessageGoesThrough() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        #expect(files.count > 10)
        var signed = 0
        let verifier = DKIMVerifier(resolver: StaticResolver(zone: DNSZone()))
        for file in files {
            let bytes = Array(try Data(contentsOf: Self.corpus.appendingPathComponent(file)))
            let out = await verifier.verify(bytes)
            if !out.isEmpty { signed += 1 }
            // No keys are published here, so nothing can pass.
            #expect(!out.contains { $0.result == .pass }, "\(file)")
        }
        #expect(signed > 10)
    }
}
