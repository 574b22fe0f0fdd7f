import Foundation
import SwampScan

/// `--username`: after binding (spamd's port 783 needs root), the daemon
/// becomes that user for good, as spamd's `--username` does.
enum Privileges {
    enum Failure: Error, CustomStringConvertible {
        case unknownUser(String)
        case call(String, Int32)
        case stillRoot

        var description: String {
            switch self {
            case .unknownUser(let name): "no such user: \(name)"
            case .call(let what, let e): "\(what) failed: \(String(cString: strerror(e)))"
            case .stillRoot: "privileges could be regained after dropping them"
            }
        }
    }

    /// Switches group list, group and user to `name`'s. glibc applies
    /// setuid/setgid to every thread of the process, so the event loop and
    /// scan threads started before this change with it. The Hyperscan cache
    /// moves to the user's home (~/.cache/swamp), which they can write;
    /// the environment is left alone (setenv with threads running races
    /// with getenv).
    static func drop(to name: String) throws {
        guard let entry = getpwnam(name) else { throw Failure.unknownUser(name) }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        let home = entry.pointee.pw_dir.map { String(cString: $0) } ?? ""
        if initgroups(name, gid) != 0 { throw Failure.call("initgroups", errno) }
        if setgid(gid) != 0 { throw Failure.call("setgid", errno) }
        if setuid(uid) != 0 { throw Failure.call("setuid", errno) }
        // setuid to a non-root user must be irreversible.
        if uid != 0 && setuid(0) == 0 { throw Failure.stillRoot }
        if home.hasPrefix("/") { MultiPatternCache.userHome.withLock { $0 = home } }
    }
}
