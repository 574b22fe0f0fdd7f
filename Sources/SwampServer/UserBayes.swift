import Foundation
import NIOConcurrencyHelpers
import SwampBayes
import SwampRules
import SwampScan
import SwampSpamd

/// `--user-dbs` for scanning: a request's `User:` selects that user's own
/// Bayes database, the one TELL learns into, for the Bayes step. A user
/// who has none yet is scored without Bayes (never with another user's or
/// the site's tokens); with autolearn on, the user's first message that
/// autolearn learns creates it (`BayesCreator`), as SpamAssassin creates a
/// user's database. The file name is the sanitised user name
/// (`BayesPaths.userDatabase`), never the name as sent.
///
/// Databases stay open for the next scan, at most `capacity` of them; the
/// least recently used one is dropped to make room, and closes once the
/// scans still using it end. Blocking (SQLite): call from the thread pool.
public final class UserBayesDatabases: Sendable {
    public let configuration: Configuration
    public let capacity: Int

    private struct Entry<T: Sendable>: Sendable {
        let value: T
        var lastUse: UInt64
    }

    private struct State {
        var open: [String: Entry<BayesClassifier>] = [:]
        /// For users without a database yet, while autolearn is on: one
        /// creator per database, shared by that user's scans.
        var creators: [String: Entry<BayesCreator>] = [:]
        var clock: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    private let log: CreationLog

    /// `report` hears of databases autolearn created, and of creation
    /// failing: once for every user until the reason changes (a users'
    /// directory that may not be written fails every user's creation).
    public init(configuration: Configuration, capacity: Int = 64,
                report: @escaping @Sendable (_ line: String, _ isProblem: Bool) -> Void = { _, _ in }) {
        self.configuration = configuration
        self.capacity = max(1, capacity)
        self.log = CreationLog(report: report)
    }

    /// Databases open now.
    public var openCount: Int { state.withLockedValue { $0.open.count } }

    /// The user's classifier; nil when the user has no database yet.
    /// Throws when the database exists but cannot be opened.
    public func classifier(for user: SpamdUserName) throws -> BayesClassifier? {
        try bayes(for: user).classifier
    }

    /// The user's classifier, or, when the user has no database yet and
    /// autolearn is on, what creates it. Throws when the database exists
    /// but cannot be opened.
    public func bayes(for user: SpamdUserName) throws -> (classifier: BayesClassifier?, creator: BayesCreator?) {
        // The user's file, or the user's rows in PostgreSQL: the same place
        // TELL learns into.
        let path: String
        switch try BayesSetup.location(configuration, user: user.string) {
        case .sqlite(let file):
            // Checked on every scan (a stat): a database TELL has just
            // created is used at once, and one removed by hand is let go.
            guard FileManager.default.fileExists(atPath: file) else {
                return (nil, creator(for: user, path: file))
            }
            path = file
        case .postgres(_, let rows):
            // The rows the store reads: with bayes_sql_override_username,
            // the same for every user, so one store serves them all.
            path = "postgres:" + (rows ?? "")
        }
        if let cached = touch(path) { return (cached, nil) }
        // A database autolearn created is taken over as it is.
        let made = state.withLockedValue { s -> BayesClassifier? in
            defer { s.creators.removeValue(forKey: path) }
            return s.creators[path]?.value.created
        }
        if let made { return (keep(made, at: path), nil) }
        // Opened outside the lock so that other users' scans do not wait
        // for this file; if another scan opened it meanwhile, theirs wins.
        // Writable when autolearn is on, as the site database.
        let (classifier, problem) = BayesSetup.openForScanning(configuration, user: user.string)
        guard let opened = classifier else {
            if let problem { throw BayesSetupError(message: problem) }
            // PostgreSQL without swamp's tables yet.
            return (nil, creator(for: user, path: path))
        }
        return (keep(opened, at: path), nil)
    }

    /// The creator for a user's missing database, the same for all that
    /// user's scans; nil with autolearn off.
    private func creator(for user: SpamdUserName, path: String) -> BayesCreator? {
        state.withLockedValue { s in
            // A database once open and since removed by hand is let go.
            s.open.removeValue(forKey: path)
            s.clock += 1
            if let existing = s.creators[path] {
                s.creators[path]?.lastUse = s.clock
                return existing.value
            }
            let log = self.log
            guard let made = BayesSetup.creator(configuration, user: user.string, log: { log.record($0) }) else {
                return nil
            }
            Self.makeRoom(in: &s.creators, capacity: capacity)
            s.creators[path] = Entry(value: made, lastUse: s.clock)
            return made
        }
    }

    private func keep(_ opened: BayesClassifier, at path: String) -> BayesClassifier {
        state.withLockedValue { s in
            s.clock += 1
            if let existing = s.open[path] {
                s.open[path]?.lastUse = s.clock
                return existing.value
            }
            Self.makeRoom(in: &s.open, capacity: capacity)
            s.open[path] = Entry(value: opened, lastUse: s.clock)
            return opened
        }
    }

    private static func makeRoom<T: Sendable>(in entries: inout [String: Entry<T>], capacity: Int) {
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries.removeValue(forKey: oldest.key)
        }
    }

    private func touch(_ path: String) -> BayesClassifier? {
        state.withLockedValue { s in
            guard s.open[path] != nil else { return nil }
            s.clock += 1
            s.open[path]!.lastUse = s.clock
            return s.open[path]!.value
        }
    }
}

/// The log lines of the users' creators: a creation is one line; a
/// failure is one line until its reason changes, for all users together.
private final class CreationLog: Sendable {
    private let report: @Sendable (String, Bool) -> Void
    private let lastProblem = NIOLockedValueBox<String?>(nil)

    init(report: @escaping @Sendable (String, Bool) -> Void) { self.report = report }

    func record(_ event: BayesCreator.Event) {
        switch event {
        case .created(let location):
            report("Bayes database \(location) created by autolearn", false)
        case .failed(let location, let reason):
            // Where, without the user: the line stands for all of them.
            let place: String
            switch location {
            case .sqlite(let path): place = (path as NSString).deletingLastPathComponent
            case .postgres(let settings, _): place = "\(settings)"
            }
            let problem = "users' Bayes databases in \(place) cannot be created, autolearn off for users without one: \(reason)"
            let changed = lastProblem.withLockedValue { last -> Bool in
                defer { last = problem }
                return last != problem
            }
            if changed { report(problem, true) }
        }
    }
}
