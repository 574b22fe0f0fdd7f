// The public surface of SwampMIME that SwampEngine and SwampScan build on.
// Signatures are the contract; the work happens in the files named below.

import Synchronization

/// One header field as it stands in the message.
public struct HeaderField: Sendable, Hashable {
    /// The name as written (case kept).
    public let name: String
    /// Bytes after the colon up to the end of the field, folding line breaks
    /// kept, the final line break removed. Not decoded. (In a CRLF message
    /// the CRLFs are stored as LF, as SpamAssassin stores them.)
    public let rawValue: [UInt8]

    public init(name: String, rawValue: [UInt8]) {
        self.name = name
        self.rawValue = rawValue
    }

    /// Whether the name is `lowerCaseName` in any case: `name.lowercased()
    /// == lowerCaseName`, without lower-casing a copy of an ASCII name
    /// (header lookups run for every field of every message).
    public func isNamed(_ lowerCaseName: String) -> Bool {
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else { return name.lowercased() == lowerCaseName }
        return name.utf8.elementsEqual(lowerCaseName.utf8) { $0.lowercasedASCII == $1 }
    }
}

/// A node of the MIME tree. Leaves carry a body; multiparts and
/// message/rfc822 parts carry children.
public final class MIMEPart: Sendable {
    public let headers: [HeaderField]
    /// `type/subtype`, lowercased, as SpamAssassin's `parse_content_type`
    /// reads it: `text/plain` when absent or unparseable, and for every
    /// `text/*` other than `text/html`, `text/x-vcard` and `text/calendar`;
    /// `message/rfc822` for untyped parts of a multipart/digest.
    public let mediaType: String
    /// Content-Type parameters, names lowercased, RFC 2231 continuations and
    /// charsets decoded.
    public let parameters: [String: String]
    /// Content-Transfer-Encoding, lowercased (`7bit` when absent).
    public let transferEncoding: String
    /// The body bytes as they stand in the message (still transfer-encoded).
    public let encodedBody: [UInt8]
    /// Transfer-decoded body (base64, quoted-printable), capped at
    /// `MessageLimits.maxDecodedPartBytes`. Empty for multipart containers;
    /// for message/rfc822 parts, the bytes that were parsed as the child.
    public let decodedBody: [UInt8]
    public let children: [MIMEPart]
    /// The charset as SpamAssassin reads it from Content-Type (raw bytes).
    let charset: [UInt8]?
    /// File name from Content-Disposition or Content-Type (`effective_type`).
    let fileName: [UInt8]?
    /// Set on the root part of a message or of an embedded message/rfc822.
    let messageInfo: MessageInfo?

    public init(headers: [HeaderField], mediaType: String, parameters: [String: String],
                transferEncoding: String, encodedBody: [UInt8], decodedBody: [UInt8],
                children: [MIMEPart]) {
        self.headers = headers
        self.mediaType = mediaType
        self.parameters = parameters
        self.transferEncoding = transferEncoding
        self.encodedBody = encodedBody
        self.decodedBody = decodedBody
        self.children = children
        self.charset = parameters["charset"].map { Array($0.utf8) }
        self.fileName = parameters["name"].map { Array($0.utf8) }
        self.messageInfo = nil
    }

    init(headers: [HeaderField], mediaType: String, parameters: [String: String],
         transferEncoding: String, encodedBody: [UInt8], decodedBody: [UInt8],
         children: [MIMEPart], charset: [UInt8]?, fileName: [UInt8]?, messageInfo: MessageInfo?) {
        self.headers = headers
        self.mediaType = mediaType
        self.parameters = parameters
        self.transferEncoding = transferEncoding
        self.encodedBody = encodedBody
        self.decodedBody = decodedBody
        self.children = children
        self.charset = charset
        self.fileName = fileName
        self.messageInfo = messageInfo
    }
}

/// A parsed message: bytes in, an immutable tree out. Never throws; what could
/// not be parsed is recorded in `defects` and the rest treated as opaque.
public final class Message: Sendable {
    /// The pristine message as received (what `full` rules see).
    public let bytes: [UInt8]
    public let root: MIMEPart
    /// Human-readable notes on malformations met ("missing boundary", ...).
    public let defects: [String]
    /// SpamAssassin's parse flags that rules test (`check_msg_parse_flags`):
    /// `missing_head_body_separator`, `truncated_header`,
    /// `missing_mime_head_body_separator`, `missing_mime_headers`,
    /// `mime_epilogue_exists`.
    public let parseFlags: Set<String>
    public let limits: MessageLimits

    public init(bytes: [UInt8], limits: MessageLimits = MessageLimits()) {
        let ctx = ParseContext(limits: limits)
        let tree = MIMEParser.parseMessage(bytes, subparse: limits.maxDepth, ctx: ctx)
        self.bytes = bytes
        self.root = MIMEParser.freeze(tree, ctx: ctx)
        self.defects = ctx.defects
        self.parseFlags = ctx.flags
        self.limits = limits
    }

    /// Top-level header fields, in order.
    public var headers: [HeaderField] { root.headers }
}

/// An IPv4 or IPv6 address.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]
    /// Parses dotted IPv4, IPv6 (with `::`, embedded IPv4, optional `[ ]`,
    /// `IPv6:` prefix as in Received headers).
    // init?(_:), description, isPrivate: IP.swift
}

/// `192.168.0.0/16`, `10.`, `127.0.0.1`, `2001:db8::/32`, `!10.1.2.3`
/// (negation), as `trusted_networks` accepts them.
public struct IPNetwork: Sendable, Hashable {
    public let address: IPAddress
    public let prefixLength: Int
    public let negated: Bool
    // init?(_:), contains(_:): IP.swift
}

/// Which relays are believed (SpamAssassin `trusted_networks`,
/// `internal_networks`, `msa_networks`). Empty lists mean "not configured":
/// then only private-IP or authenticated hops are trusted, as in SpamAssassin.
public struct TrustPolicy: Sendable {
    public var trusted: [IPNetwork]
    public var `internal`: [IPNetwork]
    public var msa: [IPNetwork]
    /// SpamAssassin `originating_ip_headers`: headers whose IP address is
    /// added as the oldest hop. Defaults to the stock 10_default_prefs.cf list.
    public var originatingIPHeaders: [String] = [
        "X-Yahoo-Post-IP", "X-Originating-IP", "X-Apparently-From", "X-SenderIP", "X-AOL-IP",
        "X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp",
    ]
    public init(trusted: [IPNetwork] = [], internal: [IPNetwork] = [], msa: [IPNetwork] = []) {
        self.trusted = trusted
        self.internal = `internal`
        self.msa = msa
    }
}

/// One hop parsed from a Received header (SpamAssassin's Received.pm fields).
public struct Relay: Sendable, Hashable {
    public var ip: String
    public var rdns: String
    public var helo: String
    public var by: String
    public var ident: String
    public var envfrom: String
    public var id: String
    public var auth: String
    public var msa: Bool
    public var isInternal: Bool
    /// The hop's mailer looks up reverse DNS and found no name
    /// (SpamAssassin's `no_reverse_dns`); false when its header does not say.
    public var noReverseDNS = false
    public init(ip: String = "", rdns: String = "", helo: String = "", by: String = "",
                ident: String = "", envfrom: String = "", id: String = "", auth: String = "",
                msa: Bool = false, isInternal: Bool = false) {
        self.ip = ip; self.rdns = rdns; self.helo = helo; self.by = by; self.ident = ident
        self.envfrom = envfrom; self.id = id; self.auth = auth; self.msa = msa
        self.isInternal = isInternal
    }
}

public struct Relays: Sendable {
    public var trusted: [Relay]
    public var untrusted: [Relay]
    public var `internal`: [Relay]
    public var external: [Relay]
    /// Received headers that looked like hops but could not be read
    /// (SpamAssassin's `num_relays_unparseable`).
    public var unparseable = 0
    public init(trusted: [Relay] = [], untrusted: [Relay] = [], internal: [Relay] = [], external: [Relay] = []) {
        self.trusted = trusted; self.untrusted = untrusted
        self.internal = `internal`; self.external = external
    }
}

/// How a header rule reads a header (SpamAssassin `header NAME Hdr:mod =~`).
public enum HeaderModifier: Sendable, Hashable {
    case decoded, raw, addr, name, host, domain, ip, revip
}

public enum HeaderSelection: Sendable, Hashable { case all, first, last }

public struct HeaderQuery: Sendable, Hashable {
    /// Header name or pseudo-header (`ALL`, `ToCc`, `EnvelopeFrom`,
    /// `MESSAGEID`, `X-Spam-Relays-External`, ...), case-insensitive.
    public var name: String
    public var modifier: HeaderModifier
    public var selection: HeaderSelection
    public init(name: String, modifier: HeaderModifier = .decoded, selection: HeaderSelection = .all) {
        self.name = name; self.modifier = modifier; self.selection = selection
    }
}

/// A `HeaderQuery` with the modifiers spelled in its name (`From:addr`,
/// `Received:raw:first`) read out, its name lowercased and its
/// pseudo-header recognised: worked out once where the rules are loaded
/// instead of on every message.
public struct ResolvedHeaderQuery: Sendable {
    enum Kind: Sendable { case all, allTrusted, allInternal, allUntrusted, allExternal, messageID, envelopeFrom, other }
    /// The name without modifiers, lowercased.
    let lname: String
    let modifier: HeaderModifier
    let selection: HeaderSelection
    let getRaw: Bool
    let kind: Kind

    public init(_ q: HeaderQuery) {
        var name = q.name
        var modifier = q.modifier
        var selection = q.selection
        var getRaw = modifier == .raw
        if name.utf8.contains(UInt8(ascii: ":")) {
            let parts = name.split(separator: ":", omittingEmptySubsequences: false)
            name = String(parts[0])
            for m in parts.dropFirst() {
                switch m {
                case "raw": getRaw = true
                case "addr": modifier = .addr
                case "name": modifier = .name
                case "host": modifier = .host
                case "domain": modifier = .domain
                case "ip": modifier = .ip
                case "revip": modifier = .revip
                case "first": selection = .first
                case "last": selection = .last
                default: break
                }
            }
        }
        lname = name.lowercased()
        self.modifier = modifier
        self.selection = selection
        self.getRaw = getRaw
        // The ALL forms and MESSAGEID as written (upper case); the others
        // in any case.
        switch name {
        case "ALL": kind = .all
        case "ALL-TRUSTED": kind = .allTrusted
        case "ALL-INTERNAL": kind = .allInternal
        case "ALL-UNTRUSTED": kind = .allUntrusted
        case "ALL-EXTERNAL": kind = .allExternal
        case "MESSAGEID": kind = .messageID
        default: kind = lname == "envelopefrom" ? .envelopeFrom : .other
        }
    }
}

/// Rendered body text parted by what HTML shows: the `body` view's
/// paragraphs without the text HTML hides (too small, coloured like its
/// background, `display:none`, ...), and that hidden text on its own, with
/// no Subject and nothing from text/plain parts. Both are split into
/// paragraphs as `body` is.
public struct BodyByVisibility: Sendable, Equatable {
    public let visible: [[UInt8]]
    public let invisible: [[UInt8]]
    public init(visible: [[UInt8]], invisible: [[UInt8]]) {
        self.visible = visible
        self.invisible = invisible
    }
}

/// The views of the body, which read no header but the Subject.
struct BodyViews: @unchecked Sendable {
    let rendered: RenderedBody
    let rawBody: [[UInt8]]
    let uris: [[UInt8]]

    init(message: Message, subject: [UInt8]) {
        rendered = BodyRenderer.render(message: message, subject: subject)
        rawBody = BodyRenderer.decodedBody(message: message)
        uris = URIExtractor.uris(textLines: rendered.lines, htmlURIs: rendered.htmlURIs, limits: message.limits)
    }
}

/// Everything rules read, rendered once per message.
public final class Views: Sendable {
    public let message: Message
    public let relays: Relays
    /// Paragraphs of rendered body text as `body` rules see them: Subject
    /// first, text/plain and text/html parts decoded to UTF-8, HTML rendered
    /// to text, whitespace collapsed, split per paragraph.
    public let body: [[UInt8]]
    /// Decoded (not rendered) text in chunks, as `rawbody` rules see them.
    public let rawBody: [[UInt8]]
    /// URIs found in text and HTML parts, as `uri` rules see them.
    public let uris: [[UInt8]]
    /// What rendering recorded of each non-empty text/html part, in order
    /// (SpamAssassin's `html_all`, which the HTMLEval rules read).
    public let html: [HTMLStats]
    /// The words of HTML alternatives missing from their text alternative;
    /// nil when the message has no multipart/alternative part.
    public let alternativeDifference: AlternativeDifference?

    /// Top-level header lookup tables, relay strings and trust indexes.
    let index: HeaderIndex
    /// Whether some HTML part hides text; only then do the visible and
    /// invisible texts differ from `body` and from nothing.
    let hasInvisibleText: Bool
    /// The rendered parts: the split by visibility assembles them again
    /// instead of rendering again, and `renderedParagraphs(of:)` reads them.
    let renderedParts: RenderedParts?

    /// `alongside`: the body is rendered (and its URIs found) on another
    /// thread while the headers are indexed on this one, for a caller with
    /// a core to spare; the views are the same either way.
    public init(message: Message, trust: TrustPolicy = TrustPolicy(), alongside: SideThreads? = nil) {
        self.message = message
        let index: HeaderIndex
        let body: BodyViews
        if let alongside {
            let subject = HeaderIndex.subjectForBody(message)
            let rendered = SideResult(on: alongside) { BodyViews(message: message, subject: subject) }
            index = HeaderIndex(message: message, trust: trust)
            body = rendered.value
        } else {
            index = HeaderIndex(message: message, trust: trust)
            body = BodyViews(message: message, subject: index.subjectForBody)
        }
        self.index = index
        self.relays = index.relays
        self.body = body.rendered.lines
        self.hasInvisibleText = body.rendered.hasInvisibleText
        self.renderedParts = body.rendered.parts
        self.html = body.rendered.html
        self.alternativeDifference = body.rendered.alternative
        self.rawBody = body.rawBody
        self.uris = body.uris
    }

    /// The body split by visibility, as SpamAssassin's Bayes reads it
    /// (Message.pm `get_visible_rendered_body_text_array` and
    /// `get_invisible_rendered_body_text_array`). Built on each call from
    /// the parts rendered for `body`, and only when some HTML part hides
    /// text, so scans that do not ask pay nothing.
    public func bodyByVisibility() -> BodyByVisibility {
        guard hasInvisibleText else { return BodyByVisibility(visible: body, invisible: []) }
        let split = renderedParts.map {
            BodyRenderer.renderByVisibility(parts: $0, scansize: message.limits.bodyPartScanSize,
                                            subject: index.subjectForBody)
        } ?? BodyRenderer.renderByVisibility(message: message, subject: index.subjectForBody)
        return BodyByVisibility(visible: split.visible, invisible: split.invisible)
    }

    /// The top-level header fields with their decoded values, as the `ALL`
    /// header lists them (`get_all_headers(0)`: in order, up to its 64 KiB
    /// cap), one for one with `message.headers`. Nil where splitting `ALL`
    /// back into fields would not give them: when some decoded value holds
    /// a line break, or an X-Spam-Relays-* field was dropped.
    public func decodedHeaderFields() -> [(name: String, value: [UInt8])]? { index.decodedFieldsIfSplittable() }

    /// The MIME facts the MIMEEval rules read, gathered on first use.
    public var mime: MIMEFacts {
        mimeFacts.withLock { cached in
            if let facts = cached { return facts }
            let facts = MIMEFacts(message: message)
            cached = facts
            return facts
        }
    }
    let mimeFacts = Mutex<MIMEFacts?>(nil)

    /// The pristine message (`full` rules).
    public var full: [UInt8] { message.bytes }

    /// The text a header rule matches against, or nil when the header is
    /// absent (so `if-unset:` applies and `!~` rules hit).
    public func header(_ query: HeaderQuery) -> [UInt8]? { index.value(for: query) }
    public func header(_ query: ResolvedHeaderQuery) -> [UInt8]? { index.value(for: query) }
}
