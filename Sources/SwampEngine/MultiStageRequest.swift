import SwampRegex

/// A rule set's multi-pattern stage as its patterns, for compiling in
/// another process into the cache the rule set then loads from
/// (`RuleSet.prepareMultiPattern(cacheDirectory:compile: false)`). The
/// daemon has `swamp compile-stage` do it: Hyperscan's compiler works in
/// tens of megabytes of heap, and a daemon that compiled the stock rules'
/// stage itself kept ~28 MiB of it for good, `malloc_trim` or not.
public struct MultiStageRequest: Codable, Sendable, Equatable {
    public struct Pattern: Codable, Sendable, Equatable {
        public let pattern: String
        /// `RegexOptions.rawValue`.
        public let options: UInt32
        public let worthAlone: Bool
    }

    /// The body, rawbody and uri views' candidates, as the rule set numbers them.
    public let views: [[Pattern]]

    /// Compiles each view's databases into `cacheDirectory` (or finds them
    /// there). True when every view with patterns can now be loaded from
    /// it, which is what the rule set will do.
    public func compile(cacheDirectory: String) -> Bool {
        for patterns in views where !patterns.isEmpty {
            let list = patterns.map { ($0.pattern, RegexOptions(rawValue: $0.options)) }
            let alone = patterns.map(\.worthAlone)
            guard MultiPattern(list, worthAlone: alone, cacheDirectory: cacheDirectory) != nil,
                  MultiPattern(list, worthAlone: alone, cacheDirectory: cacheDirectory, compile: false) != nil
            else { return false }
        }
        return true
    }
}
