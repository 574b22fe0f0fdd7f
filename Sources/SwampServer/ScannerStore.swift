import Logging
import NIOConcurrencyHelpers
import SwampScan

/// The scanner every new scan uses, swapped whole on reload: a scan in
/// flight keeps the scanner it started with, the next one gets the new one,
/// and a configuration that fails to load never replaces a working one.
public final class ScannerStore: Sendable {
    /// Builds a scanner from the configuration on disk, or says why not.
    public typealias Loader = @Sendable () throws -> SpamScanner

    private let loader: Loader
    private let box: NIOLockedValueBox<Snapshot>

    public struct Snapshot: Sendable {
        public let scanner: SpamScanner
        /// 1 for the configuration loaded at start, +1 per successful reload.
        public let generation: Int
    }

    /// Loads the configuration once; throws when the first load fails.
    public init(loader: @escaping Loader) throws {
        self.loader = loader
        self.box = NIOLockedValueBox(Snapshot(scanner: try loader(), generation: 1))
    }

    /// A store around an already-built scanner (tests).
    public init(scanner: SpamScanner, loader: @escaping Loader) {
        self.loader = loader
        self.box = NIOLockedValueBox(Snapshot(scanner: scanner, generation: 1))
    }

    public var current: Snapshot { box.withLockedValue { $0 } }

    /// Loads the configuration again and swaps it in; on failure keeps the
    /// running one and rethrows. Blocking: call it off the event loops.
    @discardableResult
    public func reload() throws -> Snapshot {
        let scanner = try loader()
        return box.withLockedValue { s in
            s = Snapshot(scanner: scanner, generation: s.generation + 1)
            return s
        }
    }
}
