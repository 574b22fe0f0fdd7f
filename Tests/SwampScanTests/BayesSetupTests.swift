import Foundation
import Testing
import SwampBayes
@testable import SwampScan

@Suite struct BayesSetupTests {
    /// A database that may be read but not written still scores, with a
    /// problem saying autolearn is off (before, the failed writable open
    /// meant no Bayes at all).
    @Test func unwritableDatabaseStillScores() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-setup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bayes.sqlite").path
        let readOnly = BayesClassifier(store: try SQLiteBayesStore(path: path))
        struct Refused: Error {}
        let (classifier, problem) = BayesSetup.writable(else: readOnly, at: .sqlite(path: path)) { throw Refused() }
        #expect(classifier === readOnly)
        #expect(problem?.contains("cannot be written, scoring without autolearn") == true)

        let writable = BayesClassifier(store: try SQLiteBayesStore(path: path))
        let opened = BayesSetup.writable(else: readOnly, at: .sqlite(path: path)) { writable }
        #expect(opened.classifier === writable && opened.problem == nil)
    }
}
