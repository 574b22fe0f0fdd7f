import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The daemon's network side as a `Service`: binds every listener, serves
/// each connection in its own child task, and on graceful shutdown stops
/// accepting, lets every connection in flight finish (its scan included),
/// then returns.
public final class SpamdServer: Service, Sendable {
    public let configuration: ServerConfiguration
    public let scanners: ScannerStore
    let learner: (any MessageLearner)?
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let threadPool: NIOThreadPool
    let learningPool: NIOThreadPool
    let slots: ScanSlots
    public let metrics: ServerMetrics
    private let nextConnectionID = NIOLockedValueBox<UInt64>(0)
    /// The connections open (admitted ones bounded by `--max-connections`),
    /// which a graceful shutdown waits for.
    private let connections = ConnectionCount()

    public init(
        configuration: ServerConfiguration, scanners: ScannerStore, learner: (any MessageLearner)? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        threadPool: NIOThreadPool, learningPool: NIOThreadPool, metrics: ServerMetrics = ServerMetrics(),
        logger: Logger
    ) {
        self.configuration = configuration
        self.scanners = scanners
        self.learner = learner
        self.eventLoopGroup = eventLoopGroup
        self.threadPool = threadPool
        self.learningPool = learningPool
        self.metrics = metrics
        self.logger = logger
        self.slots = ScanSlots(limit: configuration.maxChildren, queueLimit: configuration.maxQueue)
    }

    /// The metrics page, with the gauges of this moment.
    public func metricsPage() -> String {
        var gauges = ServerMetrics.Gauges()
        gauges.queued = slots.waiting
        gauges.scanning = slots.inUse
        gauges.admitted = slots.admitted
        gauges.connections = connections.admitted
        gauges.configurationGeneration = scanners.current.generation
        return metrics.render(gauges)
    }

    public func run() async throws {
        let listeners = try await bind()
        defer {
            if let path = configuration.unixSocket { unlink(path) }
        }
        let names = listeners.map(\.name)
        configuration.onListening?(names)  // the pid file, written as root
        if let user = configuration.username {
            do {
                try Privileges.drop(to: user)
            } catch {
                for listener in listeners { try? await listener.channel.close() }
                throw ServerStartError.privileges("\(error)")
            }
            logger.notice("running as user \(user)")
        }
        configuration.onServing?()
        logger.notice("listening on \(names.joined(separator: ", "))")

        // Serve until shutdown closes the listeners (or the task is
        // cancelled), then wait for the connections still open: each
        // finishes its scan and writes its reply first.
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                for listener in listeners {
                    do {
                        try await listener.channel.closeFuture.get()
                    } catch {
                        self.logger.debug("\(listener.name): closed: \(error)")
                    }
                }
            } onCancel: {
                for listener in listeners { listener.channel.close(promise: nil) }
            }
        } onGracefulShutdown: {
            // Stop accepting.
            for listener in listeners { listener.channel.close(promise: nil) }
        }
        await connections.waitUntilNone()
        logger.notice("all connections finished; server stopped")
    }

    // MARK: - Binding

    private struct BoundListener: Sendable {
        let channel: any Channel
        let name: String
    }

    private func bind() async throws -> [BoundListener] {
        let tlsContext = try makeTLSContext()
        var bound: [BoundListener] = []
        do {
            for address in configuration.effectiveListeners {
                let tls = address.tls || configuration.tls != nil && configuration.listenAllTLS
                guard !tls || tlsContext != nil else { throw ServerStartError.tlsWithoutCertificate }
                let channel = try await bootstrap(tcp: true, tls: tls ? tlsContext : nil)
                    .bind(host: address.host, port: address.port).get()
                try await keepAccepting(channel)
                let local = channel.localAddress
                let name = "tcp \(local.map(Self.describe) ?? address.description)\(tls ? " (TLS)" : "")"
                bound.append(BoundListener(channel: channel, name: name))
            }
            if let path = configuration.unixSocket {
                let channel = try await bootstrap(tcp: false, tls: nil)
                    .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
                try await keepAccepting(channel)
                try SocketPermissions(mode: configuration.unixSocketMode, owner: configuration.unixSocketOwner,
                                      group: configuration.unixSocketGroup).apply(to: path)
                bound.append(BoundListener(channel: channel, name: "unix \(path)"))
            }
        } catch {
            for listener in bound { try? await listener.channel.close() }
            throw error
        }
        return bound
    }

    /// NIO reports a connection that fails while being accepted (an option
    /// that cannot be set, a handler that cannot be added) as an error on
    /// the listener, which would end the accept loop and with it the
    /// daemon. This handler, placed right after NIO's accept handler, logs
    /// such errors and keeps them from reaching the loop.
    private func keepAccepting(_ channel: any Channel) async throws {
        let logger = self.logger
        try await channel.eventLoop.submit {
            let operations = channel.pipeline.syncOperations
            let accept = try operations.context(name: "AcceptHandler")
            try operations.addHandler(AcceptErrorHandler(logger: logger), position: .after(accept.handler))
        }.get()
    }

    private func bootstrap(tcp: Bool, tls: NIOSSLContext?) -> ServerBootstrap {
        var bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            // spamc half-closes after its request and then reads the reply.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    if let tls {
                        try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try child.pipeline.syncOperations.addHandler(self.connectionHandler(for: child))
                }
            }
        if tcp {
            bootstrap = bootstrap
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        return bootstrap
    }

    private func makeTLSContext() throws -> NIOSSLContext? {
        guard let files = configuration.tls else { return nil }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ServerStartError.tls("\(error)")
        }
    }

    static func describe(_ address: SocketAddress) -> String {
        switch address {
        case .v4: "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .v6: "[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
        case .unixDomainSocket: address.pathname ?? "unix"
        }
    }

    // MARK: - Serving

    /// The handler of a new connection, told whether it may be served (the
    /// allowed networks, `--max-connections`) and counted until it closes.
    private func connectionHandler(for child: any Channel) -> ConnectionHandler {
        let id = nextConnectionID.withLockedValue { $0 += 1; return $0 }
        let peer = PeerInfo(address: child.remoteAddress, connectionID: id)
        var logger = self.logger
        logger[metadataKey: "connection.id"] = "\(id)"
        logger[metadataKey: "connection.peer"] = "\(peer)"
        let processor = RequestProcessor(configuration: configuration, scanners: scanners, slots: slots,
                                         threadPool: threadPool, learningPool: learningPool,
                                         eventLoop: child.eventLoop, learner: learner, metrics: metrics)
        let (configuration, connections) = (self.configuration, self.connections)
        let admission = ConnectionHandler.Admission(
            enter: {
                guard AccessList(networks: configuration.allowedNetworks).allows(peer.address) else {
                    connections.opened(admitting: false, limit: configuration.maxConnections)
                    return (false, ServerError.accessDenied(peer: peer.description))
                }
                let admitted = connections.opened(admitting: true, limit: configuration.maxConnections)
                return (admitted, admitted ? nil : ServerError.tooManyConnections(limit: configuration.maxConnections))
            },
            leave: { admitted in connections.closed(admitted: admitted) })
        return ConnectionHandler(processor: processor, peer: peer, logger: logger, admission: admission)
    }
}

final class AcceptErrorHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("a connection failed while being accepted: \(error)")
    }
}

/// Why the server could not start; the CLI exits with EX_CONFIG or EX_OSERR.
public enum ServerStartError: Error, CustomStringConvertible {
    case tlsWithoutCertificate
    case tls(String)
    case socketMode(path: String, errno: Int32)
    case socketOwner(path: String, why: String)
    case privileges(String)

    public var description: String {
        switch self {
        case .tlsWithoutCertificate: "a TLS listener needs --ssl-cert and --ssl-key"
        case .tls(let why): "cannot load the TLS certificate or key: \(why)"
        case .socketMode(let path, let e): "cannot set the mode of \(path): \(String(cString: strerror(e)))"
        case .socketOwner(let path, let why): "cannot set the owner of \(path): \(why)"
        case .privileges(let why): "cannot drop privileges: \(why)"
        }
    }
}

/// Runs tasks on one SwiftNIO event loop. A connection's tasks (answering
/// its request) do little work of their own: the scan goes to the thread
/// pool. Left to Swift's global executor, every wake-up
/// (data read, the scan done, the reply written) would hop between the
/// event loop's thread and the global pool's, each hop a context switch
/// (about a dozen per request were measured); on the event loop they run
/// where the events happen. Nothing here may block: blocking work belongs
/// on the scan and learning pools, as before.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}

/// The connections open, those admitted among them (at most
/// `--max-connections`; refused ones are answered and closed), and a wait
/// for there being none.
final class ConnectionCount: Sendable {
    private struct State {
        var open = 0
        var admitted = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var cancelled = false
    }

    private let state = NIOLockedValueBox(State())

    /// Counts a connection in; when `admitting`, admits it too if fewer
    /// than `limit` are. Whether it was admitted.
    @discardableResult
    func opened(admitting: Bool, limit: Int) -> Bool {
        state.withLockedValue { state in
            state.open += 1
            guard admitting, state.admitted < limit else { return false }
            state.admitted += 1
            return true
        }
    }

    /// Counts a connection out (`admitted` as `opened` answered).
    func closed(admitted: Bool) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.open -= 1
            if admitted { state.admitted -= 1 }
            guard state.open == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Connections admitted and not yet closed.
    var admitted: Int { state.withLockedValue { $0.admitted } }

    /// Returns once no connection is open (at once when none is), or when
    /// the task is cancelled: the service group cancels once a graceful
    /// shutdown has taken longer than a scan and its reply may, and the
    /// connections left then end with the process.
    func waitUntilNone() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { state -> Bool in
                    guard state.open > 0, !state.cancelled else { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
                state.cancelled = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }
}
