import Foundation
import NIOConcurrencyHelpers
import SwampBayes
import SwampRules
import SwampScan
import SwampSpamd

/// `--user-dbs` for scanning: a request's `User:` selects that user's own
/// Bayes database, the one TELL learns into, for the Bayes step. A user
/// who has none yet is scored without Bayes (never with another user's or
/// the site's tokens). The file name is the sanitised user name
/// (`BayesPaths.userDatabase`), never the name as sent.
///
/// Databases stay open for the next scan, at most `capacity` of them; the
/// least recently used one is dropped to make room, and closes once the
/// scans still using it end. Blocking (SQLite): call from the thread pool.
public final class UserBayesDatabases: Sendable {
    public let configuration: Configuration
    public let capacity: Int

    private struct Entry {
        let classifier: BayesClassifier
        var lastUse: UInt64
    }

    private struct State {
        var open: [String: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    public init(configuration: Configuration, capacity: Int = 64) {
        self.configuration = configuration
        self.capacity = max(1, capacity)
    }

    /// Databases open now.
    public var openCount: Int { state.withLockedValue { $0.open.count } }

    /// The user's classifier; nil when the user has no database yet.
    /// Throws when the database exists but cannot be opened.
    public func classifier(for user: SpamdUserName) throws -> BayesClassifier? {
        // The user's file, or the user's rows in PostgreSQL: the same place
        // TELL learns into.
        let path: String
        switch try BayesSetup.location(configuration, user: user.string) {
        case .sqlite(let file):
            // Checked on every scan (a stat): a database TELL has just
            // created is used at once, and one removed by hand is let go.
            guard FileManager.default.fileExists(atPath: file) else {
                state.withLockedValue { _ = $0.open.removeValue(forKey: file) }
                return nil
            }
            path = file
        case .postgres:
            path = "postgres:" + user.string
        }
        if let cached = touch(path) { return cached }
        // Opened outside the lock so that other users' scans do not wait
        // for this file; if another scan opened it meanwhile, theirs wins.
        // Writable when autolearn is on, as the site database.
        let (classifier, problem) = BayesSetup.openForScanning(configuration, user: user.string)
        guard let opened = classifier else {
            if let problem { throw BayesSetupError(message: problem) }
            return nil
        }
        return state.withLockedValue { s in
            s.clock += 1
            if let existing = s.open[path] {
                s.open[path]?.lastUse = s.clock
                return existing.classifier
            }
            if s.open.count >= capacity, let oldest = s.open.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.open.removeValue(forKey: oldest.key)
            }
            s.open[path] = Entry(classifier: opened, lastUse: s.clock)
            return opened
        }
    }

    private func touch(_ path: String) -> BayesClassifier? {
        state.withLockedValue { s in
            guard s.open[path] != nil else { return nil }
            s.clock += 1
            s.open[path]!.lastUse = s.clock
            return s.open[path]!.classifier
        }
    }
}
