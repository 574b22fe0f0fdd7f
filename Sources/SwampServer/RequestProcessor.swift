import Foundation
import Logging
import NIOCore
import NIOPosix
import SwampScan
import SwampSpamd

/// What TELL does once the daemon has somewhere to learn. swamp has no
/// Bayes store yet, so `SpamdServer` runs without one and answers TELL with
/// `ServerError.learningUnavailable`.
public protocol MessageLearner: Sendable {
    /// Learns (`learn != nil`) and/or forgets the message for `user`;
    /// returns what was done, empty when it was learned already.
    func tell(message: [UInt8], user: SpamdUserName?, learn: SpamdMessageClass?, forget: Bool) async throws
        -> (didSet: SpamdTellTargets, didRemove: SpamdTellTargets)
}

/// Who sent a request, for the log line.
struct PeerInfo: Sendable, CustomStringConvertible {
    let address: SocketAddress?
    let connectionID: UInt64

    var description: String {
        switch address {
        case .some(.unixDomainSocket): "unix socket"
        case .some(let a): "\(a.ipAddress ?? "?"):\(a.port ?? 0)"
        case .none: "unknown"
        }
    }
}

/// A served request's effect, for the log line.
struct ScanSummary: Sendable {
    let isSpam: Bool
    let score: Double
    let requiredScore: Double
    let tests: [String]
    let size: Int
    let messageID: String?
    let scanTime: Duration
}

/// Turns one decoded request into its response: inflates, checks the user,
/// waits for a scan slot, scans on the thread pool under the time budget,
/// renders. No socket in sight (the connection does the I/O).
struct RequestProcessor: Sendable {
    let configuration: ServerConfiguration
    let scanners: ScannerStore
    let slots: ScanSlots
    let threadPool: NIOThreadPool
    let eventLoop: any EventLoop
    let learner: (any MessageLearner)?

    func respond(to request: SpamdRequest, peer: PeerInfo, logger: Logger) async throws -> SpamdResponse {
        switch request.command {
        case .ping: return .pong
        case .skip: return .skip
        case .tell: return try await tell(request, logger: logger)
        case .check, .symbols, .report, .reportIfSpam, .process, .headers:
            return try await scan(request, peer: peer, logger: logger)
        }
    }

    // MARK: - Scanning

    private func scan(_ request: SpamdRequest, peer: PeerInfo, logger: Logger) async throws -> SpamdResponse {
        // 1. The user name, before any work (a name is never a path).
        let user = try request.validatedUser(maxLength: configuration.maxUserLength)
        // 2. A scan slot, waiting in the bounded queue for at most queueTimeout.
        try await acquireSlot()
        // 3. Inflate, scan and render on the thread pool under the budget;
        //    the slot is released when the work ends, even after a timeout.
        let snapshot = scanners.current
        let limit = configuration.timeLimit
            ?? .milliseconds(Int64(snapshot.scanner.configuration.timeLimit * 1000))
        let delay = configuration.scanDelayForTesting
        let inflatedLimit = configuration.inflatedLimit
        let work = threadPool.runIfActive(eventLoop: eventLoop) { () throws -> (SpamdResponse, ScanSummary) in
            if let delay { Thread.sleep(forTimeInterval: delay.seconds) }
            let start = ContinuousClock.now
            let message = try Self.messageBytes(request, inflatedLimit: inflatedLimit)
            let scanner = snapshot.scanner
            let result = scanner.scan(message, timeLimit: limit)
            let response = Self.render(request.command, result: result, scanner: scanner)
            let v = result.verdict
            let summary = ScanSummary(isSpam: v.isSpam, score: v.score, requiredScore: v.requiredScore,
                                      tests: v.tests, size: message.count,
                                      messageID: Self.messageID(result), scanTime: ContinuousClock.now - start)
            return (response, summary)
        }
        work.whenComplete { _ in slots.release() }
        let (response, summary) = try await Self.withDeadline(
            work, after: configuration.hardDeadline(budget: limit), on: eventLoop,
            timeout: SpamdError.scanTimeout(seconds: Int(limit.seconds.rounded(.up)), command: request.command))
        // 4. One line per scan, in spamd's words.
        ScanLog.result(summary, user: user, peer: peer, logger: logger)
        return response
    }

    private func acquireSlot() async throws {
        let timeout = configuration.queueTimeout
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await slots.acquire(); return true }
                group.addTask { try await Task.sleep(for: timeout); return false }
                let acquired = try await group.next()!
                group.cancelAll()
                // After a timeout the acquire may still have won a slot in
                // the race with cancellation: give it back.
                while let other = try? await group.next() { if other { slots.release() } }
                if !acquired { throw ServerError.queueTimeout(seconds: Int(timeout.seconds)) }
            }
        }
    }

    /// The message to scan: the body, inflated under the cap when compressed.
    static func messageBytes(_ request: SpamdRequest, inflatedLimit: Int) throws -> [UInt8] {
        guard request.compression == .zlib else { return request.body }
        do {
            return try Zlib.inflate(request.body, limit: inflatedLimit)
        } catch .tooBig(let limit) {
            throw ServerError.inflatedTooBig(limit: limit)
        } catch .corrupt(let why) {
            throw ServerError.inflateFailed(why)
        }
    }

    static func render(_ command: SpamdCommand, result: ScanResult, scanner: SpamScanner) -> SpamdResponse {
        let v = result.verdict
        let verdict = SpamdVerdict(score: v.score, threshold: v.requiredScore, isSpam: v.isSpam)
        switch command {
        case .check: return .check(verdict)
        case .symbols: return .symbols(verdict, ruleNames: v.tests)
        case .report: return .report(verdict, report: Array(scanner.report(for: result).utf8))
        case .reportIfSpam:
            return .reportIfSpam(verdict, report: v.isSpam ? Array(scanner.report(for: result).utf8) : [])
        case .process: return .process(verdict, message: scanner.processedMessage(for: result))
        case .headers: return .headers(verdict, message: scanner.processedMessage(for: result))
        case .ping, .skip, .tell: preconditionFailure("\(command) is not a scan")
        }
    }

    /// The first Message-ID, trimmed, for the log line.
    static func messageID(_ result: ScanResult) -> String? {
        guard let field = result.message.headers.first(where: { $0.name.lowercased() == "message-id" }) else {
            return nil
        }
        let text = String(decoding: field.rawValue, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    // MARK: - TELL

    private func tell(_ request: SpamdRequest, logger: Logger) async throws -> SpamdResponse {
        guard configuration.allowTell else { throw SpamdError.tellDisabled }
        let user = try request.validatedUser(maxLength: configuration.maxUserLength)
        let wantsLocal = request.set.contains(.local) || request.remove.contains(.local)
        guard wantsLocal else {
            // Only `remote` (spamc -C): swamp has no reporting services, so
            // nothing is done and spamc says "Unable to report".
            return .tell(didSet: [], didRemove: [])
        }
        guard let learner else { throw ServerError.learningUnavailable }
        let inflatedLimit = configuration.inflatedLimit
        let message = try await threadPool.runIfActive { try Self.messageBytes(request, inflatedLimit: inflatedLimit) }
        let done = try await learner.tell(message: message, user: user,
                                          learn: request.set.contains(.local) ? request.messageClass : nil,
                                          forget: request.remove.contains(.local))
        logger.info("tell: set=\(done.didSet.rawValue) remove=\(done.didRemove.rawValue) user=\(user?.string ?? "(none)")")
        return .tell(didSet: done.didSet.intersection(.local), didRemove: done.didRemove.intersection(.local))
    }

    // MARK: - Deadlines

    /// The future's value, or `timeout` thrown once `after` has passed. The
    /// work itself is not stopped (a thread cannot be), but nobody waits for it.
    static func withDeadline<T: Sendable>(
        _ future: EventLoopFuture<T>, after duration: Duration, on eventLoop: any EventLoop, timeout: any Error
    ) async throws -> T {
        let promise = eventLoop.makePromise(of: T.self)
        let timer = eventLoop.scheduleTask(in: .nanoseconds(duration.nanoseconds)) {
            promise.fail(timeout)
        }
        future.whenComplete { result in
            timer.cancel()
            promise.completeWith(result)
        }
        return try await promise.futureResult.get()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var nanoseconds: Int64 {
        let (s, a) = components
        let (product, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product &+ a / 1_000_000_000
    }
}
