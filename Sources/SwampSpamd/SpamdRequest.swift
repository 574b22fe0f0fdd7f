/// The request methods spamd 4.0.1 accepts (spamd's `main` loop), spelled
/// as on the wire. spamd matches them case-sensitively; so does swamp.
public enum SpamdCommand: String, Sendable, Hashable, CaseIterable {
    case check = "CHECK"
    case symbols = "SYMBOLS"
    case report = "REPORT"
    case reportIfSpam = "REPORT_IFSPAM"
    case process = "PROCESS"
    case headers = "HEADERS"
    case ping = "PING"
    case skip = "SKIP"
    case tell = "TELL"

    /// Whether a message follows the headers (all but PING and SKIP).
    public var carriesMessage: Bool { self != .ping && self != .skip }

    /// Whether the server scans the message (TELL learns it instead).
    public var scans: Bool { carriesMessage && self != .tell }

    init?(bytes: ArraySlice<UInt8>) {
        guard let match = Self.allCases.first(where: { $0.rawValue.utf8.elementsEqual(bytes) }) else {
            return nil
        }
        self = match
    }
}

/// `SPAMC/<major>.<minor>` from the request line. spamd compares versions as
/// Perl numbers and takes anything; swamp knows 1.0 to 1.5, the versions
/// spamc has ever sent, and rejects the rest.
public struct SpamdVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public static let v1_0 = SpamdVersion(major: 1, minor: 0)
    public static let v1_1 = SpamdVersion(major: 1, minor: 1)
    public static let v1_2 = SpamdVersion(major: 1, minor: 2)
    public static let v1_3 = SpamdVersion(major: 1, minor: 3)
    public static let v1_4 = SpamdVersion(major: 1, minor: 4)
    public static let v1_5 = SpamdVersion(major: 1, minor: 5)
    public static let supported: [SpamdVersion] = [.v1_0, .v1_1, .v1_2, .v1_3, .v1_4, .v1_5]

    private init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses exactly `1.0` ... `1.5`.
    public init?(_ text: some Collection<UInt8>) {
        let bytes = Array(text)
        guard bytes.count == 3, bytes[0] == UInt8(ascii: "1"), bytes[1] == UInt8(ascii: "."),
              (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(bytes[2]) else { return nil }
        self.init(major: 1, minor: Int(bytes[2] - UInt8(ascii: "0")))
    }

    public static func < (a: SpamdVersion, b: SpamdVersion) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }

    public var description: String { "\(major).\(minor)" }
}

/// One request header line as received: the name is everything before the
/// first colon, the value everything after the colon and the spaces or tabs
/// that follow it (spamd splits on `/:\s*/`).
public struct SpamdHeader: Sendable, Hashable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: Array(name.utf8), value: Array(value.utf8))
    }

    /// ASCII case-insensitive: spamd wants `Content-length` exactly, but a
    /// client that writes `Content-Length` works with spamd (which then
    /// reads to end of input), so it must work with swamp too.
    public func hasName(_ other: String) -> Bool {
        name.count == other.utf8.count
            && zip(name, other.utf8).allSatisfy { asciiLower($0) == asciiLower($1) }
    }
}

/// The body encoding a `Compress:` header declares. The decoder only reports
/// it; the server inflates the body with its own size cap.
public enum SpamdCompression: Sendable, Hashable {
    case none
    case zlib
}

/// `Message-class:` of a TELL.
public enum SpamdMessageClass: String, Sendable, Hashable {
    case spam
    case ham
}

/// The databases a TELL's `Set:` or `Remove:` names, and a reply's
/// `DidSet:`/`DidRemove:` confirms: `local` (Bayes) and `remote` (reporting
/// services such as Razor).
public struct SpamdTellTargets: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let local = SpamdTellTargets(rawValue: 1)
    public static let remote = SpamdTellTargets(rawValue: 2)

    /// spamd looks for the words anywhere in the value, case-insensitively.
    init(headerValue: [UInt8]) {
        self = []
        if containsASCIICaseInsensitive(headerValue, "local") { insert(.local) }
        if containsASCIICaseInsensitive(headerValue, "remote") { insert(.remote) }
    }

    /// `local`, `remote` or `local,remote`, as in spamd's replies.
    var wireList: String {
        [contains(.local) ? "local" : nil, contains(.remote) ? "remote" : nil]
            .compactMap { $0 }.joined(separator: ",")
    }
}

/// A complete, validated request.
public struct SpamdRequest: Sendable, Hashable {
    public var command: SpamdCommand
    public var version: SpamdVersion
    /// Every header line in order, known or not.
    public var headers: [SpamdHeader]
    /// The declared body length; `nil` when the request had none (PING, SKIP,
    /// SPAMC/1.0, or a server that allows reading to end of input).
    public var contentLength: Int?
    /// The raw `User:` value; check it with `SpamdUserName` before using it
    /// for anything on disk.
    public var user: [UInt8]?
    public var compression: SpamdCompression
    public var messageClass: SpamdMessageClass?
    public var set: SpamdTellTargets
    public var remove: SpamdTellTargets
    /// The message as sent (still compressed when `compression == .zlib`).
    public var body: [UInt8]

    public init(
        command: SpamdCommand, version: SpamdVersion = .v1_5, headers: [SpamdHeader] = [],
        contentLength: Int? = nil, user: [UInt8]? = nil, compression: SpamdCompression = .none,
        messageClass: SpamdMessageClass? = nil, set: SpamdTellTargets = [], remove: SpamdTellTargets = [],
        body: [UInt8] = []
    ) {
        self.command = command
        self.version = version
        self.headers = headers
        self.contentLength = contentLength
        self.user = user
        self.compression = compression
        self.messageClass = messageClass
        self.set = set
        self.remove = remove
        self.body = body
    }

    /// The values of every header called `name` (ASCII case-insensitive).
    public func values(of name: String) -> [[UInt8]] {
        headers.filter { $0.hasName(name) }.map(\.value)
    }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 {
    (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
}

func containsASCIICaseInsensitive(_ haystack: [UInt8], _ needle: String) -> Bool {
    let needle = Array(needle.utf8)
    guard haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count)
    where (0..<needle.count).allSatisfy({ asciiLower(haystack[start + $0]) == needle[$0] }) {
        return true
    }
    return false
}
