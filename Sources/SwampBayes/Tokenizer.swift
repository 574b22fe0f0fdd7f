// A parsed message → its set of Bayes tokens, as SpamAssassin's
// Plugin/Bayes.pm `tokenize` builds it: body words from the visible rendered
// body (Subject first), URIs, words HTML hides with an `I*:` prefix, headers
// with `H<name>:` prefixes, optionally MIME part digests; de-duplicated by
// token hash.

import SwampMIME

/// One message's tokens: each distinct hash once.
public struct TokenizedMessage: Sendable {
    /// Distinct token hashes, in first-seen order.
    public let hashes: [TokenHash]
    /// Hash → token text, when the tokenizer was asked to keep it.
    public let texts: [TokenHash: String]
}

public struct Tokenizer: Sendable {
    public let settings: BayesSettings
    let line: LineTokenizer

    public init(settings: BayesSettings = BayesSettings()) {
        self.settings = settings
        self.line = LineTokenizer(maxTokenLength: settings.maxTokenLength,
                                  stopwords: Stopwords(languages: settings.stopwordLanguages))
    }

    /// The token strings, duplicates included, in SpamAssassin's order of
    /// sources: visible body, URIs, invisible body, MIME parts, headers.
    public func tokenStrings(_ views: Views) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(1024)
        collect(views, into: &out)
        return out.filter { !$0.isEmpty }
    }

    /// Gives every token, empty ones included, to `out`, in the order of
    /// `tokenStrings`.
    func collect<Sink: TokenSink>(_ views: Views, into out: inout Sink) {
        let sources = settings.tokenSources
        let body = sources.contains(.visible) || sources.contains(.invisible) ? views.bodyByVisibility() : nil
        // Each source stops after the line that takes it past its limit.
        func add(_ lines: [[UInt8]], prefix: [UInt8], region: Region, limit: Int) {
            var count = 0
            for l in lines {
                let before = out.count
                line.tokenize(l, prefix: prefix, region: region, into: &out)
                count += out.count - before
                if count >= limit { break }
            }
        }
        if sources.contains(.visible), let body { add(body.visible, prefix: [], region: .body, limit: 50_000) }
        if sources.contains(.uri) { add(views.uris, prefix: [], region: .uri, limit: 10_000) }
        // Text HTML hides keeps its own tokens ("I*:"; address and domain
        // break-outs go unprefixed, as in `_tokenize_line`).
        if sources.contains(.invisible), let body {
            add(body.invisible, prefix: Self.invisiblePrefix, region: .body, limit: 50_000)
        }
        if sources.contains(.mimepart) {
            for d in Self.mimePartDigests(views.message) { out.take(Self.mimePrefix, d.utf8) }
        }
        if sources.contains(.header) {
            var count = 0
            for (name, value) in HeaderTokenSource.collect(views: views, ignoredHeaders: settings.ignoredHeaders) {
                let before = out.count
                line.tokenize(value, prefix: Array("H\(name):".utf8), region: .header, into: &out)
                count += out.count - before
                if count >= 10_000 { break }
            }
        }
    }

    static let invisiblePrefix = Array("I*:".utf8)
    static let mimePrefix = Array("MIME:".utf8)

    /// The message's distinct tokens.
    public func tokenize(_ views: Views, keepTexts: Bool = false) -> TokenizedMessage {
        var sink = HashingSink(keepTexts: keepTexts)
        collect(views, into: &sink)
        return TokenizedMessage(hashes: sink.hashes, texts: sink.texts)
    }

    /// `MIME:` tokens: SHA-1 of each leaf part's decoded body and its type,
    /// with SpamAssassin's short names for empty parts.
    static func mimePartDigests(_ message: Message) -> [String] {
        var out: [String] = []
        func walk(_ p: MIMEPart) {
            if p.children.isEmpty {
                let d = "\(SHA1.hexDigest(p.decodedBody)):\(p.mediaType)"
                out.append(shorthand[d] ?? d)
            } else {
                p.children.forEach(walk)
            }
        }
        walk(message.root)
        return out
    }

    static let shorthand: [String: String] = [
        "da39a3ee5e6b4b0d3255bfef95601890afd80709:text/plain": "Empty-Plaintext",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709:text/html": "Empty-HTML",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709:text/xml": "Empty-XML",
        "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc:text/plain": "OneNL-Plaintext",
        "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc:text/html": "OneNL-HTML",
        "71853c6197a6a7f222db0f1978c7cb232b87c5ee:text/plain": "TwoNL-Plaintext",
        "71853c6197a6a7f222db0f1978c7cb232b87c5ee:text/html": "TwoNL-HTML",
    ]
}

/// Hashes tokens as they come, keeping each distinct hash once in
/// first-seen order (and its text, when asked); empty tokens are counted
/// and otherwise skipped, as `tokenStrings` drops them.
struct HashingSink: TokenSink {
    private(set) var count = 0
    private(set) var hashes: [TokenHash] = []
    private(set) var texts: [TokenHash: String] = [:]
    private var seen = Set<TokenHash>(minimumCapacity: 1024)
    private let keepTexts: Bool

    init(keepTexts: Bool) {
        self.keepTexts = keepTexts
        hashes.reserveCapacity(1024)
    }

    mutating func take<H: Collection, T: Collection>(_ head: H, _ tail: T) where H.Element == UInt8, T.Element == UInt8 {
        count += 1
        guard !(head.isEmpty && tail.isEmpty) else { return }
        let h = TokenHash(head: head, tail: tail)
        guard seen.insert(h).inserted else { return }
        hashes.append(h)
        if keepTexts { texts[h] = String(decoding: Array(head) + Array(tail), as: UTF8.self) }
    }
}
