import Testing
@testable import SwampDNS
import SwampTestSupport

/// SECURITY.md "Network checks": hostile answers (random bytes, truncated
/// or mutated packets, CNAME loops) fail cleanly.
@Suite struct PacketFuzzTests {

    /// A well-formed answer: one TXT and one CNAME record.
    static func answer() -> [UInt8] {
        var p: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        p += [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 16, 0, 1]
        p += [0xc0, 12, 0, 16, 0, 1, 0, 0, 1, 0, 0, 6, 5] + Array("hello".utf8)
        p += [0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0, 0, 2, 0xc0, 12]
        return p
    }

    @Test func parsesTheSample() throws {
        let p = try LDNSPacket.parse(Self.answer())
        #expect(p.id == 0x1234 && p.questionName == "example.test" && p.answers.count == 2)
    }

    @Test func randomAndMutatedPacketsNeverCrash() {
        var rng = SplitMix64(state: 1035)
        let sample = Self.answer()
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = sample
                for _ in 0..<Int(1 + rng.next() % 4) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 3 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count)))) }
            }
            if let parsed = try? LDNSPacket.parse(bytes) {
                _ = try? LDNSResolver.response(from: parsed, qname: parsed.questionName, type: .txt)
            }
        }
    }

    @Test func cnameLoopEnds() throws {
        let parsed = LDNSPacket.Parsed(id: 1, truncated: false, rcode: 0, questionName: "a.test", questionType: 1, answers: [
            ("a.test", 60, .cname("b.test")), ("b.test", 60, .cname("a.test")),
        ])
        let r = try LDNSResolver.response(from: parsed, qname: "a.test", type: .a)
        #expect(r.records.isEmpty)
        var zone = DNSZone()
        zone.add("a.test", .cname("b.test"))
        zone.add("b.test", .cname("a.test"))
        #expect(throws: DNSError.self) { try zone.answer("a.test", .a).get() }
    }

    @Test func followsACNAMEChainInTheAnswer() throws {
        let parsed = LDNSPacket.Parsed(id: 1, truncated: false, rcode: 0, questionName: "a.test", questionType: 1, answers: [
            ("b.test", 30, .a([192, 0, 2, 1])), ("a.test", 60, .cname("b.test")), ("c.test", 60, .a([192, 0, 2, 9])),
        ])
        let r = try LDNSResolver.response(from: parsed, qname: "a.test", type: .a)
        #expect(r.records == [.a([192, 0, 2, 1])] && r.ttl == 30)
        let fail = LDNSPacket.Parsed(id: 1, truncated: false, rcode: 5, questionName: "a.test", questionType: 1, answers: [])
        #expect(throws: DNSError.serverFailure(rcode: 5)) { try LDNSResolver.response(from: fail, qname: "a.test", type: .a) }
    }
}
