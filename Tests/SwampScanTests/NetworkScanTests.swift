import Foundation
import SwampAuth
import SwampDNS
import SwampEngine
import SwampRules
import SwampTestSupport
import Testing
@testable import SwampScan

/// Scans with SpamAssassin's own SPF and DKIM rule files (read from where
/// Debian installs them) and network checks against a test zone.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/spamassassin/25_spf.cf"),
                "needs SpamAssassin's rules"))
struct NetworkScanTests {
    static let scanner: SpamScanner = {
        var loader = ConfigLoader()
        loader.load(text: """
            loadplugin Mail::SpamAssassin::Plugin::SPF
            loadplugin Mail::SpamAssassin::Plugin::DKIM
            """, file: "network-test.pre")
        loader.load(path: "/usr/share/spamassassin/25_spf.cf")
        loader.load(path: "/usr/share/spamassassin/25_dkim.cf")
        return SpamScanner(configuration: loader.configuration)
    }()

    static let zone: DNSZone = {
        var z = DNSZone()
        func txt(_ s: String) -> DNSRecord { .txt([Array(s.utf8)]) }
        z.add("example.com", txt("v=spf1 ip4:192.0.2.10 -all"))
        z.add("mail.example.com", txt("v=spf1 a -all"))
        z.add("mail.example.com", .a([192, 0, 2, 10]))
        z.add("soft.test", txt("v=spf1 ~all"))
        z.add("neutral.test", txt("v=spf1 ?all"))
        z.add("nospf.test", .mx(preference: 1, exchange: "mx.nospf.test"))
        z.add("broken.test", txt("v=spf1 ip4:1.2.3.4/99 -all"))
        z.add("servfail.test", .serverFailure)
        z.add("hang.test", .timeout)
        return z
    }()

    static func message(ip: String = "192.0.2.10", helo: String = "mail.example.com",
                        sender: String = "alice@example.com", extra: String = "") -> [UInt8] {
        Array("""
            Return-Path: <\(sender)>
            Received: from \(helo) (\(helo) [\(ip)]) by mx.example.net (Postfix) with ESMTP id 4AB; Mon, 1 Jan 2024 00:00:00 +0000
            \(extra)From: Alice <\(sender)>
            To: bob@example.net
            Subject: hello
            Date: Mon, 1 Jan 2024 00:00:00 +0000
            Message-ID: <x@example.com>

            hi

            """.utf8)
    }

    /// Checks over the in-memory zone, with a budget long enough that a
    /// busy test machine does not turn answers into TEMPERRORs.
    static func checks(_ resolver: any DNSResolver = StaticResolver(zone: zone)) -> NetworkChecks {
        var c = NetworkChecks(resolver: resolver)
        c.timeLimit = .seconds(300)
        return c
    }

    func hits(_ bytes: [UInt8]) async -> Set<String> {
        let (result, _) = await Self.scanner.scan(bytes, network: Self.checks())
        return Set(result.verdict.evaluation.hits.map(\.name))
    }

    @Test func spfPassForSenderAndHelo() async {
        let h = await hits(Self.message())
        #expect(h.isSuperset(of: ["SPF_PASS", "SPF_HELO_PASS"]))
        #expect(h.isDisjoint(with: ["SPF_FAIL", "DKIM_SIGNED", "DKIM_INVALID"]))
    }

    @Test func spfFail() async {
        let h = await hits(Self.message(ip: "192.0.2.99"))
        #expect(h.isSuperset(of: ["SPF_FAIL", "SPF_HELO_FAIL"]))
    }

    @Test(arguments: [("bob@soft.test", "SPF_SOFTFAIL"), ("bob@neutral.test", "SPF_NEUTRAL"),
                      ("bob@nospf.test", "SPF_NONE"), ("bob@broken.test", "T_SPF_PERMERROR"),
                      ("bob@servfail.test", "T_SPF_TEMPERROR")])
    func spfResults(sender: String, rule: String) async {
        #expect(await hits(Self.message(sender: sender)).contains(rule))
    }

    @Test func heloLiteralIsNotChecked() async {
        let h = await hits(Self.message(helo: "[192.0.2.10]"))
        #expect(h.contains("SPF_PASS"))
        #expect(!h.contains { $0.hasPrefix("SPF_HELO") })
    }

    @Test func brokenSignatureIsSignedButInvalid() async {
        let h = await hits(Self.message(extra: "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x; h=from; bh=AAAA; b=AAAA\n"))
        #expect(h.isSuperset(of: ["DKIM_SIGNED", "DKIM_INVALID"]))
        #expect(!h.contains("DKIM_VALID"))
    }

    @Test func noNetworkNoNetworkRules() async {
        let (result, findings) = await Self.scanner.scan(Self.message(), network: nil)
        #expect(findings == nil)
        #expect(!result.verdict.evaluation.hits.contains { $0.name.hasPrefix("SPF") })
        #expect(Self.scanner.scan(Self.message()).verdict.evaluation.hits.allSatisfy { !$0.name.hasPrefix("SPF") })
    }

    @Test func receivedSPFLine() async {
        let (_, findings) = await Self.scanner.scan(Self.message(), network: Self.checks())
        #expect(findings?.receivedSPF?.hasPrefix("pass (\(Self.scanner.hostname): domain of alice@example.com designates 192.0.2.10") == true)
    }

    /// The first untrusted relay recorded without rDNS gets a forward-
    /// confirmed PTR lookup; the rules still read the headers.
    @Test func reverseDNSOfTheFirstUntrustedRelay() async {
        var z = Self.zone
        z.add("10.2.0.192.in-addr.arpa", .ptr("mail.example.com"))
        z.add("10.2.0.192.in-addr.arpa", .ptr("forged.example.net"))
        z.add("forged.example.net", .a([198, 51, 100, 7]))
        let noRDNS = Array(String(decoding: Self.message(), as: UTF8.self)
            .replacingOccurrences(of: "(mail.example.com [192.0.2.10])", with: "(unknown [192.0.2.10])").utf8)
        var checks = Self.checks(StaticResolver(zone: z))
        let (result, findings) = await Self.scanner.scan(noRDNS, network: checks)
        #expect(findings?.firstUntrustedRDNS == ["mail.example.com"])
        _ = result
        checks.lookupRDNS = false
        #expect(await Self.scanner.scan(noRDNS, network: checks).network?.firstUntrustedRDNS == nil)
        // Recorded by the MTA: no lookup.
        #expect(await Self.scanner.scan(Self.message(), network: Self.checks(StaticResolver(zone: z))).network?.firstUntrustedRDNS == nil)
    }

    /// A zone that never answers costs the scan no more than the DNS budget.
    @Test(.timeLimit(.minutes(15)))
    func hangingDNSCostsNoMoreThanTheBudget() async throws {
        let server = try await TestDNSServer.start(zone: Self.zone)
        let resolver = try LDNSResolver(dnsServers: [server.hostPort], timeout: .seconds(3600), attempts: 1)
        var checks = NetworkChecks(resolver: resolver)
        checks.timeLimit = .milliseconds(500)
        let start = ContinuousClock.now
        let (result, findings) = await Self.scanner.scan(Self.message(helo: "hang.test", sender: "x@hang.test"), network: checks)
        await server.stop()
        // Without the budget the lookups would wait an hour; the bound leaves
        // room for a busy machine: the whole test suite runs in parallel, and
        // its CPU-bound tests can hold the task pool's threads for minutes.
        #expect(ContinuousClock.now - start < .seconds(600))
        #expect(Set(result.verdict.evaluation.hits.map(\.name)).isSuperset(of: ["T_SPF_TEMPERROR", "T_SPF_HELO_TEMPERROR"]))
        #expect(findings?.notes.contains { $0.contains("budget") } == true)
    }

    /// SECURITY.md: l= never lets unsigned content count as signed.
    @Test func unsignedBodyContentIsNotValid() {
        let views = SpamScanner(configuration: Configuration()).scan(Self.message()).views
        var findings = NetworkFindings()
        var o = DKIMSignatureOutcome(result: .pass)
        o.domain = "example.com"; o.identityDomain = "example.com"; o.keyBits = 2048
        o.hasUnsignedBodyContent = true
        NetworkChecks(resolver: StaticResolver(zone: DNSZone())).dkimFacts([o], views: views, into: &findings)
        #expect(findings.facts[NetworkFactKey.dkimSigned] == 1)
        #expect(findings.facts[NetworkFactKey.dkimValid] == nil)
        o.hasUnsignedBodyContent = false
        findings = NetworkFindings()
        NetworkChecks(resolver: StaticResolver(zone: DNSZone())).dkimFacts([o], views: views, into: &findings)
        #expect(findings.facts[NetworkFactKey.dkimValid] == 1)
        #expect(findings.facts[NetworkFactKey.dkimValidAuthor] == 1)
        #expect(findings.facts[NetworkFactKey.dkimValidEnvelopeFrom] == 1)
    }
}

/// `welcomelist_auth` and friends: a From welcomelisted only when SPF or
/// DKIM authenticates it (SpamAssassin's 60_welcomelist_spf.cf and
/// 60_welcomelist_dkim.cf rules).
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/spamassassin/60_welcomelist_spf.cf")
                && DKIMTestKeys.available, "needs SpamAssassin's rules and dkimsign"))
struct NetworkWelcomelistTests {
    static let scanner: SpamScanner = {
        var loader = ConfigLoader()
        loader.load(text: """
            loadplugin Mail::SpamAssassin::Plugin::SPF
            loadplugin Mail::SpamAssassin::Plugin::DKIM
            """, file: "network-test.pre")
        for f in ["25_spf.cf", "25_dkim.cf", "60_welcomelist_spf.cf", "60_welcomelist_dkim.cf"] {
            loader.load(path: "/usr/share/spamassassin/" + f)
        }
        loader.load(text: """
            welcomelist_auth alice@example.com
            def_welcomelist_auth *@soft.test
            welcomelist_from_dkim carol@other.test example.com
            """, file: "welcomelist.cf")
        return SpamScanner(configuration: loader.configuration)
    }()

    func hits(_ bytes: [UInt8], zone: DNSZone) async -> Set<String> {
        var c = NetworkChecks(resolver: StaticResolver(zone: zone))
        c.timeLimit = .seconds(300)
        let (result, _) = await Self.scanner.scan(bytes, network: c)
        return Set(result.verdict.evaluation.hits.map(\.name))
    }

    func zone(_ keys: DKIMTestKeys) -> DNSZone {
        var z = keys.zone
        for (name, records) in NetworkScanTests.zone.entries { for r in records { z.add(name, r) } }
        return z
    }

    @Test func spfAuthenticatesTheWelcomelistedSender() async throws {
        let z = zone(try #require(DKIMTestKeys.shared))
        #expect(await hits(NetworkScanTests.message(), zone: z).contains("USER_IN_SPF_WELCOMELIST"))
        // The same sender from a server its SPF record does not allow.
        #expect(!(await hits(NetworkScanTests.message(ip: "192.0.2.99"), zone: z).contains("USER_IN_SPF_WELCOMELIST")))
        // def_welcomelist_auth needs an SPF pass: softfail is not one.
        #expect(!(await hits(NetworkScanTests.message(sender: "bob@soft.test"), zone: z).contains("USER_IN_DEF_SPF_WL")))
    }

    @Test func dkimAuthenticatesTheWelcomelistedAuthor() async throws {
        let keys = try #require(DKIMTestKeys.shared)
        let z = zone(keys)
        let text = String(decoding: NetworkScanTests.message(ip: "192.0.2.99"), as: UTF8.self)
        let signed = try keys.sign(text)
        let h = await hits(signed, zone: z)
        #expect(h.isSuperset(of: ["USER_IN_DKIM_WELCOMELIST", "DKIM_VALID_AU"]))
        #expect(!h.contains("USER_IN_SPF_WELCOMELIST"))
        // A signature from example.com vouches for carol@other.test as listed.
        let carol = text.replacingOccurrences(of: "From: Alice <alice@example.com>", with: "From: Carol <carol@other.test>")
        #expect(await hits(try keys.sign(carol), zone: z).contains("USER_IN_DKIM_WELCOMELIST"))
        // Unsigned, the author is not welcomelisted.
        #expect(!(await hits(Array(text.utf8), zone: z).contains("USER_IN_DKIM_WELCOMELIST")))
    }
}

/// SPF.pm's use of results internal hosts recorded (Received-SPF,
/// Authentication-Results) before asking DNS.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/spamassassin/25_spf.cf")))
struct RecordedSPFTests {
    static func scanner(_ extra: String) -> SpamScanner {
        var loader = ConfigLoader()
        loader.load(text: "loadplugin Mail::SpamAssassin::Plugin::SPF\n", file: "spf.pre")
        loader.load(path: "/usr/share/spamassassin/25_spf.cf")
        loader.load(text: extra, file: "extra.cf")
        return SpamScanner(configuration: loader.configuration)
    }

    static func message(_ recorded: String) -> [UInt8] {
        Array("""
            Received: from mx.example.net (mx.example.net [10.0.0.1]) by internal.example.net (Postfix) with ESMTP id 5CD; Mon, 1 Jan 2024 00:00:01 +0000
            \(recorded)
            Received: from helo.nospf.test (helo.nospf.test [192.0.2.11]) by mx.example.net (Postfix) with ESMTP id 4AB; Mon, 1 Jan 2024 00:00:00 +0000
            From: carol@nospf.test
            Subject: hi

            hi

            """.utf8)
    }

    func hits(_ scanner: SpamScanner, _ bytes: [UInt8]) async -> Set<String> {
        let (result, _) = await scanner.scan(bytes, network: NetworkScanTests.checks())
        return Set(result.verdict.evaluation.hits.map(\.name))
    }

    @Test func authenticationResultsIsUsed() async {
        let s = Self.scanner("")
        let h = await hits(s, Self.message("Authentication-Results: mx.example.net; dkim=none; spf=pass smtp.mailfrom=carol@nospf.test"))
        #expect(h.contains("SPF_PASS"))
        let helo = await hits(s, Self.message("Received-SPF: fail (mx.example.net: no) identity=helo; client-ip=192.0.2.11"))
        #expect(helo.contains("SPF_HELO_FAIL"))
    }

    @Test func ignoreReceivedSPFHeader() async {
        let h = await hits(Self.scanner("ignore_received_spf_header 1\n"),
                           Self.message("Received-SPF: pass (mx.example.net: ok) identity=mailfrom"))
        #expect(!h.contains("SPF_PASS"))
    }

    @Test func parsesLastSPFMethod() {
        #expect(NetworkChecks.lastSPFMethod("authentication-results: a; dkim=pass; spf = softfail smtp.helo=x") == "softfail smtp.helo=x")
        #expect(NetworkChecks.lastSPFMethod("authentication-results: a; dkim=pass") == nil)
    }
}
