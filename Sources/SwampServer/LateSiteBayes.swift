import NIOConcurrencyHelpers
import SwampBayes
import SwampScan

/// The site Bayes database, when it did not exist yet as the configuration
/// was loaded (a fresh install, trained with `swamp learn` afterwards).
/// spamd opens its database for every scan, so training took effect
/// without a restart; swamp keeps its database open, so scans look for it
/// again, at most once every `interval`, and use it from the moment it
/// opens. Until then they score without Bayes, as before.
public final class LateSiteBayes: Sendable {
    /// The scanner without Bayes that the setup was built with.
    public let base: SpamScanner
    private let interval: Duration
    private let open: @Sendable () -> (classifier: BayesClassifier?, problem: String?)
    private let report: @Sendable (String) -> Void
    private let state = NIOLockedValueBox<(found: SpamScanner?, lastTry: ContinuousClock.Instant, problem: String?)>(
        (nil, .now, nil))

    /// `open` is tried when a scan asks and `interval` has passed since the
    /// last try (the first try comes one `interval` after this is made:
    /// the loader has just looked). A problem it names (a database that
    /// exists but cannot be used) goes to `report`, once until it changes.
    public init(base: SpamScanner, interval: Duration = .seconds(10),
                open: @escaping @Sendable () -> (classifier: BayesClassifier?, problem: String?),
                report: @escaping @Sendable (String) -> Void) {
        self.base = base
        self.interval = interval
        self.open = open
        self.report = report
    }

    /// The scanner for the next scan: with the site database once it has
    /// opened, else `base`. Blocks other scans only while a try runs
    /// (a file check, or the open of a new database).
    public func scanner() -> SpamScanner {
        state.withLockedValue { s in
            if let found = s.found { return found }
            let now = ContinuousClock.now
            if now - s.lastTry < interval { return base }
            s.lastTry = now
            let (bayes, problem) = open()
            if let problem, problem != s.problem { report(problem) }
            s.problem = problem
            guard let bayes else { return base }
            let found = SpamScanner(ruleSet: base.ruleSet, hostname: base.hostname, bayes: bayes)
            s.found = found
            return found
        }
    }
}
