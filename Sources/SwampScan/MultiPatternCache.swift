import Foundation
import Synchronization

/// Where compiled multi-pattern databases are kept between runs
/// (`RuleSet.prepareMultiPattern`): `$SWAMP_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/swamp`, else `~/.cache/swamp`. An empty
/// `SWAMP_CACHE_DIR` turns the cache off. Nothing is created here: the
/// folder is made when a database is first written.
public enum MultiPatternCache {
    public static func directory() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["SWAMP_CACHE_DIR"] { return dir.isEmpty ? nil : dir }
        // After `--username`: that user's home (the environment is still
        // root's, and changing it with threads running is not safe).
        if let home = userHome.withLock({ $0 }) { return home + "/.cache/swamp" }
        if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/swamp" }
        guard let home = env["HOME"], home.hasPrefix("/") else { return nil }
        return home + "/.cache/swamp"
    }

    /// The home of the user the daemon runs as after dropping privileges;
    /// nil before (or without) that.
    public static let userHome = Mutex<String?>(nil)
}
