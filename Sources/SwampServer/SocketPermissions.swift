import Foundation

/// Who may use the Unix socket (spamd's `--socketowner`, `--socketgroup`,
/// `--socketmode`): applied right after binding, while the daemon may
/// still be root, so that e.g. a socket owned by `spamd:mail` with mode
/// 660 lets the mail system's spamc in and nobody else.
struct SocketPermissions {
    var mode: UInt32?
    /// User name or numeric uid.
    var owner: String?
    /// Group name or numeric gid.
    var group: String?

    func apply(to path: String) throws {
        if owner != nil || group != nil {
            let uid = try owner.map { try Self.uid($0, for: path) } ?? uid_t.max  // -1: leave as is
            let gid = try group.map { try Self.gid($0, for: path) } ?? gid_t.max
            if chown(path, uid, gid) != 0 {
                throw ServerStartError.socketOwner(path: path, why: String(cString: strerror(errno)))
            }
        }
        if let mode, chmod(path, mode_t(mode)) != 0 {
            throw ServerStartError.socketMode(path: path, errno: errno)
        }
    }

    static func uid(_ name: String, for path: String) throws -> uid_t {
        if let number = uid_t(name) { return number }
        guard let entry = getpwnam(name) else { throw ServerStartError.socketOwner(path: path, why: "no such user \(name)") }
        return entry.pointee.pw_uid
    }

    static func gid(_ name: String, for path: String) throws -> gid_t {
        if let number = gid_t(name) { return number }
        guard let entry = getgrnam(name) else { throw ServerStartError.socketOwner(path: path, why: "no such group \(name)") }
        return entry.pointee.gr_gid
    }
}
