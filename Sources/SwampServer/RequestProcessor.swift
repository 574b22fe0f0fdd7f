import Foundation
import Logging
import NIOCore
import NIOPosix
import SwampEngine
import SwampMIME
import SwampScan
import SwampSpamd

/// What TELL does: learn or forget one message in the Bayes store.
/// Blocking (SQLite writes): the server calls it on its learning threads,
/// never on an event loop or a scan thread.
public protocol MessageLearner: Sendable {
    /// Learns (`learn != nil`) and/or forgets the message for `user`;
    /// returns what was done, empty when it was learned already.
    func tell(message: [UInt8], user: SpamdUserName?, learn: SpamdMessageClass?, forget: Bool) throws
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

/// A served request's effect, for the log line and the metrics.
struct ScanSummary: Sendable {
    let isSpam: Bool
    let score: Double
    let requiredScore: Double
    let tests: [String]
    let size: Int
    let messageID: String?
    let scanTime: Duration
    let dnsQueries: Int
}

/// Turns one decoded request into its response: inflates, checks the user,
/// waits for a scan slot, scans on the thread pool under the time budget,
/// renders. No socket in sight (the connection does the I/O).
struct RequestProcessor: Sendable {
    let configuration: ServerConfiguration
    let scanners: ScannerStore
    let slots: ScanSlots
    let threadPool: NIOThreadPool
    /// TELL's SQLite writes run here, so a slow write holds neither an
    /// event loop nor a scan thread.
    let learningPool: NIOThreadPool
    let eventLoop: any EventLoop
    let learner: (any MessageLearner)?
    let metrics: ServerMetrics

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
        metrics.scanStarted()
        defer { metrics.scanEnded() }
        // 2. Admission among the scans under way, then a scan slot, waiting
        //    in the bounded queue for at most queueTimeout.
        try await admitAndAcquireSlot()
        // 3. The scan, in a task of its own that owns the slot and the
        //    admission: past the hard deadline the client gets EX_TIMEOUT,
        //    and the task (whose thread work cannot be stopped) ends, frees
        //    its slot and retires later.
        let setup = scanners.current.setup
        let limit = configuration.timeLimit
            ?? .milliseconds(Int64(setup.scanner.configuration.timeLimit * 1000))
        let work = eventLoop.makePromise(of: (SpamdResponse, ScanSummary).self)
        // On the connection's event loop, as the connection's own tasks
        // (see EventLoopTaskExecutor): an unstructured task would not
        // inherit that preference and would wake the global pool's threads.
        Task(executorPreference: EventLoopTaskExecutor(eventLoop)) {
            defer { self.slots.retire() }
            do {
                work.succeed(try await self.runScan(request, setup: setup, user: user, limit: limit, logger: logger))
            } catch {
                work.fail(error)
            }
        }
        let (response, summary) = try await Self.withDeadline(
            work.futureResult, after: configuration.hardDeadline(budget: limit), on: eventLoop,
            timeout: SpamdError.scanTimeout(seconds: Int(limit.seconds.rounded(.up)), command: request.command))
        // 4. One line per scan, in spamd's words.
        ScanLog.result(summary, user: user, peer: peer, logger: logger)
        metrics.scanned(isSpam: summary.isSpam, seconds: summary.scanTime.seconds, rules: summary.tests,
                        bytes: summary.size, dnsQueries: summary.dnsQueries)
        return response
    }

    /// A scan after its first CPU step: parsed and rendered, waiting for
    /// the network checks.
    private struct Pending: Sendable {
        let scanner: SpamScanner
        let message: Message
        let views: Views
        let facts: Facts
        let start: ContinuousClock.Instant
    }

    private enum FirstStep: Sendable {
        case done(SpamdResponse, ScanSummary)
        case waitingForNetwork(Pending, NetworkChecks)
    }

    /// The scan proper, entered holding a slot. CPU work runs on the thread
    /// pool holding a slot; the network checks (DNS) hold none, so a hung
    /// DNS server ties up no scan thread and no slot, and scans that need
    /// no answer from it keep their pace. Scans waiting for DNS stay
    /// admitted, so their number (and their parsed messages) is bounded by
    /// `--max-children` plus `--max-queue`, not by `--max-connections`.
    private func runScan(_ request: SpamdRequest, setup: ScanSetup, user: SpamdUserName?, limit: Duration,
                         logger: Logger) async throws -> (SpamdResponse, ScanSummary) {
        let delay = configuration.scanDelayForTesting
        let inflatedLimit = configuration.inflatedLimit
        let command = request.command
        let slots = self.slots
        // a. Inflate, pick the Bayes database, parse, render the views; with
        //    no network checks, the whole scan.
        let first = try await onPool { () throws -> FirstStep in
            if let delay { Thread.sleep(forTimeInterval: delay.seconds) }
            let start = ContinuousClock.now
            let bytes = try Self.messageBytes(request, inflatedLimit: inflatedLimit)
            let scanner = Self.scanner(for: user, setup: setup, logger: logger)
            let facts = Facts(deadline: start + limit)
            let (message, views) = scanner.prepare(bytes, sideThread: slots.coreToSpare)
            let pending = Pending(scanner: scanner, message: message, views: views, facts: facts, start: start)
            guard let network = setup.network else {
                let (response, summary) = Self.finish(command, pending, facts: facts, findings: nil,
                                                      sideThread: slots.coreToSpare)
                return .done(response, summary)
            }
            return .waitingForNetwork(pending, network)
        }
        let pending: Pending, network: NetworkChecks
        switch first {
        case .done(let response, let summary): return (response, summary)
        case .waitingForNetwork(let p, let n): (pending, network) = (p, n)
        }
        // b. SPF, DKIM, DNS blocklists, reverse DNS under the message's
        //    budget; a dead DNS server costs time, never the scan.
        // Off the event loop: DKIM hashes the body, SPF and URIBL parse,
        // and this task runs on the connection's loop otherwise.
        let (findings, facts) = await withTaskExecutorPreference(globalConcurrentExecutor) {
            var facts = pending.facts
            let findings = await pending.scanner.checkNetwork(network, views: pending.views, facts: &facts)
            return (findings, facts)
        }
        // c. Rules, Bayes, score and reply, ahead of requests not yet begun.
        try await acquireSlot(resuming: true)
        let networkFacts = facts
        return try await onPool {
            Self.finish(command, pending, facts: networkFacts, findings: findings, sideThread: slots.coreToSpare)
        }
    }

    /// Runs `work` on the scan threads; the caller holds a slot, which is
    /// released when the work ends (however it ends).
    private func onPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        defer { slots.release() }
        return try await threadPool.runIfActive(eventLoop: eventLoop, work).get()
    }

    /// The scanner for this request: with `--user-dbs` and a `User:`, one
    /// that reads that user's Bayes database (or none, for a user who has
    /// not trained one: then autolearn may create it); else the site's
    /// (once it exists: `LateSiteBayes`).
    static func scanner(for user: SpamdUserName?, setup: ScanSetup, logger: Logger) -> SpamScanner {
        guard let databases = setup.userBayes, let user else { return setup.siteScanner }
        let base = setup.scanner
        do {
            let (bayes, creator) = try databases.bayes(for: user)
            return SpamScanner(ruleSet: base.ruleSet, hostname: base.hostname, bayes: bayes, creator: creator)
        } catch {
            logger.warning("Bayes database of user \(user) cannot be used, scoring without Bayes: \(error)")
            return SpamScanner(ruleSet: base.ruleSet, hostname: base.hostname, bayes: nil)
        }
    }

    /// Rules, metas, score, the reply and its summary; the network
    /// findings' notes and Received-SPF line go into reports.
    /// `sideThread`: the scan takes a second thread (Bayes and some of the
    /// rules; see `SpamScanner.finish`) when a core would otherwise idle:
    /// fewer scans than cores.
    private static func finish(_ command: SpamdCommand, _ p: Pending, facts: Facts, findings: NetworkFindings?,
                               sideThread: Bool)
        -> (SpamdResponse, ScanSummary) {
        let result = p.scanner.evaluate(message: p.message, views: p.views, facts: facts, network: findings,
                                        sideThread: sideThread)
        let response = render(command, result: result, scanner: p.scanner)
        let v = result.verdict
        let summary = ScanSummary(isSpam: v.isSpam, score: v.score, requiredScore: v.requiredScore,
                                  tests: v.tests, size: p.message.bytes.count, messageID: messageID(result),
                                  scanTime: ContinuousClock.now - p.start, dnsQueries: findings?.dnsQueries ?? 0)
        return (response, summary)
    }

    /// Admits a new scan and waits for its first slot. Admission bounds the
    /// scans under way, those waiting for DNS without a slot included; a
    /// scan refused a slot (queue full, queue timeout, cancelled) is retired
    /// here, an admitted one by its task when that ends.
    private func admitAndAcquireSlot() async throws {
        try slots.admit()
        do {
            try await acquireSlot()
        } catch {
            slots.retire()
            throw error
        }
    }

    /// Waits for a scan slot. `resuming`: for a scan that has begun and
    /// comes back from its network checks, which goes ahead of requests
    /// not yet begun and is never refused for a full queue.
    private func acquireSlot(resuming: Bool = false) async throws {
        // A free slot is taken at once, without the two tasks and the
        // timer that waiting needs (a slot is free only when nobody waits).
        if slots.tryAcquire() { return }
        let timeout = configuration.queueTimeout
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await slots.acquire(priority: resuming); return true }
            group.addTask { try await Task.sleep(for: timeout); return false }
            let acquired = try await group.next()!
            group.cancelAll()
            // After a timeout the acquire may still have won a slot in
            // the race with cancellation: give it back.
            while let other = try? await group.next() { if other { slots.release() } }
            if !acquired { throw ServerError.queueTimeout(seconds: Int(timeout.seconds)) }
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
        guard let field = result.message.headers.first(where: { $0.isNamed("message-id") }) else {
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
        let learn = request.set.contains(.local) ? request.messageClass : nil
        let forget = request.remove.contains(.local)
        // Inflating and the SQLite transaction both run on the learning
        // threads; a write stuck behind another process's lock is answered
        // with EX_TIMEOUT once the scan budget is spent.
        let work = learningPool.runIfActive(eventLoop: eventLoop) {
            let message = try Self.messageBytes(request, inflatedLimit: inflatedLimit)
            return try learner.tell(message: message, user: user, learn: learn, forget: forget)
        }
        // As a scan's budget: `time_limit` in milliseconds (0.5 is not 0).
        let budget = configuration.timeLimit ?? .milliseconds(Int64(scanners.current.scanner.configuration.timeLimit * 1000))
        let done = try await Self.withDeadline(
            work, after: configuration.hardDeadline(budget: budget), on: eventLoop,
            timeout: SpamdError.scanTimeout(seconds: Int(budget.seconds.rounded(.up)), command: .tell))
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
