import Foundation
import SwampDNS
import SwampTestSupport
import Testing
@testable import SwampAuth

/// The RFC 7208 test suite (openspf.org, release 2014.04), read from
/// ../shared/corpora/spf/rfc7208-tests.yml. python3's yaml module turns it
/// into JSON at test time.
enum SPFSuite {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let path = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora/spf/rfc7208-tests.yml").path

    struct Case: Sendable, CustomStringConvertible {
        var section: Int
        var name: String
        var host: String
        var mailfrom: String
        var helo: String
        var results: [String]
        var explanation: String?
        var description: String { name }
    }

    struct Section: Sendable {
        var zone: DNSZone
        var cases: [Case]
    }

    static var available: Bool { FileManager.default.fileExists(atPath: path) }

    /// Cases whose expected outcome swamp deliberately does not give, with
    /// the reason from the RFC.
    static let exceptions: [String: String] = [
        "v-macro-ip6": """
            Expects %{ir} of an IPv6 address with upper-case nibbles; swamp writes \
            them lower-case, as RFC 7208 §7.4's own example does \
            ("1.0.b.c.0.0...ip6._spf.example.com"). Only the explanation's letter \
            case differs; DNS names are case-insensitive and the result is the same.
            """,
    ]

    static func load() throws -> [Section] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import yaml,json,sys; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let docs = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "python3 -c 'import yaml' failed: install python3-yaml"])
        }
        var sections: [Section] = []
        for (index, doc) in docs.enumerated() {
            var zone = DNSZone()
            for (name, entries) in doc["zonedata"] as? [String: [Any]] ?? [:] {
                var txt: [DNSRecord] = []
                var spf: [DNSRecord] = []
                var hasTXT = false
                for entry in entries {
                    if let s = entry as? String, s == "TIMEOUT" { zone.add(name, .timeout); continue }
                    guard let dict = entry as? [String: Any], let (type, value) = dict.first else { continue }
                    func strings() -> [[UInt8]] {
                        if let s = value as? String { return [Array(s.utf8)] }
                        return (value as? [Any] ?? []).map { Array("\($0)".utf8) }
                    }
                    switch type {
                    case "SPF": spf.append(.txt(strings()))
                    case "TXT":
                        // "TXT: NONE" means the name has no TXT record, so
                        // its TIMEOUT applies to TXT queries.
                        if value as? String == "NONE" { hasTXT = true } else { txt.append(.txt(strings())) }
                    case "A": zone.add(name, .a(IPAddress(value as! String)!.bytes))
                    case "AAAA": zone.add(name, .aaaa(IPAddress(value as! String)!.bytes))
                    case "PTR": zone.add(name, .ptr(value as! String))
                    case "CNAME": zone.add(name, .cname(value as! String))
                    case "MX":
                        let pair = value as! [Any]
                        zone.add(name, .mx(preference: UInt16(pair[0] as! Int), exchange: "\(pair[1])"))
                    default: Issue.record("unknown zonedata type \(type)")
                    }
                }
                // The suite's drivers publish type-SPF data as TXT when the
                // name has no TXT records of its own (see the suite's header).
                for r in txt.isEmpty && !hasTXT ? spf : txt { zone.add(name, r) }
            }
            var cases: [Case] = []
            for (name, any) in doc["tests"] as? [String: [String: Any]] ?? [:] {
                let results = (any["result"] as? [String]) ?? [any["result"] as! String]
                cases.append(Case(section: index, name: name, host: any["host"] as! String,
                                  mailfrom: any["mailfrom"] as? String ?? "", helo: any["helo"] as? String ?? "",
                                  results: results, explanation: any["explanation"] as? String))
            }
            sections.append(Section(zone: zone, cases: cases.sorted { $0.name < $1.name }))
        }
        return sections
    }

    /// Runs every case against `resolverFor(section)`; returns the failures.
    static func run(_ sections: [Section], resolverFor: (Section) async throws -> any DNSResolver) async throws -> (Int, [String]) {
        var count = 0
        var failures: [String] = []
        for section in sections {
            let resolver = try await resolverFor(section)
            for c in section.cases {
                count += 1
                var checker = SPFChecker(resolver: resolver, receivingHost: "unknown")
                checker.timestamp = 1_000_000
                guard let ip = IPAddress(c.host) else { failures.append("\(c.name): bad host"); continue }
                let outcome = await checker.checkMailFrom(ip: ip, mailFrom: c.mailfrom, helo: c.helo)
                var problems: [String] = []
                if !c.results.contains(outcome.result.rawValue) {
                    problems.append("result \(outcome.result.rawValue), want \(c.results) (\(outcome.problem ?? "-"))")
                }
                if let want = c.explanation, outcome.result == .fail, (outcome.explanation ?? "DEFAULT") != want {
                    problems.append("explanation '\(outcome.explanation ?? "DEFAULT")', want '\(want)'")
                }
                if !problems.isEmpty, exceptions[c.name] == nil {
                    failures.append("\(c.name): " + problems.joined(separator: "; "))
                }
            }
        }
        return (count, failures)
    }
}

@Suite("RFC 7208 test suite", .enabled(if: SPFSuite.available, "needs ../shared/corpora/spf"))
struct SPFSuiteTests {
    @Test func everyCasePassesInMemory() async throws {
        let sections = try SPFSuite.load()
        let (count, failures) = try await SPFSuite.run(sections) { StaticResolver(zone: $0.zone) }
        #expect(count == 203)
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.joined(separator: "\n"))")
    }

    /// The same suite with each section's zonedata served by the test DNS
    /// server and queried through libldns over UDP.
    @Test func everyCasePassesOverTheWire() async throws {
        let sections = try SPFSuite.load()
        var servers: [TestDNSServer] = []
        let (count, failures) = try await SPFSuite.run(sections) { section in
            let server = try await TestDNSServer.start(zone: section.zone)
            servers.append(server)
            return CachingResolver(base: LDNSResolver(servers: [server.address], timeout: .milliseconds(1000), attempts: 1),
                                   cache: DNSCache())
        }
        for s in servers { await s.stop() }
        #expect(count == 203)
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.joined(separator: "\n"))")
    }
}
