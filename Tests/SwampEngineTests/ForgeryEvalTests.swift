import Testing
@testable import SwampEngine
import SwampRegex

/// The forged-Received evals (ForgeryEvals.swift) on hand-written
/// messages; the stock rules that call them are compared with SpamAssassin
/// on the corpus by `sameEvalHits`.
@Suite struct ForgeryEvalTests {
    let config = """
    header AOL       eval:check_for_fake_aol_relay_in_rcvd()
    header GATED     eval:gated_through_received_hdr_remover()
    header GMAIL     eval:check_for_forged_gmail_received_headers()
    header YAHOO     eval:check_for_forged_yahoo_received_headers()
    header HOTMAIL   eval:check_for_forged_hotmail_received_headers()
    header NOHOTMAIL eval:check_for_no_hotmail_received_headers()
    header JUNO      eval:check_for_forged_juno_received_headers()
    header TRAIL     eval:check_for_forged_received_trail()
    header IPHELO    eval:check_for_forged_received_ip_helo()
    header RATWARE   eval:check_ratware_envelope_from()
    header DOTCOM    eval:check_for_no_rdns_dotcom_helo()
    """

    /// A hop from `rdns` at `ip` that said HELO `helo`, received by `by`.
    func hop(_ helo: String, _ rdns: String, _ ip: String, by: String) -> String {
        "Received: from \(helo) (\(rdns) [\(ip)])\n\tby \(by) (Postfix) with ESMTP id 4A1B2C3D4E;\n\tMon, 2 Nov 2026 10:00:00 +0000"
    }

    /// RelayEval.pm `hostname_to_domain`, as Perl's split and join read it.
    @Test(arguments: [
        ("mail.example.com", "example.com"), ("a.b.c.d.fr", "d.fr"), ("a.b.c.uk", "b.c.uk"), ("x.co.uk", "x.co.uk"),
        ("10.0.0.1", "10.0.0.1"), ("host", "host"), ("a.b.", "a.b."), (".com", ".com"), ("a..b.uk", ".b.uk"),
        ("x..y.com", "y.com"), ("mx.mail.example.com...", "example.com"), ("a.b.c.ie", "c.ie"), ("z.a.b.xd e", "a.b.xd e"),
    ])
    func hostDomains(host: String, domain: String) {
        #expect(ForgeryEvals.hostDomain(host) == domain)
    }

    @Test func fakeAOLRelays() {
        let fake = hop("x", "a.example.org", "198.51.100.7", by: "rly-xa01.mx.aol.com")
        #expect(hits(config, message([fake, "From: a@example.org"])) == ["AOL"])
        let real = "Received: from x (a.example.org [198.51.100.7]) by rly-ip01.mx.aol.com (8.8.8/8.8.8/AOL-5.0.0) with ESMTP id NAA08955; Mon, 2 Nov 2026 10:00:00 +0000"
        #expect(hits(config, message([real, "From: a@example.org"])).isEmpty)
    }

    @Test func noReceivedHeadersAtAll() {
        #expect(hits(config, message(["From: a@example.org"])) == ["GATED"])
        // And the provider checks then stand aside.
        #expect(hits(config, message(["From: a@yahoo.com"])) == ["GATED"])
        #expect(hits(config, message(["From: a@gmail.com"])) == ["GATED", "GMAIL"])
    }

    @Test func providersWithoutTheirOwnHops() {
        let other = hop("mail.example.org", "mail.example.org", "198.51.100.7", by: "mx.example.net")
        #expect(hits(config, message([other, "From: a@yahoo.com"])) == ["YAHOO"])
        let web = "Received: from [198.51.100.7] by web123.mail.ne1.yahoo.com via HTTP; Mon, 2 Nov 2026 10:00:00 +0000"
        #expect(hits(config, message([other, web, "From: a@yahoo.com"])).isEmpty)

        #expect(hits(config, message([other, "From: a@gmail.com"])) == ["GMAIL"])
        #expect(hits(config, message([other, "X-Received: by 10.20.30.40 with SMTP id abc123; Mon, 2 Nov 2026", "From: a@gmail.com"])).isEmpty)

        #expect(hits(config, message([other, "From: a@hotmail.com"])) == ["NOHOTMAIL"])
        let claims = hop("hotmail.com", "mail.example.org", "198.51.100.7", by: "mx.example.net")
        #expect(hits(config, message([claims, "From: a@example.org"])) == ["HOTMAIL"])
        let own = "Received: from hotmail.com (bay1.hotmail.com [65.54.1.2]) by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000"
        #expect(hits(config, message([own, "X-Originating-IP: [198.51.100.9]", "From: a@hotmail.com"])).isEmpty)

        // Juno without X-Originating-IP is always counted forged.
        #expect(hits(config, message([other, "From: a@juno.com"])) == ["JUNO"])
    }

    @Test func hopsThatDoNotFollowEachOther() {
        // Each hop's `by` should be the previous (upper) hop's sender.
        let chain = [
            hop("a.example.org", "a.example.org", "198.51.100.1", by: "mx.example.net"),
            hop("b.example.com", "b.example.com", "198.51.100.2", by: "relay.example.org"),
            hop("c.example.info", "c.example.info", "198.51.100.3", by: "relay.example.com"),
        ]
        #expect(hits(config, message(chain + ["From: a@example.org"])).isEmpty)
        let forged = [chain[0], hop("b.example.com", "b.example.com", "198.51.100.2", by: "relay.example.biz"),
                      hop("c.example.info", "c.example.info", "198.51.100.3", by: "relay.example.biz")]
        #expect(hits(config, message(forged + ["From: a@example.org"])) == ["TRAIL"])
        // HELO with an address of another /16 than the connection's.
        let ipHelo = hop("203.0.113.5", "a.example.org", "198.51.100.1", by: "mx.example.net")
        #expect(hits(config, message([ipHelo, "From: a@example.org"])) == ["IPHELO"])
    }

    @Test func dotcomHeloWithoutReverseDNS() {
        // Postfix always looks names up: "unknown" means there was none.
        let postfix = "Received: from mx1.aol.com (unknown [198.51.100.7])\n\tby mx.example.net (Postfix) with ESMTP id 4A1B2C3D4E;\n\tMon, 2 Nov 2026 10:00:00 +0000"
        #expect(hits(config, message([postfix, "From: a@example.org"])) == ["DOTCOM"])
        let named = "Received: from mx1.aol.com (host.example.org [198.51.100.7])\n\tby mx.example.net (Postfix) with ESMTP id 4A1B2C3D4E;\n\tMon, 2 Nov 2026 10:00:00 +0000"
        #expect(hits(config, message([named, "From: a@example.org"])).isEmpty)
        let plain = "Received: from mx1.example.org (unknown [198.51.100.7])\n\tby mx.example.net (Postfix) with ESMTP id 4A1B2C3D4E;\n\tMon, 2 Nov 2026 10:00:00 +0000"
        #expect(hits(config, message([plain, "From: a@example.org"])).isEmpty)
        // A shape that does not say whether names were looked up.
        let bare = "Received: from mx1.aol.com ([198.51.100.7]) by mx.example.net with SMTP; Mon, 2 Nov 2026 10:00:00 +0000"
        #expect(!hits(config, message([bare, "From: a@example.org"])).contains("DOTCOM"))
    }

    @Test func envelopeSenderBuiltFromTheRecipient() {
        // Return-Path counts as the envelope sender when no untrusted hop
        // could have forged it (here: no hop at all, so GATED too).
        #expect(hits(config, message(["Return-Path: <example.com.bob@example.org>", "To: bob@example.com", "From: a@example.org"]))
                    == ["RATWARE", "GATED"])
        #expect(hits(config, message(["Return-Path: <alice@example.org>", "To: bob@example.com", "From: a@example.org"])) == ["GATED"])
        #expect(hits(config, message(["Return-Path: <SRS0=example.com.bob@example.org>", "To: bob@example.com", "From: a@example.org"]))
                    == ["GATED"])
    }
}

@Suite struct EvalMemoTests {
    @Test func eachResultIsWorkedOutOnceNilIncluded() {
        let memo = EvalMemo(scratch: MatchScratch())
        var calls = 0
        func none() -> [String]? { calls += 1; return nil }
        #expect(memo.value("k", none) == nil)
        #expect(memo.value("k", none) == nil)
        #expect(calls == 1)
        #expect(memo.value("t") { (a: 1, b: 2) }.b == 2)
        #expect(memo.value("t") { (a: 5, b: 6) }.a == 1)
    }
}
