import Foundation
import NIOCore
import NIOPosix

/// A stub resolver: libldns builds and parses the packets, NIO sends them,
/// so many queries are in flight without a thread each. Each query uses a
/// fresh UDP socket on a random port with a random id (RFC 5452), retries
/// over TCP when the answer is truncated (RFC 1035 §4.2.2, RFC 7766), and
/// tries the next server after a timeout.
public struct LDNSResolver: DNSResolver {
    public let servers: [SocketAddress]
    /// Per attempt, per server.
    public let timeout: Duration
    /// Attempts over all servers, round-robin.
    public let attempts: Int
    let group: any EventLoopGroup

    public init(servers: [SocketAddress], timeout: Duration = .seconds(3), attempts: Int = 2,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.servers = servers
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.group = group
    }

    /// `dns_server HOST:PORT` values ("127.0.0.1:5353", "[::1]:53", "10.0.0.1");
    /// without them, the nameservers of /etc/resolv.conf.
    public init(dnsServers: [String], timeout: Duration = .seconds(3), attempts: Int = 2) throws(DNSError) {
        var list: [SocketAddress] = []
        for spec in dnsServers { list.append(try Self.parseServer(spec)) }
        if list.isEmpty { list = Self.systemServers() }
        if list.isEmpty { throw .network("no DNS server configured") }
        self.init(servers: list, timeout: timeout, attempts: attempts)
    }

    /// Parses "HOST", "HOST:PORT", "[IPv6]:PORT" or a bare IPv6 address.
    /// Hosts must be IP addresses: resolving a resolver's name needs a resolver.
    public static func parseServer(_ spec: String) throws(DNSError) -> SocketAddress {
        var host = spec.trimmingCharacters(in: .whitespaces)
        var port = 53
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let rest = host[host.index(after: close)...]
            host = String(host[host.index(after: host.startIndex)..<close])
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()), (1...65535).contains(p) else { throw .network("bad dns_server \(spec)") }
                port = p
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw .network("bad dns_server \(spec)")
            }
            port = p
            host = String(host[..<colon])
        }
        do { return try SocketAddress(ipAddress: host, port: port) } catch { throw .network("bad dns_server \(spec)") }
    }

    /// The `nameserver` lines of resolv.conf(5).
    public static func systemServers(resolvConf: String = "/etc/resolv.conf") -> [SocketAddress] {
        guard let text = try? String(contentsOfFile: resolvConf, encoding: .utf8) else { return [] }
        var out: [SocketAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { continue }
            var host = String(words[1])
            if let pct = host.firstIndex(of: "%") { host = String(host[..<pct]) }
            if let addr = try? SocketAddress(ipAddress: host, port: 53) { out.append(addr) }
        }
        return out
    }

    public func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant?) async throws(DNSError) -> DNSResponse {
        let qname = try validateDNSName(name)
        var lastError = DNSError.timeout
        for attempt in 0..<attempts {
            if Task.isCancelled { throw .budgetExhausted }
            // Each attempt waits its timeout, or less when the deadline is nearer.
            var wait = timeout
            var cutByDeadline = false
            if let deadline {
                let left = deadline - .now
                if left <= .zero { throw .budgetExhausted }
                if left < wait { wait = left; cutByDeadline = true }
            }
            let server = servers[attempt % servers.count]
            do {
                return try await exchange(qname, type, server: server, timeout: wait)
            } catch .timeout where cutByDeadline {
                throw .budgetExhausted
            } catch {
                lastError = error
                switch error {
                case .timeout, .network: continue
                default: throw error
                }
            }
        }
        throw lastError
    }

    func exchange(_ qname: String, _ type: DNSRecordType, server: SocketAddress, timeout: Duration) async throws(DNSError) -> DNSResponse {
        let id = UInt16.random(in: .min ... .max)
        let (packet, presented) = try LDNSPacket.query(name: qname, type: type, id: id)
        var parsed = try LDNSPacket.parse(await DNSTransport.udp(packet, id: id, server: server, timeout: timeout, group: group))
        try Self.checkMatches(parsed, id: id, qname: presented, type: type)
        if parsed.truncated {
            parsed = try LDNSPacket.parse(await DNSTransport.tcp(packet, server: server, timeout: timeout, group: group))
            try Self.checkMatches(parsed, id: id, qname: presented, type: type)
        }
        return try Self.response(from: parsed, qname: presented, type: type)
    }

    static func checkMatches(_ p: LDNSPacket.Parsed, id: UInt16, qname: String, type: DNSRecordType) throws(DNSError) {
        guard p.id == id else { throw .malformedResponse("id mismatch") }
        // A server may echo the name in another case (0x20 encoding); compare
        // case-insensitively.
        guard p.questionName.lowercased() == qname.lowercased(), p.questionType == type.rawValue else {
            throw .malformedResponse("question mismatch")
        }
    }

    /// Keeps the records of the type asked for, for the name asked or the
    /// end of the CNAME chain the answer section spells out.
    static func response(from p: LDNSPacket.Parsed, qname: String, type: DNSRecordType) throws(DNSError) -> DNSResponse {
        switch p.rcode {
        case 0: break
        case 3: return DNSResponse(status: .nxDomain, records: [], ttl: 60)
        default: throw .serverFailure(rcode: p.rcode)
        }
        var owners: Set<String> = [qname]
        // Follow CNAMEs in answer order, bounded by the answer count.
        for _ in 0..<min(p.answers.count, 16) {
            var grew = false
            for a in p.answers {
                if case .cname(let target) = a.record, owners.contains(a.owner), !owners.contains(target) {
                    owners.insert(target); grew = true
                }
            }
            if !grew { break }
        }
        var records: [DNSRecord] = []
        var ttl = UInt32.max
        for a in p.answers where a.record.type == type && owners.contains(a.owner) {
            records.append(a.record); ttl = min(ttl, a.ttl)
        }
        return DNSResponse(status: .noError, records: records, ttl: records.isEmpty ? 60 : ttl)
    }
}

extension TimeAmount {
    init(duration: Duration) {
        let (s, atto) = duration.components
        self = .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}

/// Byte exchanges with one DNS server over NIO sockets.
enum DNSTransport {
    static func udp(_ packet: [UInt8], id: UInt16, server: SocketAddress, timeout: Duration,
                    group: any EventLoopGroup) async throws(DNSError) -> [UInt8] {
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(UDPAnswerHandler(promise: promise, id: id, server: server))
                    }
                }
                .bind(host: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
        } catch {
            throw .network("\(error)")
        }
        return try await finish(promise, channel: channel, timeout: timeout) {
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: packet)), promise: nil)
        }
    }

    static func tcp(_ packet: [UInt8], server: SocketAddress, timeout: Duration,
                    group: any EventLoopGroup) async throws(DNSError) -> [UInt8] {
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(TimeAmount(duration: timeout))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(TCPAnswerHandler(promise: promise))
                    }
                }
                .connect(to: server).get()
        } catch {
            throw .network("\(error)")
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(packet.count))
        buffer.writeBytes(packet)
        let framed = buffer
        return try await finish(promise, channel: channel, timeout: timeout) {
            channel.writeAndFlush(framed, promise: nil)
        }
    }

    /// Sends, then waits for the answer, the timeout or cancellation,
    /// whichever comes first, and closes the socket.
    private static func finish(_ promise: EventLoopPromise<[UInt8]>, channel: any Channel, timeout: Duration,
                               send: @Sendable () -> Void) async throws(DNSError) -> [UInt8] {
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(duration: timeout)) {
            promise.fail(DNSError.timeout)
        }
        send()
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(DNSError.budgetExhausted)
            }
        } catch let e as DNSError {
            throw e
        } catch {
            throw .network("\(error)")
        }
    }
}

/// Takes the first datagram from the server carrying our query id; others
/// (late answers, spoofing attempts) are dropped.
private final class UDPAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let promise: EventLoopPromise<[UInt8]>
    let id: UInt16
    let server: SocketAddress

    init(promise: EventLoopPromise<[UInt8]>, id: UInt16, server: SocketAddress) {
        self.promise = promise; self.id = id; self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == server,
              envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt16.self) == id else { return }
        promise.succeed(Array(envelope.data.readableBytesView))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like: report, the caller may retry.
        promise.fail(DNSError.network("\(error)"))
    }
}

/// Reads one length-prefixed message (RFC 1035 §4.2.2).
private final class TCPAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<[UInt8]>
    var buffer = ByteBuffer()

    init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        buffer.writeBuffer(&chunk)
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              let body = buffer.getBytes(at: buffer.readerIndex + 2, length: Int(length)) else { return }
        promise.succeed(body)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSError.network("connection closed before a full answer"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(DNSError.network("\(error)"))
    }
}
