// The Bayes database autolearn creates. SpamAssassin on a fresh install
// creates its database the first time autolearn learns a message
// (Plugin/Bayes.pm `learn_message` ties the store writable, and
// BayesStore/DBM.pm `tie_db_writable` creates the files), so Bayes
// bootstraps itself from autolearn with no `sa-learn` run. swamp does the
// same: a scan whose autolearn decision is spam or ham, with no database
// yet, creates it through one of these.

import Foundation
import Synchronization
import SwampBayes

/// Creates one Bayes database (the site's, or one user's) on the first
/// message autolearn learns, once for every scan that asks: the scans of
/// one daemon share it, and the first to ask creates the database while
/// the others wait for it. After that it hands out the same classifier
/// (`classifier()`), which a daemon also picks up for its next scans
/// (`created`). Creating that fails (a directory that may not be written,
/// a PostgreSQL role without the right to create tables) is tried again
/// no sooner than `retryInterval` later, and reported once until its
/// reason changes, never once per message.
public final class BayesCreator: Sendable {
    /// What happened, for the log.
    public enum Event: Sendable, Equatable {
        case created(BayesLocation)
        /// Creating failed, and why (the error's description).
        case failed(BayesLocation, String)
    }

    public let location: BayesLocation
    private let retryInterval: Duration
    private let open: @Sendable () throws -> BayesClassifier
    private let log: @Sendable (Event) -> Void
    /// Held while creating: concurrent first learners wait for one creation.
    private let creating = Mutex(())
    private let state = Mutex(State())

    private struct State {
        var created: BayesClassifier?
        var lastFailure: ContinuousClock.Instant?
        var reported: String?
    }

    /// `open` opens the database writable, creating it (`BayesSetup.open`
    /// with `readOnly: false`).
    public init(location: BayesLocation, retryInterval: Duration = .seconds(10),
                open: @escaping @Sendable () throws -> BayesClassifier,
                log: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.location = location
        self.retryInterval = retryInterval
        self.open = open
        self.log = log
    }

    /// The database once created; nil before. Never waits for a creation
    /// under way.
    public var created: BayesClassifier? { state.withLock { $0.created } }

    /// The database to learn into, created by the first call; nil when
    /// creating it failed (now, or within `retryInterval` before).
    /// Blocking (SQLite, PostgreSQL): call it where a scan may block.
    public func classifier() -> BayesClassifier? {
        if let created { return created }
        let (classifier, event) = creating.withLock { _ -> (BayesClassifier?, Event?) in
            // Another scan may have created it while this one waited.
            let now = ContinuousClock.now
            let earlier = state.withLock { s -> (BayesClassifier?, Bool) in
                (s.created, s.lastFailure.map { now - $0 < retryInterval } ?? false)
            }
            if let made = earlier.0 { return (made, nil) }
            if earlier.1 { return (nil, nil) }
            do {
                let made = try open()
                state.withLock { $0.created = made }
                return (made, .created(location))
            } catch {
                let reason = "\(error)"
                let report = state.withLock { s -> Bool in
                    s.lastFailure = now
                    defer { s.reported = reason }
                    return s.reported != reason
                }
                return (nil, report ? .failed(location, reason) : nil)
            }
        }
        if let event { log(event) }
        return classifier
    }
}
