import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// `--metrics HOST:PORT`: its own HTTP listener that answers `GET /metrics`
/// with `ServerMetrics`' page and nothing else. The listener is bound
/// before the daemon drops privileges (`bind`), served as a `Service`
/// until shutdown. There is no access list: bind it to loopback or an
/// address only the scraper reaches. A scraper sends one small request and
/// reads a page, so each connection gets a few seconds in all and only a
/// few may be open at once: whoever else reaches the port cannot hold
/// sockets or memory in the daemon, however slowly it sends.
struct MetricsService: Service {
    let channel: any Channel
    let logger: Logger

    /// Connections that send nothing for this long are closed.
    static let idleTimeout: TimeAmount = .seconds(10)
    /// Every connection is closed this long after it was accepted, at any
    /// pace of sending: a byte every second never trips `idleTimeout`.
    static let connectionDeadline: TimeAmount = .seconds(5)
    /// Connections open at once; more are closed as soon as accepted.
    static let maxConnections = 8

    /// Binds the listener; `connections` and `deadline` are the limits
    /// above (tests set their own).
    static func bind(_ address: ListenAddress, page: @escaping @Sendable () -> String,
                     connections: MetricsConnections = MetricsConnections(limit: maxConnections),
                     deadline: TimeAmount = connectionDeadline,
                     group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let operations = child.pipeline.syncOperations
                    guard connections.admit() else {
                        try operations.addHandler(CloseWhenActive())
                        return
                    }
                    child.closeFuture.whenComplete { _ in connections.leave() }
                    let timer = child.eventLoop.scheduleTask(in: deadline) { child.close(promise: nil) }
                    child.closeFuture.whenComplete { _ in timer.cancel() }
                    try operations.configureHTTPServerPipeline(withErrorHandling: true)
                    try operations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try operations.addHandler(MetricsHandler(page: page))
                }
            }
            .bind(host: address.host, port: address.port).get()
    }

    func run() async throws {
        let channel = self.channel
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        logger.debug("metrics listener closed")
    }
}

/// The metrics listener's open connections, counted against a cap.
final class MetricsConnections: Sendable {
    let limit: Int
    private let count = NIOLockedValueBox(0)

    init(limit: Int) { self.limit = max(1, limit) }

    /// Connections open now.
    var current: Int { count.withLockedValue { $0 } }

    /// Counts a new connection in; false when `limit` are open already.
    func admit() -> Bool {
        count.withLockedValue { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    /// A counted connection has closed.
    func leave() { count.withLockedValue { $0 -= 1 } }
}

/// Closes a connection over the cap as soon as it is set up, before it can
/// send anything.
final class CloseWhenActive: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}

/// One HTTP exchange per connection: the page for `GET /metrics` (or
/// `HEAD`), 404 for other paths, 405 for other methods; then close.
final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let page: @Sendable () -> String
    private var head: HTTPRequestHead?

    init(page: @escaping @Sendable () -> String) { self.page = page }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break  // a request body means nothing here
        case .end:
            if let head { respond(to: head, context: context) }
            head = nil
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var headers = HTTPHeaders([("Connection", "close")])
        let status: HTTPResponseStatus
        let body: String
        if request.method != .GET && request.method != .HEAD {
            (status, body) = (.methodNotAllowed, "only GET\n")
            headers.add(name: "Allow", value: "GET, HEAD")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        } else if path != "/metrics" {
            (status, body) = (.notFound, "the metrics are at /metrics\n")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        } else {
            (status, body) = (.ok, page())
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        }
        let bytes = context.channel.allocator.buffer(string: body)
        headers.add(name: "Content-Length", value: "\(bytes.readableBytes)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        if request.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil) }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
