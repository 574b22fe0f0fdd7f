/// What one request may hold. spamd itself reads lines and bodies of any
/// length; swamp bounds each so that no client can make a connection buffer
/// more than `maxLineLength` bytes before the body and `maxBodySize` in it.
///
/// Values are clamped into `minimum...hardCaps` when set, so a
/// configuration typo cannot lift a limit entirely.
public struct DecoderLimits: Sendable, Hashable {
    /// Longest request or header line, without its line ending. spamc's
    /// lines are under 100 bytes; 8 KiB leaves room for long user names.
    public var maxLineLength: Int { didSet { clamp() } }
    /// Header lines before the blank line. spamd reads 256 lines including
    /// the blank one, so 255 headers pass and 256 fail with "too many
    /// headers"; the default keeps that boundary.
    public var maxHeaderCount: Int { didSet { clamp() } }
    /// Largest body, as declared by `Content-length` or read to end of
    /// input. spamc never sends more than its `-s` (default 512,000 bytes,
    /// at most 256 MiB); the default allows a generous `-s` without letting
    /// a client pin hundreds of megabytes.
    public var maxBodySize: Int { didSet { clamp() } }
    /// Longest `User:` value. Unix login names are 32 bytes at most; virtual
    /// users are often mail addresses (RFC 5321 limits those to 254).
    public var maxUserLength: Int { didSet { clamp() } }
    /// Whether a message command (protocol 1.1 and later) must declare
    /// `Content-length`. spamd reads to end of input without one; swamp
    /// refuses by default so a body always has a known end. SPAMC/1.0
    /// requests carry no headers at all and are always read to end of input.
    public var requiresContentLength: Bool

    public static let `default` = DecoderLimits()

    /// The largest values any configuration may set.
    public static let hardCaps = (maxLineLength: 65_536, maxHeaderCount: 1_024,
                                  maxBodySize: 256 * 1024 * 1024, maxUserLength: 1_024)
    /// The smallest: enough for every request spamc sends.
    public static let minimum = (maxLineLength: 64, maxHeaderCount: 8, maxBodySize: 0, maxUserLength: 32)

    public init(
        maxLineLength: Int = 8_192, maxHeaderCount: Int = 255, maxBodySize: Int = 32 * 1024 * 1024,
        maxUserLength: Int = 256, requiresContentLength: Bool = true
    ) {
        self.maxLineLength = maxLineLength
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
        self.maxUserLength = maxUserLength
        self.requiresContentLength = requiresContentLength
        clamp()
    }

    private mutating func clamp() {
        func fit(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }
        let (lo, hi) = (Self.minimum, Self.hardCaps)
        let line = fit(maxLineLength, lo.maxLineLength, hi.maxLineLength)
        let count = fit(maxHeaderCount, lo.maxHeaderCount, hi.maxHeaderCount)
        let body = fit(maxBodySize, lo.maxBodySize, hi.maxBodySize)
        let user = fit(maxUserLength, lo.maxUserLength, hi.maxUserLength)
        // Assign only on change: each assignment re-enters didSet.
        if line != maxLineLength { maxLineLength = line }
        if count != maxHeaderCount { maxHeaderCount = count }
        if body != maxBodySize { maxBodySize = body }
        if user != maxUserLength { maxUserLength = user }
    }
}
