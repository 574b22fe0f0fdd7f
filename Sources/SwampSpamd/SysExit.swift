/// The status codes a spamd reply line carries: `0` for success, otherwise a
/// code from BSD `sysexits.h`, which is what spamd's `%resphash` sends and
/// what `spamc -x` turns into its own exit status.
///
/// `tooBig` (98) is swamp's: spamd has no size limit and never sends it, and
/// libspamc's own `EX_TOOBIG` is an internal 866 that never crosses the
/// wire. Any non-zero code makes spamc fall back (pass the message through
/// unscanned, or exit with the code under `-x`), so 98 is safe to send.
public enum SysExit: Int32, Sendable, Hashable, CaseIterable {
    case ok = 0
    case usage = 64
    case dataError = 65
    case noInput = 66
    case noUser = 67
    case noHost = 68
    case unavailable = 69
    case software = 70
    case osError = 71
    case osFile = 72
    case cantCreate = 73
    case ioError = 74
    case tempFail = 75
    case `protocol` = 76
    case noPermission = 77
    case config = 78
    case timeout = 79
    case tooBig = 98

    /// The `sysexits.h` name, as spamd writes it after `0` in `SPAMD/1.1 0 EX_OK`.
    public var name: String {
        switch self {
        case .ok: "EX_OK"
        case .usage: "EX_USAGE"
        case .dataError: "EX_DATAERR"
        case .noInput: "EX_NOINPUT"
        case .noUser: "EX_NOUSER"
        case .noHost: "EX_NOHOST"
        case .unavailable: "EX_UNAVAILABLE"
        case .software: "EX_SOFTWARE"
        case .osError: "EX_OSERR"
        case .osFile: "EX_OSFILE"
        case .cantCreate: "EX_CANTCREAT"
        case .ioError: "EX_IOERR"
        case .tempFail: "EX_TEMPFAIL"
        case .protocol: "EX_PROTOCOL"
        case .noPermission: "EX_NOPERM"
        case .config: "EX_CONFIG"
        case .timeout: "EX_TIMEOUT"
        case .tooBig: "EX_TOOBIG"
        }
    }
}

/// An error that knows the reply it becomes on the wire (STYLE.md habit 5).
/// Other modules' errors adopt it so the server maps every failure in one
/// place; anything else becomes `EX_SOFTWARE` (see `SpamdResponse.failure(for:)`).
public protocol SpamdReplyError: Error {
    /// The code on the `SPAMD/1.0 <code> <text>` line.
    var sysExit: SysExit { get }
    /// The text after the code, one line, without CR or LF.
    var replyText: String { get }
}
