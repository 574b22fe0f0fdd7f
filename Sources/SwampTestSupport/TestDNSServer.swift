import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwampDNS

/// A DNS server on 127.0.0.1 for tests: answers UDP and TCP queries from a
/// `DNSZone`, with NXDOMAIN for unknown names and SERVFAIL, silence or a
/// truncated UDP answer where the zone asks for them; or, started with
/// `dropAll`, answers nothing at all (a dead server). It lives in the test
/// process, so it ends with the test: nothing to leave running.
public final class TestDNSServer: Sendable {
    public let zone: DNSZone
    public let udpChannel: any Channel
    public let tcpChannel: any Channel
    private let counter: NIOLockedValueBox<Int>
    private let silent: NIOLockedValueBox<Bool>

    /// "127.0.0.1:PORT", the form `dns_server` takes.
    public var hostPort: String { "127.0.0.1:\(udpChannel.localAddress!.port!)" }
    public var address: SocketAddress { udpChannel.localAddress! }
    /// Queries received so far, over UDP and TCP.
    public var queryCount: Int { counter.withLockedValue { $0 } }
    /// While true, every query goes unanswered: a DNS server that hangs.
    public var dropsEveryQuery: Bool {
        get { silent.withLockedValue { $0 } }
        set { silent.withLockedValue { $0 = newValue } }
    }

    private init(zone: DNSZone, udp: any Channel, tcp: any Channel, counter: NIOLockedValueBox<Int>,
                 silent: NIOLockedValueBox<Bool>) {
        self.zone = zone; self.udpChannel = udp; self.tcpChannel = tcp; self.counter = counter; self.silent = silent
    }

    public static func start(zone: DNSZone, dropAll: Bool = false,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> TestDNSServer {
        let counter = NIOLockedValueBox(0)
        let silent = NIOLockedValueBox(dropAll)
        // UDP takes a free port; TCP must then get the same number, which
        // another socket may hold already: try again with a new port.
        var attempt = 0
        while true {
            attempt += 1
            let udp = try await DatagramBootstrap(group: group)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(UDPServerHandler(zone: zone, counter: counter, silent: silent))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = udp.localAddress!.port!
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            try ch.pipeline.syncOperations.addHandler(TCPServerHandler(zone: zone, counter: counter, silent: silent))
                        }
                    }
                    .bind(host: "127.0.0.1", port: port).get()
                return TestDNSServer(zone: zone, udp: udp, tcp: tcp, counter: counter, silent: silent)
            } catch {
                try? await udp.close()
                if attempt >= 20 { throw error }
            }
        }
    }

    public func stop() async {
        try? await udpChannel.close()
        try? await tcpChannel.close()
    }
}

/// DNS wire encoding for the test server, written out by hand so tests do
/// not depend on the code they test (RFC 1035 §4.1).
enum TestDNSWire {
    struct Question { var id: UInt16; var flags: UInt16; var name: String; var type: UInt16; var raw: [UInt8] }

    static func parseQuestion(_ b: [UInt8]) -> Question? {
        guard b.count >= 12 else { return nil }
        let id = UInt16(b[0]) << 8 | UInt16(b[1])
        let flags = UInt16(b[2]) << 8 | UInt16(b[3])
        var i = 12
        var labels: [String] = []
        while i < b.count {
            let len = Int(b[i]); i += 1
            if len == 0 { break }
            guard len < 64, i + len <= b.count else { return nil }
            labels.append(String(decoding: b[i..<i + len], as: UTF8.self)); i += len
        }
        guard i + 4 <= b.count else { return nil }
        let type = UInt16(b[i]) << 8 | UInt16(b[i + 1])
        return Question(id: id, flags: flags, name: labels.joined(separator: "."), type: type, raw: Array(b[12..<i + 4]))
    }

    static func name(_ n: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in n.split(separator: ".") {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count)); out += bytes
        }
        return out + [0]
    }

    static func rdata(_ r: DNSRecord) -> [UInt8] {
        switch r {
        case .a(let b), .aaaa(let b): return b
        case .mx(let pref, let exchange): return [UInt8(pref >> 8), UInt8(pref & 0xff)] + name(exchange)
        case .txt(let parts):
            var out: [UInt8] = []
            for p in parts.isEmpty ? [[]] : parts {
                var rest = p[...]
                repeat {
                    let chunk = rest.prefix(255); rest = rest.dropFirst(chunk.count)
                    out.append(UInt8(chunk.count)); out += chunk
                } while !rest.isEmpty
            }
            return out
        case .ptr(let n), .cname(let n), .ns(let n): return name(n)
        }
    }

    /// The reply to one query, or nil to stay silent.
    static func reply(to query: [UInt8], zone: DNSZone, overUDP: Bool) -> [UInt8]? {
        guard let q = parseQuestion(query) else { return nil }
        var rcode: UInt16 = 0
        var truncated = false
        var answers: [(DNSRecord, UInt32)] = []
        if overUDP && zone.wantsTruncation(q.name) {
            truncated = true
        } else if let type = DNSRecordType(rawValue: q.type) {
            switch zone.answer(q.name, type) {
            case .success(let r):
                if r.status == .nxDomain { rcode = 3 }
                answers = r.records.map { ($0, r.ttl) }
            case .failure(.timeout): return nil
            case .failure: rcode = 2
            }
        }
        var flags: UInt16 = 0x8000 | (q.flags & 0x0100) | 0x0080 | rcode
        if truncated { flags |= 0x0200 }
        var out: [UInt8] = [UInt8(q.id >> 8), UInt8(q.id & 0xff), UInt8(flags >> 8), UInt8(flags & 0xff),
                            0, 1, UInt8(answers.count >> 8), UInt8(answers.count & 0xff), 0, 0, 0, 0]
        out += q.raw
        for (record, ttl) in answers {
            let data = rdata(record)
            out += [0xc0, 12]  // owner: the question name
            out += [UInt8(record.type.rawValue >> 8), UInt8(record.type.rawValue & 0xff), 0, 1]
            out += [UInt8(ttl >> 24), UInt8(ttl >> 16 & 0xff), UInt8(ttl >> 8 & 0xff), UInt8(ttl & 0xff)]
            out += [UInt8(data.count >> 8), UInt8(data.count & 0xff)] + data
        }
        return out
    }
}

private final class UDPServerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let zone: DNSZone
    let counter: NIOLockedValueBox<Int>
    let silent: NIOLockedValueBox<Bool>
    init(zone: DNSZone, counter: NIOLockedValueBox<Int>, silent: NIOLockedValueBox<Bool>) {
        self.zone = zone; self.counter = counter; self.silent = silent
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        counter.withLockedValue { $0 += 1 }
        if silent.withLockedValue({ $0 }) { return }
        guard let reply = TestDNSWire.reply(to: Array(envelope.data.readableBytesView), zone: zone, overUDP: true) else { return }
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress,
                                                                data: ByteBuffer(bytes: reply))), promise: nil)
    }
}

private final class TCPServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let zone: DNSZone
    let counter: NIOLockedValueBox<Int>
    let silent: NIOLockedValueBox<Bool>
    var buffer = ByteBuffer()
    init(zone: DNSZone, counter: NIOLockedValueBox<Int>, silent: NIOLockedValueBox<Bool>) {
        self.zone = zone; self.counter = counter; self.silent = silent
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        buffer.writeBuffer(&chunk)
        while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) {
            buffer.moveReaderIndex(forwardBy: 2)
            let query = buffer.readBytes(length: Int(length))!
            counter.withLockedValue { $0 += 1 }
            if silent.withLockedValue({ $0 }) { continue }
            guard let reply = TestDNSWire.reply(to: query, zone: zone, overUDP: false) else { continue }
            var out = context.channel.allocator.buffer(capacity: reply.count + 2)
            out.writeInteger(UInt16(reply.count))
            out.writeBytes(reply)
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}
