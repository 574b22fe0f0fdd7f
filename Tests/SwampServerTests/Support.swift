import Foundation
import Testing
import SwampTestSupport

/// Paths the daemon tests need.
enum Paths {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rules = repoRoot.appendingPathComponent("Rules").path
    static let gtube = repoRoot.appendingPathComponent("Corpus/gtube.eml").path
    static let ham = repoRoot.appendingPathComponent("Corpus/ham-plain.eml").path
    static let spamc = "/usr/bin/spamc"
    static let maildrop = "/usr/bin/maildrop"

    /// The `swamp` binary beside the test bundle in the build directory.
    static var swamp: String? { SwampBinary.path(repoRoot: repoRoot) }

    static func read(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    /// A fresh private directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swamp-server-tests-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// What a finished child process said.
struct ProcessOutput {
    let status: Int32
    let stdout: Data
    let stderr: Data
    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

enum TestProcessError: Error { case timedOut(String) }

/// Runs a program to completion with `input` on its stdin, killing it if it
/// runs past `timeout` seconds.
func runProcess(_ executable: String, _ arguments: [String], input: Data = Data(),
                environment: [String: String]? = nil, timeout: Double = 20) throws -> ProcessOutput {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    p.standardError = errPipe
    try p.run()
    let killer = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    defer { killer.cancel() }
    // Write stdin off this thread so a child that never reads cannot block us.
    let writer = Thread {
        try? inPipe.fileHandleForWriting.write(contentsOf: input)
        try? inPipe.fileHandleForWriting.close()
    }
    writer.start()
    let errBox = DataBox()
    let errThread = Thread { errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile() }
    errThread.start()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    while !errBox.done { usleep(1000) }
    if p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL {
        throw TestProcessError.timedOut("\(executable) \(arguments.joined(separator: " "))")
    }
    return ProcessOutput(status: p.terminationStatus, stdout: out, stderr: errBox.data)
}

final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _data = Data()
    private var _done = false
    var data: Data {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _done = true } }
    }
    var done: Bool { lock.withLock { _done } }
}

/// A `swamp serve` child process on loopback. It listens on port 0 (the
/// kernel picks a free port) and the test reads the port from its log. Its
/// stdin is a pipe this object holds: when the test process goes away, the
/// daemon sees end of file and exits (`--exit-on-stdin-eof`), so no daemon
/// outlives its test; `stop()` kills it at once.
final class Daemon: @unchecked Sendable {
    let process = Process()
    private let stdinPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var logText = ""
    private var ended = false
    private(set) var tcpPorts: [Int] = []
    private(set) var listenerNames: [String] = []
    /// `--log-file`, when the test passed one: `log` reads it too.
    let logFile: String?

    var pid: Int32 { process.processIdentifier }
    var port: Int { tcpPorts.first ?? 0 }

    /// Starts the daemon and waits until it is listening (at most `timeout`).
    /// Without `network` it runs with `--local`: tests never ask the
    /// machine's resolver; network tests name the test DNS server in their
    /// configuration (`dns_server`). `environment` adds to or overrides
    /// the test's own. `logFile`: the daemon logs there (`--log-file`).
    /// `stopReadingLog`: once it is listening, its standard error is no
    /// longer read, as a log reader that has stalled (the pipe fills up).
    init(_ arguments: [String], listen: [String] = ["127.0.0.1:0"], config: String = Paths.rules,
         network: Bool = false, environment extra: [String: String] = [:], logFile: String? = nil,
         stopReadingLog: Bool = false, timeout: Double = 30) throws {
        self.logFile = logFile
        let binary = try #require(Paths.swamp, "swamp binary not built")
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config, "--exit-on-stdin-eof"]
            + listen.flatMap { ["--listen", $0] } + (network ? [] : ["--local"])
            + (logFile.map { ["--log-file", $0] } ?? []) + arguments
        // A private HOME: the site Bayes database (~/.swamp) of each daemon
        // lives in its own temporary directory.
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = FileManager.default.temporaryDirectory
            .appendingPathComponent("swamp-daemon-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardInput = stdinPipe
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = stderrPipe.fileHandleForReading
        let reader = Thread { [weak self] in
            while true {
                let chunk = handle.availableData
                guard let self else { return }
                if chunk.isEmpty {
                    self.lock.withLock { self.ended = true }
                    return
                }
                let listening = self.lock.withLock {
                    self.logText += String(decoding: chunk, as: UTF8.self)
                    return self.logText.contains("listening on ")
                }
                if stopReadingLog && listening { return }
            }
        }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = log.split(separator: "\n").first(where: { $0.contains("listening on ") }) {
                parseListeners(String(line))
                return
            }
            if lock.withLock({ ended }) { break }
            usleep(20_000)
        }
        stop()
        Issue.record("daemon did not start: \(log)")
        throw TestProcessError.timedOut("swamp serve did not start")
    }

    private func parseListeners(_ line: String) {
        guard let range = line.range(of: "listening on ") else { return }
        listenerNames = line[range.upperBound...].components(separatedBy: ", ")
        for name in listenerNames where name.hasPrefix("tcp ") {
            let address = name.dropFirst(4).split(separator: " ").first ?? ""
            if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) {
                tcpPorts.append(port)
            }
        }
    }

    /// Everything the daemon logged so far (to standard error, and to the
    /// file now at `logFile`).
    var log: String {
        lock.withLock { logText } + (logFile.map { String(decoding: Paths.read($0), as: UTF8.self) } ?? "")
    }

    /// Bytes the daemon has written to its standard error that nobody has
    /// read yet (`stopReadingLog`).
    var unreadLog: (bytes: Int, errno: Int32) {
        var bytes: CInt = 0
        let status = ioctl(stderrPipe.fileHandleForReading.fileDescriptor, UInt(FIONREAD), &bytes)
        return (Int(bytes), status == 0 ? 0 : errno)
    }

    /// Waits until the log contains `text` (or `timeout` passes).
    @discardableResult
    func waitForLog(_ text: String, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the daemon to exit; nil if it is still running after `timeout`.
    func waitForExit(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        try? stdinPipe.fileHandleForWriting.close()
    }

    deinit { stop() }
}

/// The real spamc against a daemon.
func spamc(_ arguments: [String], message: String? = Paths.gtube, timeout: Double = 20) throws -> ProcessOutput {
    let input = message.map(Paths.read) ?? Data()
    return try runProcess(Paths.spamc, ["-t", "15"] + arguments, input: input, timeout: timeout)
}
