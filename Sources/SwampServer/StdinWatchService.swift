import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Shuts the daemon down gracefully when its standard input reaches end of
/// file. A test harness (or a supervisor) that holds the write end of a pipe
/// thereby makes sure the daemon never outlives it, even if it is killed.
struct StdinWatchService: Service {
    func run() async throws {
        let once = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                once.withLockedValue { $0 = continuation }
                let thread = Thread {
                    var buffer = [UInt8](repeating: 0, count: 512)
                    while read(0, &buffer, buffer.count) > 0 {}
                    once.withLockedValue { $0.take() }?.resume()
                }
                thread.start()
            }
        } onGracefulShutdown: {
            once.withLockedValue { $0.take() }?.resume()
        }
    }
}
