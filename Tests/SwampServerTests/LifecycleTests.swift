import Foundation
import Testing

/// Signals as an administrator sends them: SIGHUP reloads (keeping the old
/// configuration when the new one is broken), SIGTERM drains then exits.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct LifecycleTests {
    /// A private copy of swamp's Rules/ that the test can break and mend.
    static func copyOfRules() throws -> URL {
        let dir = try Paths.temporaryDirectory()
        let rules = dir.appendingPathComponent("rules")
        try FileManager.default.copyItem(atPath: Paths.rules, toPath: rules.path)
        return dir
    }

    /// swamp's Rules/ plus one rule for the multi-pattern stage (Rules/
    /// alone have none): no required string, and any word character to
    /// start with. It compiles in milliseconds.
    static func stageConfiguration(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("stage.cf").path
        try """
            rules_dir \(Paths.rules)
            body WORDS_AND_NUMBERS /\\w+ \\d{3} \\w+/
            score WORDS_AND_NUMBERS 0.1

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func sighupWithBrokenConfigKeepsServingThenReloadsFixedOne() throws {
        let dir = try Self.copyOfRules()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = dir.appendingPathComponent("rules")
        let local = rules.appendingPathComponent("99_local.cf")
        let pidfile = dir.appendingPathComponent("swamp.pid").path
        let daemon = try Daemon(["--pidfile", pidfile], config: rules.path)
        defer { daemon.stop() }
        #expect(try String(contentsOfFile: pidfile, encoding: .utf8) == "\(daemon.pid)\n")
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)", "-c"]

        // Broken: an include of a file that does not exist.
        try "include /nonexistent/swamp-missing.cf\n".write(to: local, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("reload failed, still serving the previous configuration"))
        let stillSpam = try spamc(at)
        #expect(stillSpam.out == "1000.0/5.0\n")

        // Mended, with a threshold that makes GTUBE ham: the reload took.
        try "required_score 2000\n".write(to: local, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("configuration reloaded (generation 2"))
        let nowHam = try spamc(at)
        #expect(nowHam.out == "1000.0/2000.0\n")
        #expect(nowHam.status == 0)

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: pidfile))
    }

    @Test func sigtermDuringAScanAnswersItBeforeExiting() throws {
        let daemon = try Daemon(["--scan-delay-for-testing", "1500"])
        defer { daemon.stop() }
        let port = daemon.port
        let box = DataBox()
        let client = Thread {
            let r = try? spamc(["-d", "127.0.0.1", "-p", "\(port)", "-c", "-x"])
            box.data = Data("\(r?.status ?? -1) \(r?.out ?? "")".utf8)
        }
        client.start()
        #expect(daemon.waitForLog("connection.id"))  // the request is in
        usleep(300_000)
        daemon.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(60)
        while !box.done && Date() < deadline { usleep(20_000) }
        #expect(String(decoding: box.data, as: UTF8.self) == "1 1000.0/5.0\n")
        #expect(daemon.waitForExit(timeout: 60) == 0)
        // Nothing listens any more.
        #expect(throws: (any Error).self) { try RawClient(port: port) }
    }

    /// Each load hands its rule set to the one stage worker, whose thread
    /// ends when it has nothing to do: a reload's stage is built too.
    @Test func sighupBuildsTheNewRuleSetsMultiPatternStage() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let daemon = try Daemon([], config: try Self.stageConfiguration(in: dir))
        defer { daemon.stop() }
        #expect(daemon.waitForLog("multi-pattern stage ready", timeout: 30))
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("configuration reloaded (generation 2", timeout: 30))
        let deadline = Date().addingTimeInterval(30)
        while daemon.log.components(separatedBy: "multi-pattern stage ready").count - 1 < 2 && Date() < deadline {
            usleep(50_000)
        }
        #expect(daemon.log.components(separatedBy: "multi-pattern stage ready").count - 1 == 2, "\(daemon.log)")
    }

    /// A stage the cache does not hold is compiled by a `swamp
    /// compile-stage` child into the cache (Hyperscan's compiler leaves
    /// its heap behind in the process it ran in); the next daemon loads it.
    @Test func aStageNotInTheCacheIsCompiledByAChildProcess() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache")
        let config = try Self.stageConfiguration(in: dir)
        do {
            let daemon = try Daemon([], config: config, environment: ["SWAMP_CACHE_DIR": cache.path])
            defer { daemon.stop() }
            #expect(daemon.waitForLog("multi-pattern stage ready", timeout: 30), "\(daemon.log)")
            #expect(daemon.log.contains("compiled by swamp compile-stage"), "\(daemon.log)")
            #expect(!daemon.log.contains("compiling it in the daemon"), "\(daemon.log)")
            let files = try FileManager.default.contentsOfDirectory(atPath: cache.path)
            #expect(files.contains { $0.hasPrefix("multi-") && $0.hasSuffix(".hs") }, "\(files)")
            let r = try runProcess(Paths.spamc, ["-t", "15", "-d", "127.0.0.1", "-p", "\(daemon.port)", "-y"],
                                   input: Data("Subject: x\n\nordered item 123 today\n".utf8))
            #expect(r.out.contains("WORDS_AND_NUMBERS"), "\(r.out)")
        }
        let again = try Daemon([], config: config, environment: ["SWAMP_CACHE_DIR": cache.path])
        defer { again.stop() }
        #expect(again.waitForLog("multi-pattern stage ready", timeout: 30), "\(again.log)")
        #expect(again.log.contains("from the cache"), "\(again.log)")
    }

    /// With the cache off the child compiles into a private folder, which
    /// is gone once the daemon has loaded the stage.
    @Test func withTheCacheOffTheChildsFolderIsRemoved() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let daemon = try Daemon([], config: try Self.stageConfiguration(in: dir), environment: ["SWAMP_CACHE_DIR": ""])
        defer { daemon.stop() }
        #expect(daemon.waitForLog("multi-pattern stage ready", timeout: 30), "\(daemon.log)")
        #expect(daemon.log.contains("compiled by swamp compile-stage"), "\(daemon.log)")
        let left = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("swamp-stage-\(daemon.pid)-") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test func sigintAlsoStopsAnIdleDaemon() throws {
        let daemon = try Daemon([])
        defer { daemon.stop() }
        daemon.signal(SIGINT)
        #expect(daemon.waitForExit() == 0)
    }

    @Test func brokenConfigAtStartExitsWithConfigError() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.cf")
        try "include /nonexistent/swamp-missing.cf\n".write(to: bad, atomically: true, encoding: .utf8)
        let binary = try #require(Paths.swamp)
        let r = try runProcess(binary, ["serve", "--config", bad.path, "--listen", "127.0.0.1:0"])
        #expect(r.status == 78)
        #expect(r.err.contains("has errors"))
    }
}

// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct PrivilegeTests {
    @Test(.enabled(if: geteuid() == 0, "needs root to drop privileges"))
    func usernameDropsPrivilegesAfterBinding() throws {
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let daemon = try Daemon(["--username", "nobody"])
        defer { daemon.stop() }
        // Every live thread runs as nobody. (The main thread is skipped:
        // libdispatch's dispatch_main ends it early on Linux, and /proc keeps
        // showing the credentials it died with.)
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/task")
            .filter { $0 != "\(daemon.pid)" }
        #expect(!tasks.isEmpty)
        for task in tasks {
            guard let status = try? String(contentsOfFile: "/proc/\(daemon.pid)/task/\(task)/status", encoding: .utf8)
            else { continue }
            let uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?
                .split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().compactMap { UInt32($0) }
            #expect(uids == [nobody, nobody, nobody, nobody], "thread \(task)")
        }
        let r = try spamc(["-d", "127.0.0.1", "-p", "\(daemon.port)", "-c"])
        #expect(r.out == "1000.0/5.0\n")
    }

    /// The multi-pattern stage is first built once `--username` has taken
    /// effect, so a cache folder it makes belongs to that user, not root.
    /// One rule for the stage compiles in milliseconds: started at load, as
    /// it once was, it would be done (as root) before the daemon had bound
    /// its listener.
    @Test(.enabled(if: geteuid() == 0, "needs root to drop privileges"))
    func multiPatternStageIsBuiltAsTheServingUser() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        chmod(dir.path, 0o777)
        let cache = dir.appendingPathComponent("cache")
        let daemon = try Daemon(["--username", "nobody"], config: try LifecycleTests.stageConfiguration(in: dir),
                                environment: ["SWAMP_CACHE_DIR": cache.path])
        defer { daemon.stop() }
        #expect(daemon.waitForLog("multi-pattern stage ready", timeout: 30), "\(daemon.log)")
        let log = daemon.log
        let dropped = try #require(log.range(of: "running as user nobody"), "\(log)")
        let ready = try #require(log.range(of: "multi-pattern stage ready"))
        #expect(dropped.upperBound <= ready.lowerBound, "\(log)")
        let owner = try FileManager.default.attributesOfItem(atPath: cache.path)[.ownerAccountName] as? String
        #expect(owner == "nobody")
    }

    @Test func unknownUsernameFailsAtStart() throws {
        let binary = try #require(Paths.swamp)
        let r = try runProcess(binary, ["serve", "--config", Paths.rules, "--listen", "127.0.0.1:0",
                                        "--username", "no-such-user-swamp"])
        #expect(r.status == 78)
        #expect(r.err.contains("no such user"))
    }
}
