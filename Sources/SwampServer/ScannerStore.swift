import Logging
import NIOConcurrencyHelpers
import SwampScan

/// One loaded configuration and what every scan with it shares. A reload
/// builds a new one whole: new rules, a new resolver and DNS cache, new
/// per-user databases.
public struct ScanSetup: Sendable {
    public let scanner: SpamScanner
    /// SPF, DKIM, DNS blocklists and reverse DNS, with their resolver and
    /// cache; nil when the configuration says `dns_available no` or the
    /// daemon runs with `--local`.
    public let network: NetworkChecks?
    /// With `--user-dbs`: the per-user Bayes databases scans read.
    public let userBayes: UserBayesDatabases?
    /// When `use_bayes` is on but the site database did not exist at load:
    /// where scans look for it again (see `LateSiteBayes`).
    public let lateSiteBayes: LateSiteBayes?

    public init(scanner: SpamScanner, network: NetworkChecks? = nil, userBayes: UserBayesDatabases? = nil,
                lateSiteBayes: LateSiteBayes? = nil) {
        self.scanner = scanner
        self.network = network
        self.userBayes = userBayes
        self.lateSiteBayes = lateSiteBayes
    }

    /// The scanner for a scan with the site database: `scanner`, or the
    /// one with the database found since.
    public var siteScanner: SpamScanner { lateSiteBayes?.scanner() ?? scanner }
}

/// The setup every new scan uses, swapped whole on reload: a scan in
/// flight keeps the setup it started with, the next one gets the new one,
/// and a configuration that fails to load never replaces a working one.
public final class ScannerStore: Sendable {
    /// Builds a setup from the configuration on disk, or says why not.
    public typealias Loader = @Sendable () throws -> ScanSetup

    private let loader: Loader
    private let box: NIOLockedValueBox<Snapshot>

    public struct Snapshot: Sendable {
        public let setup: ScanSetup
        /// 1 for the configuration loaded at start, +1 per successful reload.
        public let generation: Int

        public var scanner: SpamScanner { setup.scanner }
    }

    /// Loads the configuration once; throws when the first load fails.
    public init(loader: @escaping Loader) throws {
        self.loader = loader
        self.box = NIOLockedValueBox(Snapshot(setup: try loader(), generation: 1))
    }

    /// A store around an already-built setup (tests).
    public init(setup: ScanSetup, loader: @escaping Loader) {
        self.loader = loader
        self.box = NIOLockedValueBox(Snapshot(setup: setup, generation: 1))
    }

    public var current: Snapshot { box.withLockedValue { $0 } }

    /// Loads the configuration again and swaps it in; on failure keeps the
    /// running one and rethrows. Blocking: call it off the event loops.
    @discardableResult
    public func reload() throws -> Snapshot {
        let setup = try loader()
        let snapshot = box.withLockedValue { s in
            s = Snapshot(setup: setup, generation: s.generation + 1)
            return s
        }
        // The loader's temporaries are free now; the previous rules go
        // when the last scan holding them ends.
        Heap.releaseFreeMemory()
        return snapshot
    }
}
