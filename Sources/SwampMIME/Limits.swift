/// Bounds on everything a hostile message can make the parser hold or do
/// (../shared/SECURITY.md, "Message"). Past a bound, parsing keeps going in a
/// degraded way — the rest is treated as opaque — and a defect is recorded;
/// it never fails and never grows without limit.
public struct MessageLimits: Sendable, Hashable {
    /// Header fields read per header block (message or part); the rest are dropped.
    public var maxHeaderFields = 1_000
    /// Bytes of one header block; past this the block ends.
    public var maxHeaderBlockBytes = 512 * 1024
    /// Nesting of multipart and message/rfc822 parts.
    public var maxDepth = 20
    /// MIME parts in the whole tree.
    public var maxParts = 1_000
    /// URIs collected from the whole message.
    public var maxURIs = 2_000
    /// Received headers parsed into relays (newest first).
    public var maxReceived = 50
    /// Decoded bytes of one text part that body rules see
    /// (SpamAssassin's `body_part_scan_size`, default 50,000).
    public var bodyPartScanSize = 50_000
    /// Decoded bytes of one part that rawbody rules see
    /// (SpamAssassin's `rawbody_part_scan_size`, default 500,000).
    public var rawbodyPartScanSize = 500_000
    /// Decoded bytes kept for one part at all (attachments are not rendered).
    public var maxDecodedPartBytes = 4 * 1024 * 1024

    public init() {}
}
