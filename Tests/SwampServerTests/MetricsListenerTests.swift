import Foundation
import NIOCore
import Testing
@testable import SwampServer

/// The `--metrics` listener against clients that are not a scraper: too
/// many connections at once, a request trickled a byte at a time. Each test
/// binds its own listener on loopback. Past the bind the tests never
/// suspend: a test task waiting for a turn on a busy cooperative pool could
/// otherwise oversleep the deadlines it measures.
// Ten minutes: a limit counts time queued for the pool too (see onOwnThread).
@Suite(.timeLimit(.minutes(10)))
struct MetricsListenerTests {
    static let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    static func bind(connections: MetricsConnections = MetricsConnections(limit: MetricsService.maxConnections),
                     deadline: TimeAmount = MetricsService.connectionDeadline) async throws -> (any Channel, Int) {
        let channel = try await MetricsService.bind(ListenAddress(host: "127.0.0.1", port: 0), page: { "swamp_up 1\n" },
                                                    connections: connections, deadline: deadline)
        return (channel, try #require(channel.localAddress?.port))
    }

    /// Waits until `connections` counts `count` open (at most 5 s).
    static func wait(for count: Int, _ connections: MetricsConnections) {
        let deadline = Date().addingTimeInterval(5)
        while connections.current != count && Date() < deadline { usleep(10_000) }
        #expect(connections.current == count)
    }

    @Test func connectionsOverTheCapAreClosedAtOnce() async throws {
        let connections = MetricsConnections(limit: 2)
        let (channel, port) = try await Self.bind(connections: connections, deadline: .seconds(30))
        // Two idle clients take every place.
        let held = try (0..<2).map { _ in try RawClient(port: port, receiveTimeout: 5) }
        Self.wait(for: 2, connections)

        let start = Date()
        let extra = try RawClient(port: port, receiveTimeout: 5)
        extra.send(Self.request)
        #expect(extra.receiveAll().isEmpty)  // closed without a reply
        #expect(Date().timeIntervalSince(start) < 2)  // not by the receive timeout

        // The two admitted are served; once they are gone, so is a newcomer.
        for client in held {
            client.send(Self.request)
            #expect(client.receiveText().hasPrefix("HTTP/1.1 200 OK"))
        }
        Self.wait(for: 0, connections)
        #expect(try OperationsTests.httpGet(port: port, "/metrics").status == "HTTP/1.1 200 OK")
        try await channel.close()
    }

    /// A byte every 100 ms never trips the 10 s idle timer; the deadline
    /// (1 s here) closes the connection whatever the pace.
    @Test func aTrickledRequestIsCutOffAtTheDeadline() async throws {
        let connections = MetricsConnections(limit: 4)
        let (channel, port) = try await Self.bind(connections: connections, deadline: .seconds(1))
        let client = try RawClient(port: port, receiveTimeout: 10)
        let start = Date()
        let trickle = Thread {
            for byte in Array(Self.request.utf8) {  // about 4 s in all
                if !client.send([byte]) { return }
                usleep(100_000)
            }
        }
        trickle.start()
        let reply = client.receiveAll()
        let elapsed = Date().timeIntervalSince(start)
        #expect(reply.isEmpty, "\(String(decoding: reply, as: UTF8.self))")
        #expect(elapsed > 0.8 && elapsed < 3, "\(elapsed)")
        Self.wait(for: 0, connections)
        // A scraper's quick request is unaffected.
        #expect(try OperationsTests.httpGet(port: port, "/metrics").status == "HTTP/1.1 200 OK")
        try await channel.close()
    }

    /// The daemon's own limits stay those of a small, quick page.
    @Test func defaultsAreSmall() {
        #expect(MetricsService.maxConnections <= 16)
        #expect(MetricsService.connectionDeadline <= .seconds(10))
    }
}
