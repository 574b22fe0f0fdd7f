import Foundation
import NIOConcurrencyHelpers

/// Runs jobs one at a time on a thread of its own, where only the latest
/// job matters. The daemon builds each loaded rule set's multi-pattern
/// stage here (Hyperscan: seconds of CPU and tens of MiB of heap each), so
/// that reloads in quick succession (SIGHUP) never compile side by side.
/// A job submitted while another runs waits for it and replaces any job
/// still waiting: a rule set replaced before its turn serves no more scans
/// and needs no stage. Nothing runs before `start()`: the daemon starts
/// the worker once it has dropped privileges (`--username`), so that what
/// the jobs write (the multi-pattern cache) belongs to the user it serves as.
public final class SupersedingWorker: Sendable {
    public typealias Job = @Sendable () -> Void

    private struct State {
        var started = false
        /// A thread is draining `pending`; at most one ever is.
        var running = false
        var pending: Job?

        /// Whether the caller is to start the draining thread.
        mutating func claimThread() -> Bool {
            guard started, !running, pending != nil else { return false }
            running = true
            return true
        }

        /// The job to run next; none lets the draining thread end.
        mutating func next() -> Job? {
            guard let job = pending else {
                running = false
                return nil
            }
            pending = nil
            return job
        }
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Queues `job` in place of any job not yet begun; it runs once the
    /// worker is started and the job in progress, if any, has ended.
    public func submit(_ job: @escaping Job) {
        let spawn = state.withLockedValue { s in
            s.pending = job
            return s.claimThread()
        }
        if spawn { drainOnNewThread() }
    }

    /// Lets jobs run, the one submitted last first of all; once only matters.
    public func start() {
        let spawn = state.withLockedValue { s in
            s.started = true
            return s.claimThread()
        }
        if spawn { drainOnNewThread() }
    }

    /// The thread lives while there is work: an idle worker holds none.
    private func drainOnNewThread() {
        Thread.detachNewThread {
            while let job = self.state.withLockedValue({ $0.next() }) { job() }
        }
    }
}
