import Foundation
import NIOConcurrencyHelpers
import SwampMIME
import Testing
@testable import SwampServer

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:7830", "127.0.0.1", 7830, false),
        ("[::1]:783", "::1", 783, false),
        ("::1", "::1", 783, false),
        ("localhost", "localhost", 783, false),
        ("*:1234", "0.0.0.0", 1234, false),
        (":1234", "0.0.0.0", 1234, false),
        ("ssl:127.0.0.1:7831", "127.0.0.1", 7831, true),
    ])
    func parses(_ text: String, _ host: String, _ port: Int, _ tls: Bool) throws {
        let address = try #require(ListenAddress(parsing: text))
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.tls == tls)
    }

    @Test(arguments: ["127.0.0.1:99999", "127.0.0.1:x", "[::1", "[::1]x"])
    func rejects(_ text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }

    @Test func defaultDependsOnRoot() {
        #expect(ServerConfiguration.defaultListenAddress(isRoot: true).description == "127.0.0.1:783")
        #expect(ServerConfiguration.defaultListenAddress(isRoot: false).description == "127.0.0.1:7830")
    }
}

@Suite struct AccessListTests {
    @Test func loopbackByDefault() throws {
        let list = AccessList(networks: ServerConfiguration.loopbackNetworks)
        #expect(list.allows(try .init(ipAddress: "127.0.0.1", port: 1)))
        #expect(list.allows(try .init(ipAddress: "::1", port: 1)))
        #expect(!list.allows(try .init(ipAddress: "10.1.2.3", port: 1)))
        #expect(!list.allows(nil))
    }

    @Test func networksNegationAndMappedAddresses() throws {
        let list = AccessList(networks: try #require(IPNetwork.parseList("!10.9.0.0/16, 10.0.0.0/8,127.")))
        #expect(list.allows(try .init(ipAddress: "10.1.2.3", port: 1)))
        #expect(!list.allows(try .init(ipAddress: "10.9.2.3", port: 1)))
        #expect(list.allows(try .init(ipAddress: "127.0.0.5", port: 1)))
        #expect(list.allows(try .init(ipAddress: "::ffff:10.1.2.3", port: 1)))
        #expect(!list.allows(try .init(ipAddress: "192.168.1.1", port: 1)))
        #expect(IPNetwork.parseList("10.0.0.0/99") == nil)
    }
}

@Suite struct ZlibTests {
    @Test func roundTripAndCap() throws {
        let text = Array(String(repeating: "swamp ", count: 10_000).utf8)
        let packed = deflate(text)
        #expect(try Zlib.inflate(packed, limit: text.count) == text)
        #expect(throws: Zlib.Failure.tooBig(limit: text.count - 1)) { try Zlib.inflate(packed, limit: text.count - 1) }
        #expect(throws: Zlib.Failure.self) { try Zlib.inflate(Array(packed.dropLast(10)), limit: 1 << 20) }
        #expect(throws: Zlib.Failure.self) { try Zlib.inflate([1, 2, 3], limit: 1 << 20) }
        #expect(throws: Zlib.Failure.self) { try Zlib.inflate([], limit: 1 << 20) }
    }
}

// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10))) struct ScanSlotsTests {
    /// A scan may take a second thread only while fewer scans run than
    /// there are cores, and never with --max-children 1.
    @Test func aCoreToSpareOnlyBelowCoresAndTheLimit() {
        let one = ScanSlots(limit: 1, queueLimit: 1)
        #expect(one.tryAcquire())
        #expect(!one.coreToSpare)
        let many = ScanSlots(limit: 64, queueLimit: 1)
        #expect(many.tryAcquire())
        #expect(many.coreToSpare == (ScanSlots.cores > 1))
        for _ in 1..<ScanSlots.cores { #expect(many.tryAcquire()) }
        #expect(!many.coreToSpare)
        many.release()
        #expect(many.coreToSpare)
    }

    @Test func capsConcurrencyAndQueue() async throws {
        let slots = ScanSlots(limit: 2, queueLimit: 1)
        try await slots.acquire()
        try await slots.acquire()
        #expect(slots.inUse == 2)
        let waiter = Task { try await slots.acquire() }
        while slots.waiting == 0 { await Task.yield() }
        await #expect(throws: ServerError.busy(queued: 1)) { try await slots.acquire() }
        slots.release()  // hands the slot to the waiter
        try await waiter.value
        #expect(slots.inUse == 2)
        slots.release()
        slots.release()
        #expect(slots.inUse == 0)
    }

    @Test func cancelledWaiterLeavesTheQueue() async throws {
        let slots = ScanSlots(limit: 1, queueLimit: 4)
        try await slots.acquire()
        let waiter = Task { try await slots.acquire() }
        while slots.waiting == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(slots.waiting == 0)
        slots.release()
        #expect(slots.inUse == 0)
    }

    /// A scan back from its network checks goes ahead of requests waiting
    /// to begin, and is let in even when the queue is full.
    @Test func resumingScanGoesFirstPastAFullQueue() async throws {
        let slots = ScanSlots(limit: 1, queueLimit: 1)
        try await slots.acquire()
        let order = NIOLockedValueBox<[String]>([])
        let fresh = Task { try await slots.acquire(); order.withLockedValue { $0.append("fresh") } }
        while slots.waiting < 1 { await Task.yield() }
        await #expect(throws: ServerError.busy(queued: 1)) { try await slots.acquire() }
        let resuming = Task { try await slots.acquire(priority: true); order.withLockedValue { $0.append("resuming") } }
        while slots.waiting < 2 { await Task.yield() }
        slots.release()
        try await resuming.value
        #expect(order.withLockedValue { $0 } == ["resuming"])
        slots.release()
        try await fresh.value
        #expect(order.withLockedValue { $0 } == ["resuming", "fresh"])
        slots.release()
        #expect(slots.inUse == 0)
    }
}

extension ScanSlotsTests {
    /// Scans waiting for DNS hold no slot but stay admitted: with one slot
    /// and a queue of two, three scans that took their first slot and gave
    /// it back (as for the network checks) leave no room for a fourth,
    /// though no slot is busy and nobody waits.
    @Test func admissionBoundsScansWithoutASlot() async throws {
        let slots = ScanSlots(limit: 1, queueLimit: 2)
        for _ in 0..<3 {
            try slots.admit()
            try await slots.acquire()
            slots.release()
        }
        #expect(slots.inUse == 0 && slots.waiting == 0 && slots.admitted == 3)
        #expect(throws: ServerError.busy(queued: 2)) { try slots.admit() }
        // Coming back from DNS needs no admission, and is never refused.
        try await slots.acquire(priority: true)
        slots.release()
        slots.retire()
        try slots.admit()
        #expect(slots.admitted == 3)
        for _ in 0..<3 { slots.retire() }
        #expect(slots.admitted == 0)
    }

    /// Admitted scans waiting for their first slot count too: with the
    /// slot busy and one waiting, a queue of one is full by admission.
    @Test func admissionCountsScansWaitingForASlot() async throws {
        let slots = ScanSlots(limit: 1, queueLimit: 1)
        try slots.admit()
        try await slots.acquire()
        try slots.admit()
        let waiter = Task { try await slots.acquire() }
        while slots.waiting == 0 { await Task.yield() }
        #expect(throws: ServerError.busy(queued: 1)) { try slots.admit() }
        slots.release()
        try await waiter.value
        slots.release()
        slots.retire()
        slots.retire()
        #expect(slots.admitted == 0 && slots.inUse == 0)
    }
}

// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10))) struct SupersedingWorkerTests {
    /// What the jobs did: their names in the order they ran, and the most
    /// that ever ran at once.
    final class Record: Sendable {
        private let state = NIOLockedValueBox((ran: [String](), running: 0, most: 0))
        let finished = DispatchSemaphore(value: 0)

        var ran: [String] { state.withLockedValue { $0.ran } }
        var most: Int { state.withLockedValue { $0.most } }

        /// A job named `name`; with `gate`, it signals `started` and then
        /// waits for the gate before it ends.
        func job(_ name: String, started: DispatchSemaphore? = nil,
                 gate: DispatchSemaphore? = nil) -> SupersedingWorker.Job {
            { [self] in
                state.withLockedValue { $0.running += 1; $0.most = max($0.most, $0.running) }
                started?.signal()
                gate?.wait()
                state.withLockedValue { $0.ran.append(name); $0.running -= 1 }
                finished.signal()
            }
        }

        func waitForJobs(_ count: Int) -> Bool {
            (0..<count).allSatisfy { _ in finished.wait(timeout: .now() + 10) == .success }
        }
    }

    /// The daemon loads its rules as root and starts the worker once it has
    /// dropped privileges: nothing may run before, and of what was
    /// submitted by then only the latest runs.
    @Test func nothingRunsBeforeStart() {
        let worker = SupersedingWorker()
        let record = Record()
        worker.submit(record.job("first"))
        worker.submit(record.job("second"))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(record.ran.isEmpty)
        worker.start()
        #expect(record.waitForJobs(1))
        Thread.sleep(forTimeInterval: 0.1)
        #expect(record.ran == ["second"])
    }

    /// Reloads in quick succession: the compile in progress finishes, the
    /// newest rule set's comes next, the ones in between never run, and no
    /// two ever run at once. An idle worker takes new work again.
    @Test func newestJobSupersedesWaitingOnesAndNoneOverlap() {
        let worker = SupersedingWorker()
        worker.start()
        let record = Record()
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        worker.submit(record.job("1", started: started, gate: gate))
        #expect(started.wait(timeout: .now() + 10) == .success)
        for name in ["2", "3", "4"] { worker.submit(record.job(name)) }
        gate.signal()
        #expect(record.waitForJobs(2))
        Thread.sleep(forTimeInterval: 0.1)
        #expect(record.ran == ["1", "4"])
        worker.submit(record.job("5"))
        #expect(record.waitForJobs(1))
        #expect(record.ran == ["1", "4", "5"])
        #expect(record.most == 1)
    }
}

@Suite struct MetricsPageTests {
    @Test func metricsPageFormat() {
        let metrics = ServerMetrics()
        metrics.scanned(isSpam: true, seconds: 0.02, rules: ["GTUBE", "A\"B"], bytes: 100, dnsQueries: 3)
        metrics.scanned(isSpam: false, seconds: 99, rules: [], bytes: 50, dnsQueries: 0)
        metrics.failed(.tooBig)
        let page = metrics.render(ServerMetrics.Gauges())
        #expect(page.contains("swamp_scans_total{result=\"spam\"} 1\n"))
        #expect(page.contains("swamp_scans_total{result=\"ham\"} 1\n"))
        // Buckets are cumulative; 99 s falls only into +Inf.
        #expect(page.contains("swamp_scan_duration_seconds_bucket{le=\"0.01\"} 0\n"))
        #expect(page.contains("swamp_scan_duration_seconds_bucket{le=\"0.025\"} 1\n"))
        #expect(page.contains("swamp_scan_duration_seconds_bucket{le=\"60\"} 1\n"))
        #expect(page.contains("swamp_scan_duration_seconds_bucket{le=\"+Inf\"} 2\n"))
        #expect(page.contains("swamp_rule_hits_total{rule=\"A\\\"B\"} 1\n"))
        #expect(page.contains("swamp_errors_total{kind=\"EX_TOOBIG\"} 1\n"))
        #expect(page.contains("swamp_scanned_bytes_total 150\n"))
        #expect(page.contains("swamp_dns_queries_total 3\n"))
    }

    @Test func ruleNamesAreBounded() {
        let metrics = ServerMetrics()
        let names = (0..<(ServerMetrics.maxRuleNames + 5)).map { "R\($0)" }
        metrics.scanned(isSpam: true, seconds: 0.1, rules: names, bytes: 1, dnsQueries: 0)
        let page = metrics.render(ServerMetrics.Gauges())
        #expect(page.components(separatedBy: "swamp_rule_hits_total{").count - 1 == ServerMetrics.maxRuleNames + 1)
        #expect(page.contains("swamp_rule_hits_total{rule=\"_other\"} 5\n"))
    }
}

/// What a graceful shutdown waits on: the connections still open.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10))) struct ConnectionCountTests {
    @Test func waitsForTheLastConnectionToClose() async {
        let count = ConnectionCount()
        await count.waitUntilNone()   // none open: at once
        #expect(count.opened(admitting: true, limit: 1))
        #expect(!count.opened(admitting: true, limit: 1))   // over the limit: open, not admitted
        #expect(count.admitted == 1)
        let done = NIOLockedValueBox(false)
        let waiter = Task { await count.waitUntilNone(); done.withLockedValue { $0 = true } }
        count.closed(admitted: true)
        #expect(count.admitted == 0)
        try? await Task.sleep(for: .milliseconds(50))
        #expect(!done.withLockedValue { $0 })   // one is still open
        count.closed(admitted: false)
        await waiter.value
        #expect(done.withLockedValue { $0 })
    }

    /// Past the shutdown's time limit the service group cancels: the wait
    /// ends though a connection is still open.
    @Test func cancellationEndsTheWait() async {
        let count = ConnectionCount()
        count.opened(admitting: false, limit: 1)
        let waiter = Task { await count.waitUntilNone() }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await waiter.value
        // Cancelled before waiting: no wait at all.
        let late = Task { await count.waitUntilNone() }
        late.cancel()
        await late.value
    }
}
