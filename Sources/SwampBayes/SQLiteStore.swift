// The Bayes store in one SQLite file (`bayes_path`). WAL mode, so a
// daemon reads while `swamp learn` writes; each learned message is one
// transaction, so a crash loses at most the message in flight and leaves
// a consistent database. C API rather than GRDB: the workload is a few
// fixed statements (batched IN lookups, upserts), where the C API measured
// ~3× faster for point lookups and GRDB would add a package to build.

import Foundation

public final class SQLiteBayesStore: BayesStore, @unchecked Sendable {
    public let path: String
    public let readOnly: Bool
    private let connection: SQLiteConnection
    /// Serialises use of the connection (SQLite opened NOMUTEX) and of
    /// `cache`.
    private let lock = NSLock()
    /// Counts read before (see `TokenCountCache`), valid while the
    /// database's `data_version` stays `cachedVersion`.
    private var cache: TokenCountCache
    private var cachedVersion: Int64 = -1

    /// The whole token table (see `TokenSnapshot`), when the store was
    /// given room for one; answers lookups while its version is the
    /// database's, and is read again once the database has kept one
    /// version for `snapshotQuiet`: a learning run beside a daemon commits
    /// message after message, and reading the table after each would cost
    /// more than it saves (lookups meanwhile go through `cache`).
    private var snapshot: TokenSnapshot?
    private let snapshotLimit: Int
    private let snapshotQuiet: Duration
    /// The version last seen, and since when nothing changed (nil: long
    /// enough; so the first lookup reads the table at once).
    private var versionSeen: Int64?
    private var quietSince: ContinuousClock.Instant?
    /// A version whose table was over `snapshotLimit`: not read again.
    private var snapshotRefused: Int64?
    /// A read of the table under way, on a connection of its own and a
    /// thread of its own, so that scans' lookups never wait for it.
    private var snapshotReading = false
    /// Counts this connection's writes to the table: a read that began
    /// before one is stale when it ends (the write does not change the
    /// `data_version` this connection sees).
    private var ownWrites = 0
    /// For tests: tokens in the snapshot (nil: none held), and how many
    /// times the table was read.
    var snapshotTokenCount: Int? { locked { snapshot?.count } }
    private(set) var snapshotReads = 0

    /// For tests: waits until no read of the table is under way; false
    /// when one still is after `seconds`.
    @discardableResult
    func waitForSnapshotRead(seconds: Double = 60) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while locked({ snapshotReading }) {
            if ContinuousClock.now > deadline { return false }
            usleep(1000)
        }
        return true
    }

    /// Room for 600,000 tokens in a snapshot: 5.6 MiB with its index, 7.9
    /// with access times. SpamAssassin expires a database down from
    /// 150,000 by default; a larger one is looked up through `cache`
    /// instead.
    public static let snapshotTokens = 600_000

    /// Tokens kept in memory: two generations of 24,000, each in a
    /// 32,768-slot `TokenTable` (20 bytes a slot), 1.3 MiB in all. Over
    /// the spam corpus (3,107 messages, 286 lookups each, 248,000
    /// distinct tokens) 40,000 tokens answered 60 % of lookups from
    /// memory, 60,000 answered 65 % (20,000: 52 %; 200,000: 72 %); `swamp
    /// bench --bayes` took 4.1 ms of CPU a message with it, 4.8 without.
    public static let cachedTokens = 48_000
    /// For one user's own database (`--user-dbs`): 6,000 tokens, 160 KiB.
    public static let cachedTokensPerUser = 6_000

    /// Lookups go in chunks of this many tokens, padded, so one prepared
    /// statement serves every message.
    static let chunk = 200

    /// The lookup of one chunk, written once.
    static let lookupSQL = "SELECT token, spam, ham, atime FROM bayes_tokens WHERE token IN ("
        + (1...chunk).map { "?\($0)" }.joined(separator: ",") + ")"

    /// `snapshotTokens` 0 keeps no snapshot (a user's own database in a
    /// daemon that keeps many open).
    public init(path: String, readOnly: Bool = false, cachedTokens: Int = SQLiteBayesStore.cachedTokens,
                snapshotTokens: Int = 0, snapshotQuiet: Duration = .seconds(2)) throws {
        self.path = path
        self.readOnly = readOnly
        cache = TokenCountCache(capacity: cachedTokens)
        snapshotLimit = min(max(0, snapshotTokens), Int(UInt32.max))
        self.snapshotQuiet = snapshotQuiet
        if !readOnly {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }
        connection = try SQLiteConnection(path: path, readOnly: readOnly)
        if !readOnly {
            // Small pages: each learned message is its own transaction and
            // touches a hundred or more tokens scattered over the table, so
            // every commit writes that many whole pages to the WAL; at 1 KiB
            // instead of 4 KiB a learning run writes a quarter of the bytes
            // (a new database only: an existing one keeps its page size).
            // Checkpoints, which fsync, come every 8 MiB of WAL.
            try connection.execute("PRAGMA page_size=1024")
            try connection.execute("PRAGMA journal_mode=WAL")
            try connection.execute("PRAGMA synchronous=NORMAL")
            try connection.execute("PRAGMA wal_autocheckpoint=8000")
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS bayes_vars (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS bayes_tokens (token INTEGER PRIMARY KEY, spam INTEGER NOT NULL,
                    ham INTEGER NOT NULL, atime INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS bayes_seen (msgid TEXT PRIMARY KEY, class TEXT NOT NULL);
                INSERT OR IGNORE INTO bayes_vars VALUES ('nspam', 0), ('nham', 0), ('last_expire', 0),
                    ('last_atime_delta', 0), ('last_expire_reduce', 0), ('schema', 1);
                """)
        }
        // Learning rewrites pages all over the token table and gains from a
        // large cache; a scan reads a few hundred rows, most of them from
        // `cache`, and the rest from the operating system's page cache as
        // well, so a read-only connection (a daemon holds one per open
        // database) keeps its own cache small: 1 MiB instead of 4 cost
        // ~0.15 ms a message and saved 3 MiB of the daemon's memory.
        try connection.execute(readOnly ? "PRAGMA cache_size=-1000" : "PRAGMA cache_size=-32000")
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` in one write transaction (BEGIN IMMEDIATE takes the
    /// write lock up front, so two writers queue instead of deadlocking).
    private func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func variable(_ name: String) throws -> Int {
        let s = try connection.statement("SELECT value FROM bayes_vars WHERE name = ?1")
        defer { s.reset() }
        try s.bind(1, name)
        return try s.step() ? Int(s.int(0)) : 0
    }

    private func setVariable(_ name: String, _ value: Int) throws {
        let s = try connection.statement("INSERT OR REPLACE INTO bayes_vars (name, value) VALUES (?1, ?2)")
        try s.bind(1, name)
        try s.bind(2, Int64(value))
        try s.run()
    }

    private func addVariable(_ name: String, _ delta: Int) throws {
        let s = try connection.statement("UPDATE bayes_vars SET value = MAX(0, value + ?2) WHERE name = ?1")
        try s.bind(1, name)
        try s.bind(2, Int64(delta))
        try s.run()
    }

    public func messageCounts() throws -> (nspam: Int, nham: Int) {
        try locked {
            if snapshotLimit > 0, let snapshot, snapshot.version == (try dataVersion()) {
                return (snapshot.nspam, snapshot.nham)
            }
            return (try variable("nspam"), try variable("nham"))
        }
    }

    public func tokenCounts(_ tokens: [TokenHash]) throws -> [TokenHash: TokenCounts] {
        guard !tokens.isEmpty else { return [:] }
        return try locked {
            // Another connection (`swamp learn`, a second daemon) committed:
            // what the cache holds may be stale.
            let version = try dataVersion()
            var out: [TokenHash: TokenCounts] = [:]
            out.reserveCapacity(tokens.count)
            if let snapshot = currentSnapshot(version: version) {
                for t in tokens {
                    if let c = snapshot.counts(t) { out[t] = c }
                }
                return out
            }
            if version != cachedVersion {
                cache.removeAll()
                cachedVersion = version
            }
            var missing: [TokenHash] = []
            for t in tokens {
                if let e = cache.lookup(t) {
                    if let c = e.counts { out[t] = c }
                } else {
                    missing.append(t)
                }
            }
            guard !missing.isEmpty else { return out }
            let s = try connection.statement(Self.lookupSQL)
            var found: [TokenHash: TokenCounts] = [:]
            var start = 0
            while start < missing.count {
                let end = min(missing.count, start + Self.chunk)
                s.reset()
                for i in 0..<Self.chunk {
                    let t = missing[min(start + i, end - 1)]
                    try s.bind(Int32(i + 1), Int64(t.value))
                }
                while try s.step() {
                    found[TokenHash(value: UInt64(s.int(0)))] =
                        TokenCounts(spam: Int(s.int(1)), ham: Int(s.int(2)), atime: Int(s.int(3)))
                }
                start = end
            }
            s.reset()
            for t in missing {
                let c = found[t]
                cache.store(t, c)
                if let c { out[t] = c }
            }
            return out
        }
    }

    /// The snapshot if it holds database version `version`; when the old
    /// one is stale and the database has been quiet, starts reading the
    /// table anew (`readSnapshot`); nil to look up through the cache.
    private func currentSnapshot(version: Int64) -> TokenSnapshot? {
        guard snapshotLimit > 0 else { return nil }
        if let snapshot, snapshot.version == version { return snapshot }
        snapshot = nil
        let now = ContinuousClock.now
        if version != versionSeen {
            if versionSeen != nil { quietSince = now }
            versionSeen = version
        }
        if let quietSince, now - quietSince < snapshotQuiet { return nil }
        guard snapshotRefused != version, !snapshotReading else { return nil }
        snapshotReading = true
        snapshotReads += 1
        let (path, limit, keepAtimes, writes) = (self.path, snapshotLimit, !readOnly, ownWrites)
        DispatchQueue.global(qos: .utility).async {
            // A table too large, or a read that failed (a damaged page no
            // lookup reaches, memory): lookups go through the cache, and
            // the table is not read again until another connection changes
            // it or this one expires or restores it.
            let read = try? Self.readSnapshot(path: path, version: version, limit: limit, keepAtimes: keepAtimes)
            self.locked {
                self.snapshotReading = false
                guard self.ownWrites == writes else { return }
                if let read { self.snapshot = read } else { self.snapshotRefused = version }
            }
        }
        return nil
    }

    /// Reads the whole token table on a connection of its own, or nil when
    /// it holds more than `limit` tokens. `version` was read before, so the
    /// rows are never older than the version they are kept under.
    private static func readSnapshot(path: String, version: Int64, limit: Int,
                                     keepAtimes: Bool) throws -> TokenSnapshot? {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        // Its pages are read once: a small cache, gone with the connection.
        try connection.execute("PRAGMA cache_size=-256")
        try connection.execute("BEGIN")
        defer { try? connection.execute("COMMIT") }
        func scalar(_ sql: String) throws -> Int {
            let s = try connection.uncachedStatement(sql)
            return try s.step() ? Int(s.int(0)) : 0
        }
        let nspam = try scalar("SELECT value FROM bayes_vars WHERE name = 'nspam'")
        let nham = try scalar("SELECT value FROM bayes_vars WHERE name = 'nham'")
        // Counted in the same read transaction, so the arrays are made to
        // measure.
        let rows = try scalar("SELECT COUNT(*) FROM bayes_tokens")
        guard rows <= limit else { return nil }
        let s = try connection.uncachedStatement("SELECT token, spam, ham, atime FROM bayes_tokens ORDER BY token")
        defer { s.reset() }
        return try TokenSnapshot(version: version, nspam: nspam, nham: nham, expected: rows, limit: limit,
                                 keepAtimes: keepAtimes) { row in
            guard try s.step() else { return }
            while row(s.int(0), s.int(1), s.int(2), s.int(3)) {
                guard try s.step() else { return }
            }
        }
    }

    /// This connection changed the token table: the snapshot is stale,
    /// and read again once the database has been quiet. `shrunk`: expiry
    /// or a restore may have brought a table refused before under the
    /// limit (learning only adds tokens).
    private func dropSnapshot(shrunk: Bool = false) {
        guard snapshotLimit > 0 else { return }
        ownWrites += 1
        snapshot = nil
        if shrunk { snapshotRefused = nil }
        quietSince = ContinuousClock.now
    }

    /// SQLite's count of commits by other connections. No answer is an
    /// error, not a version: the cache must never be trusted on a guess.
    private func dataVersion() throws -> Int64 {
        let s = try connection.statement("PRAGMA data_version")
        defer { s.reset() }
        guard try s.step() else { throw SQLiteError.unexpected("PRAGMA data_version gave no row") }
        return s.int(0)
    }

    public func seen(_ id: String) throws -> MessageClass? {
        try locked { try seenLocked(id) }
    }

    private func seenLocked(_ id: String) throws -> MessageClass? {
        let s = try connection.statement("SELECT class FROM bayes_seen WHERE msgid = ?1")
        defer { s.reset() }
        try s.bind(1, id)
        guard try s.step(), let code = s.text(0) else { return nil }
        return MessageClass(code: code)
    }

    public func learn(_ item: LearnItem, as cls: MessageClass) throws -> LearnOutcome {
        try locked {
            try transaction {
                let previous = try seenLocked(item.id)
                if previous == cls { return .alreadyLearned }
                dropSnapshot()
                item.tokens.forEach { cache.remove($0) }
                if let previous { try apply(item.tokens, cls: previous, delta: -1, atime: item.atime) }
                try apply(item.tokens, cls: cls, delta: 1, atime: item.atime)
                let s = try connection.statement("INSERT OR REPLACE INTO bayes_seen (msgid, class) VALUES (?1, ?2)")
                try s.bind(1, item.id)
                try s.bind(2, cls.code)
                try s.run()
                return previous == nil ? .learned : .relearned
            }
        }
    }

    public func forget(_ item: LearnItem) throws -> LearnOutcome {
        try locked {
            try transaction {
                guard let previous = try seenLocked(item.id) else { return .notLearned }
                dropSnapshot()
                item.tokens.forEach { cache.remove($0) }
                try apply(item.tokens, cls: previous, delta: -1, atime: item.atime)
                let s = try connection.statement("DELETE FROM bayes_seen WHERE msgid = ?1")
                try s.bind(1, item.id)
                try s.run()
                return .forgotten
            }
        }
    }

    /// Adds (delta 1) or removes (delta -1) one message of `cls`.
    private func apply(_ tokens: [TokenHash], cls: MessageClass, delta: Int, atime: Int) throws {
        let spam = Int64(cls == .spam ? delta : 0), ham = Int64(cls == .ham ? delta : 0)
        if delta > 0 {
            let s = try connection.statement("""
                INSERT INTO bayes_tokens (token, spam, ham, atime) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT(token) DO UPDATE SET spam = spam + excluded.spam, ham = ham + excluded.ham,
                    atime = MAX(atime, excluded.atime)
                """)
            for t in tokens {
                s.reset()
                try s.bind(1, Int64(t.value)); try s.bind(2, spam); try s.bind(3, ham); try s.bind(4, Int64(atime))
                try s.run()
            }
        } else {
            let update = try connection.statement(
                "UPDATE bayes_tokens SET spam = MAX(0, spam + ?2), ham = MAX(0, ham + ?3) WHERE token = ?1")
            let delete = try connection.statement(
                "DELETE FROM bayes_tokens WHERE token = ?1 AND spam = 0 AND ham = 0")
            for t in tokens {
                update.reset()
                try update.bind(1, Int64(t.value)); try update.bind(2, spam); try update.bind(3, ham)
                try update.run()
                delete.reset()
                try delete.bind(1, Int64(t.value))
                try delete.run()
            }
        }
        try addVariable(cls == .spam ? "nspam" : "nham", delta)
    }

    public func touch(_ tokens: [TokenHash], atime: Int) throws {
        guard !tokens.isEmpty else { return }
        if readOnly { return }
        try locked {
            try transaction {
                let s = try connection.statement("UPDATE bayes_tokens SET atime = ?2 WHERE token = ?1 AND atime < ?2")
                for t in tokens {
                    s.reset()
                    try s.bind(1, Int64(t.value)); try s.bind(2, Int64(atime))
                    try s.run()
                }
            }
            // Committed: cached counts get the same access time; a read
            // of the table under way may have missed it.
            if snapshotReading { ownWrites += 1 }
            for t in tokens {
                cache.touch(t, atime: atime)
                snapshot?.touch(t, atime: atime)
            }
        }
    }

    public func expire(maxTokens: Int, now: Int) throws -> ExpiryResult? {
        try locked {
            cache.removeAll()
            dropSnapshot(shrunk: true)
            return try transaction {
                let count = try scalar("SELECT COUNT(*) FROM bayes_tokens")
                guard count > maxTokens else { return nil }
                let keep = maxTokens * 3 / 4
                let c = try connection.statement("SELECT atime FROM bayes_tokens ORDER BY atime DESC LIMIT 1 OFFSET ?1")
                try c.bind(1, Int64(keep))
                guard try c.step() else { c.reset(); return nil }
                let cutoff = Int(c.int(0))
                c.reset()
                let d = try connection.statement("DELETE FROM bayes_tokens WHERE atime <= ?1")
                try d.bind(1, Int64(cutoff))
                try d.run()
                let removed = connection.changes
                let newest = try scalar("SELECT COALESCE(MAX(atime), 0) FROM bayes_tokens")
                try setVariable("last_expire", now)
                try setVariable("last_atime_delta", max(0, newest - cutoff))
                try setVariable("last_expire_reduce", removed)
                return ExpiryResult(removed: removed, kept: count - removed, atimeCutoff: cutoff)
            }
        }
    }

    private func scalar(_ sql: String) throws -> Int {
        let s = try connection.statement(sql)
        defer { s.reset() }
        return try s.step() ? Int(s.int(0)) : 0
    }

    /// SQLite's `PRAGMA integrity_check` says "ok".
    public func integrityCheck() throws -> Bool {
        try locked {
            let s = try connection.uncachedStatement("PRAGMA integrity_check")
            return try s.step() && s.text(0) == "ok"
        }
    }

    public func magic() throws -> StoreMagic {
        try locked {
            var m = StoreMagic()
            m.nspam = try variable("nspam")
            m.nham = try variable("nham")
            m.ntokens = try scalar("SELECT COUNT(*) FROM bayes_tokens")
            m.oldestAtime = try scalar("SELECT COALESCE(MIN(atime), 0) FROM bayes_tokens")
            m.newestAtime = try scalar("SELECT COALESCE(MAX(atime), 0) FROM bayes_tokens")
            m.lastExpire = try variable("last_expire")
            m.lastExpireAtimeDelta = try variable("last_atime_delta")
            m.lastExpireReduce = try variable("last_expire_reduce")
            return m
        }
    }

    public func allTokens() throws -> [TokenRow] {
        try locked {
            let s = try connection.statement("SELECT token, spam, ham, atime FROM bayes_tokens ORDER BY token")
            var out: [TokenRow] = []
            while try s.step() {
                out.append(TokenRow(hash: TokenHash(value: UInt64(s.int(0))),
                                    counts: TokenCounts(spam: Int(s.int(1)), ham: Int(s.int(2)), atime: Int(s.int(3)))))
            }
            return out
        }
    }

    public func allSeen() throws -> [(id: String, cls: MessageClass)] {
        try locked {
            let s = try connection.statement("SELECT msgid, class FROM bayes_seen ORDER BY msgid")
            var out: [(id: String, cls: MessageClass)] = []
            while try s.step() {
                if let id = s.text(0), let c = s.text(1).flatMap(MessageClass.init(code:)) { out.append((id, c)) }
            }
            return out
        }
    }

    public func restore(nspam: Int, nham: Int, tokens: [TokenRow], seen: [(id: String, cls: MessageClass)]) throws {
        try locked {
            cache.removeAll()
            dropSnapshot(shrunk: true)
            try transaction {
                try connection.execute("DELETE FROM bayes_tokens; DELETE FROM bayes_seen;")
                let s = try connection.statement(
                    "INSERT OR REPLACE INTO bayes_tokens (token, spam, ham, atime) VALUES (?1, ?2, ?3, ?4)")
                for row in tokens {
                    s.reset()
                    try s.bind(1, Int64(row.hash.value)); try s.bind(2, Int64(row.counts.spam))
                    try s.bind(3, Int64(row.counts.ham)); try s.bind(4, Int64(row.counts.atime))
                    try s.run()
                }
                let q = try connection.statement("INSERT OR REPLACE INTO bayes_seen (msgid, class) VALUES (?1, ?2)")
                for entry in seen {
                    q.reset()
                    try q.bind(1, entry.id); try q.bind(2, entry.cls.code)
                    try q.run()
                }
                try setVariable("nspam", nspam)
                try setVariable("nham", nham)
            }
        }
    }
}
