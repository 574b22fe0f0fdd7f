import NIOConcurrencyHelpers
import SwampBayes
import SwampScan

/// The site Bayes database, when it did not exist yet as the configuration
/// was loaded (a fresh install, trained with `swamp learn` or TELL
/// afterwards, or created by autolearn). spamd opens its database for
/// every scan, so training took effect without a restart; swamp keeps its
/// database open, so scans look for it again, at most once every
/// `interval`, and use it from the moment it opens. One that the base
/// scanner's autolearn created (`SpamScanner.bayesCreator`) is taken over
/// at once, by the next scan. Until then they score without Bayes, as
/// before.
public final class LateSiteBayes: Sendable {
    /// The scanner without Bayes that the setup was built with.
    public let base: SpamScanner
    private let interval: Duration
    private let open: @Sendable () -> (classifier: BayesClassifier?, problem: String?)
    private let report: @Sendable (String) -> Void
    private let state = NIOLockedValueBox<(found: SpamScanner?, lastTry: ContinuousClock.Instant, problem: String?,
                                           trying: Bool)>((nil, .now, nil, false))

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
    /// opened, else `base`. One scan at a time tries to open it, outside
    /// the lock: a slow database (PostgreSQL timing out) holds up that
    /// scan only, the others go on with `base`.
    public func scanner() -> SpamScanner {
        let claimed = state.withLockedValue { s -> SpamScanner? in
            if let found = s.found { return found }
            // (`created` never waits for a creation under way.)
            if let created = base.bayesCreator?.created {
                s.found = SpamScanner(ruleSet: base.ruleSet, hostname: base.hostname, bayes: created)
                return s.found
            }
            let now = ContinuousClock.now
            if s.trying || now - s.lastTry < interval { return base }
            s.lastTry = now
            s.trying = true
            return nil
        }
        if let claimed { return claimed }
        let (bayes, problem) = open()
        let found = bayes.map { SpamScanner(ruleSet: base.ruleSet, hostname: base.hostname, bayes: $0) }
        let (kept, report) = state.withLockedValue { s -> (SpamScanner?, String?) in
            s.trying = false
            // Autolearn may have created it meanwhile: one stays.
            if s.found == nil { s.found = found }
            defer { s.problem = problem }
            return (s.found, problem != s.problem ? problem : nil)
        }
        if let report { self.report(report) }
        return kept ?? base
    }
}
