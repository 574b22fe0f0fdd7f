import Foundation
import Testing
@testable import SwampServer
import SwampBayes
import SwampBayesPostgres
import SwampRules
import SwampScan
import SwampSpamd
import SwampTestSupport

/// With `--user-dbs` and `bayes_sql_dsn`, a scan reads the rows TELL
/// learns into: the user's rows in PostgreSQL, writable for autolearn.
@Suite(.enabled(if: PostgresTestServer.shouldRun,
                "PostgreSQL is not installed (apt-get install postgresql); SWAMP_REQUIRE_POSTGRES=1 makes this a failure"))
struct UserBayesTests {
    @Test func scansReadTheUsersRowsInPostgreSQL() async throws {
        let server = try await PostgresTestServer.shared()
        var loader = ConfigLoader()
        loader.load(text: "use_bayes 1\nbayes_sql_dsn \(server.url(database: try server.createDatabase()))\n",
                    file: "/test/local.cf")
        let config = loader.configuration
        let message = Array("From: a@example.com\nSubject: cheap pills\n\nbuy cheap pills now\n".utf8)
        let tell = try BayesSetup.open(config, user: "alice", readOnly: false)
        #expect(try tell.learn(message, as: .spam) == .learned)

        let databases = UserBayesDatabases(configuration: config, capacity: 4)
        let alice = try #require(try databases.classifier(for: SpamdUserName(validating: Array("alice".utf8))))
        #expect(try alice.store.messageCounts() == (1, 0))
        // Autolearn is on by default: the scan's store may write.
        let store = try #require(alice.store as? PostgresBayesStore)
        #expect(!store.readOnly)
        #expect(store.user == "alice")
        // Bob's rows are his own, empty.
        let bob = try #require(try databases.classifier(for: SpamdUserName(validating: Array("bob".utf8))))
        #expect(try bob.store.messageCounts() == (0, 0))
        #expect(databases.openCount == 2)
    }

    /// A database without swamp's tables: a user's first message that
    /// autolearn learns creates them, and that user's scans then read the
    /// rows it learned.
    @Test func autolearnCreatesTheTablesForAUser() async throws {
        let server = try await PostgresTestServer.shared()
        let dsn = server.url(database: try server.createDatabase())
        let config = AutolearnCreationTests.configuration(bayesPath: "/nonexistent/unused")
        var withSQL = config
        withSQL.bayesSQLDSN = dsn
        let databases = UserBayesDatabases(configuration: withSQL, capacity: 4)
        let alice = try SpamdUserName(validating: Array("alice".utf8))
        let (none, creator) = try databases.bayes(for: alice)
        #expect(none == nil)
        let made = try #require(creator)
        let scanner = SpamScanner(configuration: withSQL, bayes: nil, creator: made)
        #expect(scanner.scan(Array(AutolearnCreationTests.message(50, spam: true).utf8)).verdict.autolearn == "spam")
        let after = try databases.bayes(for: alice)
        #expect(after.creator == nil)
        let classifier = try #require(after.classifier)
        #expect(classifier === made.created)
        #expect(try classifier.store.messageCounts() == (1, 0))
        // Bob's rows are his own, empty; the tables are there for him now.
        let bob = try #require(try databases.classifier(for: SpamdUserName(validating: Array("bob".utf8))))
        #expect(try bob.store.messageCounts() == (0, 0))
    }
}
