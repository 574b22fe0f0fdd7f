import Foundation
import Testing

/// The real maildrop (Debian's maildrop package) filtering through the real
/// spamc into a Maildir, with the seed setup's filter: spamc for messages
/// under the size limit, then X-Spam-Flag: YES into .spam/.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct MaildropTests {
    @Test func gtubeGoesToSpamFolderAndHamToInbox() throws {
        let daemon = try Daemon([])
        defer { daemon.stop() }
        let home = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let maildir = home.appendingPathComponent("Maildir")
        for folder in [maildir, maildir.appendingPathComponent(".spam")] {
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub),
                                                        withIntermediateDirectories: true)
            }
        }
        // maildrop refuses a filter file with any group or world permission
        // bits, or one not owned by the user running it.
        let filter = home.appendingPathComponent("mailfilter")
        try """
            DEFAULT="\(maildir.path)"
            if ($SIZE < 512000)
            {
                xfilter "/usr/bin/spamc -d 127.0.0.1 -p \(daemon.port)"
            }
            if (/^X-Spam-Flag: YES/)
            {
                to $DEFAULT/.spam/
            }

            """.write(to: filter, atomically: true, encoding: .utf8)
        chmod(filter.path, 0o600)

        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home.path
        for message in [Paths.gtube, Paths.ham] {
            let r = try runProcess(Paths.maildrop, [filter.path], input: Paths.read(message), environment: env)
            #expect(r.status == 0, "maildrop: \(r.err)")
        }
        let spam = try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent(".spam/new").path)
        let inbox = try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent("new").path)
        #expect(spam.count == 1)
        #expect(inbox.count == 1)
        if let file = spam.first {
            let text = try String(contentsOf: maildir.appendingPathComponent(".spam/new/\(file)"), encoding: .utf8)
            #expect(text.contains("X-Spam-Flag: YES"))
            #expect(text.contains("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"))
        }
        if let file = inbox.first {
            let text = try String(contentsOf: maildir.appendingPathComponent("new/\(file)"), encoding: .utf8)
            #expect(text.contains("X-Spam-Status: No, score=0.0"))
        }
        #expect(daemon.waitForLog("result: Y 1000 - GTUBE"))
        #expect(daemon.waitForLog("result: .  0 - "))
    }
}
