import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads the configuration and rules, as spamd does: the new rule
/// set is built off the event loops and swapped in whole; a configuration
/// that fails to load leaves the running one in place and says why.
struct ReloadService: Service {
    let scanners: ScannerStore
    let threadPool: NIOThreadPool
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    func reload() async {
        logger.notice("SIGHUP: reloading configuration")
        do {
            let scanners = self.scanners
            let snapshot = try await threadPool.runIfActive { try scanners.reload() }
            logger.notice("configuration reloaded (generation \(snapshot.generation), \(snapshot.scanner.ruleSet.ruleCount) rules)")
        } catch {
            logger.error("reload failed, still serving the previous configuration: \(error)")
        }
    }
}
