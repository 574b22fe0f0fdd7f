import SwampDNS
import Testing
@testable import SwampAuth
import SwampTestSupport

@Suite struct SPFRecordParserTests {
    @Test(arguments: [
        "v=spf1", "v=spf1 -all", "V=SPF1 ~ALL", "v=spf1 a mx ptr -all",
        "v=spf1 a:example.com/24//64 mx/30 ip4:192.0.2.0/24 ip6:2001:db8::/32 ?all",
        "v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} -all",
        "v=spf1 redirect=_spf.example.com", "v=spf1 exp=explain.%{d} -all",
        "v=spf1 foo=bar -all", "v=spf1 a:%{d}",
    ])
    func validRecords(text: String) throws {
        _ = try SPFRecord(parsing: text)
    }

    @Test(arguments: [
        "v=spf1 all:foo", "v=spf1 ip4:1.2.3.4/33", "v=spf1 ip4:1.2.3", "v=spf1 ip6:1.2.3.4",
        "v=spf1 ip4:1.2.3.4/024", "v=spf1 include", "v=spf1 include:", "v=spf1 a:foo.1",
        "v=spf1 redirect=a.com redirect=b.com", "v=spf1 exp=a.com exp=b.com", "v=spf1 frob",
        "v=spf1 a:%{x}.com", "v=spf1 a:%{d0}.com", "v=spf1 a:%", "v=spf1 exists:%{c}.com",
        "v=spf1 a//129", "v=spf1 mx:example.com/-1", "v=spf1 =foo",
    ])
    func invalidRecords(text: String) {
        #expect(throws: SPFSyntaxError.self) { try SPFRecord(parsing: text) }
    }

    @Test func recognisesOnlyVersion1() {
        #expect(SPFRecord.isSPF(Array("v=spf1".utf8)))
        #expect(SPFRecord.isSPF(Array("V=Spf1 -all".utf8)))
        #expect(!SPFRecord.isSPF(Array("v=spf10".utf8)))
        #expect(!SPFRecord.isSPF(Array("v=spf1\t-all".utf8)))
        #expect(!SPFRecord.isSPF(Array("spf2.0/pra".utf8)))
    }

    /// Fuzz-style: random records from SPF's own alphabet and tokens never
    /// crash the parser, and whatever parses evaluates to some result within
    /// the lookup limits against a zone that answers everything.
    @Test func randomRecordsNeverCrash() async {
        var rng = SplitMix64(seed: 7208)
        let tokens = ["a", "mx", "ptr", "all", "include:", "exists:", "ip4:", "ip6:", "redirect=", "exp=",
                      "%{", "}", "%{d}", "%{i}", "%{ir}", "%{l1r-}", "%%", "%_", "%-", "/", "//", ":", "=",
                      "+", "-", "~", "?", " ", "  ", ".", "example.com", "1.2.3.4", "::1", "24", "0", "128",
                      "x", "\u{7f}", "é", "\t", "v=spf1", "%", "{", "0.0.0.0/0", "a.b.c.d.e.f"]
        var zone = DNSZone()
        zone.add("example.com", .a([1, 2, 3, 4]))
        zone.add("example.com", .mx(preference: 1, exchange: "example.com"))
        let resolver = StaticResolver(zone: zone)
        for _ in 0..<3000 {
            var text = "v=spf1 "
            for _ in 0..<Int(rng.next() % 12) { text += tokens[Int(rng.next() % UInt64(tokens.count))] }
            if let record = try? SPFRecord(parsing: text) {
                _ = record
                var z = zone
                z.add("fuzz.test", .txt([Array(text.utf8)]))
                let checker = SPFChecker(resolver: StaticResolver(zone: z))
                let out = await checker.checkHost(ip: IPAddress("1.2.3.4")!, domain: "fuzz.test",
                                                  sender: "a@fuzz.test", helo: "fuzz.test")
                #expect(SPFResult.allCases.contains(out.result))
            }
        }
        _ = resolver
    }

    /// Random bytes, including invalid UTF-8, through the record fetcher.
    @Test func randomBytesAsRecords() async {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            var bytes = Array("v=spf1 ".utf8)
            for _ in 0..<Int(rng.next() % 40) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            var zone = DNSZone()
            zone.add("fuzz.test", .txt([bytes]))
            let checker = SPFChecker(resolver: StaticResolver(zone: zone))
            let out = await checker.checkHost(ip: IPAddress("192.0.2.1")!, domain: "fuzz.test",
                                              sender: "a@fuzz.test", helo: "fuzz.test")
            #expect(SPFResult.allCases.contains(out.result))
        }
    }
}

@Suite struct SPFLimitTests {
    @Test func includeLoopIsPermerror() async {
        var zone = DNSZone()
        zone.add("loop.test", .txt([Array("v=spf1 include:loop.test -all".utf8)]))
        let out = await SPFChecker(resolver: StaticResolver(zone: zone))
            .checkHost(ip: IPAddress("192.0.2.1")!, domain: "loop.test", sender: "a@loop.test", helo: "h")
        #expect(out.result == .permerror)
    }

    @Test func redirectLoopIsPermerror() async {
        var zone = DNSZone()
        zone.add("r1.test", .txt([Array("v=spf1 redirect=r2.test".utf8)]))
        zone.add("r2.test", .txt([Array("v=spf1 redirect=r1.test".utf8)]))
        let out = await SPFChecker(resolver: StaticResolver(zone: zone))
            .checkHost(ip: IPAddress("192.0.2.1")!, domain: "r1.test", sender: "a@r1.test", helo: "h")
        #expect(out.result == .permerror)
    }

    @Test func serverFailureIsTemperror() async {
        var zone = DNSZone()
        zone.add("sf.test", .serverFailure)
        zone.add("inc.test", .txt([Array("v=spf1 a:sf.test -all".utf8)]))
        let checker = SPFChecker(resolver: StaticResolver(zone: zone))
        let ip = IPAddress("192.0.2.1")!
        #expect(await checker.checkHost(ip: ip, domain: "sf.test", sender: "a@sf.test", helo: "h").result == .temperror)
        #expect(await checker.checkHost(ip: ip, domain: "inc.test", sender: "a@inc.test", helo: "h").result == .temperror)
    }

    @Test func voidLookupLimit() async {
        var zone = DNSZone()
        zone.add("void.test", .txt([Array("v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test +all".utf8)]))
        let out = await SPFChecker(resolver: StaticResolver(zone: zone))
            .checkHost(ip: IPAddress("192.0.2.1")!, domain: "void.test", sender: "a@void.test", helo: "h")
        #expect(out.result == .permerror)
    }
}
