import Foundation
import NIOConcurrencyHelpers

/// The `--max-children` cap and its queue. What it bounds:
///
/// - slots: at most `limit` scans do CPU work (hold a slot) at once;
/// - admitted scans: at most `limit + queueLimit` scans are under way at
///   all, counted from before they first wait for a slot until their scan
///   task ends. That covers scans waiting for their first slot, running,
///   waiting for their network checks (DNS) without a slot, and waiting to
///   resume; and a scan whose client was answered EX_TIMEOUT still counts
///   until its task (whose thread work cannot be stopped) is done. Each
///   holds its message (the request, later the parsed message and its
///   views), so this bounds their memory, which `--max-connections` alone
///   would not; a request beyond it is refused at once (`ServerError.busy`);
/// - the queue: at most `queueLimit` scans not yet begun wait for a slot
///   (first come, first served); scans resuming after their network checks
///   go first and are never refused, being admitted already.
final class ScanSlots: Sendable {
    private struct Waiter {
        let id: UInt64
        let priority: Bool
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        /// Priority waiters first, then the others, each in arrival order;
        /// bounded (by the scans admitted), so removing from the front is
        /// cheap.
        var waiters: [Waiter] = []
        var priorityWaiters = 0
        var nextID: UInt64 = 0
        /// Scans between `admit` and `retire`.
        var admitted = 0

        mutating func take(at i: Int) -> Waiter {
            let waiter = waiters.remove(at: i)
            if waiter.priority { priorityWaiters -= 1 }
            return waiter
        }
    }

    let limit: Int
    let queueLimit: Int
    private let state: NIOLockedValueBox<State>

    init(limit: Int, queueLimit: Int) {
        self.limit = max(1, limit)
        self.queueLimit = max(0, queueLimit)
        self.state = NIOLockedValueBox(State(available: max(1, limit)))
    }

    /// Scans running now.
    var inUse: Int { limit - state.withLockedValue { $0.available } }

    /// Whether fewer scans run than the machine has cores (and than
    /// `--max-children` allows: an administrator who set 1 meant one core),
    /// so that one may take a second thread (its Bayes step and some of its
    /// rules) without slowing the others.
    var coreToSpare: Bool { inUse < min(ScanSlots.cores, limit) }
    static let cores = ProcessInfo.processInfo.activeProcessorCount
    /// Requests waiting for a slot now.
    var waiting: Int { state.withLockedValue { $0.waiters.count } }
    /// Scans under way now, in whatever phase.
    var admitted: Int { state.withLockedValue { $0.admitted } }

    /// Lets a new scan in, or throws `ServerError.busy` when `limit +
    /// queueLimit` scans are under way already. Call before the scan first
    /// waits for a slot; every successful `admit` needs one `retire`, when
    /// the scan's work has truly ended (not when its client was answered).
    func admit() throws {
        let admitted = state.withLockedValue { s -> Bool in
            guard s.admitted < limit + queueLimit else { return false }
            s.admitted += 1
            return true
        }
        if !admitted { throw ServerError.busy(queued: queueLimit) }
    }

    /// An admitted scan has ended (or gave up waiting for its first slot).
    func retire() {
        state.withLockedValue { s in
            precondition(s.admitted > 0, "retire without admit")
            s.admitted -= 1
        }
    }

    /// Waits for a slot. Throws `ServerError.busy` when the queue is full
    /// and `CancellationError` when the waiting task is cancelled; either
    /// way no slot is held. Every successful `acquire` needs one `release`.
    /// A `priority` waiter (a scan resuming after its network checks) goes
    /// ahead of the others and is never refused: it was admitted once, and
    /// there are at most as many as scans in flight.
    func acquire(priority: Bool = false) async throws {
        enum Immediate { case granted, refused, wait(UInt64) }
        let immediate: Immediate = state.withLockedValue { s in
            if s.available > 0 {
                s.available -= 1
                return .granted
            }
            if !priority && s.waiters.count - s.priorityWaiters >= queueLimit { return .refused }
            s.nextID += 1
            return .wait(s.nextID)
        }
        let id: UInt64
        switch immediate {
        case .granted: return
        case .refused: throw ServerError.busy(queued: queueLimit)
        case .wait(let waiterID): id = waiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case cancelled, granted, queued }
                let outcome = state.withLockedValue { s -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    // A slot released since the first look (it found none
                    // and nobody to hand it to): take it, or this waiter
                    // would wait while a slot stays free.
                    if s.available > 0 {
                        s.available -= 1
                        return .granted
                    }
                    let waiter = Waiter(id: id, priority: priority, continuation: continuation)
                    if priority {
                        s.waiters.insert(waiter, at: s.priorityWaiters)
                        s.priorityWaiters += 1
                    } else {
                        s.waiters.append(waiter)
                    }
                    return .queued
                }
                switch outcome {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .granted: continuation.resume()
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s -> Waiter? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.take(at: i)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Takes a slot if one is free now; nobody waits while one is (a
    /// released slot goes straight to the longest waiter). Every `true`
    /// needs one `release`.
    func tryAcquire() -> Bool {
        state.withLockedValue { s in
            guard s.available > 0 else { return false }
            s.available -= 1
            return true
        }
    }

    /// Hands the slot to the longest waiter, or frees it.
    func release() {
        let next = state.withLockedValue { s -> Waiter? in
            if !s.waiters.isEmpty { return s.take(at: 0) }
            s.available = min(s.available + 1, limit)
            return nil
        }
        next?.continuation.resume()
    }
}
