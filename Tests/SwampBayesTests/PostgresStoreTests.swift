import Foundation
import Testing
@testable import SwampBayes
@testable import SwampBayesPostgres
import PostgresNIO
import SwampRules
import SwampScan
import SwampTestSupport

/// The store contract against a real PostgreSQL server (started by
/// PostgresTestServer), and what only the shared store has: concurrent
/// daemons, schema versions, connections that break. Skipped, saying why,
/// where PostgreSQL is not installed; CI sets SWAMP_REQUIRE_POSTGRES=1 so
/// that there they run or fail.
@Suite(.enabled(if: PostgresTestServer.shouldRun,
                "PostgreSQL is not installed (apt-get install postgresql); SWAMP_REQUIRE_POSTGRES=1 makes this a failure"))
struct PostgresStoreTests {
    /// Waits for the shared server off the cooperative pool; the tests'
    /// later `shared()` calls then return at once.
    func started() async throws { _ = try await PostgresTestServer.shared() }

    @Test func learnTwiceCountsOnce() async throws { try await started(); try StoreContract.learnTwiceCountsOnce(.postgres) }
    @Test func relearnMovesAndForgetUndoes() async throws { try await started(); try StoreContract.relearnMovesAndForgetUndoes(.postgres) }
    @Test func forgetKeepsSharedTokens() async throws { try await started(); try StoreContract.forgetKeepsSharedTokens(.postgres) }
    @Test func markupDoesNotChangeIdentity() async throws { try await started(); try StoreContract.markupDoesNotChangeIdentity(.postgres) }
    @Test func classifiesAfterEnoughTraining() async throws { try await started(); try StoreContract.classifiesAfterEnoughTraining(.postgres) }
    @Test func expiryKeepsTheNewest() async throws { try await started(); try StoreContract.expiryKeepsTheNewest(.postgres) }
    @Test func touchNeverGoesBack() async throws { try await started(); try StoreContract.touchNeverGoesBack(.postgres) }
    @Test func backupRoundTrip() async throws { try await started(); try StoreContract.backupRoundTrip(.postgres) }
    @Test func readOnlyRefusesWrites() async throws { try await started(); try StoreContract.readOnlyRefusesWrites(.postgres) }
    @Test func usersAreIsolated() async throws { try await started(); try StoreContract.usersAreIsolated(.postgres) }
    @Test func concurrentLearnersCountOnce() async throws { try await started(); try StoreContract.concurrentLearnersCountOnce(.postgres) }

    /// The same learn, relearn, forget and expiry steps on SQLite and on
    /// PostgreSQL leave the same backup and the same figures.
    @Test func parityWithSQLite() async throws {
        try await started()
        func script(_ store: any BayesStore) throws -> (backup: String, magic: StoreMagic, outcomes: [LearnOutcome]) {
            let bayes = BayesClassifier(store: store)
            var outcomes: [LearnOutcome] = []
            for i in 0..<60 { outcomes.append(try bayes.learn(StoreContract.message(i, spammy: i % 2 == 0), as: i % 2 == 0 ? .spam : .ham)) }
            for i in 0..<10 { outcomes.append(try bayes.learn(StoreContract.message(i, spammy: i % 2 == 0), as: i % 2 == 0 ? .ham : .spam)) }
            for i in 10..<20 { outcomes.append(try bayes.forget(StoreContract.message(i, spammy: i % 2 == 0))) }
            outcomes.append(try bayes.forget(StoreContract.message(500, spammy: true)))
            let ntokens = try store.magic().ntokens
            _ = try store.expire(maxTokens: ntokens - 10, now: 1_900_000_000)
            var backup = ""
            try SABackup.write(store) { backup += $0 }
            return (backup, try store.magic(), outcomes)
        }
        let sqlite = try script(try StoreBackend.sqlite.fresh()(nil, false))
        let postgres = try script(try StoreBackend.postgres.fresh()(nil, false))
        #expect(postgres.outcomes == sqlite.outcomes)
        #expect(postgres.magic == sqlite.magic)
        #expect(postgres.backup == sqlite.backup)
        #expect(sqlite.magic.nspam == 25 && sqlite.magic.nham == 25 && sqlite.magic.lastExpireReduce > 0)
    }

    /// `swamp bench` learns each fold into rows of a scratch user, which
    /// start empty, count, and go afterwards.
    @Test func benchScratchStores() async throws {
        let server = try await PostgresTestServer.shared()
        var loader = ConfigLoader()
        loader.load(text: "bayes_sql_dsn \(server.url(database: try server.createDatabase()))\n", file: "/test/local.cf")
        let temp = FileManager.default.temporaryDirectory
        let (bayes, remove) = try BayesSetup.openScratch(loader.configuration, name: "fold0", directory: temp)
        let store = try #require(bayes.store as? PostgresBayesStore)
        #expect(store.user.hasPrefix("swamp-bench-") && store.user.hasSuffix("-fold0"))
        #expect(try bayes.learn(StoreContract.message(1, spammy: true), as: .spam) == .learned)
        #expect(try store.messageCounts() == (1, 0))
        try remove()
        #expect(try store.messageCounts() == (0, 0))
        #expect(try store.magic().ntokens == 0)
        #expect(try store.allSeen().isEmpty)
    }

    static func freshSettings() throws -> PostgresConnectionSettings {
        let server = try PostgresTestServer.shared()
        return try PostgresConnectionSettings(dsn: server.url(database: try server.createDatabase()))
    }

    /// Runs SQL on a pool of its own (a different connect timeout makes
    /// different settings), as another daemon or an administrator would.
    static func administer(_ settings: PostgresConnectionSettings, _ sql: PostgresQuery) throws {
        var other = settings
        other.connectTimeout = settings.connectTimeout + 1
        let pool = PostgresConnectionPool.shared(other, logger: .init(label: "test"))
        try pool.withSession { try $0.query(sql) }
    }

    @Test func readOnlyBeforeAnyLearningFindsNoTables() async throws {
        try await started()
        let settings = try Self.freshSettings()
        #expect {
            try PostgresBayesStore(settings: settings, readOnly: true)
        } throws: { error in
            guard case PostgresBayesError.noSchema = error else { return false }
            return "\(error)".contains("swamp learn makes them")
        }
    }

    @Test func newerSchemaIsRefused() async throws {
        try await started()
        let settings = try Self.freshSettings()
        _ = try PostgresBayesStore(settings: settings)
        try Self.administer(settings, "UPDATE swamp_bayes_schema SET version = 99")
        #expect {
            try PostgresBayesStore(settings: settings, readOnly: true)
        } throws: { error in
            guard case PostgresBayesError.newerSchema(found: 99, supported: 1) = error else { return false }
            return true
        }
    }

    /// Connections the server drops (a restart, an administrator) are
    /// replaced: the next call works.
    @Test func droppedConnectionsAreReplaced() async throws {
        try await started()
        let settings = try Self.freshSettings()
        let store = try PostgresBayesStore(settings: settings)
        _ = try store.learn(LearnItem(id: "a", tokens: [TokenHash(value: 1)], atime: 1), as: .spam)
        try Self.administer(settings, """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        #expect(try store.messageCounts() == (1, 0))
        #expect(try store.learn(LearnItem(id: "b", tokens: [TokenHash(value: 2)], atime: 1), as: .ham) == .learned)
        try Self.administer(settings, """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        #expect(try store.learn(LearnItem(id: "c", tokens: [TokenHash(value: 3)], atime: 1), as: .ham) == .learned)
        #expect(try store.messageCounts() == (1, 2))
    }

    /// SpamAssassin's DBI form, over the server's Unix socket.
    @Test func dbiDSNOverTheUnixSocket() async throws {
        let server = try await PostgresTestServer.shared()
        let db = try server.createDatabase()
        let settings = try PostgresConnectionSettings(
            dsn: "DBI:Pg:dbname=\(db);host=\(server.socketDirectory);port=\(server.port)", username: server.user)
        #expect(settings.endpoint == .unixSocket(path: "\(server.socketDirectory)/.s.PGSQL.\(server.port)"))
        let store = try PostgresBayesStore(settings: settings)
        #expect(try store.learn(LearnItem(id: "a", tokens: [TokenHash(value: 1)], atime: 1), as: .spam) == .learned)
    }

    @Test func wrongPasswordIsAClearError() async throws {
        let server = try await PostgresTestServer.shared()
        let settings = try PostgresConnectionSettings(dsn: server.url(database: "postgres"), password: "wrong")
        #expect {
            try PostgresBayesStore(settings: settings)
        } throws: { error in
            let text = "\(error)"
            return text.contains("cannot connect to PostgreSQL at 127.0.0.1:\(server.port)")
                && text.contains("password authentication failed") && !text.contains("wrong")
        }
    }

    /// A role that may read and write the tables but not create anything
    /// in the schema (tables made by an administrator, rights granted, as
    /// SpamAssassin's SQL set-up has it) can learn: the tables are not
    /// created again once there.
    @Test func roleWithoutCreateRightsLearns() async throws {
        let server = try await PostgresTestServer.shared()
        let db = try server.createDatabase()
        func config(_ user: String, _ password: String) -> Configuration {
            var loader = ConfigLoader()
            loader.load(text: """
                bayes_sql_dsn DBI:Pg:dbname=\(db);host=127.0.0.1;port=\(server.port)
                bayes_sql_username \(user)
                bayes_sql_password \(password)
                """, file: "/test/local.cf")
            return loader.configuration
        }
        // The administrator makes the tables.
        _ = try BayesSetup.open(config(server.user, server.password), readOnly: false)
        let role = "learner_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try server.psql(database: db, """
            CREATE ROLE \(role) LOGIN PASSWORD 'secret';
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO \(role);
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role);
            """)
        // The role cannot create (so IF NOT EXISTS would fail)...
        #expect(throws: (any Error).self) {
            try server.psql(database: db, "SET ROLE \(role); CREATE TABLE IF NOT EXISTS swamp_bayes_seen (x INT)")
        }
        // ... but opens the store for learning and learns.
        let learner = try BayesSetup.open(config(role, "secret"), readOnly: false)
        #expect(try learner.learn(StoreContract.message(1, spammy: true), as: .spam) == .learned)
        #expect(try learner.store.messageCounts() == (1, 0))
    }

    /// The configuration picks PostgreSQL, and `swamp check` and `serve`
    /// score with it; before any learning, without it and without a
    /// complaint (as with no SQLite file yet).
    /// A configuration with the test server's database `db` as its
    /// Bayes store, and `extra` lines.
    static func configuration(_ server: PostgresTestServer, _ db: String, _ extra: String = "") -> Configuration {
        var loader = ConfigLoader()
        loader.load(text: """
            bayes_sql_dsn DBI:Pg:dbname=\(db);host=127.0.0.1;port=\(server.port)
            bayes_sql_username \(server.user)
            bayes_sql_password \(server.password)
            \(extra)
            """, file: "/test/local.cf")
        return loader.configuration
    }

    @Test func configurationSelectsPostgres() async throws {
        let server = try await PostgresTestServer.shared()
        let db = try server.createDatabase()
        let config = Self.configuration(server, db, "bayes_store_module Mail::SpamAssassin::BayesStore::PgSQL")
        #expect(config.diagnostics.isEmpty, "\(config.diagnostics)")
        let before = BayesSetup.openForScanning(config)
        #expect(before.classifier == nil && before.problem == nil)
        let learner = try BayesSetup.open(config)
        #expect(learner.store is PostgresBayesStore)
        _ = try learner.learn(StoreContract.message(1, spammy: true), as: .spam)
        let (scanning, problem) = BayesSetup.openForScanning(config)
        #expect(problem == nil)
        #expect(try #require(scanning).store.messageCounts() == (1, 0))
        // --user NAME: the same database, that user's rows.
        let alice = try BayesSetup.open(config, user: "alice")
        #expect(try alice.store.messageCounts() == (0, 0))
        #expect((alice.store as? PostgresBayesStore)?.user == "alice")
    }

    /// bayes_sql_override_username: every user, and the site, learn into
    /// and read the same rows.
    @Test func overrideUsernameSharesOneUsersRows() async throws {
        let server = try await PostgresTestServer.shared()
        let db = try server.createDatabase()
        let config = Self.configuration(server, db, "bayes_sql_override_username team")
        #expect(config.diagnostics.isEmpty, "\(config.diagnostics)")
        let alice = try BayesSetup.open(config, user: "alice")
        #expect((alice.store as? PostgresBayesStore)?.user == "team")
        _ = try alice.learn(StoreContract.message(1, spammy: true), as: .spam)
        let bob = try BayesSetup.open(config, user: "bob")
        _ = try bob.learn(StoreContract.message(2, spammy: false), as: .ham)
        #expect(try bob.store.messageCounts() == (1, 1))
        let site = try #require(BayesSetup.openForScanning(config).classifier)
        #expect(try site.store.messageCounts() == (1, 1))
        // Without the override each keeps its own rows.
        #expect(try BayesSetup.open(Self.configuration(server, db), user: "alice").store.messageCounts() == (0, 0))
    }
}

/// What needs no server: DSN parsing, and a server that is not there.
struct PostgresDSNTests {
    @Test(arguments: [
        ("DBI:Pg:dbname=bayes;host=db.example.com;port=5433",
         PostgresConnectionSettings.Endpoint.tcp(host: "db.example.com", port: 5433), "bayes" as String?, "me", nil as String?),
        ("dbi:Pg:dbname=bayes", .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"), "bayes", "me", nil),
        ("DBI:Pg:database=b;host=/tmp/pg;port=6000;user=sa", .unixSocket(path: "/tmp/pg/.s.PGSQL.6000"), "b", "sa", nil),
        ("postgres://swamp:p%40ss@10.0.0.5:6543/bayes", .tcp(host: "10.0.0.5", port: 6543), "bayes", "swamp", "p@ss"),
        ("postgresql://u@[::1]/db?sslmode=disable", .tcp(host: "::1", port: 5432), "db", "u", nil),
        ("postgres:///db?host=/run/pg", .unixSocket(path: "/run/pg/.s.PGSQL.5432"), "db", "me", nil),
        ("postgres://h", .tcp(host: "h", port: 5432), nil, "me", nil),
    ])
    func parses(_ dsn: String, _ endpoint: PostgresConnectionSettings.Endpoint, _ database: String?,
                _ user: String, _ password: String?) throws {
        let s = try PostgresConnectionSettings(dsn: dsn, defaultUser: "me")
        #expect(s.endpoint == endpoint)
        #expect(s.database == database)
        #expect(s.username == user)
        #expect(s.password == password)
    }

    @Test func directivesWinOverTheDSN() throws {
        let s = try PostgresConnectionSettings(dsn: "postgres://a:b@h/db?sslmode=require&connect_timeout=3",
                                               username: "c", password: "d", defaultUser: "me")
        #expect(s.username == "c" && s.password == "d" && s.tls == .require && s.connectTimeout == 3)
        #expect(!s.description.contains("d@") && s.description == "PostgreSQL at h:5432 database db as c")
    }

    @Test(arguments: [
        ("DBI:mysql:dbname=bayes", "driver mysql is not supported"),
        ("DBI:Pg:dbname=x;frob=1", "unknown attribute frob"),
        ("DBI:Pg:dbname=x;port=99999", "port 99999 is not 1-65535"),
        ("DBI:Pg:dbname", "is not KEY=VALUE"),
        ("postgres://u@h:abc/db", "port abc is not 1-65535"),
        ("postgres://u@h/db?sslmode=maybe", "sslmode maybe is not one of"),
        ("mysql://u@h/db", "expected DBI:Pg:"),
        ("postgres://u@h/db\n", "control characters"),
        ("postgres://u:secret@[::1/db", "unclosed ["),
        (String(repeating: "x", count: 5000), "longer than 4096 bytes"),
    ])
    func refuses(_ dsn: String, _ message: String) {
        #expect {
            try PostgresConnectionSettings(dsn: dsn, defaultUser: "me")
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && !text.contains("secret")
        }
    }

    /// Nothing listens on port 1: connecting fails at once, and says where.
    @Test func unreachableServerIsAClearError() throws {
        let settings = try PostgresConnectionSettings(dsn: "postgres://swamp@127.0.0.1:1/bayes")
        #expect {
            try PostgresBayesStore(settings: settings)
        } throws: { error in
            "\(error)".hasPrefix("cannot connect to PostgreSQL at 127.0.0.1:1 database bayes as swamp: ")
        }
    }

    /// A scan goes on without Bayes, and says why.
    @Test func scanningWithoutTheServerSaysWhy() {
        var loader = ConfigLoader()
        loader.load(text: "bayes_sql_dsn postgres://swamp@127.0.0.1:1/bayes\n", file: "/test/local.cf")
        let (classifier, problem) = BayesSetup.openForScanning(loader.configuration)
        #expect(classifier == nil)
        #expect(problem?.contains("scoring without Bayes: cannot connect to PostgreSQL at 127.0.0.1:1") == true, "\(problem ?? "")")
    }

    @Test func overrideUsernameReplacesEveryUser() throws {
        var loader = ConfigLoader()
        loader.load(text: "bayes_sql_dsn postgres://swamp@127.0.0.1:1/bayes\nbayes_sql_override_username shared\n",
                    file: "/test/local.cf")
        for user in [nil, "alice", "bob@example.com"] as [String?] {
            guard case .postgres(_, let rows) = try BayesSetup.location(loader.configuration, user: user) else {
                Issue.record("not PostgreSQL"); continue
            }
            #expect(rows == "shared")
        }
        // A name no user could have is refused, not rewritten.
        loader = ConfigLoader()
        loader.load(text: "bayes_sql_dsn postgres://swamp@127.0.0.1:1/bayes\nbayes_sql_override_username ../x\n",
                    file: "/test/local.cf")
        #expect(throws: BayesSetupError.self) { try BayesSetup.location(loader.configuration, user: "alice") }
        // The SQLite store has no user rows: the setting does not apply.
        loader = ConfigLoader()
        loader.load(text: "bayes_path /x/b\nbayes_sql_override_username shared\n", file: "/test/local.cf")
        #expect(try BayesSetup.location(loader.configuration, user: nil) == .sqlite(path: "/x/b.sqlite"))
    }

    @Test func storeModuleWithoutDSNIsAConfigurationError() throws {
        var loader = ConfigLoader()
        loader.load(text: "bayes_store_module Mail::SpamAssassin::BayesStore::SQL\n", file: "/test/local.cf")
        #expect(throws: BayesSetupError.self) { try BayesSetup.location(loader.configuration, user: nil) }
        loader = ConfigLoader()
        loader.load(text: "bayes_sql_dsn postgres://h/db\nbayes_store_module Mail::SpamAssassin::BayesStore::DBM\nbayes_path /x/b\n",
                    file: "/test/local.cf")
        #expect(try BayesSetup.location(loader.configuration, user: nil) == .sqlite(path: "/x/b.sqlite"))
    }
}
