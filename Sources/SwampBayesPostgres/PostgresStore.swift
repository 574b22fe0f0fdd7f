// The Bayes store in PostgreSQL (`bayes_sql_dsn`), so that several
// `swamp serve` daemons on different machines learn into and score from
// one Bayes. Same semantics as SQLiteBayesStore: one transaction per
// learned message, a seen table that makes learning idempotent, expiry
// down to 75 % by least recent use.
//
// One database serves every user: each row carries its user name (the
// site's rows have the empty name, which no sanitised user name is).
// Tables are swamp's own (`swamp_bayes_*`), so they can sit beside
// SpamAssassin's `bayes_*` tables in a database a site is migrating from.
//
// Concurrency between processes: a learn first claims the message's seen
// row (an insert that waits for any other transaction holding the same
// key, then a row lock), so two daemons learning one message at once
// count it once; token counts change by `INSERT ... ON CONFLICT` upserts
// in token order, so learners lock rows in one order; a deadlock or
// serialization failure the server reports anyway is retried.

import Foundation
import Logging
import PostgresNIO
import SwampBayes

public final class PostgresBayesStore: BayesStore, @unchecked Sendable {
    /// The schema this code reads and writes (`swamp_bayes_schema`).
    public static let schemaVersion = 1

    public let settings: PostgresConnectionSettings
    /// The `username` column value: "" for the site, else the sanitised
    /// user name (as per-user SQLite files are named).
    public let user: String
    public let readOnly: Bool
    private let pool: PostgresConnectionPool

    /// Connects (or reuses this process's connections to the same
    /// database) and makes sure the tables exist; read-only, only checks.
    public init(settings: PostgresConnectionSettings, user: String? = nil, readOnly: Bool = false,
                logger: Logger = Logger(label: "swamp.bayes.postgres")) throws {
        self.settings = settings
        if let user {
            guard let safe = BayesPaths.sanitisedUserName(user) else { throw PostgresBayesError.invalidUserName }
            self.user = safe
        } else {
            self.user = ""
        }
        self.readOnly = readOnly
        self.pool = PostgresConnectionPool.shared(settings, logger: logger)
        if readOnly {
            try checkSchema()
        } else {
            try createSchema()
        }
    }

    // MARK: Schema

    private func checkSchema() throws {
        guard try schemaExists() else { throw PostgresBayesError.noSchema(settings.description) }
    }

    /// Whether the tables are there (a version row in swamp_bayes_schema,
    /// written in the transaction that creates them all); throws for a
    /// schema newer than this build knows.
    private func schemaExists() throws -> Bool {
        try pool.withSession { s in
            do {
                let rows = try s.query("SELECT version FROM swamp_bayes_schema")
                guard let version = try rows.first?.decode(Int.self) else { return false }
                if version > Self.schemaVersion { throw PostgresBayesError.newerSchema(found: version, supported: Self.schemaVersion) }
                return true
            } catch PostgresBayesError.server(let state, _) where state == "42P01" {
                return false
            }
        }
    }

    /// Creates the tables once per process (a user's row in
    /// `swamp_bayes_vars` comes with its first learn); concurrent creators (two
    /// daemons starting together) queue on an advisory lock, because
    /// `CREATE TABLE IF NOT EXISTS` alone races in the catalog. Tables
    /// already there are not created again: PostgreSQL checks the right to
    /// create in the schema even for `IF NOT EXISTS`, and a role given only
    /// the rights to read and write the tables (as SpamAssassin's SQL
    /// set-up suggests; PostgreSQL 15 no longer lets every role create in
    /// `public`) would otherwise fail to open for learning.
    private func createSchema() throws {
        if !pool.schemaReady, try schemaExists() { pool.schemaReady = true }
        if !pool.schemaReady {
            try transaction { s in
                try s.query("SELECT pg_advisory_xact_lock(\(Self.schemaLockKey))")
                try s.query("CREATE TABLE IF NOT EXISTS swamp_bayes_schema (version INTEGER NOT NULL)")
                try s.query("""
                    CREATE TABLE IF NOT EXISTS swamp_bayes_vars (username TEXT PRIMARY KEY,
                        nspam BIGINT NOT NULL DEFAULT 0, nham BIGINT NOT NULL DEFAULT 0,
                        last_expire BIGINT NOT NULL DEFAULT 0, last_atime_delta BIGINT NOT NULL DEFAULT 0,
                        last_expire_reduce BIGINT NOT NULL DEFAULT 0)
                    """)
                // No index on atime: it would slow every learn for the
                // sake of expiry and `dump`, which scan one user's rows.
                try s.query("""
                    CREATE TABLE IF NOT EXISTS swamp_bayes_tokens (username TEXT NOT NULL, token BIGINT NOT NULL,
                        spam BIGINT NOT NULL, ham BIGINT NOT NULL, atime BIGINT NOT NULL,
                        PRIMARY KEY (username, token))
                    """)
                try s.query("""
                    CREATE TABLE IF NOT EXISTS swamp_bayes_seen (username TEXT NOT NULL, msgid TEXT NOT NULL,
                        class CHAR(1) NOT NULL CHECK (class IN ('s', 'h')), PRIMARY KEY (username, msgid))
                    """)
                let version = try s.query("SELECT version FROM swamp_bayes_schema").first?.decode(Int.self)
                if let version, version > Self.schemaVersion {
                    throw PostgresBayesError.newerSchema(found: version, supported: Self.schemaVersion)
                }
                if version == nil { try s.query("INSERT INTO swamp_bayes_schema (version) VALUES (\(Self.schemaVersion))") }
            }
            pool.schemaReady = true
        }
    }

    /// Advisory lock keys (any fixed numbers; these spell "swamp").
    static let schemaLockKey: Int64 = 0x73_77_61_6D_70
    static let expiryLockKey: Int32 = 0x7377_6170

    // MARK: Transactions

    /// Runs `body` in one transaction, again from the start when the
    /// server aborted it for a deadlock or serialization failure, or when
    /// the connection broke (learning is idempotent through the seen
    /// table, so a commit whose answer was lost is not counted twice).
    @discardableResult
    private func transaction<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try pool.withSession { s in
                    try s.query("BEGIN")
                    do {
                        let result = try body(s)
                        try s.query("COMMIT")
                        return result
                    } catch {
                        do { try s.query("ROLLBACK") } catch { s.markBroken() }
                        throw error
                    }
                }
            } catch let e as PostgresBayesError {
                guard attempt < e.attempts else { throw e }
                Thread.sleep(forTimeInterval: Double.random(in: 0.005...0.05) * Double(attempt))
            }
        }
    }

    /// Runs a read, once more on a new connection when the connection
    /// broke (an idle one the server closed when it restarted).
    private func read<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        do {
            return try pool.withSession(body)
        } catch PostgresBayesError.connectionLost {
            return try pool.withSession(body)
        }
    }

    /// The seen table's class column (a CHECK keeps it `s` or `h`).
    static func messageClass(_ row: PostgresRow) throws -> MessageClass {
        let code = try row.decode(String.self)
        guard let cls = MessageClass(code: code) else {
            throw PostgresBayesError.server(sqlState: "22000", message: "seen class \(code) is neither s nor h")
        }
        return cls
    }

    private func writable() throws {
        if readOnly { throw PostgresBayesError.readOnly }
    }

    // MARK: BayesStore

    public func messageCounts() throws -> (nspam: Int, nham: Int) {
        try read { s in
            guard let row = try s.query("SELECT nspam, nham FROM swamp_bayes_vars WHERE username = \(user)").first else { return (0, 0) }
            let (ns, nh) = try row.decode((Int64, Int64).self)
            return (Int(ns), Int(nh))
        }
    }

    public func tokenCounts(_ tokens: [TokenHash]) throws -> [TokenHash: TokenCounts] {
        guard !tokens.isEmpty else { return [:] }
        let keys = tokens.map { Int64($0.value) }
        return try read { s in
            let rows = try s.query("""
                SELECT token, spam, ham, atime FROM swamp_bayes_tokens
                WHERE username = \(user) AND token = ANY(\(keys))
                """)
            var out: [TokenHash: TokenCounts] = [:]
            out.reserveCapacity(rows.count)
            for row in rows {
                let (t, spam, ham, atime) = try row.decode((Int64, Int64, Int64, Int64).self)
                out[TokenHash(value: UInt64(t))] = TokenCounts(spam: Int(spam), ham: Int(ham), atime: Int(atime))
            }
            return out
        }
    }

    public func seen(_ id: String) throws -> MessageClass? {
        try read { s in
            let rows = try s.query("SELECT class FROM swamp_bayes_seen WHERE username = \(user) AND msgid = \(id)")
            return try rows.first.map(Self.messageClass)
        }
    }

    public func learn(_ item: LearnItem, as cls: MessageClass) throws -> LearnOutcome {
        try writable()
        return try transaction { s in
            let previous = try claimSeen(s, id: item.id, as: cls)
            if previous == cls { return .alreadyLearned }
            if let previous {
                try s.query("UPDATE swamp_bayes_seen SET class = \(cls.code) WHERE username = \(user) AND msgid = \(item.id)")
                try apply(s, item.tokens, cls: previous, delta: -1, atime: item.atime)
            }
            try apply(s, item.tokens, cls: cls, delta: 1, atime: item.atime)
            return previous == nil ? .learned : .relearned
        }
    }

    /// Inserts the seen row for a message not seen before (nil), or locks
    /// the existing one and returns its class. The insert waits while
    /// another transaction holds the same key, so of two daemons learning
    /// one message, the second sees the first one's row once it commits.
    private func claimSeen(_ s: PostgresSession, id: String, as cls: MessageClass) throws -> MessageClass? {
        for _ in 0..<10 {
            let inserted = try s.query("""
                INSERT INTO swamp_bayes_seen (username, msgid, class) VALUES (\(user), \(id), \(cls.code))
                ON CONFLICT (username, msgid) DO NOTHING RETURNING 1
                """)
            if inserted.count == 1 { return nil }
            let rows = try s.query("SELECT class FROM swamp_bayes_seen WHERE username = \(user) AND msgid = \(id) FOR UPDATE")
            if let row = rows.first { return try Self.messageClass(row) }
            // Forgotten between the two statements: try the insert again.
        }
        throw PostgresBayesError.connectionLost("the seen row of \(id) kept changing")
    }

    public func forget(_ item: LearnItem) throws -> LearnOutcome {
        try writable()
        return try transaction { s in
            let rows = try s.query("DELETE FROM swamp_bayes_seen WHERE username = \(user) AND msgid = \(item.id) RETURNING class")
            guard let row = rows.first else { return .notLearned }
            let previous = try Self.messageClass(row)
            try apply(s, item.tokens, cls: previous, delta: -1, atime: item.atime)
            return .forgotten
        }
    }

    /// Adds (delta 1) or removes (delta -1) one message of `cls`. Tokens
    /// go in ascending order, so concurrent learners take row locks in the
    /// same order.
    private func apply(_ s: PostgresSession, _ tokens: [TokenHash], cls: MessageClass, delta: Int, atime: Int) throws {
        let keys = Set(tokens.map { Int64($0.value) }).sorted()
        let spam = Int64(cls == .spam ? delta : 0), ham = Int64(cls == .ham ? delta : 0)
        if delta > 0 {
            try s.query("""
                INSERT INTO swamp_bayes_tokens (username, token, spam, ham, atime)
                SELECT \(user), t, \(spam), \(ham), \(Int64(atime)) FROM unnest(\(keys)::bigint[]) AS t ORDER BY t
                ON CONFLICT (username, token) DO UPDATE SET spam = swamp_bayes_tokens.spam + EXCLUDED.spam,
                    ham = swamp_bayes_tokens.ham + EXCLUDED.ham,
                    atime = GREATEST(swamp_bayes_tokens.atime, EXCLUDED.atime)
                """)
        } else {
            try s.query("""
                UPDATE swamp_bayes_tokens SET spam = GREATEST(0, spam + \(spam)), ham = GREATEST(0, ham + \(ham))
                WHERE username = \(user) AND token = ANY(\(keys))
                """)
            try s.query("""
                DELETE FROM swamp_bayes_tokens
                WHERE username = \(user) AND token = ANY(\(keys)) AND spam = 0 AND ham = 0
                """)
        }
        // Upserts: the user's row may not exist yet (or any more).
        let d = Int64(delta)
        if cls == .spam {
            try s.query("""
                INSERT INTO swamp_bayes_vars (username, nspam) VALUES (\(user), GREATEST(0, \(d)))
                ON CONFLICT (username) DO UPDATE SET nspam = GREATEST(0, swamp_bayes_vars.nspam + \(d))
                """)
        } else {
            try s.query("""
                INSERT INTO swamp_bayes_vars (username, nham) VALUES (\(user), GREATEST(0, \(d)))
                ON CONFLICT (username) DO UPDATE SET nham = GREATEST(0, swamp_bayes_vars.nham + \(d))
                """)
        }
    }

    public func touch(_ tokens: [TokenHash], atime: Int) throws {
        guard !tokens.isEmpty else { return }
        if readOnly { return }
        let keys = Set(tokens.map { Int64($0.value) }).sorted()
        try transaction { s in
            try s.query("""
                UPDATE swamp_bayes_tokens SET atime = \(Int64(atime))
                WHERE username = \(user) AND token = ANY(\(keys)) AND atime < \(Int64(atime))
                """)
        }
    }

    public func expire(maxTokens: Int, now: Int) throws -> ExpiryResult? {
        try writable()
        return try transaction { s in
            // One expiry per user at a time: a second one waits, then
            // finds the tokens already under the limit.
            try s.query("SELECT pg_advisory_xact_lock(\(Self.expiryLockKey), hashtext(\(user)))")
            let count = Int(try s.query("SELECT COUNT(*) FROM swamp_bayes_tokens WHERE username = \(user)").first!.decode(Int64.self))
            guard count > maxTokens else { return nil }
            let keep = maxTokens * 3 / 4
            let rows = try s.query("""
                SELECT atime FROM swamp_bayes_tokens WHERE username = \(user)
                ORDER BY atime DESC LIMIT 1 OFFSET \(Int64(keep))
                """)
            guard let row = rows.first else { return nil }
            let cutoff = Int(try row.decode(Int64.self))
            let deleted = try s.query("DELETE FROM swamp_bayes_tokens WHERE username = \(user) AND atime <= \(Int64(cutoff))")
            let removed = deleted.metadata.rows ?? 0
            let newest = Int(try s.query("""
                SELECT COALESCE(MAX(atime), 0) FROM swamp_bayes_tokens WHERE username = \(user)
                """).first!.decode(Int64.self))
            try s.query("""
                INSERT INTO swamp_bayes_vars (username, last_expire, last_atime_delta, last_expire_reduce)
                VALUES (\(user), \(Int64(now)), \(Int64(max(0, newest - cutoff))), \(Int64(removed)))
                ON CONFLICT (username) DO UPDATE SET last_expire = EXCLUDED.last_expire,
                    last_atime_delta = EXCLUDED.last_atime_delta, last_expire_reduce = EXCLUDED.last_expire_reduce
                """)
            return ExpiryResult(removed: removed, kept: count - removed, atimeCutoff: cutoff)
        }
    }

    public func magic() throws -> StoreMagic {
        try read { s in
            var m = StoreMagic()
            if let row = try s.query("""
                SELECT nspam, nham, last_expire, last_atime_delta, last_expire_reduce FROM swamp_bayes_vars
                WHERE username = \(user)
                """).first {
                let v = try row.decode((Int64, Int64, Int64, Int64, Int64).self)
                m.nspam = Int(v.0); m.nham = Int(v.1)
                m.lastExpire = Int(v.2); m.lastExpireAtimeDelta = Int(v.3); m.lastExpireReduce = Int(v.4)
            }
            let t = try s.query("""
                SELECT COUNT(*), COALESCE(MIN(atime), 0), COALESCE(MAX(atime), 0) FROM swamp_bayes_tokens
                WHERE username = \(user)
                """).first!.decode((Int64, Int64, Int64).self)
            m.ntokens = Int(t.0); m.oldestAtime = Int(t.1); m.newestAtime = Int(t.2)
            return m
        }
    }

    public func allTokens() throws -> [TokenRow] {
        try read { s in
            try s.query("SELECT token, spam, ham, atime FROM swamp_bayes_tokens WHERE username = \(user) ORDER BY token")
                .map { row in
                    let (t, spam, ham, atime) = try row.decode((Int64, Int64, Int64, Int64).self)
                    return TokenRow(hash: TokenHash(value: UInt64(t)),
                                    counts: TokenCounts(spam: Int(spam), ham: Int(ham), atime: Int(atime)))
                }
        }
    }

    public func allSeen() throws -> [(id: String, cls: MessageClass)] {
        // Byte order ("C"), as SQLite sorts, whatever the database's locale.
        try read { s in
            try s.query("SELECT msgid, class FROM swamp_bayes_seen WHERE username = \(user) ORDER BY msgid COLLATE \"C\"")
                .map { row in
                    let (id, code) = try row.decode((String, String).self)
                    guard let cls = MessageClass(code: code) else {
                        throw PostgresBayesError.server(sqlState: "22000", message: "seen class \(code) is neither s nor h")
                    }
                    return (id, cls)
                }
        }
    }

    /// `items` with one entry per key, the last one given, in the order
    /// keys first appear: a backup may repeat a key and the last line wins,
    /// as in SQLite's INSERT OR REPLACE (an upsert may not touch one row
    /// twice).
    static func lastWins<T, K: Hashable>(_ items: [T], key: (T) -> K) -> [T] {
        var index: [K: Int] = [:]
        var unique: [T] = []
        for item in items {
            if let i = index[key(item)] { unique[i] = item } else { index[key(item)] = unique.count; unique.append(item) }
        }
        return unique
    }

    /// Rows per insert statement when restoring, to bound one message's size.
    static let restoreChunk = 10_000

    public func restore(nspam: Int, nham: Int, tokens: [TokenRow], seen: [(id: String, cls: MessageClass)]) throws {
        try writable()
        let uniqueTokens = Self.lastWins(tokens, key: \.hash)
        let uniqueSeen = Self.lastWins(seen, key: \.id)
        try transaction { s in
            try s.query("DELETE FROM swamp_bayes_tokens WHERE username = \(user)")
            try s.query("DELETE FROM swamp_bayes_seen WHERE username = \(user)")
            for start in stride(from: 0, to: uniqueTokens.count, by: Self.restoreChunk) {
                let chunk = uniqueTokens[start..<min(uniqueTokens.count, start + Self.restoreChunk)]
                try s.query("""
                    INSERT INTO swamp_bayes_tokens (username, token, spam, ham, atime)
                    SELECT \(user), * FROM unnest(\(chunk.map { Int64($0.hash.value) })::bigint[],
                        \(chunk.map { Int64($0.counts.spam) })::bigint[], \(chunk.map { Int64($0.counts.ham) })::bigint[],
                        \(chunk.map { Int64($0.counts.atime) })::bigint[])
                    """)
            }
            for start in stride(from: 0, to: uniqueSeen.count, by: Self.restoreChunk) {
                let chunk = uniqueSeen[start..<min(uniqueSeen.count, start + Self.restoreChunk)]
                try s.query("""
                    INSERT INTO swamp_bayes_seen (username, msgid, class)
                    SELECT \(user), * FROM unnest(\(chunk.map(\.id))::text[], \(chunk.map(\.cls.code))::text[])
                    """)
            }
            try s.query("""
                INSERT INTO swamp_bayes_vars (username, nspam, nham) VALUES (\(user), \(Int64(nspam)), \(Int64(nham)))
                ON CONFLICT (username) DO UPDATE SET nspam = EXCLUDED.nspam, nham = EXCLUDED.nham
                """)
        }
    }

    /// Deletes this user's rows (a scratch store of `swamp bench`).
    public func removeAll() throws {
        try writable()
        try transaction { s in
            try s.query("DELETE FROM swamp_bayes_tokens WHERE username = \(user)")
            try s.query("DELETE FROM swamp_bayes_seen WHERE username = \(user)")
            try s.query("DELETE FROM swamp_bayes_vars WHERE username = \(user)")
        }
    }
}

extension PostgresBayesError {
    /// How many times a transaction that failed so is tried in all: again
    /// when the server aborted it (deadlock 40P01, serialization failure
    /// 40001), once more when the connection broke (the pool makes a new
    /// one; a dead server then fails fast on connecting).
    var attempts: Int {
        switch self {
        case .server(let state, _): return state == "40P01" || state == "40001" ? 5 : 1
        case .connectionLost: return 2
        default: return 1
        }
    }
}

