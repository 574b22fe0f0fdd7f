import CZlib
import Foundation
import Testing

/// SECURITY.md's protocol attacks over a real socket: each gets its error
/// reply, and the daemon keeps answering other clients.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct AbuseTests {
    let daemon: Daemon

    init() throws {
        daemon = try Daemon(["--max-size", "1000000", "--max-inflated-size", "1000000",
                             "--idle-timeout", "1", "--timeout-tcp", "3"])
    }

    var port: Int { daemon.port }
    let gtube = [UInt8](Paths.read(Paths.gtube))

    func check(_ body: [UInt8], headers: String = "") -> [UInt8] {
        Array("CHECK SPAMC/1.5\r\nContent-length: \(body.count)\r\n\(headers)\r\n".utf8) + body
    }

    @Test func contentLengthShorterThanSent() throws {
        // Claims 10 bytes, sends the whole message: bytes after the body.
        let request = Array("CHECK SPAMC/1.5\r\nContent-length: 10\r\n\r\n".utf8) + gtube
        let reply = try RawClient.exchange(port: port, request)
        #expect(reply.hasPrefix("SPAMD/1.0 76 Bad header line: (Content-Length mismatch"))
        #expect(RawClient.ping(port: port))
    }

    @Test func contentLengthLongerThanSent() throws {
        let request = Array("CHECK SPAMC/1.5\r\nContent-length: \(gtube.count + 100)\r\n\r\n".utf8) + gtube
        let reply = try RawClient.exchange(port: port, request)
        #expect(reply == "SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected \(gtube.count + 100) bytes, got \(gtube.count) bytes)\r\n")
        #expect(RawClient.ping(port: port))
    }

    @Test func contentLengthOverTheLimit() throws {
        let reply = try RawClient.exchange(port: port, "CHECK SPAMC/1.5\r\nContent-length: 999999999999\r\n\r\n")
        #expect(reply.hasPrefix("SPAMD/1.0 98 Message too big"))
        let negative = try RawClient.exchange(port: port, "CHECK SPAMC/1.5\r\nContent-length: -5\r\n\r\n")
        #expect(negative.hasPrefix("SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric bytes)"))
    }

    @Test func clientStillSendingGetsTheErrorReplyNotAReset() throws {
        // Declares 2 MB (over the 1 MB limit) and sends all of it before
        // reading, as spamc does: the reply must survive the close.
        let body = [UInt8](repeating: 65, count: 2_000_000)
        let reply = try RawClient.exchange(port: port, Array("CHECK SPAMC/1.5\r\nContent-length: \(body.count)\r\n\r\n".utf8) + body)
        #expect(reply == "SPAMD/1.0 98 Message too big: (over the limit of 1000000 bytes)\r\n")
    }

    @Test func headerFlood() throws {
        var request = "CHECK SPAMC/1.5\r\n"
        for i in 0..<2000 { request += "X-Flood-\(i): yes\r\n" }
        let reply = try RawClient.exchange(port: port, request + "\r\n")
        #expect(reply == "SPAMD/1.0 76 Bad header line: (too many headers)\r\n")
        let longLine = try RawClient.exchange(port: port, "CHECK SPAMC/1.5\r\nX-Long: " + String(repeating: "a", count: 100_000) + "\r\n\r\n")
        #expect(longLine.hasPrefix("SPAMD/1.0 76 Bad header line: (header line longer than"))
        #expect(RawClient.ping(port: port))
    }

    @Test func zlibBodyIsInflatedAndScanned() throws {
        let compressed = deflate(gtube)
        let reply = try RawClient.exchange(port: port, check(compressed, headers: "Compress: zlib\r\n"))
        #expect(reply == "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1000.0 / 5.0\r\n\r\n")
    }

    @Test func zlibBombStopsAtTheCap() throws {
        // 64 MB of zeros compresses to about 64 KB; the cap is 1 MB.
        let bomb = deflate([UInt8](repeating: 0, count: 64 * 1024 * 1024))
        #expect(bomb.count < 1_000_000)
        let start = Date()
        let reply = try RawClient.exchange(port: port, check(bomb, headers: "Compress: zlib\r\n"))
        #expect(reply == "SPAMD/1.0 98 Message too big: (Compress: zlib body inflates to over 1000000 bytes)\r\n")
        #expect(Date().timeIntervalSince(start) < 5)
        let garbage = try RawClient.exchange(port: port, check(Array("not zlib at all".utf8), headers: "Compress: zlib\r\n"))
        #expect(garbage.hasPrefix("SPAMD/1.0 65 Bad header line: (Compress: zlib body does not inflate"))
        #expect(RawClient.ping(port: port))
    }

    @Test func slowClientIsTimedOutWhileOthersAreServed() throws {
        // A byte every 300 ms never trips the 1 s idle timeout, but the
        // whole request must arrive within 3 s.
        let slow = try RawClient(port: port)
        let started = Date()
        let request = Array("CHECK SPAMC/1.5\r\nContent-length: 100000\r\n\r\n".utf8)
        let trickle = Thread {
            for byte in request + [UInt8](repeating: 65, count: 100) {
                if !slow.send([byte]) { return }
                usleep(300_000)
            }
        }
        trickle.start()
        // Meanwhile other clients get their answers at once.
        for _ in 0..<3 {
            let t = Date()
            let reply = try RawClient.exchange(port: port, check(gtube))
            #expect(reply.hasPrefix("SPAMD/1.1 0 EX_OK\r\nSpam: True"))
            #expect(Date().timeIntervalSince(t) < 2)
        }
        let reply = slow.receiveText()
        #expect(reply == "SPAMD/1.0 79 Timeout: (3 second socket timeout reading input from client)\r\n")
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed > 2.5 && elapsed < 6)
    }

    @Test func idleClientIsTimedOut() throws {
        let idle = try RawClient(port: port)
        idle.send("CHECK SPAMC/1.5\r\n")
        let start = Date()
        let reply = idle.receiveText()
        #expect(reply == "SPAMD/1.0 79 Timeout: (1 second socket timeout reading input from client)\r\n")
        #expect(Date().timeIntervalSince(start) < 3)
    }

    @Test func unknownCommandAndVersion() throws {
        let reply = try RawClient.exchange(port: port, "FROB SPAMC/1.5\r\n\r\n")
        #expect(reply == "SPAMD/1.0 76 Bad header line: FROB SPAMC/1.5\r\n")
        let version = try RawClient.exchange(port: port, "PING SPAMC/9.9\r\n\r\n")
        #expect(version.hasPrefix("SPAMD/1.0 76 Bad header line: (unsupported protocol version"))
        let binary = try RawClient.exchange(port: port, [0, 1, 2, 255, 13, 10, 13, 10])
        #expect(binary.hasPrefix("SPAMD/1.0 76 Bad header line: "))
        #expect(RawClient.ping(port: port))
    }

    @Test func hostileUserNames() throws {
        let huge = try RawClient.exchange(port: port, check(gtube, headers: "User: \(String(repeating: "u", count: 10_000))\r\n"))
        #expect(huge == "SPAMD/1.0 76 Bad header line: (header line longer than 8192 bytes)\r\n")
        let long = try RawClient.exchange(port: port, check(gtube, headers: "User: \(String(repeating: "u", count: 1_000))\r\n"))
        #expect(long == "SPAMD/1.0 76 Bad header line: (User header longer than 256 bytes)\r\n")
        for name in ["../../etc/passwd", "a/b", "..", "-rf", String(repeating: "x", count: 200)] {
            let reply = try RawClient.exchange(port: port, check(gtube, headers: "User: \(name)\r\n"))
            #expect(reply.hasPrefix("SPAMD/1.0 67 User unknown: "), "User: \(name)")
        }
        let nul = try RawClient.exchange(port: port, Array("CHECK SPAMC/1.5\r\nContent-length: \(gtube.count)\r\nUser: a\u{0}b\r\n\r\n".utf8) + gtube)
        #expect(nul == "SPAMD/1.0 76 Bad header line: (User header contains control chars)\r\n")
        let fine = try RawClient.exchange(port: port, check(gtube, headers: "User: first.last+tag@example.org\r\n"))
        #expect(fine.hasPrefix("SPAMD/1.1 0 EX_OK"))
    }

    @Test func headersCommandSendsTheHeaderSectionOnly() throws {
        let reply = try RawClient.exchange(port: port, Array("HEADERS SPAMC/1.5\r\nContent-length: \(gtube.count)\r\n\r\n".utf8) + gtube)
        #expect(reply.hasPrefix("SPAMD/1.1 0 EX_OK\r\nContent-length: "))
        #expect(reply.contains("Spam: True ; 1000.0 / 5.0\r\n\r\n"))
        #expect(reply.contains("X-Spam-Flag: YES"))
        #expect(!reply.contains("GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL"))
        #expect(reply.hasSuffix("\n\n"))
    }

    @Test func skipAndOldProtocolVersions() throws {
        #expect(try RawClient.exchange(port: port, "SKIP SPAMC/1.5\r\n\r\n") == "")
        let v12 = try RawClient.exchange(port: port, Array("SYMBOLS SPAMC/1.2\r\nContent-length: \(gtube.count)\r\n\r\n".utf8) + gtube)
        #expect(v12.hasPrefix("SPAMD/1.1 0 EX_OK\r\n"))
        #expect(v12.hasSuffix("\r\n"))
    }
}

/// Limits that need their own daemon.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct LimitTests {
    @Test func clientsOutsideAllowedIPsAreRefused() throws {
        let daemon = try Daemon(["--allowed-ips", "10.0.0.0/8"])
        defer { daemon.stop() }
        let reply = try RawClient.exchange(port: daemon.port, "PING SPAMC/1.5\r\n\r\n")
        #expect(reply == "SPAMD/1.0 77 Permission denied: (client address not in --allowed-ips)\r\n")
    }

    @Test func scanPastItsBudgetIsAnsweredWithTimeout() throws {
        // The scan takes 2 s; the budget is 0.3 s (plus as much grace).
        let daemon = try Daemon(["--timeout-child", "0.3", "--scan-delay-for-testing", "2000"])
        defer { daemon.stop() }
        let gtube = [UInt8](Paths.read(Paths.gtube))
        let start = Date()
        let reply = try RawClient.exchange(port: daemon.port, Array("CHECK SPAMC/1.5\r\nContent-length: \(gtube.count)\r\n\r\n".utf8) + gtube)
        #expect(reply == "SPAMD/1.0 79 Timeout: (1 second timeout while trying to CHECK)\r\n")
        #expect(Date().timeIntervalSince(start) < 1.5)
        #expect(RawClient.ping(port: daemon.port))
    }

    @Test func excessRequestsWaitThenTheQueueRefuses() throws {
        // One scan at a time, one waiting; each scan takes 4 s, long enough
        // that all three requests are in before the first scan ends even on
        // a loaded machine. Which request gets which answer depends on the
        // order the daemon reads them; the counts do not.
        let daemon = try Daemon(["--max-children", "1", "--max-queue", "1", "--scan-delay-for-testing", "4000"])
        defer { daemon.stop() }
        let gtube = [UInt8](Paths.read(Paths.gtube))
        let request = Array("CHECK SPAMC/1.5\r\nContent-length: \(gtube.count)\r\n\r\n".utf8) + gtube
        let clients = try (0..<3).map { _ in try RawClient(port: daemon.port, receiveTimeout: 60) }
        for client in clients {
            #expect(client.send(request))
            client.halfClose()
        }
        let all = clients.map { $0.receiveText() }
        #expect(all.filter { $0.hasPrefix("SPAMD/1.1 0 EX_OK") }.count == 2, "\(all)")
        #expect(all.filter { $0.hasPrefix("SPAMD/1.0 75 Service Unavailable: (server busy") }.count == 1)
        #expect(RawClient.ping(port: daemon.port))
    }
}

final class Texts: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ text: String) { lock.withLock { items.append(text) } }
    var all: [String] { lock.withLock { items } }
}

/// zlib's one-shot compress, for building `Compress: zlib` bodies.
func deflate(_ input: [UInt8]) -> [UInt8] {
    var size = compressBound(uLong(input.count))
    var out = [UInt8](repeating: 0, count: Int(size))
    let status = out.withUnsafeMutableBufferPointer { o in
        input.withUnsafeBufferPointer { i in compress2(o.baseAddress, &size, i.baseAddress, uLong(i.count), 9) }
    }
    precondition(status == Z_OK)
    return Array(out[0..<Int(size)])
}
