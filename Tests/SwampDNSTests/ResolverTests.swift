import NIOCore
import SwampTestSupport
import Testing
@testable import SwampDNS

private func zone() -> DNSZone {
    var z = DNSZone()
    z.add("example.test", .a([192, 0, 2, 1]))
    z.add("example.test", .a([192, 0, 2, 2]))
    z.add("example.test", .aaaa([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]))
    z.add("example.test", .mx(preference: 10, exchange: "mx.example.test"))
    z.add("example.test", .txt([Array("v=spf1 ".utf8), Array("-all".utf8)]))
    z.add("1.2.0.192.in-addr.arpa", .ptr("mail.example.test"))
    z.add("alias.example.test", .cname("example.test"))
    z.add("broken.test", .serverFailure)
    z.add("hang.test", .timeout)
    z.add("big.test", .truncateOverUDP)
    z.add("big.test", .txt([Array(repeating: UInt8(ascii: "x"), count: 255), Array(repeating: UInt8(ascii: "y"), count: 100)]))
    for i in 0..<200 { z.add("n\(i).many.test", .a([10, 0, UInt8(i / 256), UInt8(i % 256)])) }
    return z
}

private func withServer<T>(_ body: (TestDNSServer, LDNSResolver) async throws -> T) async throws -> T {
    let server = try await TestDNSServer.start(zone: zone())
    let resolver = try LDNSResolver(dnsServers: [server.hostPort], timeout: .milliseconds(300), attempts: 1)
    do {
        let r = try await body(server, resolver)
        await server.stop()
        return r
    } catch {
        await server.stop()
        throw error
    }
}

@Suite struct LDNSResolverTests {
    @Test func answersEveryRecordType() async throws {
        try await withServer { _, r in
            #expect(try await r.query("example.test", .a).records == [.a([192, 0, 2, 1]), .a([192, 0, 2, 2])])
            #expect(try await r.query("EXAMPLE.test.", .aaaa).records.count == 1)
            #expect(try await r.query("example.test", .mx).records == [.mx(preference: 10, exchange: "mx.example.test")])
            let txt = try await r.query("example.test", .txt).records
            #expect(txt.first?.joinedText == Array("v=spf1 -all".utf8))
            #expect(try await r.query("1.2.0.192.in-addr.arpa", .ptr).records == [.ptr("mail.example.test")])
        }
    }

    @Test func nxdomainAndNoData() async throws {
        try await withServer { _, r in
            let nx = try await r.query("nothing.test", .a)
            #expect(nx.status == .nxDomain && nx.records.isEmpty)
            let nodata = try await r.query("1.2.0.192.in-addr.arpa", .a)
            #expect(nodata.status == .noError && nodata.isVoid)
        }
    }

    @Test func serverFailureAndTimeout() async throws {
        try await withServer { _, r in
            await #expect(throws: DNSError.serverFailure(rcode: 2)) { try await r.query("broken.test", .txt) }
            // Unanswered, the query would wait forever; the bound is loose
            // because the whole test suite shares two cores, and tests that
            // scan in their tasks can keep this one from running for long
            // (40 s seen in a CI run beside two builds).
            let start = ContinuousClock.now
            await #expect(throws: DNSError.timeout) { try await r.query("hang.test", .a) }
            #expect(ContinuousClock.now - start < .seconds(120))
        }
    }

    @Test func truncatedAnswerRetriesOverTCP() async throws {
        try await withServer { server, r in
            let answer = try await r.query("big.test", .txt)
            #expect(answer.records.first?.joinedText?.count == 355)
            #expect(server.queryCount == 2)
        }
    }

    @Test func manyQueriesInFlight() async throws {
        try await withServer { _, r in
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<200 {
                    group.addTask { try await r.query("n\(i).many.test", .a).records.count }
                }
                return try await group.reduce(0, +)
            }
            #expect(answers == 200)
        }
    }

    @Test func cacheAnswersRepeatedQueries() async throws {
        try await withServer { server, r in
            let cached = CachingResolver(base: r, cache: DNSCache())
            _ = try await cached.query("example.test", .a)
            _ = try await cached.query("Example.Test", .a)
            _ = try await cached.query("nothing.test", .a)
            _ = try await cached.query("nothing.test", .a)
            #expect(server.queryCount == 2)
            // Failures are not cached.
            _ = try? await cached.query("broken.test", .a)
            _ = try? await cached.query("broken.test", .a)
            #expect(server.queryCount == 4)
        }
    }

    @Test func budgetLimitsQueriesAndTime() async throws {
        try await withServer { _, r in
            let budget = DNSBudget(maxQueries: 2, timeLimit: .seconds(300))
            let b = BudgetedResolver(base: r, budget: budget)
            _ = try await b.query("example.test", .a)
            _ = try await b.query("example.test", .mx)
            await #expect(throws: DNSError.budgetExhausted) { try await b.query("example.test", .txt) }

            // A server that never answers costs no more than the budget's
            // time: without it, three attempts of 100 s each. The bound is
            // loose: synchronous tests (the corpus differentials, the log
            // test's spamc runs) can hold both of this machine's Swift
            // concurrency threads, so this task may wait long to resume
            // (45 s seen in a full run).
            let slow = LDNSResolver(servers: r.servers, timeout: .seconds(100), attempts: 3)
            let short = BudgetedResolver(base: slow, budget: DNSBudget(maxQueries: 10, timeLimit: .milliseconds(200)))
            let start = ContinuousClock.now
            await #expect(throws: DNSError.budgetExhausted) { try await short.query("hang.test", .a) }
            #expect(ContinuousClock.now - start < .seconds(150))
        }
    }

    @Test func invalidNamesNeverReachTheWire() async throws {
        try await withServer { server, r in
            await #expect(throws: DNSError.self) { try await r.query("a..b", .a) }
            await #expect(throws: DNSError.self) { try await r.query(String(repeating: "x", count: 64) + ".test", .a) }
            #expect(server.queryCount == 0)
        }
    }
}

@Suite struct DNSServerSpecTests {
    @Test(arguments: [
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("10.0.0.1", "10.0.0.1", 53),
        ("[::1]:5300", "::1", 5300),
        ("::1", "::1", 53),
    ])
    func parsesDNSServer(spec: String, host: String, port: Int) throws {
        let a = try LDNSResolver.parseServer(spec)
        #expect(a.ipAddress == host && a.port == port)
    }

    @Test func rejectsBadSpecs() {
        for bad in ["dns.example:53", "127.0.0.1:0", "127.0.0.1:x", "[::1]:99999"] {
            #expect(throws: DNSError.self) { try LDNSResolver.parseServer(bad) }
        }
    }

    @Test func staticResolverFollowsCNAMEs() async throws {
        let r = StaticResolver(zone: zone())
        #expect(try await r.query("alias.example.test", .a).records.count == 2)
        await #expect(throws: DNSError.timeout) { try await r.query("hang.test", .a) }
    }
}
