import Foundation
import Testing

/// The real `/usr/bin/spamc` (Debian's spamc package) against `swamp serve`
/// on loopback: every option a mail setup uses, for spam (GTUBE) and ham.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct SpamcTests {
    let daemon: Daemon

    init() throws {
        daemon = try Daemon([])
    }

    var at: [String] { ["-d", "127.0.0.1", "-p", "\(daemon.port)"] }

    @Test func processSpamAddsHeadersAndRewritesSubject() throws {
        let r = try spamc(at)
        #expect(r.status == 0)
        #expect(r.out.contains("X-Spam-Flag: YES"))
        #expect(r.out.contains("X-Spam-Status: Yes, score=1000.0 required=5.0 tests=GTUBE"))
        #expect(r.out.contains("Subject: *****SPAM***** "))
        #expect(r.out.contains("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"))
        #expect(daemon.waitForLog("result: Y 1000 - GTUBE"))
    }

    @Test func processHamAddsStatusOnly() throws {
        let r = try spamc(at, message: Paths.ham)
        #expect(r.status == 0)
        #expect(r.out.contains("X-Spam-Status: No, score=0.0 required=5.0 tests=none"))
        #expect(!r.out.contains("X-Spam-Flag"))
        #expect(daemon.waitForLog("result: .  0 - "))
    }

    @Test func headersOnly() throws {
        // spamc --headers asks for HEADERS and joins the new header section
        // to the body it kept, so the output is the whole processed message.
        let r = try spamc(at + ["--headers"])
        #expect(r.status == 0)
        #expect(r.out.contains("X-Spam-Flag: YES"))
        #expect(r.out.contains("Subject: *****SPAM***** "))
        #expect(r.out.components(separatedBy: "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL").count == 2)
    }

    @Test func checkPrintsScoreAndExitsOneForSpam() throws {
        let spam = try spamc(at + ["-c"])
        #expect(spam.out == "1000.0/5.0\n")
        #expect(spam.status == 1)
        let ham = try spamc(at + ["-c"], message: Paths.ham)
        #expect(ham.out == "0.0/5.0\n")
        #expect(ham.status == 0)
    }

    @Test func exitCodeFlag() throws {
        let spam = try spamc(at + ["-E"])
        #expect(spam.status == 1)
        #expect(spam.out.contains("X-Spam-Flag: YES"))
        let ham = try spamc(at + ["-E"], message: Paths.ham)
        #expect(ham.status == 0)
    }

    @Test func reportForAll() throws {
        // The report's exit code is 0 either way unless -E asks for 1 on spam.
        let spam = try spamc(at + ["-R"])
        #expect(spam.status == 0)
        #expect(spam.out.hasPrefix("1000.0/5.0\n"))
        #expect(spam.out.contains("GTUBE"))
        #expect(spam.out.contains("1000 GTUBE"))
        let ham = try spamc(at + ["-R"], message: Paths.ham)
        #expect(ham.status == 0)
        #expect(ham.out.hasPrefix("0.0/5.0\n"))
        #expect(try spamc(at + ["-R", "-E"]).status == 1)
    }

    @Test func reportIfSpam() throws {
        // spamd answers REPORT_IFSPAM with "Spam: Yes", which spamc does not
        // read as spam: no score line. swamp says "True", so -r works as
        // spamc(1) documents it.
        let spam = try spamc(at + ["-r"])
        #expect(spam.status == 0)
        #expect(spam.out.hasPrefix("1000.0/5.0\n"))
        #expect(spam.out.contains("GTUBE"))
        // spamc(1): "If the message is ham, nothing will be printed."
        let ham = try spamc(at + ["-r"], message: Paths.ham)
        #expect(ham.status == 0)
        #expect(ham.out == "")
    }

    @Test func symbols() throws {
        let spam = try spamc(at + ["-y"])
        #expect(spam.out.split(separator: "\n").first.map { $0.split(separator: ",").contains("GTUBE") } == true)
        let ham = try spamc(at + ["-y"], message: Paths.ham)
        #expect(ham.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test func ping() throws {
        let r = try spamc(at + ["-K"], message: nil)
        #expect(r.status == 0)
        // spamc prints the version and code of the PONG line.
        #expect(r.out.hasPrefix("SPAMD/1.5 0"))
    }

    @Test func userNameIsPassedAndLogged() throws {
        let r = try spamc(at + ["-c", "-u", "alice@example.org"])
        #expect(r.status == 1)
        #expect(daemon.waitForLog("user=alice@example.org"))
    }

    @Test func invalidUserNameIsRefused() throws {
        // Without -x spamc falls back to passing the message through...
        let passed = try spamc(at + ["-u", "../etc"])
        #expect(passed.status == 0)
        #expect(passed.stdout == Paths.read(Paths.gtube))
        // ...with -x it fails: spamc reports any error reply as EX_IOERR
        // (74); the daemon's log has the reason.
        let refused = try spamc(at + ["-x", "-c", "-u", "../etc"])
        #expect(refused.status == 74)
        #expect(daemon.waitForLog("67 User unknown: (user name contains a path separator)"))
    }

    @Test func tellIsRefusedWithoutAllowTell() throws {
        // spamc turns any failed TELL into EX_IOERR.
        let r = try spamc(at + ["-L", "spam"])
        #expect(r.status == 74)
        #expect(daemon.waitForLog("TELL commands are not enabled"))
    }

    @Test func sizeLimitOnTheClientPassesThrough() throws {
        // spamc never sends a message over -s: it prints it unchanged, exit 0.
        let r = try spamc(at + ["-s", "100"])
        #expect(r.status == 0)
        #expect(r.stdout == Paths.read(Paths.gtube))
        let c = try spamc(at + ["-c", "-s", "100"])
        #expect(c.out == "0/0\n")
        #expect(c.status == 0)
    }

    @Test func serverDownFallsBackOrFailsWithX() throws {
        daemon.stop()
        let fallback = try spamc(at)
        #expect(fallback.status == 0)
        #expect(fallback.stdout == Paths.read(Paths.gtube))
        let strict = try spamc(at + ["-x"])
        #expect(strict.status == 69)
    }
}

/// spamc options that need a daemon started differently.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct SpamcSetupTests {
    @Test func unixSocket() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("swamp.sock").path
        let daemon = try Daemon(["--socket", path, "--socket-mode", "600"], listen: [])
        defer { daemon.stop() }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let r = try spamc(["-U", path, "-c"])
        #expect(r.out == "1000.0/5.0\n")
        #expect(r.status == 1)
        let ham = try spamc(["-U", path], message: Paths.ham)
        #expect(ham.out.contains("X-Spam-Status: No"))
    }

    @Test func tellWithAllowTellLearnsIntoBayes() throws {
        let daemon = try Daemon(["--allow-tell"])
        defer { daemon.stop() }
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]
        // spamc prints what the DidSet/DidRemove reply headers say.
        let first = try spamc(at + ["-L", "spam"])
        #expect(first.status == 0)
        #expect(first.out.contains("successfully"), "\(first.out)")
        let again = try spamc(at + ["-L", "spam"])
        #expect(again.status == 0)
        #expect(again.out.contains("already"), "\(again.out)")
        let moved = try spamc(at + ["-L", "ham"])
        #expect(moved.out.contains("successfully"), "\(moved.out)")
        let forgotten = try spamc(at + ["-L", "forget"])
        #expect(forgotten.out.contains("successfully"), "\(forgotten.out)")
        let nothing = try spamc(at + ["-L", "forget"])
        #expect(nothing.out.contains("already"), "\(nothing.out)")
    }

    @Test func daemonSizeLimitAnswersTooBig() throws {
        let daemon = try Daemon(["--max-size", "200"])
        defer { daemon.stop() }
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)"]
        let fallback = try spamc(at)
        #expect(fallback.status == 0)
        #expect(fallback.stdout == Paths.read(Paths.gtube))
        let strict = try spamc(at + ["-x", "-c"])
        #expect(strict.status == 74)  // spamc's code for any error reply
        #expect(daemon.waitForLog("98 Message too big: (over the limit of 200 bytes)"))
    }

    @Test func failOverToSecondDaemon() throws {
        // Two daemons on one port, on 127.0.0.1 and 127.0.0.2; the first
        // goes away and spamc -d host1,host2 moves on to the second.
        let first = try Daemon([])
        let second = try Daemon(["--allowed-ips", "127.0.0.0/8"], listen: ["127.0.0.2:\(first.port)"])
        defer { first.stop(); second.stop() }
        let at = ["-d", "127.0.0.1,127.0.0.2", "-p", "\(first.port)", "-c"]
        let before = try spamc(at)
        #expect(before.out == "1000.0/5.0\n")
        #expect(first.waitForLog("result: Y"))
        first.stop()
        // libspamc keeps only the first host when -x turns off its safe
        // fallback, so fail-over is tested without -x.
        let after = try spamc(at)
        #expect(after.out == "1000.0/5.0\n")
        #expect(after.status == 1)
        #expect(second.waitForLog("result: Y"))
    }

    @Test func tls() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path
        let key = dir.appendingPathComponent("key.pem").path
        let made = try runProcess("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-keyout", key, "-out", cert,
        ])
        try #require(made.status == 0, "openssl: \(made.err)")
        let daemon = try Daemon(["--ssl", "--ssl-cert", cert, "--ssl-key", key])
        defer { daemon.stop() }
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)", "-S"]
        let spam = try spamc(at + ["-c"])
        #expect(spam.out == "1000.0/5.0\n")
        #expect(spam.status == 1)
        let ham = try spamc(at, message: Paths.ham)
        #expect(ham.out.contains("X-Spam-Status: No"))
        // A plain client on the TLS port gets nothing it can use.
        let plain = try spamc(["-d", "127.0.0.1", "-p", "\(daemon.port)", "-x", "-c"])
        #expect(plain.status != 0 && plain.status != 1)
    }

    @Test func ipv6AndSeveralListeners() throws {
        let daemon = try Daemon([], listen: ["[::1]:0", "127.0.0.1:0"])
        defer { daemon.stop() }
        #expect(daemon.listenerNames.count == 2)
        #expect(daemon.listenerNames.first?.hasPrefix("tcp [::1]:") == true)
        let v6 = try spamc(["-d", "::1", "-p", "\(daemon.tcpPorts[0])", "-c"])
        #expect(v6.out == "1000.0/5.0\n")
        let v4 = try spamc(["-d", "127.0.0.1", "-p", "\(daemon.tcpPorts[1])", "-c"], message: Paths.ham)
        #expect(v4.out == "0.0/5.0\n")
    }

    @Test func helpNamesTheDefaultAddress() throws {
        let binary = try #require(Paths.swamp)
        let r = try runProcess(binary, ["serve", "--help"])
        #expect(r.out.contains("127.0.0.1:783"))
        #expect(r.out.contains("127.0.0.1:7830"))
        #expect(!r.out.contains("scan-delay-for-testing"))
    }
}
