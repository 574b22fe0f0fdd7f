import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads the configuration and rules, as spamd does: the new rule
/// set is built off the event loops and swapped in whole; a configuration
/// that fails to load leaves the running one in place and says why. It
/// first reopens the log file (`--log-file`), so that after log rotation
/// the reload's own lines already go to the new file.
struct ReloadService: Service {
    let scanners: ScannerStore
    let log: LogWriter?
    let threadPool: NIOThreadPool
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await reopenLog()
            await reload()
        }
    }

    func reopenLog() async {
        guard let log, case .file(let path) = log.destination else { return }
        do {
            try await threadPool.runIfActive { try log.reopen() }
            logger.notice("SIGHUP: reopened log file \(path)")
        } catch {
            logger.error("SIGHUP: still writing the old log file: \(error)")
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
