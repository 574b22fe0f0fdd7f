import Foundation
import SwampDNS
import SwampRules
import SwampTestSupport
import Testing
@testable import SwampScan

/// Issue 5: a DNS server that never answers costs a scan no more than its
/// DNS budget, the local rules still decide, and the report says what the
/// network checks could not do (SECURITY.md "always an answer, in time",
/// "fail visible").
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/spamassassin/25_uribl.cf"), "needs SpamAssassin's rules"))
struct DeadDNSTests {
    static let scanner: SpamScanner = {
        var loader = ConfigLoader()
        loader.load(text: """
            loadplugin Mail::SpamAssassin::Plugin::SPF
            loadplugin Mail::SpamAssassin::Plugin::DKIM
            loadplugin Mail::SpamAssassin::Plugin::URIDNSBL
            loadplugin Mail::SpamAssassin::Plugin::DNSEval
            """, file: "dead-dns.pre")
        for f in ["20_dnsbl_tests.cf", "25_spf.cf", "25_dkim.cf", "25_uribl.cf", "50_scores.cf"] {
            loader.load(path: "/usr/share/spamassassin/" + f)
        }
        loader.load(text: """
            use_bayes 0
            body LOCAL_PILLS /cheap pills/i
            score LOCAL_PILLS 3
            header LOCAL_OFFER Subject =~ /\\boffer\\b/
            score LOCAL_OFFER 2.5
            """, file: "dead-dns.cf")
        return SpamScanner(configuration: loader.configuration)
    }()

    static let message = Array("""
        Return-Path: <seller@pills-online.biz>
        Received: from mail.pills-online.biz (mail.pills-online.biz [192.0.2.20]) by mx.example.net (Postfix) with ESMTP id 4AB; Mon, 1 Jan 2024 00:00:00 +0000
        DKIM-Signature: v=1; a=rsa-sha256; d=pills-online.biz; s=sel; h=from; bh=AAAA; b=AAAA
        From: Seller <seller@pills-online.biz>
        To: bob@example.net
        Subject: special offer
        Date: Mon, 1 Jan 2024 00:00:00 +0000
        Message-ID: <dead@pills-online.biz>

        Cheap pills at http://www.pills-online.biz/buy and http://cheap-meds.info/now

        """.utf8)

    /// Each query alone would wait an hour: only the budget ends them. The
    /// bound is far above the budget because other tests running at the
    /// same time can keep the task pool's threads busy for minutes, and the
    /// scan waits for a thread like any task; it is far below the hour a
    /// broken budget would cost (and the time limit ends the test first).
    @Test(.timeLimit(.minutes(15)))
    func deadServerCostsNoMoreThanTheBudget() async throws {
        let server = try await TestDNSServer.start(zone: DNSZone(), dropAll: true)
        let resolver = try LDNSResolver(dnsServers: [server.hostPort], timeout: .seconds(3600), attempts: 1)
        var checks = NetworkChecks(resolver: resolver)
        checks.timeLimit = .seconds(1)
        let start = ContinuousClock.now
        let (result, findings) = await Self.scanner.scan(Self.message, network: checks)
        let elapsed = ContinuousClock.now - start
        await server.stop()

        #expect(elapsed < .seconds(600), "scan took \(elapsed)")
        // Whether any query went out depends on when the pool's threads were
        // free (on a busy machine the budget can end before the first one);
        // the notes below show the checks ran and were cut off.
        let hits = Set(result.verdict.evaluation.hits.map(\.name))
        #expect(hits.isSuperset(of: ["LOCAL_PILLS", "LOCAL_OFFER"]))
        #expect(result.verdict.score >= 5.5)
        #expect(!hits.contains { $0.hasPrefix("URIBL_") || $0.hasPrefix("RCVD_IN_") || $0 == "SPF_PASS" })
        let notes = try #require(findings?.notes)
        #expect(notes.contains { $0.hasPrefix("URIBL ") && ($0.contains("budget") || $0.contains("timeout")) }, "\(notes)")
        #expect(notes.contains { $0.hasPrefix("DNSBL ") }, "\(notes)")
        // The report says so, whatever its template.
        let report = Self.scanner.report(for: result)
        #expect(report.contains("Network check notes:"))
        for note in notes { #expect(report.contains(note)) }
    }

    /// The Received-SPF line reaches the report and the `_RECEIVEDSPF_` tag.
    @Test func receivedSPFInTheReport() async {
        var zone = DNSZone()
        zone.add("pills-online.biz", .txt([Array("v=spf1 ip4:192.0.2.20 -all".utf8)]))
        var checks = NetworkChecks(resolver: StaticResolver(zone: zone))
        checks.timeLimit = .seconds(300)
        let (result, findings) = await Self.scanner.scan(Self.message, network: checks)
        let spf = try? #require(findings?.receivedSPF)
        #expect(spf?.hasPrefix("pass (") == true)
        #expect(Self.scanner.report(for: result).contains("Received-SPF: \(spf ?? "?")"))
        var loader = ConfigLoader()
        loader.load(text: "add_header all Auth _RECEIVEDSPF_\n", file: "t.cf")
        let tagged = SpamScanner(configuration: loader.configuration)
        let (r2, _) = await tagged.scan(Self.message, network: checks)
        #expect(tagged.addedHeaders(for: r2).contains("X-Spam-Auth: pass ("))
        // Without network checks there is nothing to add.
        #expect(!Self.scanner.report(for: Self.scanner.scan(Self.message)).contains("Received-SPF"))
    }
}
