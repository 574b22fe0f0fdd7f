import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// `swamp serve` assembled: the server and the SIGHUP reloader under one
/// service group that turns SIGTERM and SIGINT into a graceful shutdown
/// (stop accepting, finish every scan in flight, exit).
public enum SwampDaemon {
    public static func run(
        configuration: ServerConfiguration, scanners: ScannerStore, learner: (any MessageLearner)? = nil,
        logger: Logger
    ) async throws {
        let threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.scanThreads))
        threadPool.start()
        let learningPool = NIOThreadPool(numberOfThreads: max(1, configuration.learningThreads))
        learningPool.start()

        var configuration = configuration
        let pidFile = configuration.pidFile
        let userHook = configuration.onListening
        configuration.onListening = { names in
            if let pidFile { writePIDFile(pidFile, logger: logger) }
            userHook?(names)
        }
        defer { if let pidFile { unlink(pidFile) } }

        let server = SpamdServer(configuration: configuration, scanners: scanners, learner: learner,
                                 threadPool: threadPool, learningPool: learningPool, logger: logger)
        let reloader = ReloadService(scanners: scanners, log: configuration.log, threadPool: threadPool, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: reloader),
        ]
        if let address = configuration.metricsAddress {
            // Bound here, before the server drops privileges.
            let channel = try await MetricsService.bind(address, page: { server.metricsPage() })
            let local = channel.localAddress.map(SpamdServer.describe) ?? address.description
            logger.notice("metrics on http://\(local)/metrics")
            services.append(.init(service: MetricsService(channel: channel, logger: logger)))
        }
        if configuration.exitWhenStdinCloses {
            services.append(.init(service: StdinWatchService(), successTerminationBehavior: .gracefullyShutdownGroup))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A scan in flight may take its whole budget; give it that and a
        // margin before shutdown turns into cancellation.
        let budget = configuration.timeLimit ?? .seconds(Int64(scanners.current.scanner.configuration.timeLimit))
        groupConfiguration.maximumGracefulShutdownDuration =
            configuration.hardDeadline(budget: budget) + configuration.writeTimeout + .seconds(1)
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await learningPool.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()
        try await learningPool.shutdownGracefully()
    }

    static func writePIDFile(_ path: String, logger: Logger) {
        do {
            try "\(getpid())\n".write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            logger.error("cannot write pid file \(path): \(error)")
        }
    }
}
