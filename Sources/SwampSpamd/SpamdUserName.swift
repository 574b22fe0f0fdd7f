/// A `User:` value checked to be safe as a key for per-user preferences and
/// Bayes databases (SECURITY.md: "a user name is never a filesystem path").
///
/// spamd only refuses control characters and passes the rest to
/// `getpwnam`. swamp has no passwd lookup in the path, so it keeps to names
/// that are plausible Unix logins or mail addresses and can never climb out
/// of a directory: every name spamc sends for a real user (`alice`,
/// `first.last`, `user+tag@example.org`) passes. Callers should still map
/// the name to storage through an encoding or a hash, not paste it into a path.
public struct SpamdUserName: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    /// The name as text; always valid UTF-8.
    public let string: String

    /// Longest accepted name in bytes: room for long mail addresses (RFC
    /// 5321 paths are at most 256 bytes, real ones far shorter).
    public static let defaultMaxLength = 128

    public enum Problem: SpamdReplyError, Hashable, Sendable, CustomStringConvertible {
        case empty
        case tooLong(limit: Int)
        case invalidUTF8
        /// Control characters (C0, DEL, C1) or spaces.
        case controlOrSpace
        /// `/` or `\`: path separators on some system.
        case pathSeparator
        /// `..` anywhere, or a leading `.`: never a parent or hidden file.
        case dots
        /// A leading `-` or `~`: option-like or home-directory-like.
        case leadingSymbol

        public var description: String {
            switch self {
            case .empty: "empty user name"
            case .tooLong(let n): "user name longer than \(n) bytes"
            case .invalidUTF8: "user name is not UTF-8"
            case .controlOrSpace: "user name contains control characters or spaces"
            case .pathSeparator: "user name contains a path separator"
            case .dots: "user name starts with '.' or contains '..'"
            case .leadingSymbol: "user name starts with '-' or '~'"
            }
        }

        public var sysExit: SysExit { SpamdError.invalidUserName(reason: description).sysExit }
        public var replyText: String { SpamdError.invalidUserName(reason: description).replyText }
    }

    public init(validating raw: some Collection<UInt8>, maxLength: Int = defaultMaxLength) throws(Problem) {
        let bytes = Array(raw)
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxLength else { throw .tooLong(limit: maxLength) }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        for scalar in string.unicodeScalars {
            let v = scalar.value
            if v <= 0x20 || (0x7F...0x9F).contains(v) { throw .controlOrSpace }
            if scalar == "/" || scalar == "\\" { throw .pathSeparator }
        }
        if bytes.first == UInt8(ascii: ".") || zip(bytes, bytes.dropFirst()).contains(where: {
            $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".")
        }) { throw .dots }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "~") { throw .leadingSymbol }
        self.bytes = bytes
        self.string = string
    }

    public var description: String { string }
}

extension SpamdRequest {
    /// The `User:` value when present and acceptable; `nil` when absent.
    public func validatedUser(maxLength: Int = SpamdUserName.defaultMaxLength)
        throws(SpamdUserName.Problem) -> SpamdUserName?
    {
        guard let user else { return nil }
        return try SpamdUserName(validating: user, maxLength: maxLength)
    }
}
