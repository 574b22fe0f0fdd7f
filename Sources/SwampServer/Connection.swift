import Logging
import NIOConcurrencyHelpers
import NIOCore
import SwampSpamd

/// A client connection as the server hands it over: bytes in; replies are
/// written through the channel itself so that each write completes only
/// once the bytes are on the socket (the reply then the close, never the
/// close first).
typealias ClientChannel = NIOAsyncChannel<ByteBuffer, Never>

/// One spamd conversation: read one request under the request and idle
/// timeouts, answer it, close. spamd serves one request per connection, and
/// so does spamc.
struct Connection: Sendable {
    let channel: ClientChannel
    let peer: PeerInfo
    let processor: RequestProcessor
    let logger: Logger

    private var configuration: ServerConfiguration { processor.configuration }

    func run() async {
        do {
            try await channel.executeThenClose { inbound in
                try await converse(inbound)
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }

    /// Sends an error reply at once and closes (refused before reading).
    func refuse(_ error: any Error) async {
        let reply = WireReply.response(for: error, logger: logger, metrics: processor.metrics).encoded(for: .v1_5)
        do {
            try await channel.executeThenClose { _ in try await write(reply) }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }

    enum ReadEvent: Sendable {
        case request(SpamdRequest)
        case failed(SpamdError)
        /// The client closed without sending anything: nothing to answer.
        case closedSilently
        case ioError(String)
        /// After an early error: the client finished sending (or gave up).
        case inputEnded
    }

    /// How long a refused client may go on sending before the connection
    /// closes (see `linger`).
    static let lingerTime: Duration = .seconds(2)

    private func converse(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async throws {
        let progress = ReadProgress()
        let (events, sink) = AsyncStream.makeStream(of: ReadEvent.self, bufferingPolicy: .bufferingOldest(4))
        let limits = configuration.decoderLimits
        let (requestTimeout, idleTimeout) = (configuration.requestTimeout, configuration.idleTimeout)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The reader feeds the decoder and keeps reading after the
            // request, so that bytes past the body are caught (they void the
            // reply, as the decoder documents).
            group.addTask { await Self.read(inbound, limits: limits, progress: progress, sink: sink) }
            // The watchdog enforces the request and idle timeouts until the
            // request is complete.
            let watchdog = Watchdog(progress: progress, requestTimeout: requestTimeout, idleTimeout: idleTimeout,
                                    sink: sink, eventLoop: channel.channel.eventLoop)
            watchdog.start()
            var iterator = events.makeAsyncIterator()
            let first = await iterator.next() ?? .closedSilently
            progress.markDelivered()
            watchdog.stop()
            defer { group.cancelAll() }

            let reply: [UInt8]
            switch first {
            case .request(let request):
                let response: SpamdResponse
                do {
                    response = try await processor.respond(to: request, peer: peer, logger: logger)
                } catch {
                    response = WireReply.response(for: error, logger: logger, metrics: processor.metrics)
                }
                if let late = progress.lateError {
                    reply = WireReply.response(for: late, logger: logger, metrics: processor.metrics).encoded(for: .v1_5)
                } else {
                    reply = response.encoded(for: request.version)
                }
            case .failed(let error):
                try await write(WireReply.response(for: error, logger: logger, metrics: processor.metrics).encoded(for: .v1_5))
                await linger(&iterator, group: &group, sink: sink)
                return
            case .closedSilently:
                logger.debug("client closed before sending a request")
                return
            case .ioError(let what):
                logger.info("connection failed while reading: \(what)")
                return
            case .inputEnded:
                return
            }
            if !reply.isEmpty { try await write(reply) }
        }
    }

    /// After an error reply sent before the request was complete: close our
    /// side, and read and discard what the client still sends, for a short
    /// while. Closing with unread input would make the kernel reset the
    /// connection, and a client still writing (spamc writes the whole
    /// message before it reads) would lose the reply to the reset.
    private func linger(
        _ events: inout AsyncStream<ReadEvent>.Iterator, group: inout ThrowingTaskGroup<Void, any Error>,
        sink: AsyncStream<ReadEvent>.Continuation
    ) async {
        try? await channel.channel.close(mode: .output)
        group.addTask {
            try? await Task.sleep(for: Self.lingerTime)
            sink.yield(.inputEnded)
        }
        while let event = await events.next() {
            if case .inputEnded = event { return }
        }
    }

    /// Writes and flushes, waiting until the bytes are on the socket; a
    /// client that will not read is cut off after the write timeout.
    private func write(_ bytes: [UInt8]) async throws {
        let channel = self.channel.channel
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(configuration.writeTimeout.nanoseconds)) {
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    private static func read(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, limits: DecoderLimits, progress: ReadProgress,
        sink: AsyncStream<ReadEvent>.Continuation
    ) async {
        enum Next { case more, stop, discardTheRest }
        var decoder = SpamdRequestDecoder(limits: limits)
        var delivered = false
        func handle(_ actions: [SpamdRequestDecoder.Action]) -> Next {
            for action in actions {
                switch action {
                case .deliver(let request):
                    delivered = true
                    sink.yield(.request(request))
                case .reject(let error):
                    if delivered {
                        progress.setLateError(error)
                        return .stop
                    } else if error == .closedBeforeRequest {
                        sink.yield(.closedSilently)
                        return .stop
                    } else {
                        sink.yield(.failed(error))
                        return .discardTheRest
                    }
                }
            }
            return .more
        }
        var discarding = false
        do {
            for try await buffer in inbound {
                if discarding { continue }
                progress.touch()
                switch handle(decoder.feed(buffer.readableBytesView)) {
                case .more: break
                case .stop: return
                case .discardTheRest: discarding = true
                }
            }
            if discarding {
                sink.yield(.inputEnded)
                return
            }
            if Task.isCancelled { return }
            _ = handle(decoder.finish())
        } catch {
            sink.yield(discarding ? .inputEnded : delivered ? .inputEnded : .ioError("\(error)"))
        }
    }
}

/// The request and idle timeouts of one connection, on its event loop's
/// timers: a task sleeping instead (`Task.sleep`) is woken through
/// Dispatch's timer thread, two thread switches a connection for a timer
/// that almost never fires. Checks when the nearer deadline comes and sets
/// the next while the client is still sending.
final class Watchdog: @unchecked Sendable {
    private let progress: ReadProgress
    private let requestTimeout: Duration
    private let idleTimeout: Duration
    private let sink: AsyncStream<Connection.ReadEvent>.Continuation
    private let eventLoop: any EventLoop
    private let started = ContinuousClock.now
    /// The pending check; touched only on the event loop.
    private var scheduled: Scheduled<Void>?
    private var stopped = false

    init(progress: ReadProgress, requestTimeout: Duration, idleTimeout: Duration,
         sink: AsyncStream<Connection.ReadEvent>.Continuation, eventLoop: any EventLoop) {
        self.progress = progress
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.sink = sink
        self.eventLoop = eventLoop
    }

    func start() {
        eventLoop.execute { self.check() }
    }

    /// No more checks (the request is in, or the connection is done).
    func stop() {
        eventLoop.execute {
            self.stopped = true
            self.scheduled?.cancel()
            self.scheduled = nil
        }
    }

    private func check() {
        guard !stopped, let lastRead = progress.lastReadIfReading else { return }
        let requestDeadline = started + requestTimeout
        let idleDeadline = lastRead + idleTimeout
        let now = ContinuousClock.now
        if now >= requestDeadline {
            sink.yield(.failed(.readTimeout(seconds: Int(requestTimeout.seconds.rounded(.up)))))
            return
        }
        if now >= idleDeadline {
            sink.yield(.failed(.readTimeout(seconds: Int(idleTimeout.seconds.rounded(.up)))))
            return
        }
        let wait = min(requestDeadline, idleDeadline) - now
        scheduled = eventLoop.scheduleTask(in: .nanoseconds(max(1, wait.nanoseconds))) { self.check() }
    }
}

/// What the reader and the watchdog of one connection share.
final class ReadProgress: Sendable {
    private struct State {
        var lastRead = ContinuousClock.now
        var delivered = false
        var lateError: SpamdError?
    }

    private let state = NIOLockedValueBox(State())

    func touch() { state.withLockedValue { $0.lastRead = .now } }
    func markDelivered() { state.withLockedValue { $0.delivered = true } }
    func setLateError(_ error: SpamdError) { state.withLockedValue { $0.lateError = error } }
    var lateError: SpamdError? { state.withLockedValue { $0.lateError } }
    /// The time of the last read while still waiting for the request; nil after.
    var lastReadIfReading: ContinuousClock.Instant? {
        state.withLockedValue { $0.delivered ? nil : $0.lastRead }
    }
}
