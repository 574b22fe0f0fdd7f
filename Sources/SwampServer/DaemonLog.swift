import Foundation
import Logging

/// The daemon's log sink. A line is formatted on the thread that logs it
/// and handed to one writer thread through a queue bounded in bytes; only
/// that thread ever blocks on the file or pipe. spamd writes each line
/// synchronously (`-s FILE`, syslog), one process per child; swamp's
/// connections share a few event loops, and a blocking write to a stderr
/// pipe whose reader stalls (a full pipe buffer) would stop every
/// connection on the loop. When the queue is full, lines are dropped and
/// counted, and once the writer catches up it writes one line saying how
/// many were lost.
public final class LogWriter: @unchecked Sendable {  // mutable state guarded by `condition`, or writer-thread only
    public enum Destination: Sendable, Equatable {
        case standardError
        /// Appended to, created with mode 0640 when missing; `reopen()`
        /// opens the path anew (spamd's `-s FILE`, rotated by logrotate
        /// and a SIGHUP).
        case file(String)
    }

    public let destination: Destination
    /// Most bytes the queue holds; a line that does not fit is dropped.
    public let capacity: Int

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [UInt8] = []
    private var queuedLines = 0
    private var dropped = 0
    private var replacement: Int32?
    private var stopping = false
    private var stopped = false
    /// The writer wrote a batch a moment ago and waits `pace` before the
    /// next: lines queued meanwhile wake nobody. Under load the writer
    /// wakes a few times a second instead of once a line (each wake is a
    /// thread switch); a line logged while it is idle is written at once.
    private var pacing = false
    static let pace: TimeInterval = 0.05
    // The writer thread's alone once it has started.
    private var descriptor: Int32
    private let ownsDescriptor: Bool

    /// Opens the destination; a file that cannot be opened is an error
    /// here, at start, rather than lines lost later.
    public convenience init(_ destination: Destination, capacity: Int = 1 << 20) throws {
        switch destination {
        case .standardError:
            self.init(descriptor: STDERR_FILENO, owned: false, destination: destination, capacity: capacity)
        case .file(let path):
            self.init(descriptor: try Self.openFile(path), owned: true, destination: destination, capacity: capacity)
        }
    }

    /// Writes to `descriptor`, which the caller keeps open until
    /// `shutdown` returns.
    convenience init(descriptor: Int32, capacity: Int) {
        self.init(descriptor: descriptor, owned: false, destination: .standardError, capacity: capacity)
    }

    private init(descriptor: Int32, owned: Bool, destination: Destination, capacity: Int) {
        self.descriptor = descriptor
        self.ownsDescriptor = owned
        self.destination = destination
        self.capacity = capacity
        let thread = Thread { [self] in writeUntilStopped() }
        thread.name = "swamp-log"
        thread.start()
    }

    /// Queues one line (with its newline); false when it was dropped.
    @discardableResult
    public func enqueue(_ line: String) -> Bool {
        let size = line.utf8.count
        condition.lock()
        defer { condition.unlock() }
        // Once a line is dropped, the ones after it are too until the
        // writer has taken the queue: its note then stands where the gap is.
        guard !stopping, dropped == 0, queue.count + size <= capacity else {
            dropped += 1
            // The first drop wakes the writer, which writes the note (and
            // takes the queue, which ends the drops) even when the queue
            // is empty: a single line larger than the queue.
            if dropped == 1 { condition.broadcast() }
            return false
        }
        queue.append(contentsOf: line.utf8)
        queuedLines += 1
        // Broadcast: `shutdown` may be waiting on the condition as well.
        if !pacing || queue.count > capacity / 4 { condition.broadcast() }
        return true
    }

    /// Lines dropped since the writer last took the queue.
    var droppedSoFar: Int { condition.withLock { dropped } }

    /// Opens the file's path anew, after log rotation moved the old file
    /// away; the writer switches before its next write. Throws, leaving
    /// the old file in use, when the path cannot be opened. Does nothing
    /// for standard error.
    public func reopen() throws {
        guard case .file(let path) = destination else { return }
        let fd = try Self.openFile(path)
        condition.withLock {
            if let earlier = replacement { close(earlier) }  // two SIGHUPs before the writer switched
            replacement = fd
            condition.broadcast()
        }
    }

    /// Writes what is queued, then ends the writer thread; lines logged
    /// afterwards are dropped. Waits at most `timeout`: a sink that does not
    /// take the lines (a stalled pipe) must not keep the daemon from
    /// exiting. True when everything was written.
    @discardableResult
    public func shutdown(timeout: Duration) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds)
                                + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while !stopped {
            if !condition.wait(until: deadline) { return stopped }
        }
        return true
    }

    // MARK: - The writer thread

    private func writeUntilStopped() {
        var batch: [UInt8] = []
        // Lines lost to drops or write errors and not yet reported.
        var unreported = 0
        var wrote = false
        while true {
            condition.lock()
            if wrote && !stopping && replacement == nil && queue.count <= capacity / 4 && dropped == 0 {
                // A batch went out just now: let the next lines gather.
                pacing = true
                _ = condition.wait(until: Date(timeIntervalSinceNow: Self.pace))
                pacing = false
            }
            while queue.isEmpty && dropped == 0 && replacement == nil && !stopping {
                condition.wait()
            }
            if stopping && queue.isEmpty && dropped == 0 && replacement == nil {
                condition.unlock()
                break
            }
            // The emptied buffer of the last batch becomes the queue: no
            // allocation per batch once both have grown.
            swap(&batch, &queue)
            let lines = queuedLines
            queuedLines = 0
            unreported += dropped
            dropped = 0
            let switchTo = replacement
            replacement = nil
            condition.unlock()

            if let switchTo {
                if ownsDescriptor { close(descriptor) }
                descriptor = switchTo
            }
            wrote = !batch.isEmpty
            if !writeAll(batch) {
                unreported += lines
            } else if unreported > 0 {
                let note = LogLine.format(level: .warning, label: "swamp", metadata: [:], source: "SwampServer",
                                          message: "\(unreported) log line\(unreported == 1 ? "" : "s") dropped: the log did not keep up")
                if writeAll(Array(note.utf8)) { unreported = 0 }
            }
            batch.removeAll(keepingCapacity: true)
        }
        if ownsDescriptor { close(descriptor) }
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    /// Writes all of `bytes`, waiting while the descriptor is full; false
    /// on an error (the bytes are lost).
    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = write(descriptor, base + offset, buffer.count - offset)
                if n >= 0 {
                    offset += n
                } else if errno == EAGAIN || errno == EWOULDBLOCK {
                    // Standard error inherited in non-blocking mode.
                    var p = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, -1)
                } else if errno != EINTR {
                    return false
                }
            }
            return true
        }
    }

    static func openFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw LogFileError(path: path, errno: errno) }
        return fd
    }
}

public struct LogFileError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "cannot open log file \(path): \(String(cString: strerror(errno)))" }
}

/// swift-log's handler for the daemon: the line StreamLogHandler writes
/// (tests and log watchers read it), queued on a `LogWriter`.
public struct DaemonLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata = Logger.Metadata()
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let writer: LogWriter

    public init(label: String, writer: LogWriter, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.writer = writer
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        writer.enqueue(LogLine.format(level: event.level, label: label, metadata: all, source: event.source,
                                      message: "\(event.message)"))
    }
}

/// One log line as swift-log's StreamLogHandler writes it:
///
///     2025-01-02T03:04:05+0000 info swamp: connection.id=7 [SwampServer] result: ...
enum LogLine {
    static func format(level: Logger.Level, label: String, metadata: Logger.Metadata, source: String,
                       message: String) -> String {
        let pretty = metadata.isEmpty ? ""
            : " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(timestamp()) \(level)\(label.isEmpty ? "" : " ")\(label):\(pretty) [\(source)] \(message)\n"
    }

    static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
