// The hosts behind a message's URIs, for URI blocklist lookups (SpamAssassin
// PerMsgStatus `get_uri_detail_list` → each URI's `hosts`, read by
// Plugin/URIDNSBL.pm), and the registry boundaries those lookups cut names
// with.

/// A host one of the message's URIs names, with its registrable domain
/// (RegistryBoundaries `uri_to_domain`). Both are lower-case ASCII; an IPv4
/// host is its own domain.
public struct URIHost: Sendable, Hashable {
    public let host: String
    public let domain: String

    public init(host: String, domain: String) {
        self.host = host; self.domain = domain
    }
}

extension Views {
    /// The distinct hosts of `uris` in message order (text links, then HTML
    /// links). The variants `uri_list_canonicalize` adds are in `uris`
    /// already, so a redirector's target or a de-obfuscated address counts
    /// as SpamAssassin counts it. URIs `uri_to_domain` rejects (javascript:,
    /// cid:, invalid TLDs, encoded host names) give none; mailto: links give
    /// none when `skipMailto` (`uridnsbl_skip_mailto`, on by default).
    public func uriHosts(skipMailto: Bool) -> [URIHost] {
        var seen = Set<String>()
        var out: [URIHost] = []
        for uri in uris {
            if skipMailto, uri.prefix(7).lowercasedASCII() == Array("mailto:".utf8) { continue }
            guard let h = URIExtractor.uriHost(uri), seen.insert(h.host).inserted else { continue }
            out.append(h)
        }
        return out
    }
}

/// Registry boundaries (RegistryBoundaries.pm) for callers outside SwampMIME.
public enum DomainRegistry {
    /// `trim_domain`: the registrable domain of a host name
    /// ("mail.example.co.uk" → "example.co.uk").
    public static func registrableDomain(_ host: String) -> String {
        RegistryBoundaries.shared.trimDomain(host)
    }

    /// `is_fqdn_valid($host, 1) && is_domain_valid($host)`: a syntactically
    /// valid host name under a known top-level domain.
    public static func isValidHostName(_ host: String) -> Bool {
        isFQDNValid(host) && RegistryBoundaries.shared.isDomainValid(host)
    }

    /// `is_fqdn_valid(idn_to_ascii($host), 1)`: a syntactically valid
    /// fully qualified name, whatever its top-level domain (an invalid
    /// UTF-8 name is taken as it is, lower-cased).
    public static func isValidFQDN(_ host: [UInt8]) -> Bool {
        let ascii = IDNA.toASCII(host) ?? host.lowercasedASCII()
        return isFQDNValid(String(decoding: ascii, as: UTF8.self))
    }
}
