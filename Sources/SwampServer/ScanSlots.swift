import NIOConcurrencyHelpers

/// The `--max-children` cap: at most `limit` scans run at once, at most
/// `queueLimit` requests wait for a slot (first come, first served), and
/// anything beyond is refused at once so that waiting is bounded too.
final class ScanSlots: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []  // at most queueLimit, so removeFirst is cheap
        var nextID: UInt64 = 0
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
    /// Requests waiting for a slot now.
    var waiting: Int { state.withLockedValue { $0.waiters.count } }

    /// Waits for a slot. Throws `ServerError.busy` when the queue is full
    /// and `CancellationError` when the waiting task is cancelled; either
    /// way no slot is held. Every successful `acquire` needs one `release`.
    func acquire() async throws {
        enum Immediate { case granted, refused, wait(UInt64) }
        let immediate: Immediate = state.withLockedValue { s in
            if s.available > 0 {
                s.available -= 1
                return .granted
            }
            if s.waiters.count >= queueLimit { return .refused }
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
                let cancelled = state.withLockedValue { s -> Bool in
                    if Task.isCancelled { return true }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s -> Waiter? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Hands the slot to the longest waiter, or frees it.
    func release() {
        let next = state.withLockedValue { s -> Waiter? in
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.available = min(s.available + 1, limit)
            return nil
        }
        next?.continuation.resume()
    }
}
