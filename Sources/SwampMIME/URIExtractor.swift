import Foundation
import SwampRegex

// The URIs `uri` rules iterate over (PerMsgStatus `get_uri_list`): links
// found in the rendered body text the way Thunderbird would linkify them,
// plus the links of HTML parts, each with the canonicalised variants
// SpamAssassin adds (Util.pm `uri_list_canonicalize`).

enum URIExtractor {
    static func uris(textLines: [[UInt8]], htmlURIs: [[UInt8]], limits: MessageLimits) -> [[UInt8]] {
        var seenOut = Set<[UInt8]>()
        var out: [[UInt8]] = []
        func add(_ list: [[UInt8]]) {
            for u in list where out.count < limits.maxURIs {
                var v = u
                if v.count > 8192 { v = Array(v.prefix(8192)) }
                if seenOut.insert(v).inserted { out.append(v) }
            }
        }
        // Text URIs.
        var seenRaw = Set<[UInt8]>()
        for line in textLines {
            for (rawuri, kind, host) in TextLinkScanner.scan(line) {
                if out.count >= limits.maxURIs { break }
                guard let uri = cookTextURI(rawuri, kind: kind, host: host, seen: &seenRaw) else { continue }
                let cleaned = canonicalize(uri)
                // valid_domain: at least one variant must have a registrable domain
                guard cleaned.contains(where: { uriToDomain($0) != nil }) else { continue }
                add(cleaned)
            }
        }
        // HTML URIs.
        var seenHTML = Set<[UInt8]>()
        for u in htmlURIs where seenHTML.insert(u).inserted {
            if out.count >= limits.maxURIs { break }
            add(canonicalize(u))
        }
        return out
    }

    /// `_process_text_uri_list` for one match; nil when it is skipped.
    static func cookTextURI(_ raw: [UInt8], kind: TextLinkScanner.Kind, host: [UInt8]?, seen: inout Set<[UInt8]>) -> [UInt8]? {
        var r = raw
        // ")" ends the URI when no "(" precedes it.
        if let close = r.firstIndex(of: 41), !r[..<close].contains(40) { r = Array(r[..<close]) }
        while let l = r.last, "-~!@#^&*()_+=:;'?,.".utf8.contains(l) { r.removeLast() }
        guard seen.insert(r).inserted else { return nil }
        if kind == .mail && !r.contains(64) { return nil }
        if let h = host, !isFQDNValid(String(decoding: h, as: UTF8.self)) { return nil }
        let lower = r.lowercasedASCII()
        if lower.starts(with: "cid:".utf8) || lower.starts(with: "mid:".utf8) { return nil }
        // ^\w+:/{0,2}$
        if let colon = r.firstIndex(of: 58), colon > 0, r[..<colon].allSatisfy({ $0.isWord }),
           r[(colon + 1)...].allSatisfy({ $0 == 47 }), r.count - colon - 1 <= 2 { return nil }
        var uri = r
        let hasScheme = lower.starts(with: "http:".utf8) || lower.starts(with: "https:".utf8) ||
            lower.starts(with: "ftp:".utf8) || lower.starts(with: "mailto:".utf8)
        if !hasScheme {
            if lower.starts(with: "ftp.".utf8) {
                uri = Array("ftp://".utf8) + r
            } else if lower.starts(with: "www".utf8), HTMLLikeHelpers.wwwPrefix(lower) {
                uri = Array("http://".utf8) + r
            } else if let slash = r.firstIndex(of: 47), r[(slash + 1)...].dropFirst().contains(64) || (r[(slash + 1)...].contains(64) && r[(slash + 1)...].first != 64) {
                uri = Array("http://".utf8) + r
            } else if r.contains(64) {
                // /\@.+?\./
                guard let at = r.firstIndex(of: 64), r[(at + 1)...].dropFirst().contains(46) else { return nil }
                if firstIndexOf(Array("&nbsp;".utf8), in: r, from: 0) != nil { return nil }
                var s = r[...]
                let sl = s.lowercasedASCII()
                for p in ["skype", "email", "e-mail", "mail", "e-mail"] where sl.starts(with: Array(p.utf8)) && sl.dropFirst(p.count).first == 58 {
                    s = s.dropFirst(p.count); break
                }
                while s.first == 58 { s = s.dropFirst() }
                uri = Array("mailto:".utf8) + s
            } else {
                guard r.contains(46) else { return nil }
                uri = Array("http://".utf8) + r
            }
        }
        if uri.hasPrefixLowercase("mailto:") {
            if containsPercentHex(uri) { uri = urlEncode(uri) }
            guard let at = uri.firstIndex(of: 64) else { return nil }
            var host = Array(uri[(at + 1)...].prefix(while: { $0 != 63 && $0 != 38 && $0 != 62 }))
            while host.count >= 3 && host.suffix(3).elementsEqual("%20".utf8) { host.removeLast(3) }
            guard RegistryBoundaries.shared.isDomainValid(String(decoding: host, as: UTF8.self)) else { return nil }
        }
        return uri
    }

    static func containsPercentHex(_ u: [UInt8]) -> Bool {
        var i = 0
        while i + 2 < u.count { if u[i] == 37 && u[i + 1].isHexDigit && u[i + 2].isHexDigit { return true }; i += 1 }
        return false
    }

    /// Util.pm `url_encode`: %XX of printable ASCII (but not %20 or %7F
    /// and friends) decoded, unsafe bytes encoded.
    static func urlEncode(_ u: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        let hex = Array("0123456789abcdef".utf8)
        while i < u.count {
            if u[i] == 37, i + 2 < u.count, u[i + 1].isHexDigit, u[i + 2].isHexDigit {
                let a = u[i + 1].lowercasedASCII, b = u[i + 2].lowercasedASCII
                // unless /(20|7f|[0189a-f][0-9a-f])/ on the two digits
                let keep = (a == 50 && b == 48) || (a == 55 && b == 102) || "0189abcdef".utf8.contains(a)
                if !keep && a >= 50 && a <= 55 {
                    out.append(u[i + 1].hexValue << 4 | u[i + 2].hexValue)
                } else {
                    out += u[i..<(i + 3)]
                }
                i += 3; continue
            }
            let c = u[i]
            if c <= 0x20 || c >= 0x7F || c == 34 || c == 37 || c == 60 || c == 62 {
                out.append(37); out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 15)])
            } else { out.append(c) }
            i += 1
        }
        return out
    }

    /// RegistryBoundaries `uri_to_domain`.
    static func uriToDomain(_ u: [UInt8]) -> String? { uriHost(u)?.domain }

    /// RegistryBoundaries `uri_to_domain` in list context: the host and
    /// its registrable domain (an IPv4 host is its own domain).
    static func uriHost(_ u: [UInt8]) -> URIHost? {
        u.contains(where: { $0 >= 0x80 }) ? unicodeURIHost(u) : asciiURIHost(u[...])
    }

    /// `uriHost` as SpamAssassin reads one: the whole URI lower-cased, then
    /// the host cut out.
    static func unicodeURIHost(_ u: [UInt8]) -> URIHost? {
        var s = String(decoding: u, as: UTF8.self).lowercased()
        if s.hasPrefix("javascript:") || s.hasPrefix("cid:") || s.hasPrefix("file:") { return nil }
        if s.hasPrefix("mailto:") {
            s.removeFirst(7)
            if let q = s.firstIndex(of: "?") { s = String(s[..<q]) }
            if s.filter({ $0 == "@" }).count > 1 { return nil }
            guard let at = s.lastIndex(of: "@") else { return nil }
            s = String(s[s.index(after: at)...])
        } else {
            // s{^[a-z]+:/{0,2}}{}
            let letters = s.prefix(while: { $0 >= "a" && $0 <= "z" })
            if !letters.isEmpty, s.dropFirst(letters.count).first == ":" {
                var rest = s.dropFirst(letters.count + 1)
                if rest.first == "/" { rest = rest.dropFirst() }
                if rest.first == "/" { rest = rest.dropFirst() }
                s = String(rest)
            }
            if let e = s.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { s = String(s[..<e]) }
            if let at = s.lastIndex(of: "@") { s = String(s[s.index(after: at)...]) }
            // s{:\d*$}{}
            if let colon = s.lastIndex(of: ":"), s[s.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber }) {
                s = String(s[..<colon])
            }
        }
        return host(lowerCased: Array(s.utf8))
    }

    /// The end of `uriHost`, for the host cut out and lower-cased: nil for
    /// a host with a %-encoded printable character other than space (an
    /// obfuscated one) or not a valid name under a known top-level domain;
    /// an IPv4 address stands for itself.
    static func host(lowerCased u8: [UInt8]) -> URIHost? {
        var pi = 0
        while pi + 2 < u8.count {
            if u8[pi] == 37 {
                let a = u8[pi + 1], b = u8[pi + 2]
                let hexLower = b.isDigit || (b >= 97 && b <= 102)
                if (a == 50 && hexLower && b != 48) || (a >= 51 && a <= 54 && hexLower) || (a == 55 && hexLower && b != 102) { return nil }
            }
            pi += 1
        }
        let s = String(decoding: u8, as: UTF8.self)
        // Without a colon only a dotted quad (perhaps in brackets) can be an
        // address, and it starts with a digit or a bracket.
        if let f = u8.first, f.isDigit || f == UInt8(ascii: "["), !u8.contains(58), IPAddress(Substring(s)) != nil {
            return URIHost(host: s, isAddress: true)
        }
        guard isFQDNValid(s), RegistryBoundaries.shared.isDomainValid(s) else { return nil }
        return URIHost(host: s, isAddress: false)
    }

    /// `uriHost` for an ASCII URI, on its bytes: the host is cut out first
    /// and only it lower-cased (SpamAssassin lower-cases the whole URI, up
    /// to 8 KiB of tracking parameters, to read a host of a few bytes).
    static func asciiURIHost(_ u: ArraySlice<UInt8>) -> URIHost? {
        func startsCI(_ p: String) -> Bool { u.hasPrefixLowercase(p) }
        if startsCI("javascript:") || startsCI("cid:") || startsCI("file:") { return nil }
        var s = u
        if startsCI("mailto:") {
            s = s.dropFirst(7)
            if let q = s.firstIndex(of: 63) { s = s[..<q] }
            if s.lazy.filter({ $0 == 64 }).count > 1 { return nil }
            guard let at = s.lastIndex(of: 64) else { return nil }
            s = s[(at + 1)...]
        } else {
            let letters = s.prefix { ($0 | 0x20) >= 97 && ($0 | 0x20) <= 122 }
            if !letters.isEmpty, s.dropFirst(letters.count).first == 58 {
                var rest = s.dropFirst(letters.count + 1)
                if rest.first == 47 { rest = rest.dropFirst() }
                if rest.first == 47 { rest = rest.dropFirst() }
                s = rest
            }
            if let e = s.firstIndex(where: { $0 == 47 || $0 == 63 || $0 == 35 }) { s = s[..<e] }
            if let at = s.lastIndex(of: 64) { s = s[(at + 1)...] }
            if let colon = s.lastIndex(of: 58), s[(colon + 1)...].allSatisfy({ $0 >= 48 && $0 <= 57 }) { s = s[..<colon] }
        }
        return host(lowerCased: s.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 })
    }

    /// `uri_list_canonicalize` for one URI: the URI and its variants.
    static func canonicalize(_ input: [UInt8]) -> [[UInt8]] {
        var queue: [[UInt8]] = [input]
        var result: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        func push(_ u: [UInt8]) { if seen.insert(u).inserted { result.append(u) } }
        var qi = 0
        while qi < queue.count && qi < 20 {
            var uri = queue[qi]; qi += 1
            uri.removeAll(where: { $0 == lf || $0 == cr })
            uri = Array(trimSpace(uri))
            push(uri)
            if uri.count <= 1 { continue }
            if let f = uri.first, f == 35 || f == 63 || f == 38 || (f == 47 && !(uri.count > 1 && uri[1] == 47)) { continue }
            let lower = uri.lowercasedASCII()
            let colon = uri.firstIndex(of: 58)
            let at = uri.firstIndex(of: 64)
            if lower.starts(with: "mailto:".utf8) || (at != nil && (colon == nil || colon! > at!)) {
                let q = uri.firstIndex(of: 63)
                if let a = at, let q, q > a + 1, !uri[..<a].isEmpty { push(Array(uri[..<q])) }
                if let a = at, let amp = uri.firstIndex(of: 38), amp > a + 1, q == nil || amp < q! { push(Array(uri[..<amp])) }
                if firstIndexOf(Array("%20".utf8), in: uri, from: 0) != nil {
                    var s = uri[...]
                    if s.hasPrefixLowercase("mailto:") { s = s.dropFirst(7) }
                    while s.starts(with: "%20".utf8) { s = s.dropFirst(3) }
                    if let a2 = s.firstIndex(of: 64), a2 > s.startIndex {
                        let e = s[(a2 + 1)...].firstIndex(where: { $0 == 63 || $0 == 38 || $0 == 37 }) ?? s.endIndex
                        if e > a2 + 1 { push(Array("mailto:".utf8) + s[s.startIndex..<e]) }
                    }
                }
                if let lt = uri.firstIndex(of: 60), !uri[..<lt].contains(where: { $0 == 63 || $0 == 38 }),
                   let gt = uri[lt...].firstIndex(of: 62), let a3 = uri[lt..<gt].firstIndex(of: 64), a3 > lt + 1, gt > a3 + 1 {
                    push(Array("mailto:".utf8) + uri[(lt + 1)..<gt])
                }
                continue
            }
            var nuri = uri.map { $0 == 92 ? 47 : $0 }
            // ^(https?:)/{0,2} -> $1//
            let nl = nuri.lowercasedASCII()
            for p in ["https:", "http:"] where nl.starts(with: Array(p.utf8)) {
                var k = p.count
                var slashes = 0
                while k < nuri.count && nuri[k] == 47 && slashes < 2 { k += 1; slashes += 1 }
                nuri = Array(nuri[0..<p.count]) + [47, 47] + nuri[k...]
                break
            }
            if containsPercentHex(nuri) { nuri = urlEncode(nuri) }
            // add a scheme
            if !HTMLLikeHelpers.hasScheme(nuri) {
                if nuri.starts(with: "ftp.".utf8) { nuri = Array("ftp://".utf8) + nuri } else { nuri = Array("http://".utf8) + nuri }
            }
            // http://host?x -> http://host/?x
            if let hs = HTMLLikeHelpers.httpHostEnd(nuri), hs < nuri.count, nuri[hs] == 63 || nuri[hs] == 35 {
                nuri.insert(47, at: hs)
            }
            nuri = HTMLLikeHelpers.decodeNumericDots(nuri)
            if nuri != uri { push(nuri) }
            // host analysis
            guard let (proto, auth, host, rest) = HTMLLikeHelpers.splitHTTP(nuri) else { continue }
            var h = host
            var port = ""
            var restNoPort: [UInt8]? = nil
            if rest.first == 58 {
                var k = 1
                while k < rest.count && rest[k].isDigit { k += 1 }
                port = String(decoding: rest[1..<k], as: UTF8.self)
            }
            if port.isEmpty {
                port = proto == "http://" ? "80" : "443"
            } else {
                let pn = proto == "http://" ? ":80" : ":443"
                if rest.starts(with: Array(pn.utf8)), rest.count == pn.count || !rest[pn.count].isWord {
                    restNoPort = Array(rest[pn.count...])
                    push(Array(proto.utf8) + h + restNoPort!)
                }
            }
            // idn_to_ascii only differs from lc() for non-ASCII host names.
            let lowerHost = h.lowercasedASCII()
            if !Charset.isASCII(h), let idn = IDNA.toASCII(h), idn != lowerHost {
                push(Array(proto.utf8) + idn + rest)
                if let rn = restNoPort, !rn.isEmpty { push(Array(proto.utf8) + idn + rn) }
                h = idn
            }
            if h.contains(where: { $0 <= 0x20 }) {
                h.removeAll(where: { $0 <= 0x20 })
                push(Array(proto.utf8) + h + rest)
            }
            // redirect targets: any http(s) URL inside the rest
            if let r = Redirectors.match(Array(proto.utf8) + h + rest) {
                if r.contains(46) && queue.count < 20 { queue.append(r) }
            } else if let inner = HTMLLikeHelpers.innerHTTP(rest), inner.contains(46), queue.count < 20 {
                queue.append(inner)
            }
            if let a = h.lastIndex(of: 64) {
                h = Array(h[(a + 1)...]); push(Array(proto.utf8) + h + rest)
            }
            var trimmed = h
            while let l = trimmed.last, !l.isAlnum { trimmed.removeLast() }
            if trimmed != h { h = trimmed; push(Array(proto.utf8) + h + rest) }
            if let ip = HTMLLikeHelpers.obfuscatedIP(h) {
                push(Array(proto.utf8) + Array(ip.utf8) + rest)
            } else if proto == "http://" && auth.isEmpty && port == "80" && lowerHost != Array("localhost".utf8) {
                var core = lowerHost[...]
                if core.starts(with: "www.".utf8) { core = core.dropFirst(4) }
                if !core.isEmpty && !core.contains(46) && !RegistryBoundaries.shared.isDomainValid(String(decoding: lowerHost, as: UTF8.self)) {
                    push(Array(proto.utf8) + Array("www.".utf8) + core + Array(".com".utf8) + rest)
                }
            }
        }
        return result
    }
}

enum HTMLLikeHelpers {
    static func wwwPrefix(_ l: [UInt8]) -> Bool {
        var i = 3
        while i < l.count && i < 5 && l[i].isDigit { i += 1 }
        return i < l.count && l[i] == 46
    }
    static func hasScheme(_ u: [UInt8]) -> Bool {
        var i = 0
        while i < u.count && (u[i].isAlnum || u[i] == 45 || u[i] == 95) { i += 1 }
        return i > 0 && i < u.count && u[i] == 58
    }
    /// Index right after `https?://[^/?#]+`.
    static func httpHostEnd(_ u: [UInt8]) -> Int? {
        let l = u.lowercasedASCII()
        var k: Int
        if l.starts(with: "http://".utf8) { k = 7 } else if l.starts(with: "https://".utf8) { k = 8 } else { return nil }
        let st = k
        while k < u.count && u[k] != 47 && u[k] != 63 && u[k] != 35 { k += 1 }
        return k > st ? k : nil
    }
    static func decodeNumericDots(_ u: [UInt8]) -> [UInt8] {
        guard u.contains(38) else { return u }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            if u[i] == 38, i + 2 < u.count, u[i + 1] == 35 {
                var j = i + 2
                var hex = false
                if j < u.count && (u[j] == 120 || u[j] == 88) { hex = true; j += 1 }
                let ds = j
                var v = 0
                while j < u.count && (hex ? u[j].isHexDigit : u[j].isDigit) && j - ds < 8 { v = v * (hex ? 16 : 10) + Int(hex ? u[j].hexValue : u[j] - 48); j += 1 }
                if j > ds && j < u.count && u[j] == 59 {
                    if (33...126).contains(v) { out.append(UInt8(v)); i = j + 1; continue }
                    if [12290, 65294, 65377].contains(v) { out.append(46); i = j + 1; continue }
                }
            }
            out.append(u[i]); i += 1
        }
        return out
    }
    /// `^(https?://)([^\@/?#]*\@)?([^/?#:]+)((?::(\d*))?.*)$`
    static func splitHTTP(_ u: [UInt8]) -> (String, [UInt8], [UInt8], [UInt8])? {
        let l = u.lowercasedASCII()
        var k: Int
        var proto: String
        if l.starts(with: "http://".utf8) { k = 7; proto = "http://" } else if l.starts(with: "https://".utf8) { k = 8; proto = "https://" } else { return nil }
        var auth: [UInt8] = []
        var j = k
        while j < u.count && u[j] != 64 && u[j] != 47 && u[j] != 63 && u[j] != 35 { j += 1 }
        if j < u.count && u[j] == 64 { auth = Array(u[k...j]); k = j + 1 }
        let hs = k
        while k < u.count && u[k] != 47 && u[k] != 63 && u[k] != 35 && u[k] != 58 { k += 1 }
        guard k > hs else { return nil }
        if k < u.count && u[k] == 58 {
            var p = k + 1
            while p < u.count && u[p].isDigit { p += 1 }
            _ = p
        }
        return (proto, auth, Array(u[hs..<k]), Array(u[k...]))
    }
    /// `(https?:/{0,2}[^&#]+)` inside the rest of a URL.
    static func innerHTTP(_ rest: [UInt8]) -> [UInt8]? {
        guard let at = firstIndexOfCI(Array("http".utf8), in: rest, from: 0) else { return nil }
        var k = at + 4
        if k < rest.count && (rest[k] | 0x20) == 115 { k += 1 }
        guard k < rest.count, rest[k] == 58 else {
            // try later occurrences
            return innerHTTP(Array(rest[(at + 1)...]))
        }
        k += 1
        var e = k
        while e < rest.count && rest[e] != 38 && rest[e] != 35 { e += 1 }
        if e == k { return nil }
        return Array(rest[at..<e])
    }
    /// Dotted hex/octal/decimal or single-number hosts as an IPv4 address.
    static func obfuscatedIP(_ h: [UInt8]) -> String? {
        let s = String(decoding: h, as: UTF8.self).lowercased()
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        func octet(_ p: Substring) -> String? {
            if p.hasPrefix("0x"), let v = Int(p.dropFirst(2), radix: 16) { return String(v) }
            guard !p.isEmpty, p.allSatisfy({ $0.isNumber && $0.isASCII }) else { return nil }
            var t = p
            if t.count > 1 && t.first == "0" {
                let stripped = t.drop(while: { $0 == "0" })
                if let v = Int(stripped, radix: 8), !stripped.isEmpty, stripped.first! >= "1" && stripped.first! <= "7" {
                    return String(v)
                }
                t = stripped.isEmpty ? "0" : stripped
                if t.isEmpty { return "" }
            }
            return String(t)
        }
        if parts.count == 4 {
            var out: [String] = []
            for p in parts {
                guard p.hasPrefix("0x") ? Int(p.dropFirst(2), radix: 16) != nil : (!p.isEmpty && p.allSatisfy({ $0.isNumber && $0.isASCII })) else { return nil }
                guard let o = octet(p) else { return nil }
                out.append(o)
            }
            return out.joined(separator: ".")
        }
        var v: UInt64? = nil
        if s.hasPrefix("0x"), s.count > 2 { v = UInt64(s.dropFirst(2).suffix(8), radix: 16) }
        else if !s.isEmpty, s.allSatisfy({ $0.isNumber && $0.isASCII }) { v = UInt64(s.suffix(18)) }
        guard let n = v else { return nil }
        let x = UInt32(truncatingIfNeeded: n)
        return "\(x >> 24).\((x >> 16) & 255).\((x >> 8) & 255).\(x & 255)"
    }
}

/// `redirector_pattern` lines of SpamAssassin's rule files, read at run
/// time when installed; each must capture the target URL as group 1.
enum Redirectors {
    /// SpamAssassin's `redirector_pattern`s, compiled with PCRE2 as the
    /// rules are (the first capture group is the target).
    static let patterns: [Regex] = {
        var out: [Regex] = []
        let dir = "/usr/share/spamassassin"
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return out }
        let keyword = Array("redirector_pattern".utf8)
        for f in files.sorted() where f.hasSuffix(".cf") {
            guard let data = FileManager.default.contents(atPath: dir + "/" + f) else { continue }
            // Only the lines that start with the keyword become strings:
            // splitting a megabyte of rule files into strings took ~0.1 s
            // of the first scan.
            let bytes = [UInt8](data)
            var lines: [Substring] = []
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
                if bytes[start..<end].starts(with: keyword) {
                    lines.append(Substring(String(decoding: bytes[start..<end], as: UTF8.self)))
                }
                start = end + 1
            }
            for line in lines {
                var spec = line.dropFirst("redirector_pattern".count).trimmingCharacters(in: .whitespaces)
                var open: Character = "/", close: Character = "/"
                if spec.hasPrefix("m") && spec.count > 2 {
                    spec.removeFirst()
                    open = spec.first!
                    close = ["{": "}", "(": ")", "[": "]", "<": ">"][open] ?? open
                }
                guard spec.first == open, let end = spec.lastIndex(of: close), end > spec.startIndex else { continue }
                let body = String(spec[spec.index(after: spec.startIndex)..<end])
                let flags = String(spec[spec.index(after: end)...])
                if let re = try? Regex(body, options: RegexOptions(perlFlags: flags)) { out.append(re) }
            }
        }
        return out
    }()

    static func match(_ u: [UInt8]) -> [UInt8]? {
        guard !patterns.isEmpty else { return nil }
        // Every stock pattern needs a query, a ';' or a path after the host,
        // and the target it captures must hold a '.': skip the rest cheaply.
        guard u.contains(63) || u.contains(59) || u.count > 24 else { return nil }
        guard let hostEnd = HTMLLikeHelpers.httpHostEnd(u), u[hostEnd...].contains(46) || u[hostEnd...].contains(37) else { return nil }
        for re in patterns {
            if let r = re.capture(1, in: u), u[r].contains(46) { return Array(u[r]) }
        }
        return nil
    }
}
