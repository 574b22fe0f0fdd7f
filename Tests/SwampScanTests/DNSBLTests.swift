import SwampDNS
import SwampRules
import SwampMIME
import Testing
@testable import SwampScan

@Suite struct DNSBLTests {
    @Test(arguments: [
        ("127.0.0.2", "127.0.0.2", true), ("127.0.0.3", "127.0.0.2", false),
        ("127.0.0.4", "^127\\.0\\.0\\.[4567]$", true), ("127.0.0.10", "^127\\.0\\.0\\.[4567]$", false),
        ("127.0.0.12", "4", true), ("127.0.0.8", "4", false), ("10.0.0.4", "4", false),
        ("Blocked - see https://www.spamcop.net/", "(?i:spamcop)", true),
    ])
    func subtests(answer: String, subtest: String, hit: Bool) {
        #expect(DNSBLChecks.matches(answer, subtest: subtest) == hit)
    }

    /// Dns.pm `dnsbl_hit`'s notes for a listing.
    @Test(arguments: [
        ("2.2.0.192.zen.Example.org.", DNSRecordType.a, "127.0.0.2", "192.0.2.2 listed in zen.example.org"),
        ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.v6.example", .a, "127.0.0.2",
         "2001:db8:0:0:0:0:0:1 listed in v6.example"),
        ("spammer.biz.domain.example", .a, "127.0.0.2", "listed in spammer.biz.domain.example"),
        ("2.0.0.192.txt.example", .txt, "Listed, see https://lists.example/q?ip=192.0.2.2 or <http://x.example/>",
         "Listed, see <https://lists.example/q?ip=192.0.2.2> or <http://x.example/>"),
    ])
    func logsListings(name: String, type: DNSRecordType, answer: String, note: String) {
        #expect(DNSBLChecks.logText(question: DNSQuestion(name: name, type: type), answer: answer) == note)
    }

    @Test func ipsPerSet() {
        let relays = Relays(
            trusted: [Relay(ip: "198.51.100.1", isInternal: false)],
            untrusted: [Relay(ip: "192.0.2.1"), Relay(ip: "10.0.0.1"), Relay(ip: "192.0.2.2"), Relay(ip: "192.0.2.1")])
        func ips(_ set: String) -> [String] { DNSBLChecks.ips(for: set, relays: relays).map(\.description) }
        // Private addresses and repeats are dropped; the default order is oldest first.
        #expect(ips("zen") == ["192.0.2.2", "192.0.2.1"])
        #expect(ips("zen-lastexternal") == ["198.51.100.1"])
        #expect(ips("pdl-notfirsthop") == ["198.51.100.1", "192.0.2.1"])
        #expect(ips("iadb-firsttrusted") == ["192.0.2.1"])
        #expect(ips("x-untrusted") == ["192.0.2.2"])
    }
}

/// DNSEval.pm's sender forms: the hosts of the From-like addresses, their
/// domains, the envelope sender and the `rbl_headers` fields in lists.
@Suite struct SenderDNSBLTests {
    static let rules = """
        header RBL_FROM_HOST eval:check_rbl_from_host('fh', 'host.example.')
        header RBL_FROM_DOMAIN eval:check_rbl_from_domain('fd', 'domain.example.', '127.0.0.2')
        header RBL_ENVFROM eval:check_rbl_envfrom('ef', 'env.example.')
        header RBL_HEADERS eval:check_rbl_headers('hd', 'hdr.example.', '127.0.0.2', 'Reply-To,X-Source-IP')
        header RBL_HEADERS_IP eval:check_rbl_headers('hi', 'hdrip.example.', '127.0.0.2', 'X-Source-IP')
        tflags RBL_HEADERS_IP ips_only
        header RBL_HEADERS_DOM eval:check_rbl_headers('hn', 'hdrip.example.', '127.0.0.2', 'Reply-To,X-Source-IP')
        tflags RBL_HEADERS_DOM domains_only

        """

    static let message = Array("""
        Return-Path: <bounce@bounce.spammer.biz>
        From: Seller <seller@mail.spammer.biz>
        Reply-To: orders@reply-here.biz
        X-Source-IP: 192.0.2.77
        To: bob@example.net
        Subject: offer

        hi

        """.utf8)

    func hits(_ zone: DNSZone, extra: String = "") async -> Set<String> {
        var loader = ConfigLoader()
        loader.load(text: Self.rules + extra, file: "sender-rbl.cf")
        let scanner = SpamScanner(configuration: loader.configuration)
        var checks = NetworkChecks(resolver: StaticResolver(zone: zone))
        checks.timeLimit = .seconds(300)
        let (result, _) = await scanner.scan(Self.message, network: checks)
        return Set(result.verdict.evaluation.hits.map(\.name))
    }

    @Test func senderHostsAndDomains() async {
        var z = DNSZone()
        z.add("mail.spammer.biz.host.example", .a([127, 0, 0, 2]))
        z.add("spammer.biz.domain.example", .a([127, 0, 0, 2]))
        z.add("bounce.spammer.biz.env.example", .a([127, 0, 0, 4]))
        z.add("reply-here.biz.hdr.example", .a([127, 0, 0, 2]))
        #expect(await hits(z) == ["RBL_FROM_HOST", "RBL_FROM_DOMAIN", "RBL_ENVFROM", "RBL_HEADERS"])
    }

    @Test func subtestAndFlags() async {
        var z = DNSZone()
        // The domain list answers, but not what the sub-test wants.
        z.add("spammer.biz.domain.example", .a([127, 0, 0, 3]))
        // Only the envelope sender's own host is asked, not the From host.
        z.add("mail.spammer.biz.env.example", .a([127, 0, 0, 2]))
        // An IP field: reversed, and only for the rule that allows IPs.
        z.add("77.2.0.192.hdrip.example", .a([127, 0, 0, 2]))
        #expect(await hits(z) == ["RBL_HEADERS_IP"])
        var names = DNSZone()
        names.add("reply-here.biz.hdrip.example", .a([127, 0, 0, 2]))
        #expect(await hits(names) == ["RBL_HEADERS_DOM"])
    }

    /// A DNS list hit shows in the report as SpamAssassin's Dns.pm puts
    /// it: under "RBL: ", with what was listed below the description.
    @Test func reportShowsListings() async {
        var z = DNSZone()
        z.add("mail.spammer.biz.host.example", .a([127, 0, 0, 2]))
        var loader = ConfigLoader()
        loader.load(text: Self.rules + "score RBL_FROM_HOST 1.5\ndescribe RBL_FROM_HOST From host listed\n",
                    file: "sender-rbl.cf")
        let scanner = SpamScanner(configuration: loader.configuration)
        var checks = NetworkChecks(resolver: StaticResolver(zone: z))
        checks.timeLimit = .seconds(300)
        let (result, _) = await scanner.scan(Self.message, network: checks)
        let hit = result.verdict.evaluation.hits.first { $0.name == "RBL_FROM_HOST" }
        #expect(hit?.area == "RBL: ")
        #expect(hit?.log == ["listed in mail.spammer.biz.host.example"])
        let report = scanner.report(for: result)
        #expect(report.contains(" 1.5 RBL_FROM_HOST          RBL: From host listed\n"
                                + String(repeating: " ", count: 28) + "[listed in mail.spammer.biz.host.example]\n"),
                "\(report)")
    }

    @Test func skipRBLChecks() async {
        var z = DNSZone()
        z.add("mail.spammer.biz.host.example", .a([127, 0, 0, 2]))
        #expect(await hits(z, extra: "skip_rbl_checks 1\n").isEmpty)
    }

    @Test(arguments: [("a@b..example.com.", "b.example.com"), ("a@.x.org", "x.org"), ("nodot@localhost", nil),
                      ("no-at-sign", nil)])
    func addressHosts(address: String, host: String?) {
        #expect(DNSBLChecks.addressHosts([address]) == (host.map { [$0] } ?? []))
    }
}
