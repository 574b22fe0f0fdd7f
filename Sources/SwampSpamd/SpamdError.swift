/// Everything that ends a spamd conversation with an error line instead of a
/// result. Each case knows its code and text; `reply` is the exact bytes.
///
/// The texts follow spamd 4.0.1 where spamd has the same error (its
/// `protocol_error` prefixes `Bad header line: `, `service_unavailable_error`
/// `Service Unavailable: `, `service_timeout` `Timeout: `); the cases spamd
/// lacks (limits, versions) use the same shapes.
public enum SpamdError: SpamdReplyError, Equatable, Hashable, Sendable {
    // Request line.
    /// The client closed the connection before sending a request line.
    case closedBeforeRequest
    /// The request line is not `COMMAND SPAMC/x.y` with a known command.
    case unknownRequest(line: [UInt8])
    /// `SPAMC/` followed by anything but 1.0 to 1.5.
    case unsupportedVersion([UInt8])
    case requestLineTooLong(limit: Int)

    // Headers.
    case headerLineTooLong(limit: Int)
    case tooManyHeaders
    case eofDuringHeaders
    /// A line without a colon.
    case malformedHeader
    case contentLengthNotNumeric
    /// Two `Content-length` headers that disagree.
    case conflictingContentLength
    /// A message command without `Content-length` (see `DecoderLimits.requiresContentLength`).
    case contentLengthRequired
    case userControlCharacters
    case userTooLong(limit: Int)
    case unsupportedCompression([UInt8])
    case compressionNeedsContentLength
    case invalidMessageClass
    /// TELL with `Set: local` but no `Message-class`; spamd would learn it as ham.
    case messageClassRequired
    case setAndRemoveLocal
    case setAndRemoveRemote

    // Body.
    /// The client half-closed before `expected` bytes arrived.
    case contentLengthMismatch(expected: Int, received: Int)
    /// More bytes arrived after the `expected` bytes of the body.
    case bytesAfterBody(expected: Int)
    /// The declared or received body is over `DecoderLimits.maxBodySize`.
    case messageTooBig(limit: Int)

    // Raised by the server, not the decoder; here so their text lives in one place.
    /// TELL without `--allow-tell`.
    case tellDisabled
    /// The client sent nothing for `seconds` (spamd's `--timeout-tcp`).
    case readTimeout(seconds: Int)
    /// The scan of `command` ran past `seconds` (spamd's `--timeout-child`).
    case scanTimeout(seconds: Int, command: SpamdCommand)
    /// A `User:` value that `SpamdUserName` rejects, when the server refuses
    /// rather than scanning with the global preferences.
    case invalidUserName(reason: String)

    public var sysExit: SysExit {
        switch self {
        case .messageTooBig: .tooBig
        case .compressionNeedsContentLength, .tellDisabled: .unavailable
        case .readTimeout, .scanTimeout: .timeout
        case .invalidUserName: .noUser
        default: .protocol
        }
    }

    public var replyText: String {
        switch self {
        case .closedBeforeRequest: Self.bad("(closed before headers)")
        case .unknownRequest(let line): Self.bad(Self.printable(line))
        case .unsupportedVersion(let v): Self.bad("(unsupported protocol version \(Self.printable(v)))")
        case .requestLineTooLong(let n): Self.bad("(request line longer than \(n) bytes)")
        case .headerLineTooLong(let n): Self.bad("(header line longer than \(n) bytes)")
        case .tooManyHeaders: Self.bad("(too many headers)")
        case .eofDuringHeaders: Self.bad("(EOF during headers)")
        case .malformedHeader: Self.bad("(header not in 'Name: value' format)")
        case .contentLengthNotNumeric: Self.bad("(Content-Length contains non-numeric bytes)")
        case .conflictingContentLength: Self.bad("(conflicting Content-length headers)")
        case .contentLengthRequired: Self.bad("(Content-length header required)")
        case .userControlCharacters: Self.bad("(User header contains control chars)")
        case .userTooLong(let n): Self.bad("(User header longer than \(n) bytes)")
        case .unsupportedCompression(let v): Self.bad("(compression type not supported: \(Self.printable(v)))")
        case .compressionNeedsContentLength: "Service Unavailable: Compress requires Content-length header"
        case .invalidMessageClass: Self.bad("(Message-class header contains invalid class)")
        case .messageClassRequired: Self.bad("(Message-class header required to set local)")
        case .setAndRemoveLocal: Self.bad("Unable to set local and remove local in the same operation.")
        case .setAndRemoveRemote: Self.bad("Unable to set remote and remove remote in the same operation.")
        case .contentLengthMismatch(let e, let r):
            Self.bad("(Content-Length mismatch: Expected \(e) bytes, got \(r) bytes)")
        case .bytesAfterBody(let e):
            Self.bad("(Content-Length mismatch: Expected \(e) bytes, got more than \(e) bytes)")
        case .messageTooBig(let n): "Message too big: (over the limit of \(n) bytes)"
        case .tellDisabled:
            "Service Unavailable: TELL commands are not enabled, set the --allow-tell switch."
        case .readTimeout(let s): "Timeout: (\(s) second socket timeout reading input from client)"
        case .scanTimeout(let s, let c): "Timeout: (\(s) second timeout while trying to \(c.rawValue))"
        case .invalidUserName(let reason): "User unknown: (\(Self.printable(Array(reason.utf8))))"
        }
    }

    /// The whole error reply: `SPAMD/1.0 <code> <text>\r\n`, as spamd writes
    /// it whatever the client's protocol version.
    public var reply: [UInt8] { SpamdResponse.failure(self).encoded(for: .v1_5) }

    private static func bad(_ detail: String) -> String { "Bad header line: " + detail }

    /// Client bytes echoed in a reply (spamd echoes an unknown request line
    /// verbatim): printable ASCII only, at most 64 bytes, so a reply is one
    /// short line whatever the client sent.
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        let limit = 64
        var scalars = String.UnicodeScalarView()
        for byte in bytes.prefix(limit) {
            scalars.append(Unicode.Scalar((0x20...0x7E).contains(byte) ? byte : UInt8(ascii: "?")))
        }
        return String(scalars) + (bytes.count > limit ? "..." : "")
    }
}

extension SpamdError: CustomStringConvertible {
    public var description: String { "\(sysExit.rawValue) \(replyText)" }
}
