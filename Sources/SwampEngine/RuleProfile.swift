#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where a rule set's time goes, rule by rule: off unless turned on
/// (`swamp bench --rule-times`), and then each evaluation adds the time it
/// spent on each rule (its prefilter, regex or eval, not the views it
/// shares) when it ends. Costs one branch per rule when off.
public final class RuleProfile: Sendable {
    private let state = Mutex<(on: Bool, nanoseconds: [UInt64], runs: [UInt32], hits: [UInt32])>((false, [], [], []))

    /// Start adding up (clearing what was added before).
    public func start(rules: Int) {
        state.withLock {
            $0 = (true, [UInt64](repeating: 0, count: rules), [UInt32](repeating: 0, count: rules),
                  [UInt32](repeating: 0, count: rules))
        }
    }

    var isOn: Bool { state.withLock { $0.on } }

    func add(_ nanoseconds: [UInt64], ran: [UInt32], values: [Double]) {
        state.withLock { s in
            guard s.on, s.nanoseconds.count == nanoseconds.count else { return }
            for i in nanoseconds.indices {
                s.nanoseconds[i] &+= nanoseconds[i]
                s.runs[i] &+= ran[i]
                if values[i] > 0 { s.hits[i] &+= 1 }
            }
        }
    }

    /// Per rule index: total nanoseconds, the scans in which its regex ran
    /// (past the prefilters) or its eval was called, and those it hit.
    public var totals: (nanoseconds: [UInt64], runs: [UInt32], hits: [UInt32]) {
        state.withLock { ($0.nanoseconds, $0.runs, $0.hits) }
    }
}

/// A monotonic clock in nanoseconds, cheap enough to read per rule.
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
}
