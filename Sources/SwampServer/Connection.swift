import Logging
import NIOCore
import SwampSpamd

/// One spamd conversation, as the handler at the end of its channel's
/// pipeline: read one request under the request and idle timeouts, answer
/// it, close. spamd serves one request per connection, and so does spamc.
///
/// Everything here runs on the connection's event loop, driven by NIO's
/// events; only the answer (`RequestProcessor.respond`, which scans on the
/// thread pool) is a task. Reading through an async channel instead cost a
/// task group, a reader task and a stream per connection, and several
/// thread wake-ups a request: about 0.3 ms of CPU per PING.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How long a refused client may go on sending before the connection
    /// closes (see `refuse`).
    static let lingerTime: TimeAmount = .seconds(2)

    private enum Phase {
        /// Waiting for the whole request.
        case reading
        /// The request is in and being answered; bytes still read are
        /// checked (past the body they void the reply, as the decoder
        /// documents).
        case answering
        /// An error reply went out before the request was complete: what
        /// the client still sends is read and dropped (see `refuse`).
        case lingering
        case closed
    }

    /// What a connection asks the server when its handler is added, and
    /// tells it when the handler is removed (the channel closed).
    struct Admission: Sendable {
        /// Counts the connection in; whether it took a place among the
        /// `--max-connections`, and the error it must be refused with, if any.
        let enter: @Sendable () -> (admitted: Bool, refusal: (any Error)?)
        /// Counts it out again.
        let leave: @Sendable (_ admitted: Bool) -> Void
    }

    private let processor: RequestProcessor
    private let peer: PeerInfo
    private let logger: Logger
    private let admission: Admission
    private var admitted = false
    /// Counted in, and not yet out.
    private var entered = false
    /// The request is being answered: the connection stays counted (for
    /// `--max-connections` and a graceful shutdown) until the answer is
    /// done, even when the client has gone meanwhile, as its scan or TELL
    /// goes on.
    private var answering = false
    private var leaveWhenAnswered = false
    /// After an early error reply: whether it is on the socket, and
    /// whether the client finished sending before it was.
    private var replyWritten = false
    private var inputEnded = false
    /// Set when the connection may not be served: the error it is answered
    /// with as soon as it is active, before anything is read.
    private var refusal: (any Error)?

    private var phase = Phase.reading
    private var decoder: SpamdRequestDecoder
    /// Bytes arrived after the request (or another late fault): the reply
    /// becomes this error.
    private var lateError: SpamdError?
    private var feeding = true
    private let started = NIODeadline.now()
    private var lastRead = NIODeadline.now()
    /// The pending timeout check while reading, or the end of lingering.
    private var timer: Scheduled<Void>?

    private var configuration: ServerConfiguration { processor.configuration }

    init(processor: RequestProcessor, peer: PeerInfo, logger: Logger, admission: Admission) {
        self.processor = processor
        self.peer = peer
        self.logger = logger
        self.admission = admission
        self.decoder = SpamdRequestDecoder(limits: processor.configuration.decoderLimits)
    }

    // MARK: - Events

    func handlerAdded(context: ChannelHandlerContext) {
        (admitted, refusal) = admission.enter()
        entered = true
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        phase = .closed
        timer?.cancel()
        timer = nil
        if answering {
            leaveWhenAnswered = true
        } else {
            leave()
        }
    }

    private func leave() {
        if entered { admission.leave(admitted) }
        entered = false
    }

    func channelActive(context: ChannelHandlerContext) {
        if let refusal {
            // Refused before reading: the reply, then the close.
            phase = .answering
            feeding = false
            send(WireReply.response(for: refusal, logger: logger, metrics: processor.metrics).encoded(for: .v1_5),
                 context: context)
            return
        }
        lastRead = .now()
        checkTimeouts(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .closed
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .reading, .answering:
            guard feeding else { return }
            let buffer = unwrapInboundIn(data)
            lastRead = .now()
            handle(decoder.feed(buffer.readableBytesView), context: context)
        case .lingering, .closed:
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch phase {
        case .reading, .answering:
            if feeding { handle(decoder.finish(), context: context) }
        case .lingering:
            // Once the error reply is out; until then its write must not
            // be cut short.
            if replyWritten { context.close(promise: nil) } else { inputEnded = true }
        case .closed:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch phase {
        case .reading:
            logger.info("connection failed while reading: \(error)")
            context.close(promise: nil)
        case .answering:
            // The answer is written (or fails to be) when it is ready.
            logger.debug("connection error while answering: \(error)")
        case .lingering:
            context.close(promise: nil)
        case .closed:
            break
        }
    }

    // MARK: - The request

    private func handle(_ actions: [SpamdRequestDecoder.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .deliver(let request):
                phase = .answering
                timer?.cancel()
                timer = nil
                answer(request, context: context)
            case .reject(let error):
                if phase == .answering {
                    lateError = error
                    feeding = false
                } else if error == .closedBeforeRequest {
                    logger.debug("client closed before sending a request")
                    feeding = false
                    context.close(promise: nil)
                } else {
                    refuse(error, context: context)
                }
                return
            }
        }
    }

    /// Answers on a task of the connection's event loop (see
    /// `EventLoopTaskExecutor`), then writes the reply from the loop.
    private func answer(_ request: SpamdRequest, context: ChannelHandlerContext) {
        let eventLoop = context.eventLoop
        let promise = eventLoop.makePromise(of: SpamdResponse.self)
        answering = true
        let (processor, peer, logger) = (self.processor, self.peer, self.logger)
        Task(executorPreference: EventLoopTaskExecutor(eventLoop)) {
            do {
                promise.succeed(try await processor.respond(to: request, peer: peer, logger: logger))
            } catch {
                promise.succeed(WireReply.response(for: error, logger: logger, metrics: processor.metrics))
            }
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
        promise.futureResult.whenSuccess { response in
            let (handler, context) = bound.value
            handler.answering = false
            if handler.leaveWhenAnswered { handler.leave() }
            guard handler.phase != .closed else { return }
            let reply: [UInt8]
            if let late = handler.lateError {
                reply = WireReply.response(for: late, logger: handler.logger, metrics: handler.processor.metrics)
                    .encoded(for: .v1_5)
            } else {
                reply = response.encoded(for: request.version)
            }
            if reply.isEmpty {
                context.close(promise: nil)
            } else {
                handler.send(reply, context: context)
            }
        }
    }

    /// Writes and flushes the reply, then closes (`then`: both ways, or
    /// only our output) once the bytes are on the socket, and runs
    /// `written`; a client that will not read is cut off after the write
    /// timeout.
    private func send(_ reply: [UInt8], context: ChannelHandlerContext, then: CloseMode = .all,
                      written: (@Sendable () -> Void)? = nil) {
        let channel = context.channel
        let logger = self.logger
        let timeout = TimeAmount.nanoseconds(configuration.writeTimeout.nanoseconds)
        let cutOff = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply))).whenComplete { result in
            cutOff.cancel()
            if case .failure(let error) = result {
                logger.debug("connection ended: \(error)")
                channel.close(promise: nil)
            } else {
                channel.close(mode: then, promise: nil)
                written?()
            }
        }
    }

    /// An error reply before the request was complete: our side closes for
    /// writing, and what the client still sends is read and dropped for a
    /// short while. Closing with unread input would make the kernel reset
    /// the connection, and a client still writing (spamc writes the whole
    /// message before it reads) would lose the reply to the reset.
    private func refuse(_ error: SpamdError, context: ChannelHandlerContext) {
        phase = .lingering
        feeding = false
        timer?.cancel()
        timer = nil
        let channel = context.channel
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        send(WireReply.response(for: error, logger: logger, metrics: processor.metrics).encoded(for: .v1_5),
             context: context, then: .output) {
            // The linger starts once the reply is out (the write timeout
            // bounds the wait for that).
            let handler = bound.value
            guard handler.phase == .lingering else { return }
            handler.replyWritten = true
            if handler.inputEnded {
                channel.close(promise: nil)
            } else {
                handler.timer = channel.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
            }
        }
    }

    /// The request and idle timeouts, on the event loop's timers: checks
    /// when the nearer deadline comes and sets the next while the client is
    /// still sending.
    private func checkTimeouts(context: ChannelHandlerContext) {
        guard phase == .reading else { return }
        let requestTimeout = configuration.requestTimeout
        let idleTimeout = configuration.idleTimeout
        let requestDeadline = started + .nanoseconds(requestTimeout.nanoseconds)
        let idleDeadline = lastRead + .nanoseconds(idleTimeout.nanoseconds)
        let now = NIODeadline.now()
        if now >= requestDeadline {
            refuse(.readTimeout(seconds: Int(requestTimeout.seconds.rounded(.up))), context: context)
            return
        }
        if now >= idleDeadline {
            refuse(.readTimeout(seconds: Int(idleTimeout.seconds.rounded(.up))), context: context)
            return
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: min(requestDeadline, idleDeadline)) {
            let (handler, context) = bound.value
            handler.checkTimeouts(context: context)
        }
    }
}
