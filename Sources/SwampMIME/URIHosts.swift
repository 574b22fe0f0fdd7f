// The hosts behind a message's URIs, for URI blocklist lookups (SpamAssassin
// PerMsgStatus `get_uri_detail_list` → each URI's `hosts`, read by
// Plugin/URIDNSBL.pm), and the registry boundaries those lookups cut names
// with.

/// A host one of the message's URIs names, with its registrable domain
/// (RegistryBoundaries `uri_to_domain`). Both are lower-case ASCII; an IPv4
/// host is its own domain.
public struct URIHost: Sendable, Hashable {
    public let host: String
    /// An IPv4 address: its own domain.
    let isAddress: Bool

    /// Worked out when asked (the URI blocklists ask; the host lists of
    /// `check_uri_host_listed` read hosts only).
    public var domain: String { isAddress ? host : RegistryBoundaries.shared.trimDomain(host) }

    init(host: String, isAddress: Bool) {
        self.host = host
        self.isAddress = isAddress
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
            if skipMailto, uri.hasPrefixLowercase("mailto:") { continue }
            guard let h = URIExtractor.uriHost(uri), seen.insert(h.host).inserted else { continue }
            out.append(h)
        }
        return out
    }
}

extension Views {
    /// The signing domains of the DomainKey-Signature and DKIM-Signature
    /// headers (each `\bd\s*=\s*([^;]+)`, white space removed), as
    /// `get_uri_detail_list` adds them to the message's URIs under
    /// `parse_dkim_uris` (on by default): `domainkeys:DOMAIN`, kept only
    /// when the domain is valid. At most `MessageLimits`' URI count.
    public func dkimURIHosts() -> [URIHost] {
        var out: [URIHost] = []
        for field in message.headers {
            guard field.isNamed("dkim-signature") || field.isNamed("domainkey-signature") else { continue }
            let v = field.rawValue
            var i = 0
            while i < v.count, out.count < message.limits.maxURIs {
                defer { i += 1 }
                guard v[i] == 0x64, i == 0 || !v[i - 1].isWord else { continue }
                var j = i + 1
                while j < v.count, v[j].isSpace { j += 1 }
                guard j < v.count, v[j] == 0x3D else { continue }
                j += 1
                while j < v.count, v[j].isSpace { j += 1 }
                var domain: [UInt8] = []
                var k = j
                while k < v.count, v[k] != 0x3B {
                    if !v[k].isSpace { domain.append(v[k]) }
                    k += 1
                }
                guard k > j else { continue }
                if let h = URIExtractor.uriHost(Array("domainkeys:".utf8) + domain) { out.append(h) }
                i = k
            }
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

    /// `is_domain_valid`: the last label is a known top-level domain.
    public static func isDomainValid(_ domain: String) -> Bool {
        RegistryBoundaries.shared.isDomainValid(domain)
    }

    /// The top-level domains counted as valid (`valid_tlds`, from
    /// `util_rb_tld`).
    public static var topLevelDomains: Set<String> { RegistryBoundaries.shared.tlds }

    /// `is_fqdn_valid(idn_to_ascii($host), 1)`: a syntactically valid
    /// fully qualified name, whatever its top-level domain (an invalid
    /// UTF-8 name is taken as it is, lower-cased).
    public static func isValidFQDN(_ host: [UInt8]) -> Bool {
        let ascii = IDNA.toASCII(host) ?? host.lowercasedASCII()
        return isFQDNValid(String(decoding: ascii, as: UTF8.self))
    }
}
