// Configuration → a Bayes classifier: which database file (site or
// per-user), which settings. Kept apart from the scan itself.

import Foundation
import SwampBayes
import SwampMIME
import SwampRules

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

    public static func open(_ configuration: Configuration, user: String? = nil, path: String? = nil,
                            readOnly: Bool = false, trust: TrustPolicy? = nil) throws -> BayesClassifier {
        let file = try databasePath(configuration, user: user, override: path)
        if readOnly && !FileManager.default.fileExists(atPath: file) {
            throw BayesSetupError(message: "no Bayes database at \(file)")
        }
        let store = try SQLiteBayesStore(path: file, readOnly: readOnly)
        var limits = MessageLimits()
        limits.bodyPartScanSize = configuration.bodyPartScanSize
        limits.rawbodyPartScanSize = configuration.rawbodyPartScanSize
        return BayesClassifier(store: store, settings: settings(configuration), subjectTag: subjectTag(configuration),
                               limits: limits, trust: trust ?? Self.trust(configuration))
    }
}

extension BayesSetup {
    /// The site database for scanning, read-only: nil and no problem when
    /// none has been trained yet; nil and the reason when one exists but
    /// cannot be used (SECURITY.md, "Fail visible": scoring goes on without
    /// Bayes, and says so).
    public static func openForScanning(_ configuration: Configuration) -> (classifier: BayesClassifier?, problem: String?) {
        guard configuration.useBayes else { return (nil, nil) }
        guard let file = try? databasePath(configuration, user: nil),
              FileManager.default.fileExists(atPath: file) else { return (nil, nil) }
        do { return (try open(configuration, readOnly: true), nil) } catch {
            return (nil, "Bayes database \(file) cannot be used, scoring without Bayes: \(error)")
        }
    }
}

public struct BayesSetupError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
