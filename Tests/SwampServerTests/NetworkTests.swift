import Foundation
import SwampDNS
import SwampTestSupport
import Testing

/// The network checks in the request path: a daemon whose `dns_server` is
/// the test DNS server on loopback, asked by the real spamc.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct NetworkTests {
    /// ham-plain.eml comes from smtp.example.com [198.51.100.7], envelope
    /// sender alice@example.com.
    static let zone: DNSZone = {
        var z = DNSZone()
        z.add("example.com", .txt([Array("v=spf1 ip4:198.51.100.7 -all".utf8)]))
        z.add("smtp.example.com", .txt([Array("v=spf1 ip4:198.51.100.7 -all".utf8)]))
        z.add("7.100.51.198.bl.example.test", .a([127, 0, 0, 2]))
        return z
    }()

    /// swamp's Rules/ plus SPF and blocklist rules, asking `dns`.
    static func configuration(dns: TestDNSServer, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("network.cf").path
        try """
            rules_dir \(Paths.rules)
            dns_server \(dns.hostPort)
            header SPF_PASS eval:check_for_spf_pass()
            score SPF_PASS -0.001
            header SPF_FAIL eval:check_for_spf_fail()
            score SPF_FAIL 0.9
            header RCVD_IN_TEST_BL eval:check_rbl('testbl', 'bl.example.test.')
            score RCVD_IN_TEST_BL 1.5

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// ham-plain.eml as if relayed from another address.
    static func hamFrom(_ ip: String, in dir: URL) throws -> String {
        let text = String(decoding: Paths.read(Paths.ham), as: UTF8.self)
            .replacingOccurrences(of: "[198.51.100.7]", with: "[\(ip)]")
        let path = dir.appendingPathComponent("ham-\(ip).eml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func spfAndBlocklistThroughSpamc() async throws {
        let dns = try await TestDNSServer.start(zone: Self.zone)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let daemon = try Daemon([], config: try Self.configuration(dns: dns, in: dir), network: true)
        defer { daemon.stop() }
        #expect(daemon.waitForLog("network checks on"))
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]

        // spamc -y prints the rule names that hit.
        let pass = try spamc(at + ["-y"], message: Paths.ham)
        #expect(pass.out.split(separator: ",").contains("SPF_PASS"), "\(pass.out)")
        #expect(pass.out.contains("RCVD_IN_TEST_BL"), "\(pass.out)")
        #expect(!pass.out.contains("SPF_FAIL"))

        let forged = try spamc(at + ["-y"], message: try Self.hamFrom("203.0.113.9", in: dir))
        #expect(forged.out.contains("SPF_FAIL"), "\(forged.out)")
        #expect(!forged.out.contains("RCVD_IN_TEST_BL"))
        #expect(dns.queryCount > 0)

        // The processed message shows the network score set's verdict.
        let processed = try spamc(at, message: Paths.ham)
        #expect(processed.out.contains("RCVD_IN_TEST_BL"))
        await dns.stop()
    }

    @Test func localFlagTurnsTheChecksOff() async throws {
        let dns = try await TestDNSServer.start(zone: Self.zone)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let daemon = try Daemon([], config: try Self.configuration(dns: dns, in: dir))  // --local
        defer { daemon.stop() }
        let r = try spamc(["-d", "127.0.0.1", "-p", "\(daemon.port)", "-y"], message: Paths.ham)
        #expect(r.status == 0)
        #expect(!r.out.contains("SPF_"))
        #expect(dns.queryCount == 0)
        await dns.stop()
    }

    /// While every DNS query goes unanswered, scans wait for DNS without
    /// holding a scan slot: with one slot and six scans stuck on DNS, more
    /// clients still get their verdicts (GTUBE as spam) within the budget.
    /// Were the slot held while waiting, the last of these would wait for
    /// six network budgets in turn, far past its own.
    @Test func dnsThatHangsDelaysNoOtherClient() async throws {
        let dns = try await TestDNSServer.start(zone: Self.zone)
        dns.dropsEveryQuery = true
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let budget = 4.0
        let daemon = try Daemon(["--max-children", "1", "--timeout-child", "\(Int(budget))"],
                                config: try Self.configuration(dns: dns, in: dir), network: true)
        defer { daemon.stop() }
        let port = daemon.port

        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var results: [(name: String, status: Int32, out: String, seconds: Double)] = []
            func add(_ r: (String, Int32, String, Double)) { lock.withLock { results.append(r) } }
        }
        let outcome = Outcome()
        func client(_ name: String, _ message: String) -> Thread {
            Thread {
                let start = Date()
                let r = try? spamc(["-d", "127.0.0.1", "-p", "\(port)", "-c", "-x"], message: message)
                outcome.add((name, r?.status ?? -1, r?.out ?? "", Date().timeIntervalSince(start)))
            }
        }
        var threads = (0..<6).map { client("waiting-\($0)", Paths.ham) }
        threads.forEach { $0.start() }
        usleep(200_000)
        let others = [client("gtube", Paths.gtube), client("ham", Paths.ham)]
        others.forEach { $0.start() }
        threads += others
        let deadline = Date().addingTimeInterval(60)
        while outcome.lock.withLock({ outcome.results.count }) < threads.count && Date() < deadline { usleep(50_000) }

        let results = outcome.lock.withLock { outcome.results }
        #expect(results.count == 8)
        for r in results {
            // A verdict, not an error (spamc -x exits 74 on any error reply),
            // within the budget plus generous room for a loaded machine.
            #expect(r.status == 0 || r.status == 1, "\(r)")
            #expect(r.seconds < budget + 3, "\(r)")
        }
        let gtube = results.first { $0.name == "gtube" }
        #expect(gtube?.out.hasPrefix("1000") == true && gtube?.status == 1, "\(String(describing: gtube))")
        #expect(results.first { $0.name == "ham" }?.status == 0)
        #expect(dns.queryCount >= 8)
        #expect(RawClient.ping(port: port))
        await dns.stop()
    }

    /// Scans waiting for DNS hold no slot, but they count against
    /// `--max-children` plus `--max-queue`: with one slot, a queue of one
    /// and two scans stuck on a DNS server that never answers, a third is
    /// refused at once (EX_TEMPFAIL) instead of joining them, each holding
    /// its message, up to `--max-connections`. The two still get their
    /// verdicts within the budget, and then new scans are let in again.
    @Test func scansWaitingForDNSCountAgainstTheQueue() async throws {
        let dns = try await TestDNSServer.start(zone: Self.zone)
        dns.dropsEveryQuery = true
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Half of it goes to the network checks: the two scans wait 5 s for
        // DNS, time enough to see them there and send the third.
        let budget = 10.0
        let daemon = try Daemon(["--max-children", "1", "--max-queue", "1", "--timeout-child", "\(Int(budget))",
                                 "--metrics", "127.0.0.1:0"],
                                config: try Self.configuration(dns: dns, in: dir), network: true)
        defer { daemon.stop() }
        let port = daemon.port
        let metricsPort = try OperationsTests.metricsPort(daemon)
        func gauges(_ names: String...) -> [Double?] {
            let page = (try? OperationsTests.httpGet(port: metricsPort, "/metrics"))?.body ?? ""
            return names.map { OperationsTests.sample(page, $0) }
        }
        let ham = [UInt8](Paths.read(Paths.ham))
        let request = Array("CHECK SPAMC/1.5\r\nContent-length: \(ham.count)\r\n\r\n".utf8) + ham

        let replies = Texts()
        let start = Date()
        let waiting = (0..<2).map { _ in
            Thread { replies.append((try? RawClient.exchange(port: port, request)) ?? "connect failed") }
        }
        waiting.forEach { $0.start() }
        // Both in, neither holding the slot nor queued for it: both wait for DNS.
        let settle = Date().addingTimeInterval(10)
        var settled = 0
        while settled < 2 && Date() < settle {
            let bothOnDNS = gauges("swamp_scans_in_flight", "swamp_scan_slots_busy", "swamp_scans_queued") == [2, 0, 0]
            settled = bothOnDNS ? settled + 1 : 0
            usleep(50_000)
        }
        #expect(settled == 2, "the two scans did not reach their network checks")
        #expect(gauges("swamp_scans_admitted") == [2])

        let third = Date()
        let refused = try RawClient.exchange(port: port, request)
        #expect(refused.hasPrefix("SPAMD/1.0 75 Service Unavailable: (server busy"), "\(refused)")
        #expect(Date().timeIntervalSince(third) < 1.5)
        #expect(replies.all.isEmpty, "the first two were answered before the third was refused")

        let deadline = Date().addingTimeInterval(budget + 10)
        while replies.all.count < 2 && Date() < deadline { usleep(50_000) }
        let verdicts = replies.all
        #expect(verdicts.count == 2 && verdicts.allSatisfy { $0.hasPrefix("SPAMD/1.1 0 EX_OK") }, "\(verdicts)")
        #expect(Date().timeIntervalSince(start) < budget + 4)
        // Retired with their tasks: a new scan is admitted (and, DNS
        // answering again, is quick about it).
        dns.dropsEveryQuery = false
        let gtube = [UInt8](Paths.read(Paths.gtube))
        let after = try RawClient.exchange(port: port, Array("CHECK SPAMC/1.5\r\nContent-length: \(gtube.count)\r\n\r\n".utf8) + gtube)
        #expect(after.hasPrefix("SPAMD/1.1 0 EX_OK\r\nSpam: True"), "\(after)")
        #expect(gauges("swamp_scans_admitted") == [0])
        await dns.stop()
    }
}
