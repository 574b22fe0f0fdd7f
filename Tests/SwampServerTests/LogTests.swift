import Foundation
import Testing
import SwampTestSupport
@testable import SwampServer

/// The daemon's log never holds up scanning: lines reach the file or pipe
/// through one writer thread and a bounded queue (DaemonLog.swift).
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct DaemonLogTests {
    /// GTUBE with a long Message-ID, which the result line repeats: fewer
    /// scans fill the pipe.
    static func longLineMessage(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("long-mid.eml").path
        let gtube = String(decoding: Paths.read(Paths.gtube), as: UTF8.self)
        let mid = "Message-ID: <" + String(repeating: "m", count: 180) + "@example.org>\n"
        try (mid + gtube).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Standard error is a pipe whose reader stops reading once the daemon
    /// listens. With each line a blocking write on the event loop, scans
    /// stopped as soon as the pipe (64 KiB) was full; now they go on, and
    /// SIGTERM still ends the daemon though the pipe stays full.
    @Test func scansGoOnWhenNobodyReadsStandardError() async throws {
        // Up to 3000 spamc runs, waited for on a thread of its own rather
        // than on one of Swift concurrency's (see onOwnThread).
        let outcome = try await onOwnThread { () throws -> (failure: String?, scans: Int, afterFull: Int, seconds: Double,
                                                            log: String, exit: Int32?) in
            let dir = try Paths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let message = try Self.longLineMessage(in: dir)
            let daemon = try Daemon(["--log-level", "debug"], stopReadingLog: true)
            defer { daemon.stop() }
            let user = String(repeating: "u", count: 100)
            let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)", "-c", "-u", user]
            let start = Date()
            // The pipe is full when what it holds stops growing though every
            // scan logs a line (its 16 pages fill before 64 KiB of short lines
            // do). Scan until it has been full for 150 scans (another 70 KiB
            // of log or so); 3000 at most.
            var scans = 0, afterFull = 0, unread = 0
            while afterFull < 150 && scans < 3000 {
                let r = try spamc(at, message: message, timeout: 20)
                guard r.out == "1000.0/5.0\n" else {
                    let failure = "scan \(scans + 1) got \(r.status) \(r.out.debugDescription) \(r.err) after "
                        + "\(Int(Date().timeIntervalSince(start))) s; unread log \(daemon.unreadLog)"
                    return (failure, scans, afterFull, 0, "", nil)
                }
                scans += 1
                let now = daemon.unreadLog.bytes
                if now == unread && now > 32 * 1024 { afterFull += 1 }
                unread = now
            }
            let seconds = Date().timeIntervalSince(start)
            let log = "\(daemon.unreadLog)"
            daemon.signal(SIGTERM)
            return (nil, scans, afterFull, seconds, log, daemon.waitForExit(timeout: 15))
        }
        if let failure = outcome.failure { Issue.record(Comment(rawValue: failure)); return }
        #expect(outcome.afterFull == 150, "pipe never filled: \(outcome.log) after \(outcome.scans) scans")
        #expect(outcome.seconds < 150)
        #expect(outcome.exit == 0)
    }

    /// `--log-file`: the lines go to the file; after log rotation renamed
    /// it, SIGHUP makes the daemon write to a new file at the path.
    @Test func logFileIsReopenedOnSIGHUP() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("swamp.log").path
        let daemon = try Daemon([], logFile: path)
        defer { daemon.stop() }
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode.map { $0 & ~0o640 } == 0, "mode \(String(mode ?? -1, radix: 8))")
        let at = ["-d", "127.0.0.1", "-p", "\(daemon.port)", "-c"]
        #expect(try spamc(at).out == "1000.0/5.0\n")
        #expect(daemon.waitForLog("result: Y 1000 - GTUBE"))

        let rotated = path + ".1"
        try FileManager.default.moveItem(atPath: path, toPath: rotated)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog("configuration reloaded"), "\(daemon.log)")
        #expect(try spamc(at, message: Paths.ham).out == "0.0/5.0\n")
        #expect(daemon.waitForLog("result: .  0 - "))
        let new = String(decoding: Paths.read(path), as: UTF8.self)
        #expect(new.contains("SIGHUP: reopened log file"))
        #expect(!new.contains("result: Y"))
        let old = String(decoding: Paths.read(rotated), as: UTF8.self)
        #expect(old.contains("listening on ") && old.contains("result: Y 1000 - GTUBE"))
        #expect(!old.contains("result: .  0"))

        // The path cannot be opened again (a directory took its place, which
        // even root cannot open for writing): the daemon keeps writing to
        // the file it has and says why.
        let stillOpen = dir.appendingPathComponent("kept.log").path
        try FileManager.default.moveItem(atPath: path, toPath: stillOpen)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        daemon.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        func kept() -> String { String(decoding: Paths.read(stillOpen), as: UTF8.self) }
        while !kept().contains("configuration reloaded (generation 3") && Date() < deadline { usleep(20_000) }
        #expect(kept().contains("SIGHUP: still writing the old log file: cannot open log file \(path): Is a directory"),
                "\(kept())")
        #expect(kept().contains("configuration reloaded (generation 3"))
    }

    @Test func logFileThatCannotBeOpenedIsAConfigError() throws {
        let binary = try #require(Paths.swamp)
        let r = try runProcess(binary, ["serve", "--config", Paths.rules, "--listen", "127.0.0.1:0",
                                        "--log-file", "/nonexistent-swamp-dir/swamp.log"])
        #expect(r.status == 78)
        #expect(r.err.contains("cannot open log file /nonexistent-swamp-dir/swamp.log: No such file or directory"))
    }
}

// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct LogWriterTests {
    /// A sink that takes nothing for a while (a pipe nobody reads): the
    /// queue holds what fits in its bound, the rest is dropped and
    /// counted; once the sink drains, the writer writes what it held and
    /// then one line with the count, and every line is accounted for.
    @Test func dropsBeyondTheBoundAndSaysHowMany() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let writer = LogWriter(descriptor: writeEnd, capacity: 4096)
        let total = 20_000
        var refused = 0
        for n in 0..<total {
            // 100 bytes a line: 2 MB in all, beyond the pipe and the queue.
            let line = "line \(String(format: "%05d", n)) " + String(repeating: "x", count: 88) + "\n"
            if !writer.enqueue(line) { refused += 1 }
        }
        #expect(refused > 0)
        #expect(refused < total)

        let box = DataBox()
        let reader = Thread {
            var all = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(readEnd, &buffer, buffer.count)
                if n <= 0 { break }
                all.append(contentsOf: buffer[0..<n])
            }
            box.data = all
        }
        reader.start()
        #expect(writer.shutdown(timeout: .seconds(10)))
        close(writeEnd)
        let deadline = Date().addingTimeInterval(10)
        while !box.done && Date() < deadline { usleep(10_000) }
        let lines = String(decoding: box.data, as: UTF8.self).split(separator: "\n")
        let written = lines.filter { $0.hasPrefix("line ") }
        // One note for each time the queue overflowed (at least once: the
        // pipe filled long before the last line), their counts the lines
        // refused.
        let note = #/ warning swamp: \[SwampServer\] (\d+) log lines? dropped: the log did not keep up$/#
        let counts = lines.compactMap { $0.firstMatch(of: note).flatMap { Int($0.1) } }
        #expect(!counts.isEmpty)
        #expect(counts.reduce(0, +) == refused, "\(counts)")
        #expect(written.count + refused == total)
        #expect(written.count + counts.count == lines.count)
        // In order, and the note stands where the gap is: every line before
        // it was queued before the first one dropped.
        let numbers = written.compactMap { Int($0.dropFirst(5).prefix(5)) }
        #expect(numbers == numbers.sorted())
        #expect(lines.last.map { $0.contains("dropped") } == true)
    }

    /// A line larger than the whole queue is dropped, not written in part.
    @Test func lineLargerThanTheQueueIsDropped() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let writer = LogWriter(descriptor: fds[1], capacity: 64)
        #expect(!writer.enqueue(String(repeating: "y", count: 65) + "\n"))
        // Until the writer has taken note of the drop, later lines are
        // dropped too (so that its note stands where the gap is).
        let deadline = Date().addingTimeInterval(5)
        while writer.droppedSoFar > 0 && Date() < deadline { usleep(1000) }
        #expect(writer.enqueue("short\n"))
        #expect(writer.shutdown(timeout: .seconds(5)))
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasSuffix("1 log line dropped: the log did not keep up\nshort\n"), "\(text)")
    }

    /// An oversized line while the writer sleeps on an empty queue wakes
    /// it: the note goes out and later lines are taken again (review
    /// finding: the log fell silent until a SIGHUP).
    @Test func droppedLineWakesAnIdleWriter() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let writer = LogWriter(descriptor: fds[1], capacity: 64)
        #expect(writer.enqueue("first\n"))
        var buffer = [UInt8](repeating: 0, count: 256)
        #expect(read(fds[0], &buffer, buffer.count) == 6)   // written: the writer is idle now
        usleep(100_000)                                     // and past its pause
        #expect(!writer.enqueue(String(repeating: "x", count: 100) + "\n"))
        let deadline = Date().addingTimeInterval(2)
        while writer.droppedSoFar > 0 && Date() < deadline { usleep(1000) }
        #expect(writer.droppedSoFar == 0, "the writer never woke for the drop")
        #expect(writer.enqueue("later\n"))
        #expect(writer.shutdown(timeout: .seconds(5)))
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasSuffix("1 log line dropped: the log did not keep up\nlater\n"), "\(text)")
    }

    @Test func lineLooksLikeStreamLogHandlers() {
        let line = LogLine.format(level: .info, label: "swamp", metadata: ["connection.id": "7", "a.b": "x"],
                                  source: "SwampServer", message: "result: Y 1000 - GTUBE")
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info swamp: a\.b=x connection\.id=7 \[SwampServer\] result: Y 1000 - GTUBE\n$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }
}
