import Foundation

/// Runs `work` on a thread of its own and waits for it without holding one
/// of Swift concurrency's threads. There is one of those per core: on a
/// two-core machine two long synchronous tests (a corpus differential runs
/// for half a minute) stall every async test meanwhile, and a test timing a
/// 200 ms DNS budget measured 45 s. Check the results in the caller: an
/// `#expect` that fails on this thread is recorded against no test.
///
/// The same queue is why the suites' time limits are ten minutes even where
/// a suite runs in seconds: a limit runs from when the test is started, and
/// its body may then wait behind every synchronous test already on the
/// pool's two threads. In one CI run seventeen tests that take milliseconds
/// failed their one-minute limits, all within the run's first ninety seconds.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 32 << 20
        thread.start()
    }
}
