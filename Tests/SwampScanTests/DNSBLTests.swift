import SwampMIME
import Testing
@testable import SwampScan

@Suite struct DNSBLTests {
    @Test(arguments: [
        ("127.0.0.2", "127.0.0.2", true), ("127.0.0.3", "127.0.0.2", false),
        ("127.0.0.4", "^127\\.0\\.0\\.[4567]$", true), ("127.0.0.10", "^127\\.0\\.0\\.[4567]$", false),
        ("127.0.0.12", "4", true), ("127.0.0.8", "4", false), ("10.0.0.4", "4", false),
        ("Blocked - see https://www.spamcop.net/", "(?i:spamcop)", true),
    ])
    func subtests(answer: String, subtest: String, hit: Bool) {
        #expect(DNSBLChecks.matches(answer, subtest: subtest) == hit)
    }

    @Test func ipsPerSet() {
        let relays = Relays(
            trusted: [Relay(ip: "198.51.100.1", isInternal: false)],
            untrusted: [Relay(ip: "192.0.2.1"), Relay(ip: "10.0.0.1"), Relay(ip: "192.0.2.2"), Relay(ip: "192.0.2.1")])
        func ips(_ set: String) -> [String] { DNSBLChecks.ips(for: set, relays: relays).map(\.description) }
        // Private addresses and repeats are dropped; the default order is oldest first.
        #expect(ips("zen") == ["192.0.2.2", "192.0.2.1"])
        #expect(ips("zen-lastexternal") == ["198.51.100.1"])
        #expect(ips("pdl-notfirsthop") == ["198.51.100.1", "192.0.2.1"])
        #expect(ips("iadb-firsttrusted") == ["192.0.2.1"])
        #expect(ips("x-untrusted") == ["192.0.2.2"])
    }
}
