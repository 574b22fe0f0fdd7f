import Foundation
import Testing
@testable import SwampBayes

@Suite struct StoreTests {
    static func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-bayes-\(UUID().uuidString)")
        return dir.appendingPathComponent("bayes.sqlite").path
    }

    static func message(_ n: Int, spammy: Bool) -> [UInt8] {
        let words = spammy ? "viagra cheap pills winner prize lottery" : "meeting agenda lunch project review schedule"
        return Array("From: user\(n)@example.com\nMessage-ID: <m\(n)@example.com>\nSubject: note \(n)\nDate: Sat, 28 Nov 2026 16:42:05 +0000\n\n\(words) token\(n)\n".utf8)
    }

    // The store contract (StoreContract.swift) against SQLite; the same
    // tests run against PostgreSQL in PostgresStoreTests.
    @Test func learnTwiceCountsOnce() throws { try StoreContract.learnTwiceCountsOnce(.sqlite) }
    @Test func relearnMovesAndForgetUndoes() throws { try StoreContract.relearnMovesAndForgetUndoes(.sqlite) }
    @Test func forgetKeepsSharedTokens() throws { try StoreContract.forgetKeepsSharedTokens(.sqlite) }
    @Test func markupDoesNotChangeIdentity() throws { try StoreContract.markupDoesNotChangeIdentity(.sqlite) }
    @Test func classifiesAfterEnoughTraining() throws { try StoreContract.classifiesAfterEnoughTraining(.sqlite) }
    @Test func expiryKeepsTheNewest() throws { try StoreContract.expiryKeepsTheNewest(.sqlite) }
    @Test func touchNeverGoesBack() throws { try StoreContract.touchNeverGoesBack(.sqlite) }
    @Test func backupRoundTrip() throws { try StoreContract.backupRoundTrip(.sqlite) }
    @Test func readOnlyRefusesWrites() throws { try StoreContract.readOnlyRefusesWrites(.sqlite) }
    @Test func usersAreIsolated() throws { try StoreContract.usersAreIsolated(.sqlite) }
    @Test func concurrentLearnersCountOnce() throws { try StoreContract.concurrentLearnersCountOnce(.sqlite) }

    @Test func userNamesNeverBecomePaths() {
        #expect(BayesPaths.sanitisedUserName("alice") == "alice")
        #expect(BayesPaths.sanitisedUserName("../../etc/passwd") == "_._.._etc_passwd")
        #expect(BayesPaths.sanitisedUserName("..") == "_.")
        #expect(BayesPaths.sanitisedUserName("") == nil)
        let p = BayesPaths.userDatabase(bayesPath: "/var/lib/swamp/bayes", user: "../x/y")!
        #expect(p == "/var/lib/swamp/users/_._x_y.sqlite")
        #expect(BayesPaths.database(bayesPath: "~/b", home: "/home/u") == "/home/u/b.sqlite")
    }

    @Test func rfc2822Dates() {
        #expect(RFC2822Date.parse("Sat, 28 Nov 2026 16:42:05 +0000") == 1_795_884_125)
        #expect(RFC2822Date.parse("28 Nov 2026 17:42:05 +0100") == 1_795_884_125)
        #expect(RFC2822Date.parse("garbage") == nil)
        // Commas, tabs and folding split words alike, on the ASCII path and
        // on the general one.
        #expect(RFC2822Date.parse("Sat,28 Nov 2026\t16:42:05\n +0000") == 1_795_884_125)
        #expect(RFC2822Date.parse("Sat, 28 Nov 2026 16:42:05 +0000\r\n") == 1_795_884_125)
        #expect(RFC2822Date.parse("Sat, 28 Nov 2026 16:42:05 +0000 (caf\u{e9})") == 1_795_884_125)
    }
}
