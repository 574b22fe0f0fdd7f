import Foundation
import SwampDNS
import SwampEngine
import SwampMIME
import SwampRules
import SwampTestSupport
import Testing
@testable import SwampScan

@Suite struct DNSListSubtestTests {
    @Test(arguments: [
        // A single number: a bit mask over answers inside 127.0.0.0/8.
        ("2", "127.0.0.2", true, true), ("2", "127.0.0.6", true, true), ("2", "127.0.0.4", true, false),
        ("2", "10.0.0.2", true, false), ("0x10", "127.0.0.16", true, true),
        // A dotted quad: that address only.
        ("127.0.1.2", "127.0.1.2", true, true), ("127.0.1.2", "127.0.1.3", true, false),
        // Ranges and value/mask pairs, with no 127/8 condition.
        ("127.0.1.20-127.0.1.39", "127.0.1.25", true, true), ("127.0.1.20-127.0.1.39", "127.0.1.40", true, false),
        ("127.0.1.0/255.255.255.0", "127.0.1.77", true, true), ("127.0.1.0/255.255.255.0", "127.0.2.1", true, false),
        ("0.0.0.16/0.0.0.16", "10.0.0.16", true, true),
        // A TXT answer is not a number; it matches only the canonical text.
        ("2", "127.0.0.2", false, false), ("2", "2", false, true),
    ])
    func matches(subtest: String, answer: String, isAddress: Bool, hit: Bool) throws {
        let s = try #require(DNSListSubtest(subtest))
        #expect(s.matches(answer, isAddress: isAddress) == hit)
    }

    @Test(arguments: ["", "x", "1-", "-1", "0x", "0x123456789", "12345678901", "127.0.0.256", "1/2/3", "1.2.3"])
    func rejects(_ spec: String) {
        #expect(DNSListSubtest(spec) == nil)
    }
}

/// A resolver over a zone that remembers the questions it was asked.
final class RecordingResolver: DNSResolver, @unchecked Sendable {
    let zone: DNSZone
    private let lock = NSLock()
    private var log: [String] = []
    init(zone: DNSZone) { self.zone = zone }
    var questions: [String] { lock.withLock { log } }

    func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant?) async throws(DNSError) -> DNSResponse {
        lock.withLock { log.append("\(type) \(name.lowercased())") }
        return try await StaticResolver(zone: zone).query(name, type, deadline: deadline)
    }
}

/// SpamAssassin's URI blocklist rules (25_uribl.cf, with the scores of
/// 50_scores.cf) against a zone that lists some of a message's hosts.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/spamassassin/25_uribl.cf"), "needs SpamAssassin's rules"))
struct URIBLTests {
    static func scanner(_ extra: String = "") -> SpamScanner {
        var loader = ConfigLoader()
        loader.load(text: "loadplugin Mail::SpamAssassin::Plugin::URIDNSBL\n", file: "uribl-test.pre")
        loader.load(path: "/usr/share/spamassassin/25_uribl.cf")
        loader.load(path: "/usr/share/spamassassin/50_scores.cf")
        loader.load(text: "use_bayes 0\n" + extra, file: "uribl-test.cf")
        return SpamScanner(configuration: loader.configuration)
    }

    static let zone: DNSZone = {
        var z = DNSZone()
        // URI domains and hosts in the right-hand-side lists.
        z.add("pills-online.biz.multi.uribl.com", .a([127, 0, 0, 2]))
        z.add("redlisted.biz.multi.uribl.com", .a([127, 0, 0, 8]))
        z.add("www.dbl-listed.biz.dbl.spamhaus.org", .a([127, 0, 1, 2]))
        z.add("trimmed.biz.dbl.spamhaus.org", .a([127, 0, 1, 2]))
        z.add("cheap-meds.info.multi.surbl.org", .a([127, 0, 0, 16]))
        // Skipped domains and addresses, listed all the same.
        z.add("example.com.multi.uribl.com", .a([127, 0, 0, 2]))
        z.add("99.2.0.198.multi.uribl.com", .a([127, 0, 0, 2]))
        z.add("99.2.0.198.dbl.spamhaus.org", .a([127, 0, 1, 2]))
        // A domain whose name server sits on a listed address (URIBL_SBL),
        // and a host that does itself (URIBL_SBL_A).
        z.add("bad-ns.biz", .ns("ns1.bulk-hosting.biz"))
        z.add("ns1.bulk-hosting.biz", .a([192, 0, 2, 53]))
        z.add("53.2.0.192.zen.spamhaus.org", .a([127, 0, 0, 2]))
        z.add("www.bad-host.biz", .a([192, 0, 2, 54]))
        z.add("54.2.0.192.zen.spamhaus.org", .a([127, 0, 0, 2]))
        z.add("good-ns.biz", .ns("ns1.clean-dns.biz"))
        z.add("ns1.clean-dns.biz", .a([192, 0, 2, 55]))
        return z
    }()

    static func message(_ body: String, html: Bool = false) -> [UInt8] {
        Array("""
            From: seller@shop.test
            To: bob@example.net
            Subject: offer
            Date: Mon, 1 Jan 2024 00:00:00 +0000
            Message-ID: <u@shop.test>
            MIME-Version: 1.0
            Content-Type: \(html ? "text/html" : "text/plain"); charset=us-ascii

            \(body)

            """.utf8)
    }

    func scan(_ body: String, html: Bool = false, scanner: SpamScanner = URIBLTests.scanner(),
              resolver: any DNSResolver = StaticResolver(zone: URIBLTests.zone)) async -> (hits: Set<String>, findings: NetworkFindings?) {
        var checks = NetworkChecks(resolver: resolver)
        checks.timeLimit = .seconds(300)
        checks.lookupRDNS = false
        let (result, findings) = await scanner.scan(Self.message(body, html: html), network: checks)
        return (Set(result.verdict.evaluation.hits.map(\.name)), findings)
    }

    @Test func listedDomainsHitTheirRules() async {
        let (h, _) = await scan("Buy at http://www.pills-online.biz/now and http://cheap-meds.info/x")
        #expect(h.isSuperset(of: ["URIBL_BLACK", "URIBL_MW_SURBL"]))
        #expect(h.isDisjoint(with: ["URIBL_GREY", "URIBL_RED", "URIBL_DBL_SPAM", "URIBL_SBL"]))
    }

    @Test func subtestsPickTheAnswer() async {
        let (h, _) = await scan("See http://redlisted.biz/")
        #expect(h.contains("URIBL_RED"))
        #expect(!h.contains("URIBL_BLACK"))
    }

    /// The DBL rules carry `tflags notrim`: the host is asked as written.
    @Test func notrimAsksTheFullHost() async {
        #expect(await scan("http://www.dbl-listed.biz/a").hits.contains("URIBL_DBL_SPAM"))
        #expect(!(await scan("http://www.trimmed.biz/a").hits.contains("URIBL_DBL_SPAM")))
        #expect(await scan("http://trimmed.biz/a").hits.contains("URIBL_DBL_SPAM"))
    }

    /// An IP host goes to the lists reversed, except `domains_only` ones.
    @Test func addressHostsAndDomainsOnly() async {
        let (h, _) = await scan("http://198.0.2.99/login")
        #expect(h.contains("URIBL_BLACK"))
        #expect(!h.contains("URIBL_DBL_SPAM"))
    }

    @Test func nameServerAndHostAddresses() async {
        let ns = await scan("http://www.bad-ns.biz/")
        #expect(ns.hits.isSuperset(of: ["URIBL_SBL", "URIBL_SBL_A"]))
        let host = await scan("http://www.bad-host.biz/")
        #expect(host.hits.contains("URIBL_SBL_A"))
        #expect(!host.hits.contains("URIBL_SBL"))
        let clean = await scan("http://good-ns.biz/")
        #expect(clean.hits.isDisjoint(with: ["URIBL_SBL", "URIBL_SBL_A"]))
    }

    /// What a hit shows under its rule in the report, as URIDNSBL.pm
    /// logs it: the name or address asked, after the name an address was
    /// found by (a name server's, or the URI host's own).
    @Test(arguments: [
        ("Buy at http://www.pills-online.biz/now", "URIBL_BLACK", ["URI: pills-online.biz"]),
        ("http://www.dbl-listed.biz/a", "URIBL_DBL_SPAM", ["URI: www.dbl-listed.biz"]),
        ("http://198.0.2.99/login", "URIBL_BLACK", ["URI: 198.0.2.99"]),
        ("http://www.bad-ns.biz/", "URIBL_SBL", ["URI: ns1.bulk-hosting.biz/192.0.2.53"]),
        ("http://www.bad-host.biz/", "URIBL_SBL_A", ["URI: www.bad-host.biz/192.0.2.54"]),
    ])
    func hitsNoteWhatWasListed(body: String, rule: String, notes: [String]) async {
        var checks = NetworkChecks(resolver: StaticResolver(zone: Self.zone))
        checks.timeLimit = .seconds(300)
        checks.lookupRDNS = false
        let (result, _) = await Self.scanner().scan(Self.message(body), network: checks)
        let hit = result.verdict.evaluation.hits.first { $0.name == rule }
        #expect(hit?.log == notes)
        #expect(hit?.area == "")
    }

    @Test func htmlLinksCount() async {
        #expect(await scan("<html><body><a href=\"http://pills-online.biz/x\">click</a></body></html>", html: true)
            .hits.contains("URIBL_BLACK"))
    }

    /// `uridnsbl_skip_domain` (example.com is in 25_uribl.cf's list) and
    /// private addresses are never asked about; neither are mailto: hosts.
    @Test func skippedHostsAreNotLookedUp() async {
        let recorder = RecordingResolver(zone: Self.zone)
        let (h, _) = await scan("http://www.example.com/ http://10.1.2.3/ mailto:x@pills-online.biz", resolver: recorder)
        #expect(!h.contains("URIBL_BLACK"))
        #expect(!recorder.questions.contains { $0.contains("example.com") || $0.contains("10.1.2.3") || $0.contains("3.2.1.10") || $0.contains("pills-online") },
                "\(recorder.questions)")
        let skipMailtoOff = Self.scanner("uridnsbl_skip_mailto 0\n")
        #expect(await scan("mailto:x@pills-online.biz", scanner: skipMailtoOff).hits.contains("URIBL_BLACK"))
    }

    @Test func maxDomainsBoundsTheLookups() async {
        let recorder = RecordingResolver(zone: Self.zone)
        let (h, findings) = await scan("http://first-host.biz/ http://pills-online.biz/ http://third-host.biz/",
                                       scanner: Self.scanner("uridnsbl_max_domains 1\n"), resolver: recorder)
        #expect(!h.contains("URIBL_BLACK"))
        #expect(!recorder.questions.contains { $0.contains("pills-online") || $0.contains("third-host") })
        #expect(recorder.questions.contains { $0.hasPrefix("A first-host.biz.") })
        #expect(findings?.notes.contains { $0.contains("2 more URI hosts") } == true)
    }

    /// Each question is asked once, whatever the number of rules and
    /// links needing it.
    @Test func questionsAreAskedOnce() async {
        let recorder = RecordingResolver(zone: Self.zone)
        _ = await scan("http://www.bad-ns.biz/ http://bad-ns.biz/x http://www.bad-ns.biz/y", resolver: recorder)
        let q = recorder.questions
        #expect(q.count == Set(q).count, "\(q.sorted())")
        #expect(q.contains("NS bad-ns.biz"))
        #expect(q.contains("A 53.2.0.192.zen.spamhaus.org"))
    }

    /// A list is asked only for a rule that can score: one with a `body`
    /// line and a score other than 0.
    @Test(arguments: [("body LOCAL_Z eval:check_uridnsbl('LOCAL_Z')\n", true),
                      ("body LOCAL_Z eval:check_uridnsbl('LOCAL_Z')\nscore LOCAL_Z 0\n", false),
                      ("", false)])
    func rulesWithoutScoreAreNotLookedUp(definition: String, asked: Bool) async {
        let recorder = RecordingResolver(zone: Self.zone)
        _ = await scan("http://pills-online.biz/", scanner: Self.scanner("urirhssub LOCAL_Z only.example. A 2\n" + definition),
                       resolver: recorder)
        #expect(recorder.questions.contains("A pills-online.biz.only.example") == asked)
    }

    @Test func skipURIBLChecks() async {
        let none = RecordingResolver(zone: Self.zone)
        _ = await scan("http://pills-online.biz/", scanner: Self.scanner("skip_uribl_checks 1\n"), resolver: none)
        #expect(!none.questions.contains { $0.contains("uribl") || $0.contains("spamhaus") || $0.contains("surbl") })
    }

    /// Without a sub-test, an A answer outside 127/8 lists nothing; a TXT
    /// answer lists the name.
    @Test func customListsWithoutSubtest() async {
        var z = Self.zone
        z.add("pills-online.biz.rhs.example", .a([10, 0, 0, 1]))
        z.add("pills-online.biz.txt.example", .txt([Array("listed".utf8)]))
        let s = Self.scanner("""
            urirhsbl LOCAL_RHS_A rhs.example. A
            body LOCAL_RHS_A eval:check_uridnsbl('LOCAL_RHS_A')
            urirhsbl LOCAL_RHS_TXT txt.example. TXT
            body LOCAL_RHS_TXT eval:check_uridnsbl('LOCAL_RHS_TXT')
            urinsrhsbl LOCAL_NS ns.example. A
            body LOCAL_NS eval:check_uridnsbl('LOCAL_NS')
            urifullnsrhssub LOCAL_FULLNS ns.example. A 127.0.0.3
            body LOCAL_FULLNS eval:check_uridnsbl('LOCAL_FULLNS')

            """)
        let (h, _) = await scan("http://pills-online.biz/", scanner: s, resolver: StaticResolver(zone: z))
        #expect(h.contains("LOCAL_RHS_TXT"))
        #expect(!h.contains("LOCAL_RHS_A"))
        // Name server lists: the registrable domain, or the full name.
        z.add("bulk-hosting.biz.ns.example", .a([127, 0, 0, 2]))
        z.add("ns1.bulk-hosting.biz.ns.example", .a([127, 0, 0, 3]))
        let ns = await scan("http://bad-ns.biz/", scanner: s, resolver: StaticResolver(zone: z)).hits
        #expect(ns.isSuperset(of: ["LOCAL_NS", "LOCAL_FULLNS"]))
    }

    /// A list that fails is a note, not a failed scan; the rest still hit.
    @Test func failuresBecomeNotes() async {
        var z = Self.zone
        z.add("pills-online.biz.dbl.spamhaus.org", .serverFailure)
        let (h, findings) = await scan("http://pills-online.biz/", resolver: StaticResolver(zone: z))
        #expect(h.contains("URIBL_BLACK"))
        #expect(findings?.notes.contains("URIBL dbl.spamhaus.org: DNS server failure (rcode 2)") == true, "\(findings?.notes ?? [])")
    }

    /// The URI lists have a share of the message's DNS budget, and notes
    /// say what it left out.
    @Test func budgetBoundsTheLookups() async {
        let recorder = RecordingResolver(zone: Self.zone)
        var checks = NetworkChecks(resolver: recorder)
        checks.timeLimit = .seconds(300)
        checks.maxURIBLQueriesPerMessage = 3
        let body = (1...20).map { "http://host\($0).biz/" }.joined(separator: " ")
        let (_, findings) = await Self.scanner().scan(Self.message(body), network: checks)
        // Without relays or signatures, every question asked is a URI one.
        #expect(recorder.questions.count == 3, "\(recorder.questions)")
        #expect(findings?.notes.contains { $0.contains("budget exhausted") } == true)
    }
}

/// Answers some names, fails others (a budget run out, a network error),
/// after a suspension, as a real resolver does.
struct HalfFailingResolver: DNSResolver {
    func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant?) async throws(DNSError) -> DNSResponse {
        await Task.yield()
        if name.hasPrefix("7") { throw .budgetExhausted }
        if name.hasPrefix("3") { throw .network("unreachable \(name)") }
        return DNSResponse(status: .nxDomain, records: [], ttl: 60)
    }
}

@Suite struct URIBLConcurrencyTests {
    /// Many questions at once, a third of them failing, from several scans
    /// in parallel; every question must come back with its own outcome.
    /// The daemon crashed on freed memory here (within a few hundred
    /// messages, against a resolver that dropped some questions) when a
    /// failing query's question was put into its result pair around the
    /// `try await`. That was the optimiser's code: this debug build cannot
    /// show it, `bench/release-smoke.sh` (the README's test command) can.
    @Test func failingQueriesKeepTheirQuestions() async {
        let rounds = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var checked = 0
                    for round in 0..<150 {
                        let questions = Set((0..<(round % 40 + 1)).map {
                            DNSQuestion(name: "\($0 % 10)-\(worker)-\(round).multi.example", type: .a)
                        })
                        let answers = await URIBLChecks.ask(questions, resolver: HalfFailingResolver())
                        guard answers.count == questions.count else { return -1 }
                        for (q, r) in answers {
                            switch (q.name.first, r) {
                            case ("7", .failure(.budgetExhausted)), ("3", .failure(.network)): break
                            case (let c, .success([])) where c != "7" && c != "3": break
                            default: return -1
                            }
                        }
                        checked += 1
                    }
                    return checked
                }
            }
            var all: [Int] = []
            for await n in group { all.append(n) }
            return all
        }
        #expect(rounds == Array(repeating: 150, count: 8))
    }
}
