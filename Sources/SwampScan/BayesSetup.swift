// Configuration → a Bayes classifier: which database (a SQLite file, site
// or per-user, or PostgreSQL at `bayes_sql_dsn`, where a user is a column),
// which settings. Kept apart from the scan itself.

import Foundation
import SwampBayes
import SwampBayesPostgres
import SwampMIME
import SwampRules

/// Where one Bayes database lives.
public enum BayesLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    /// `user` nil is the site's rows.
    case postgres(PostgresConnectionSettings, user: String?)

    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let settings, let user): return "\(settings)" + (user.map { ", user \($0)" } ?? "")
        }
    }
}

public enum BayesSetup {
    public static func settings(_ configuration: Configuration) -> BayesSettings {
        BayesSettings(otherSettings: configuration.otherSettings)
    }

    /// `rewrite_header Subject` text, which learning strips from subjects.
    public static func subjectTag(_ configuration: Configuration) -> String? {
        configuration.rewriteHeaders.first { $0.key.lowercased() == "subject" }?.value
    }

    /// The SQLite file for the site (`bayes_path`) or for one user.
    public static func databasePath(_ configuration: Configuration, user: String?, override: String? = nil) throws -> String {
        if let override { return override }
        if let user {
            guard let p = BayesPaths.userDatabase(bayesPath: configuration.bayesPath, user: user) else {
                throw BayesSetupError(message: "invalid user name: \(user)")
            }
            return p
        }
        return BayesPaths.database(bayesPath: configuration.bayesPath)
    }

    /// `trusted_networks` and friends, for the relay tokens.
    public static func trust(_ configuration: Configuration) -> TrustPolicy {
        var trust = TrustPolicy()
        trust.trusted = configuration.trustedNetworks.compactMap { IPNetwork(Substring($0)) }
        trust.internal = configuration.internalNetworks.compactMap { IPNetwork(Substring($0)) }
        trust.msa = configuration.msaNetworks.compactMap { IPNetwork(Substring($0)) }
        return trust
    }

    /// The database for the site or one user: PostgreSQL when
    /// `bayes_sql_dsn` is set (unless `bayes_store_module` names the file
    /// store), else the SQLite file; an explicit `path` is always a file.
    public static func location(_ configuration: Configuration, user: String?, override path: String? = nil) throws -> BayesLocation {
        if path != nil { return .sqlite(path: try databasePath(configuration, user: user, override: path)) }
        let sql = configuration.bayesStoreModule.map { $0 == .sql } ?? (configuration.bayesSQLDSN != nil)
        guard sql else { return .sqlite(path: try databasePath(configuration, user: user)) }
        guard let dsn = configuration.bayesSQLDSN else {
            throw BayesSetupError(message: "bayes_store_module names an SQL store, but bayes_sql_dsn is not set")
        }
        if let user, BayesPaths.sanitisedUserName(user) == nil {
            throw BayesSetupError(message: "invalid user name: \(user)")
        }
        // SpamAssassin's BayesStore/SQL.pm: the override replaces whichever
        // user scans or learns, the site included.
        var user = user
        if let shared = configuration.bayesSQLOverrideUsername {
            guard BayesPaths.sanitisedUserName(shared) == shared else {
                throw BayesSetupError(message: "bayes_sql_override_username \(shared): not a usable user name")
            }
            user = shared
        }
        do {
            let settings = try PostgresConnectionSettings(dsn: dsn, username: configuration.bayesSQLUsername,
                                                          password: configuration.bayesSQLPassword)
            return .postgres(settings, user: user)
        } catch {
            throw BayesSetupError(message: "\(error)")
        }
    }

    /// `snapshot`: a long-lived scanner (the daemon, `swamp bench`) reads
    /// the site database's token table into memory while it fits
    /// (`TokenSnapshot`); a one-off run looks up only its message's tokens.
    public static func open(_ configuration: Configuration, user: String? = nil, path: String? = nil,
                            readOnly: Bool = false, trust: TrustPolicy? = nil,
                            snapshot: Bool = false) throws -> BayesClassifier {
        let store: any BayesStore
        switch try location(configuration, user: user, override: path) {
        case .sqlite(let file):
            if readOnly && !FileManager.default.fileExists(atPath: file) {
                throw BayesSetupError(message: "no Bayes database at \(file)")
            }
            // A daemon keeps up to --max-open-user-dbs users' databases
            // open: each gets a smaller share of memory for its cache.
            store = try SQLiteBayesStore(path: file, readOnly: readOnly,
                                         cachedTokens: user == nil ? SQLiteBayesStore.cachedTokens : SQLiteBayesStore.cachedTokensPerUser,
                                         snapshotTokens: snapshot && user == nil ? SQLiteBayesStore.snapshotTokens : 0)
        case .postgres(let settings, let user):
            store = try PostgresBayesStore(settings: settings, user: user, readOnly: readOnly)
        }
        return classifier(configuration, store: store, trust: trust)
    }

    /// A classifier over `store` with the configuration's settings.
    public static func classifier(_ configuration: Configuration, store: any BayesStore,
                                  trust: TrustPolicy? = nil) -> BayesClassifier {
        var limits = MessageLimits()
        limits.bodyPartScanSize = configuration.bodyPartScanSize
        limits.rawbodyPartScanSize = configuration.rawbodyPartScanSize
        return BayesClassifier(store: store, settings: settings(configuration), subjectTag: subjectTag(configuration),
                               limits: limits, trust: trust ?? Self.trust(configuration))
    }
}

extension BayesSetup {
    /// The site database for scanning: nil and no problem when none exists
    /// yet; nil and the reason when one exists but cannot be used
    /// (SECURITY.md, "Fail visible": scoring goes on without Bayes, and
    /// says so). Writable when `bayes_auto_learn` is on, so scans can
    /// autolearn into it. Opening never creates a database: with none yet,
    /// `creator` makes what creates it on the first message autolearn
    /// learns (or `swamp learn`, or TELL, creates it).
    public static func openForScanning(_ configuration: Configuration, user: String? = nil,
                                       snapshot: Bool = false) -> (classifier: BayesClassifier?, problem: String?) {
        guard configuration.useBayes else { return (nil, nil) }
        let location: BayesLocation
        do { location = try self.location(configuration, user: user) } catch {
            return (nil, "scoring without Bayes: \(error)")
        }
        if case .sqlite(let file) = location, !FileManager.default.fileExists(atPath: file) { return (nil, nil) }
        do {
            // Read-only first: that finds "not trained yet" (no tables)
            // without creating anything.
            let classifier = try open(configuration, user: user, readOnly: true, snapshot: snapshot)
            guard configuration.bayesAutoLearn else { return (classifier, nil) }
            return writable(else: classifier, at: location) {
                try open(configuration, user: user, readOnly: false, snapshot: snapshot)
            }
        } catch PostgresBayesError.noSchema {
            return (nil, nil)
        } catch let error as PostgresBayesError {
            if case .unreachable = error { return (nil, "scoring without Bayes: \(error)") }
            return (nil, "Bayes database \(location) cannot be used, scoring without Bayes: \(error)")
        } catch {
            return (nil, "Bayes database \(location) cannot be used, scoring without Bayes: \(error)")
        }
    }

    /// What creates the database `openForScanning` found missing (nil
    /// classifier, no problem) on the first message autolearn learns, as
    /// SpamAssassin creates its database then; nil when autolearn is off
    /// or the location is not valid. `log` hears of the creation, and of a
    /// failure once until its reason changes.
    public static func creator(_ configuration: Configuration, user: String? = nil, snapshot: Bool = false,
                               log: @escaping @Sendable (BayesCreator.Event) -> Void = { _ in }) -> BayesCreator? {
        guard configuration.useBayes, configuration.bayesAutoLearn,
              let location = try? self.location(configuration, user: user) else { return nil }
        return BayesCreator(location: location,
                            open: { try open(configuration, user: user, readOnly: false, snapshot: snapshot) },
                            log: log)
    }

    /// The database opened for writing (autolearn), or, when it may be read
    /// but not written (another user's file, a read-only mount, a
    /// PostgreSQL role without write rights), `readOnly` and why autolearn
    /// is off: scoring goes on with Bayes either way.
    static func writable(else readOnly: BayesClassifier, at location: BayesLocation,
                         open: () throws -> BayesClassifier) -> (classifier: BayesClassifier?, problem: String?) {
        do {
            return (try open(), nil)
        } catch {
            return (readOnly, "Bayes database \(location) cannot be written, scoring without autolearn: \(error)")
        }
    }

    /// A fresh, empty database for one fold of `swamp bench`, and what
    /// removes it: a file in `directory`, or in PostgreSQL the rows of a
    /// user of its own (so a bench run measures the shared store).
    public static func openScratch(_ configuration: Configuration, name: String,
                                   directory: URL) throws -> (classifier: BayesClassifier, remove: () throws -> Void) {
        switch try location(configuration, user: nil) {
        case .sqlite:
            let path = directory.appendingPathComponent("\(name).sqlite").path
            return (try open(configuration, path: path), { try FileManager.default.removeItem(atPath: path) })
        case .postgres(let settings, _):
            let user = "swamp-bench-\(UUID().uuidString)-\(name)"
            let store = try PostgresBayesStore(settings: settings, user: user)
            try store.removeAll()
            return (classifier(configuration, store: store), {
                do { try store.removeAll() } catch {
                    throw BayesSetupError(message: "the scratch Bayes rows of user \(user) were not removed: \(error)")
                }
            })
        }
    }
}

public struct BayesSetupError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
