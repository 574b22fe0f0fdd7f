import Foundation
import Testing

/// What an administrator runs the daemon with: the Prometheus endpoint,
/// per-user Bayes databases, the Unix socket's owner and mode.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct OperationsTests {
    /// GET `path` over a plain socket; the server closes after its reply.
    static func httpGet(port: Int, _ path: String, method: String = "GET") throws -> (status: String, body: String) {
        let text = try RawClient.exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts.first?.components(separatedBy: "\r\n").first ?? "", parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// The value of one sample line, `name{labels} value`.
    static func sample(_ page: String, _ series: String) -> Double? {
        for line in page.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static func metricsPort(_ daemon: Daemon) throws -> Int {
        #expect(daemon.waitForLog("metrics on http://"))
        let line = try #require(daemon.log.split(separator: "\n").first { $0.contains("metrics on http://") })
        let address = try #require(line.components(separatedBy: "http://").last?.components(separatedBy: "/").first)
        return try #require(Int(address.split(separator: ":").last ?? ""))
    }

    @Test func metricsCountScansRulesAndErrors() throws {
        let daemon = try Daemon(["--metrics", "127.0.0.1:0"])
        defer { daemon.stop() }
        let port = try Self.metricsPort(daemon)
        let before = try Self.httpGet(port: port, "/metrics")
        #expect(before.status == "HTTP/1.1 200 OK")
        #expect(Self.sample(before.body, "swamp_scans_total{result=\"spam\"}") == 0)

        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]
        #expect(try spamc(at + ["-c"]).status == 1)
        #expect(try spamc(at + ["-c"]).status == 1)
        #expect(try spamc(at + ["-c"], message: Paths.ham).status == 0)
        #expect(try spamc(at + ["-x", "-c", "-u", "../etc"]).status == 74)  // EX_NOUSER
        #expect(daemon.waitForLog("67 User unknown"))

        let page = try Self.httpGet(port: port, "/metrics").body
        #expect(Self.sample(page, "swamp_scans_total{result=\"spam\"}") == 2, "\(page)")
        #expect(Self.sample(page, "swamp_scans_total{result=\"ham\"}") == 1)
        #expect(Self.sample(page, "swamp_rule_hits_total{rule=\"GTUBE\"}") == 2)
        #expect(Self.sample(page, "swamp_errors_total{kind=\"EX_NOUSER\"}") == 1)
        #expect(Self.sample(page, "swamp_scan_duration_seconds_count") == 3)
        #expect(Self.sample(page, "swamp_scan_duration_seconds_bucket{le=\"+Inf\"}") == 3)
        let bytes = Paths.read(Paths.gtube).count * 2 + Paths.read(Paths.ham).count
        #expect(Self.sample(page, "swamp_scanned_bytes_total") == Double(bytes))
        #expect(Self.sample(page, "swamp_scans_in_flight") == 0)
        #expect(Self.sample(page, "swamp_scans_queued") == 0)
        #expect(page.contains("# TYPE swamp_scan_duration_seconds histogram"))

        #expect(try Self.httpGet(port: port, "/other").status == "HTTP/1.1 404 Not Found")
        #expect(try Self.httpGet(port: port, "/metrics", method: "POST").status == "HTTP/1.1 405 Method Not Allowed")
    }

    /// Two requests in, one scanning and one waiting for the only slot. The
    /// scan is held far longer than the wait so a loaded machine (a CI run
    /// starting this test late, its clients later still) cannot let the
    /// first scan end before the second arrives; the test waits on the
    /// daemon's own counters, and the daemon is killed, not drained.
    @Test func metricsShowScansInFlight() throws {
        let daemon = try Daemon(["--metrics", "127.0.0.1:0", "--scan-delay-for-testing", "120000", "--max-children", "1"])
        defer { daemon.stop() }
        let port = try Self.metricsPort(daemon)
        let body = "Subject: hi\r\n\r\nhello\r\n"
        let clients = try (0..<2).map { _ in try RawClient(port: daemon.port) }
        for client in clients {
            #expect(client.send("CHECK SPAMC/1.5\r\nContent-length: \(body.utf8.count)\r\n\r\n\(body)"))
        }
        var page = ""
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            page = try Self.httpGet(port: port, "/metrics").body
            if Self.sample(page, "swamp_scans_queued") == 1, Self.sample(page, "swamp_scans_in_flight") == 2 { break }
            usleep(50_000)
        }
        #expect(Self.sample(page, "swamp_scans_in_flight") == 2, "\(page)")
        #expect(Self.sample(page, "swamp_scans_queued") == 1)
        #expect(Self.sample(page, "swamp_scan_slots_busy") == 1)
    }

    /// A client that resets its connection during its scan still counts
    /// among the open connections until the scan ends: the scan goes on,
    /// and `--max-connections` and a graceful shutdown must see it.
    @Test func aConnectionCountsUntilItsScanEndsThoughItsClientLeft() throws {
        let daemon = try Daemon(["--metrics", "127.0.0.1:0", "--scan-delay-for-testing", "5000"])
        defer { daemon.stop() }
        let port = try Self.metricsPort(daemon)
        func open() throws -> Double? { Self.sample(try Self.httpGet(port: port, "/metrics").body, "swamp_connections_open") }
        do {
            let client = try RawClient(port: daemon.port)
            let body = "Subject: hi\r\n\r\nhello\r\n"
            client.send("CHECK SPAMC/1.5\r\nContent-length: \(body.utf8.count)\r\n\r\n\(body)")
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline,
                  Self.sample(try Self.httpGet(port: port, "/metrics").body, "swamp_scans_in_flight") != 1 {
                usleep(20_000)
            }
            client.resetOnClose()
        }
        usleep(300_000)
        #expect(try open() == 1)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try open() != 0 { usleep(50_000) }
        #expect(try open() == 0)
    }

    /// A configuration whose Bayes answers after one spam and one ham.
    static func quickBayesConfiguration(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("bayes.cf").path
        try """
            rules_dir \(Paths.rules)
            bayes_min_spam_num 1
            bayes_min_ham_num 1

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func perUserBayesForScanning() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let daemon = try Daemon(["--allow-tell", "--user-dbs"], config: try Self.quickBayesConfiguration(in: dir))
        defer { daemon.stop() }
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]
        let spam = Paths.repoRoot.appendingPathComponent("Corpus/spam-sales.eml").path

        func bayesRules(_ user: String, _ message: String) throws -> [String] {
            let r = try spamc(at + ["-u", user, "-y"], message: message)
            return r.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
                .map(String.init).filter { $0.hasPrefix("BAYES_") }
        }
        // Nobody has trained yet: no Bayes for anyone.
        #expect(try bayesRules("alice", spam).isEmpty)

        // alice teaches her own database.
        #expect(try spamc(at + ["-u", "alice", "-L", "spam"], message: spam).out.contains("successfully"))
        #expect(try spamc(at + ["-u", "alice", "-L", "ham"], message: Paths.ham).out.contains("successfully"))

        let alice = try bayesRules("alice", spam)
        #expect(alice.contains("BAYES_99"), "\(alice)")
        #expect(try bayesRules("alice", Paths.ham).contains("BAYES_00"))
        // bob has no database: his scans see none of alice's tokens.
        #expect(try bayesRules("bob", spam).isEmpty)
        #expect(try bayesRules("alice", spam).contains("BAYES_99"))
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to give the socket away"))
    func unixSocketOwnerGroupAndMode() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("swamp.sock").path
        let daemon = try Daemon(["--socket", path, "--socketowner", "nobody", "--socket-group", "nogroup",
                                 "--socket-mode", "660"], listen: [])
        defer { daemon.stop() }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        #expect((attributes[.ownerAccountName] as? String) == "nobody")
        #expect((attributes[.groupOwnerAccountName] as? String) == "nogroup")
        // root still gets in (mode bits do not bind root).
        let r = try spamc(["-U", path, "-c"])
        #expect(r.out == "1000.0/5.0\n")
    }

    @Test func unknownSocketOwnerIsAConfigurationError() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = try #require(Paths.swamp)
        let r = try runProcess(binary, ["serve", "--config", Paths.rules, "--local",
                                        "--socket", dir.appendingPathComponent("s.sock").path,
                                        "--socket-owner", "no-such-user-swamp"])
        #expect(r.status == 78)
        #expect(r.err.contains("no such user"), "\(r.err)")
    }
}
