import Foundation

/// A real PostgreSQL server for tests, started once per test process on
/// 127.0.0.1 (and a Unix socket) from a fresh data directory under /tmp,
/// with a password login (`swamp`) over TCP. It needs only Debian's
/// `postgresql` package: no cluster, no service, nothing configured.
///
/// PostgreSQL refuses to run as root, so a root test process runs it as
/// the `postgres` user the package creates. The server is a child of a
/// shell that waits on a pipe from this process: when the test process
/// ends, however it ends, the pipe closes and the shell stops the server
/// and removes its directory.
public final class PostgresTestServer: Sendable {
    public let port: Int
    /// The directory of the server's Unix socket (`.s.PGSQL.PORT`).
    public let socketDirectory: String
    public let user = "swamp"
    public let password: String
    private let binDirectory: String
    /// Write end of the pipe the server's shell waits on; never written,
    /// kept open for the life of the process.
    private let lifeline: FileHandle

    /// Set by CI (`.ci/run`): a missing PostgreSQL fails the tests instead
    /// of skipping them.
    public static let required = ProcessInfo.processInfo.environment["SWAMP_REQUIRE_POSTGRES"] == "1"

    /// Where initdb and postgres are: `SWAMP_PG_BINDIR`, else the newest
    /// `/usr/lib/postgresql/N/bin` (Debian's layout); nil when absent.
    public static let binDirectory: String? = {
        let fm = FileManager.default
        if let dir = ProcessInfo.processInfo.environment["SWAMP_PG_BINDIR"] {
            return fm.isExecutableFile(atPath: dir + "/postgres") ? dir : nil
        }
        let versions = (try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.compactMap(Int.init).sorted().reversed()
            .map { "/usr/lib/postgresql/\($0)/bin" }
            .first { fm.isExecutableFile(atPath: $0 + "/postgres") && fm.isExecutableFile(atPath: $0 + "/initdb") }
    }()

    /// Whether PostgreSQL tests should run: the server is installed, or CI
    /// requires them (and then they fail loudly if it is not).
    public static var shouldRun: Bool { binDirectory != nil || required }

    private static let started = Result { try PostgresTestServer.start() }

    /// The process's server, started on first use.
    public static func shared() throws -> PostgresTestServer { try started.get() }

    /// `shared()` for async tests: starting takes seconds (initdb), which
    /// are spent on a dispatch thread, not on one of the few threads of
    /// the cooperative pool that every other test's async code needs.
    public static func shared() async throws -> PostgresTestServer {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: started) }
        }
    }

    private init(port: Int, socketDirectory: String, password: String, binDirectory: String, lifeline: FileHandle) {
        self.port = port
        self.socketDirectory = socketDirectory
        self.password = password
        self.binDirectory = binDirectory
        self.lifeline = lifeline
    }

    /// A new, empty database; returns its name.
    public func createDatabase() throws -> String {
        let name = "swamp_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let (status, output) = try Self.run(binDirectory + "/createdb",
                                            ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, String(name)],
                                            environment: ["PGPASSWORD": password])
        guard status == 0 else { throw TestServerError("createdb failed: \(output)") }
        return String(name)
    }

    /// Runs SQL in `database` as the server's superuser (psql); returns its
    /// output or throws with it.
    @discardableResult
    public func psql(database: String, _ sql: String) throws -> String {
        let (status, output) = try Self.run(binDirectory + "/psql",
                                            ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database,
                                             "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                                            environment: ["PGPASSWORD": password])
        guard status == 0 else { throw TestServerError("psql failed: \(output)") }
        return output
    }

    /// A libpq URL for `database` over TCP, with the password.
    public func url(database: String) -> String {
        "postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    // MARK: Starting

    private static func start() throws -> PostgresTestServer {
        guard let bin = binDirectory else {
            throw TestServerError("PostgreSQL is not installed: no /usr/lib/postgresql/N/bin/postgres (apt-get install postgresql)")
        }
        let runAs: String? = geteuid() == 0 ? "postgres" : nil
        var owner: (uid_t, gid_t)?
        if let runAs {
            guard let pw = getpwnam(runAs) else {
                throw TestServerError("running as root, and there is no '\(runAs)' user to run PostgreSQL as")
            }
            owner = (pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        let dir = "/tmp/swamp-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        if let (uid, gid) = owner { chown(dir, uid, gid) }
        let password = UUID().uuidString
        FileManager.default.createFile(atPath: dir + "/pw", contents: Data(password.utf8),
                                       attributes: [.posixPermissions: 0o600])
        if let (uid, gid) = owner { chown(dir + "/pw", uid, gid) }

        let (status, output) = try run(bin + "/initdb", ["-D", dir + "/data", "-U", "swamp", "--pwfile=" + dir + "/pw",
                                                          "--auth-local=trust", "--auth-host=scram-sha-256",
                                                          "-E", "UTF8", "--no-locale", "--no-sync"], as: runAs)
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw TestServerError("initdb failed: \(output)")
        }
        // Another process may take the port between choosing and binding:
        // try a few.
        var lastLog = ""
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...60_000)
            let (process, lifeline) = try launch(bin: bin, dir: dir, port: port, as: runAs)
            let deadline = Date(timeIntervalSinceNow: 90)
            while Date() < deadline && process.isRunning {
                if try run(bin + "/pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-t", "2"]).status == 0 {
                    return PostgresTestServer(port: port, socketDirectory: dir, password: password,
                                              binDirectory: bin, lifeline: lifeline)
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
            try? lifeline.close()
            process.waitUntilExit()
            lastLog = (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? ""
        }
        throw TestServerError("PostgreSQL did not start; its log:\n\(lastLog.suffix(2000))")
    }

    /// util-linux's runuser, wherever this system keeps it.
    private static let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/runuser"

    /// Starts the server under a shell that stops it when stdin closes.
    private static func launch(bin: String, dir: String, port: Int, as runAs: String?) throws -> (Process, FileHandle) {
        // fsync off: a test database need not survive a power cut.
        let script = """
            "$1/postgres" -D "$2/data" -k "$2" -h 127.0.0.1 -p "$3" -c fsync=off -c full_page_writes=off \
                -c synchronous_commit=off -c max_connections=60 >>"$2/log" 2>&1 &
            pid=$!
            cat >/dev/null
            kill -INT $pid 2>/dev/null
            wait $pid
            rm -rf "$2"
            """
        let process = Process()
        let pipe = Pipe()
        let args = ["-c", script, "pg", bin, dir, "\(port)"]
        if let runAs {
            process.executableURL = URL(fileURLWithPath: runuser)
            process.arguments = ["-u", runAs, "--", "/bin/sh"] + args
        } else {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = args
        }
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, pipe.fileHandleForWriting)
    }

    private static func run(_ tool: String, _ args: [String], as runAs: String? = nil,
                            environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        if let runAs {
            process.executableURL = URL(fileURLWithPath: runuser)
            process.arguments = ["-u", runAs, "--", tool] + args
        } else {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = args
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // A directory the tool's user may enter (initdb as postgres
        // cannot stay in a root-only working directory).
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
