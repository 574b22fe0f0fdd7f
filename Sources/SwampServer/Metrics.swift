import Foundation
import NIOConcurrencyHelpers
import SwampSpamd

/// What `--metrics` exposes, in Prometheus's text format (version 0.0.4):
/// scans by verdict, a scan time histogram, hits per rule, errors by the
/// reply code they earned, bytes scanned, DNS queries, and the gauges of
/// the moment (scans in flight, waiting for a slot, admitted, open
/// connections).
/// Every update takes one short lock; a scan updates once, at its end.
public final class ServerMetrics: Sendable {
    /// Upper bounds of the scan time buckets, in seconds: from a cached
    /// GTUBE hit to a scan that spends its network budget.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    /// Rule names counted one by one; hits of rules past this many distinct
    /// names count under `_other`, so a huge rule set cannot grow the page
    /// (and the scraper's series) without bound.
    static let maxRuleNames = 1000
    static let otherRule = "_other"

    private struct State {
        var spam = 0
        var ham = 0
        /// Per bucket, not cumulative (the page adds them up).
        var bucketCounts = [Int](repeating: 0, count: ServerMetrics.buckets.count)
        var durationSum = 0.0
        var ruleHits: [String: Int] = [:]
        var errors: [SysExit: Int] = [:]
        var bytes = 0
        var dnsQueries = 0
        var inFlight = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// The gauges only the server knows, read when the page is built.
    public struct Gauges: Sendable {
        public var queued = 0
        public var scanning = 0
        public var admitted = 0
        public var connections = 0
        public var configurationGeneration = 0
        public init() {}
    }

    // MARK: - Updates

    func scanStarted() { state.withLockedValue { $0.inFlight += 1 } }
    func scanEnded() { state.withLockedValue { $0.inFlight -= 1 } }

    func scanned(isSpam: Bool, seconds: Double, rules: [String], bytes: Int, dnsQueries: Int) {
        let bucket = Self.buckets.firstIndex { seconds <= $0 }
        state.withLockedValue { s in
            if isSpam { s.spam += 1 } else { s.ham += 1 }
            if let bucket { s.bucketCounts[bucket] += 1 }
            s.durationSum += seconds
            for rule in rules {
                if s.ruleHits[rule] != nil || s.ruleHits.count < Self.maxRuleNames {
                    s.ruleHits[rule, default: 0] += 1
                } else {
                    s.ruleHits[Self.otherRule, default: 0] += 1
                }
            }
            s.bytes += bytes
            s.dnsQueries += dnsQueries
        }
    }

    /// An error reply sent, by its code.
    func failed(_ code: SysExit) { state.withLockedValue { $0.errors[code, default: 0] += 1 } }

    // MARK: - The page

    /// The exposition text.
    public func render(_ gauges: Gauges) -> String {
        let s = state.withLockedValue { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
            if labels.isEmpty {
                out += "\(name) \(value)\n"
            } else {
                let text = labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
                out += "\(name){\(text)} \(value)\n"
            }
        }

        family("swamp_scans_total", "counter", "Messages scanned, by verdict.")
        sample("swamp_scans_total", [("result", "spam")], "\(s.spam)")
        sample("swamp_scans_total", [("result", "ham")], "\(s.ham)")

        family("swamp_scan_duration_seconds", "histogram", "Time from the start of a scan to its reply, network checks included.")
        var cumulative = 0
        for (bound, count) in zip(Self.buckets, s.bucketCounts) {
            cumulative += count
            sample("swamp_scan_duration_seconds_bucket", [("le", Self.number(bound))], "\(cumulative)")
        }
        sample("swamp_scan_duration_seconds_bucket", [("le", "+Inf")], "\(s.spam + s.ham)")
        sample("swamp_scan_duration_seconds_sum", [], Self.number(s.durationSum))
        sample("swamp_scan_duration_seconds_count", [], "\(s.spam + s.ham)")

        family("swamp_rule_hits_total", "counter",
               "Scans each rule hit, by rule name (at most \(Self.maxRuleNames) names; the rest as \(Self.otherRule)).")
        for (rule, count) in s.ruleHits.sorted(by: { $0.key < $1.key }) {
            sample("swamp_rule_hits_total", [("rule", rule)], "\(count)")
        }

        family("swamp_errors_total", "counter", "Error replies sent, by spamd reply code.")
        for (code, count) in s.errors.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            sample("swamp_errors_total", [("kind", code.name)], "\(count)")
        }

        family("swamp_scanned_bytes_total", "counter", "Message bytes scanned (after inflating).")
        sample("swamp_scanned_bytes_total", [], "\(s.bytes)")
        family("swamp_dns_queries_total", "counter", "DNS queries the network checks made.")
        sample("swamp_dns_queries_total", [], "\(s.dnsQueries)")

        family("swamp_scans_in_flight", "gauge", "Scan requests being served now (waiting for a slot included).")
        sample("swamp_scans_in_flight", [], "\(s.inFlight)")
        family("swamp_scans_queued", "gauge", "Scan requests waiting for a scan slot (--max-children).")
        sample("swamp_scans_queued", [], "\(gauges.queued)")
        family("swamp_scan_slots_busy", "gauge", "Scan slots in use.")
        sample("swamp_scan_slots_busy", [], "\(gauges.scanning)")
        family("swamp_scans_admitted", "gauge",
               "Scans under way: running, waiting for a slot or for DNS, or past their client's deadline (at most --max-children plus --max-queue).")
        sample("swamp_scans_admitted", [], "\(gauges.admitted)")
        family("swamp_connections_open", "gauge", "Client connections open.")
        sample("swamp_connections_open", [], "\(gauges.connections)")
        family("swamp_configuration_generation", "gauge", "1 for the configuration loaded at start, +1 per successful reload.")
        sample("swamp_configuration_generation", [], "\(gauges.configurationGeneration)")
        return out
    }

    /// Label values: backslash, double quote and line feed escaped.
    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
