import Logging
import SwampSpamd

/// Failures the server itself raises (the codec's own are `SpamdError`).
/// Each knows its reply, so `WireReply` needs no case analysis.
public enum ServerError: SpamdReplyError, Equatable, Sendable {
    /// The peer's address is outside `--allowed-ips`.
    case accessDenied(peer: String)
    /// `--max-children` plus `--max-queue` scans are under way (running,
    /// waiting for a slot or for their network checks), or `--max-queue`
    /// requests are waiting for a slot.
    case busy(queued: Int)
    /// A request waited longer than the queue timeout for a scan slot.
    case queueTimeout(seconds: Int)
    /// `--max-connections` connections are open.
    case tooManyConnections(limit: Int)
    /// A `Compress: zlib` body inflates past the cap.
    case inflatedTooBig(limit: Int)
    /// A `Compress: zlib` body that is not a complete zlib stream.
    case inflateFailed(String)
    /// TELL with `--allow-tell`, but this daemon has no Bayes store to learn
    /// into. swamp says so rather than answering spamd's "not learned",
    /// which spamc prints as "already learned" and a learning script would
    /// take for success.
    case learningUnavailable
    /// The daemon is shutting down and took no new work.
    case shuttingDown

    public var sysExit: SysExit {
        switch self {
        case .accessDenied: .noPermission
        case .busy, .queueTimeout, .tooManyConnections, .shuttingDown: .tempFail
        case .inflatedTooBig: .tooBig
        case .inflateFailed: .dataError
        case .learningUnavailable: .unavailable
        }
    }

    public var replyText: String {
        switch self {
        case .accessDenied: "Permission denied: (client address not in --allowed-ips)"
        case .busy(let n): "Service Unavailable: (server busy: \(n) requests already waiting)"
        case .queueTimeout(let s): "Service Unavailable: (no scan slot free within \(s) seconds)"
        case .tooManyConnections(let n): "Service Unavailable: (more than \(n) connections open)"
        case .inflatedTooBig(let n): "Message too big: (Compress: zlib body inflates to over \(n) bytes)"
        case .inflateFailed(let why): "Bad header line: (Compress: zlib body does not inflate: \(why))"
        case .learningUnavailable: "Service Unavailable: (TELL: no Bayes store in this swamp build, nothing learned)"
        case .shuttingDown: "Service Unavailable: (server shutting down)"
        }
    }
}

/// The one place an error becomes a wire reply (STYLE.md habit 5). Errors
/// that know their reply (`SpamdReplyError`) say it; anything else is a bug
/// or an I/O fault, logged here once, and becomes EX_SOFTWARE. Each is
/// counted by its code for `--metrics`.
enum WireReply {
    static func response(for error: any Error, logger: Logger, metrics: ServerMetrics) -> SpamdResponse {
        if let known = error as? any SpamdReplyError {
            logger.notice("refused: \(known.sysExit.rawValue) \(known.replyText)")
            metrics.failed(known.sysExit)
        } else {
            logger.error("internal error: \(String(reflecting: error))")
            metrics.failed(.software)
        }
        return SpamdResponse.failure(error)
    }
}
