// SpamAssassin's welcomelist and blocklist evals, natively: the WLBLEval
// plugin (sender and recipient address lists, `*_from_rcvd` relay checks,
// named address lists, URI host lists), WelcomeListSubject (Subject
// globs) and VBounce's bounce-relay check. The lists come from
// SwampRules/ListDirectives.swift.

import SwampMIME
import SwampRules

extension EvalFunction {
    static let listRegistry: [String: @Sendable (EvalContext, [String]) -> Int] = {
        var r: [String: @Sendable (EvalContext, [String]) -> Int] = [
            "check_from_in_welcomelist": { ctx, _ in ListEvals.fromInWelcomelist(ctx) > 0 ? 1 : 0 },
            "check_forged_in_welcomelist": { ctx, _ in
                ListEvals.fromInWelcomelist(ctx) < 0 && ListEvals.fromInDefaultWelcomelist(ctx) == 0 ? 1 : 0
            },
            "check_from_in_default_welcomelist": { ctx, _ in ListEvals.fromInDefaultWelcomelist(ctx) > 0 ? 1 : 0 },
            "check_forged_in_default_welcomelist": { ctx, _ in
                ListEvals.fromInDefaultWelcomelist(ctx) < 0 && ListEvals.fromInWelcomelist(ctx) == 0 ? 1 : 0
            },
            "check_from_in_blocklist": { ctx, _ in ListEvals.fromIn(ctx, "blocklist_from") },
            "check_to_in_welcomelist": { ctx, _ in ListEvals.toIn(ctx, "welcomelist_to") },
            "check_to_in_blocklist": { ctx, _ in ListEvals.toIn(ctx, "blocklist_to") },
            "check_to_in_more_spam": { ctx, _ in ListEvals.toIn(ctx, "more_spam_to") },
            "check_to_in_all_spam": { ctx, _ in ListEvals.toIn(ctx, "all_spam_to") },
            "check_from_in_list": { ctx, args in ListEvals.fromIn(ctx, ListEvals.listArgument(args)) },
            "check_to_in_list": { ctx, args in ListEvals.toIn(ctx, ListEvals.listArgument(args)) },
            "check_replyto_in_list": { ctx, args in
                // The first Reply-To address only (`get` in scalar context).
                guard let list = ctx.configuration.addressLists[ListEvals.listArgument(args)],
                      let first = HeaderEvals.lines(ctx.headerText(HeaderQuery(name: "Reply-To:addr"))).first,
                      !first.isEmpty else { return 0 }
                return ListEvals.listed(first, in: list) ? 1 : 0
            },
            "check_mailfrom_matches_rcvd": { ctx, _ in ListEvals.mailFromMatchesRelay(ctx) ? 1 : 0 },
            "check_uri_host_listed": { ctx, args in ListEvals.uriHostListsHit(ctx).contains(ListEvals.listArgument(args)) ? 1 : 0 },
            "check_uri_host_in_blocklist": { ctx, _ in ListEvals.uriHostListsHit(ctx).contains("BLOCK") ? 1 : 0 },
            "check_uri_host_in_welcomelist": { ctx, _ in ListEvals.uriHostListsHit(ctx).contains("WELCOME") ? 1 : 0 },
            "check_subject_in_welcomelist": { ctx, _ in ListEvals.subjectIn(ctx, ctx.configuration.welcomelistSubject) },
            "check_subject_in_blocklist": { ctx, _ in ListEvals.subjectIn(ctx, ctx.configuration.blocklistSubject) },
            "have_any_bounce_relays": { ctx, _ in ListEvals.bounceRelays(ctx) == nil ? 0 : 1 },
            "check_welcomelist_bounce_relays": { ctx, _ in ListEvals.bodyNamesBounceRelay(ctx) ? 1 : 0 },
        ]
        // Each also under SpamAssassin's old name (whitelist, blacklist).
        for (name, function) in r where name.contains("welcomelist") || name.contains("blocklist") {
            let old = name.replacingOccurrences(of: "welcomelist", with: "whitelist")
                .replacingOccurrences(of: "blocklist", with: "blacklist")
            r[old] = function
        }
        return r
    }()
}

enum ListEvals {
    /// A list-name argument as the rule wrote it (quotes already gone).
    static func listArgument(_ args: [String]) -> String {
        args.first?.trimmingASCII(.spaces) ?? ""
    }

    // MARK: address lists

    /// WLBLEval `_check_welcomelist`: the lower-cased address is an entry
    /// of the list, or matches one of its globs.
    static func listed(_ address: [UInt8], in list: AddressList) -> Bool {
        let lower = address.lowercasedASCIIBytes()
        if list.contains(String(decoding: lower, as: UTF8.self)) { return true }
        return list.patterns.contains { Glob.matchesAddress($0, lower) }
    }

    /// Whether one of `all_from_addrs` is in the named list (0 when there is
    /// no such list, as SpamAssassin warns and returns 0).
    static func fromIn(_ ctx: EvalContext, _ name: String) -> Int {
        guard let list = ctx.configuration.addressLists[name], !list.isEmpty else { return 0 }
        return allFromAddresses(ctx).contains { listed(Array($0.utf8), in: list) } ? 1 : 0
    }

    /// Whether one of `all_to_addrs` is in the named list.
    static func toIn(_ ctx: EvalContext, _ name: String) -> Int {
        guard let list = ctx.configuration.addressLists[name], !list.isEmpty else { return 0 }
        return allToAddresses(ctx).contains { listed(Array($0.utf8), in: list) } ? 1 : 0
    }

    static func allFromAddresses(_ ctx: EvalContext) -> [String] {
        ctx.memo.value("all_from_addrs") { FreemailEvals.allFromAddresses(ctx) }
    }

    /// PerMsgStatus.pm `all_to_addrs`: the first Resent-To and Resent-Cc
    /// addresses when there are any; else the recipients the three newest
    /// Received headers name (`for <addr>;`, with a valid host name), then
    /// those of To, Apparently-To, Delivered-To, Envelope-Recipients,
    /// Apparently-Resent-To, X-Envelope-To, Envelope-To, X-Delivered-To,
    /// X-Original-To, X-Rcpt-To, X-Real-To and Cc; each once.
    static func allToAddresses(_ ctx: EvalContext) -> [String] {
        ctx.memo.value("all_to_addrs") {
            var found: [[UInt8]] = []
            // Header values come one a line (a decoded value holding a line
            // break of its own would shift which Received lines are first).
            for name in ["Resent-To:first:addr", "Resent-Cc:first:addr"] {
                found += HeaderEvals.lines(ctx.headerText(HeaderQuery(name: name)))
            }
            if found.isEmpty {
                for line in HeaderEvals.lines(ctx.headerText(HeaderQuery(name: "Received"))).prefix(3) {
                    if let addr = receivedForAddress(line) { found.append(addr) }
                }
                for name in ["To", "Apparently-To", "Delivered-To", "Envelope-Recipients", "Apparently-Resent-To",
                             "X-Envelope-To", "Envelope-To", "X-Delivered-To", "X-Original-To", "X-Rcpt-To",
                             "X-Real-To", "Cc"] {
                    found += HeaderEvals.lines(ctx.headerText(HeaderQuery(name: name, modifier: .addr)))
                }
            }
            var seen = Set<[UInt8]>(), out: [String] = []
            for a in found where seen.insert(a).inserted { out.append(String(decoding: a, as: UTF8.self)) }
            return out
        }
    }

    /// `/ for <?(\S+\@(\S+?))>?;/` on one Received header: the first
    /// match's address, when its host part is a valid name
    /// (`is_fqdn_valid(idn_to_ascii(...), 1)`).
    static func receivedForAddress(_ line: [UInt8]) -> [UInt8]? {
        let n = line.count
        var i = 0
        while i + 5 <= n {
            defer { i += 1 }
            guard line[i] == 32, line[i + 1] == 102, line[i + 2] == 111, line[i + 3] == 114, line[i + 4] == 32 else { continue }
            // `<?` is tried with the bracket first, then without it.
            let start = i + 5
            let starts = start < n && line[start] == 60 ? [start + 1, start] : [start]
            for s in starts {
                if let (address, host) = forAddress(line, from: s) {
                    return DomainRegistry.isValidFQDN(host) ? address : nil
                }
            }
        }
        return nil
    }

    /// `(\S+\@(\S+?))>?;` anchored at `start`: the greedy `\S+` makes the
    /// rightmost workable `@` win, the lazy host ends at the first `;` or
    /// `>;` after it. Returns the address and its host. One pass from the
    /// right, so a run of `@` costs no more than its length.
    private static func forAddress(_ line: [UInt8], from start: Int) -> ([UInt8], [UInt8])? {
        var end = start
        while end < line.count, !line[end].isASCIIWhitespaceByte { end += 1 }
        var next = end   // the first `;` or `>;` at or after p
        var p = end - 1
        while p >= start + 3 {
            if line[p] == 59 || (line[p] == 62 && p + 1 < end && line[p + 1] == 59) { next = p }
            let at = p - 2
            if line[at] == 64, next < end {
                return (Array(line[start..<next]), Array(line[(at + 1)..<next]))
            }
            p -= 1
        }
        return nil
    }

    // MARK: welcomelist_from_rcvd

    /// WLBLEval `_check_from_in_welcomelist`: 1 when a sender address is in
    /// `welcomelist_from`, or in `welcomelist_from_rcvd` and came through a
    /// listed relay; -1 when only the latter's address matched (a forgery
    /// to FORGED_IN_WELCOMELIST); else 0.
    static func fromInWelcomelist(_ ctx: EvalContext) -> Int {
        ctx.memo.value("from_in_welcomelist") {
            let list = ctx.configuration.addressLists["welcomelist_from"] ?? AddressList()
            var found = 0
            for address in allFromAddresses(ctx) {
                if listed(Array(address.utf8), in: list) { return 1 }
                switch receivedListed(ctx, ctx.configuration.welcomelistFromRcvd, address) {
                case 1: return 1
                case -1: found = -1
                default: break
                }
            }
            return found
        }
    }

    /// `_check_from_in_default_welcomelist`: the same over
    /// `def_welcomelist_from_rcvd` alone.
    static func fromInDefaultWelcomelist(_ ctx: EvalContext) -> Int {
        ctx.memo.value("from_in_default_welcomelist") {
            var found = 0
            for address in allFromAddresses(ctx) {
                switch receivedListed(ctx, ctx.configuration.defWelcomelistFromRcvd, address) {
                case 1: return 1
                case -1: found = -1
                default: break
                }
            }
            return found
        }
    }

    /// `_check_welcomelist_rcvd`: for each entry whose glob matches the
    /// address, whether the last untrusted relay (or, with none, any trusted
    /// one) is the listed host — its reverse DNS name is the domain or ends
    /// in `.domain` — or has the listed `[IP]`, `[a.b.c]` (class-ful
    /// prefix) or `[net/len]` address. 1 on a match; -1 when an address
    /// matched but no relay did, unless `welcomelist_allows_relays` lists
    /// it; 0 when no entry's address matched.
    static func receivedListed(_ ctx: EvalContext, _ list: [String: [String]], _ address: String) -> Int {
        guard !list.isEmpty else { return 0 }
        let relays: [Relay]
        if let last = ctx.views.relays.untrusted.first {
            relays = [last]
        } else {
            relays = ctx.views.relays.trusted
        }
        guard !relays.isEmpty else { return 0 }
        let lower = Array(address.utf8).lowercasedASCIIBytes()
        var forged = 0
        for (glob, domains) in list where Glob.matchesAddress(glob, lower) {
            for domain in domains {
                if relays.contains(where: { relayMatches($0, domain) }) { return 1 }
                forged = -1
            }
        }
        if forged != 0, let allowed = ctx.configuration.addressLists["welcomelist_allows_relays"],
           allowed.patterns.contains(where: { Glob.matchesAddress($0, lower) })
            || allowedVerbatim(allowed, lower) {
            return 0
        }
        return forged
    }

    /// `welcomelist_allows_relays` is read through its patterns only (no
    /// lookup of the address as a key), so a plain entry matches an equal
    /// address but one with a NUL, `\` or `(` does not.
    private static func allowedVerbatim(_ list: AddressList, _ address: [UInt8]) -> Bool {
        let text = String(decoding: address, as: UTF8.self)
        return list.contains(text) && !AddressList.isPattern(text)
    }

    /// One relay against one `welcomelist_from_rcvd` relay entry.
    static func relayMatches(_ relay: Relay, _ entry: String) -> Bool {
        if let bracketed = bracketedAddress(entry) {
            let ip = relay.ip
            guard !ip.isEmpty else { return false }
            if isDottedQuad(bracketed) { return bracketed == ip }
            if !bracketed.isEmpty, bracketed.utf8.allSatisfy({ $0.isASCIIDigitByte || $0 == 46 }) {
                // A class-ful IPv4 prefix: `10.1` or `10.1.` covers 10.1.*.
                var prefix = Substring(bracketed)
                while prefix.hasSuffix(".") { prefix = prefix.dropLast() }
                return ip.hasPrefix(prefix + ".")
            }
            guard !bracketed.hasPrefix("!"), let net = IPNetwork(Substring(bracketed)),
                  let address = IPAddress(Substring(ip)) else { return false }
            return net.contains(address)
        }
        // `/(?:^|\.)\Qdomain\E$/i` on the relay's reverse DNS name.
        let rdns = Array(relay.rdns.utf8).lowercasedASCIIBytes(), domain = Array(entry.utf8)
        guard rdns.count >= domain.count, rdns.suffix(domain.count).elementsEqual(domain) else { return false }
        return rdns.count == domain.count || rdns[rdns.count - domain.count - 1] == 46
    }

    /// `^\[(.*)\](/\d{1,3})?\z`: the text in brackets, with the prefix length
    /// written after them appended.
    static func bracketedAddress(_ entry: String) -> String? {
        guard entry.hasPrefix("["), let close = entry.lastIndex(of: "]") else { return nil }
        let inside = entry[entry.index(after: entry.startIndex)..<close]
        let after = entry[entry.index(after: close)...]
        if after.isEmpty { return String(inside) }
        let digits = after.dropFirst()
        guard after.hasPrefix("/"), (1...3).contains(digits.utf8.count),
              digits.utf8.allSatisfy(\.isASCIIDigitByte) else { return nil }
        return String(inside) + String(after)
    }

    static func isDottedQuad(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(\.isASCIIDigitByte) }
    }

    /// WLBLEval `check_mailfrom_matches_rcvd`: the envelope sender's
    /// registered domain is that of the last untrusted relay's reverse DNS
    /// name (or, with no untrusted relay, of a trusted one's).
    static func mailFromMatchesRelay(_ ctx: EvalContext) -> Bool {
        guard let sender = HeaderEvals.lines(ctx.headerText(HeaderQuery(name: "EnvelopeFrom:addr"))).first,
              let at = sender.lastIndex(of: 64) else { return false }
        let domainBytes = sender[(at + 1)...]
        // `\@([^\@]+\.[^\@]+)\z`: a dot inside the part after the last `@`.
        guard domainBytes.dropFirst().dropLast().contains(46) else { return false }
        let domain = DomainRegistry.registrableDomain(String(decoding: domainBytes.lowercasedASCIIBytes(), as: UTF8.self))
        let relays = ctx.views.relays.untrusted.first.map { [$0] } ?? ctx.views.relays.trusted
        for relay in relays where !relay.rdns.isEmpty {
            if DomainRegistry.registrableDomain(relay.rdns.lowercased()) == domain { return true }
        }
        return false
    }

    // MARK: URI host lists

    /// WLBLEval `_check_uri_host_listed`: the lists some URI host is listed
    /// in. For each host (mailto: links left out; DKIM signing domains in,
    /// as `get_uri_detail_list` has them unless `parse_dkim_uris 0`) the
    /// most specific of the host and its parent domains — at most the last
    /// eleven — that a list names decides; `!host` entries say "not
    /// listed".
    static func uriHostListsHit(_ ctx: EvalContext) -> [String] {
        let lists = ctx.configuration.uriHostLists
        guard !lists.isEmpty else { return [] }
        return ctx.memo.value("uri_host_enlisted") {
            var hit = Set<String>()
            var hosts = ctx.views.uriHosts(skipMailto: true)
            if parseDKIMURIs(ctx.configuration) { hosts += ctx.views.dkimURIHosts() }
            for uriHost in hosts {
                let keys = queryKeys(uriHost.host)
                for (name, hosts) in lists where !hit.contains(name) {
                    if let verdict = keys.lazy.compactMap({ hosts[$0] }).first, verdict { hit.insert(name) }
                }
            }
            return hit.sorted()
        }
    }

    /// `parse_dkim_uris` (a boolean, 1 by default).
    static func parseDKIMURIs(_ configuration: Configuration) -> Bool {
        guard let last = configuration.otherSettings["parse_dkim_uris"]?.last else { return true }
        return !["0", "no"].contains(last.lowercased())
    }

    /// The names a host is looked up under: an address literal's address,
    /// an IPv4 address itself, else the host and each parent domain
    /// (`a.b.c`, `b.c`, `c`), the last eleven of them.
    static func queryKeys(_ host: String) -> [String] {
        if host.hasPrefix("["), host.hasSuffix("]"), host.utf8.count >= 2 { return [String(host.dropFirst().dropLast())] }
        if isDottedQuad(host) { return [host] }
        guard !host.isEmpty else { return [] }
        var keys = [Substring(host)]
        var rest = Substring(host)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            keys.append(rest)
        }
        return keys.suffix(11).map(String.init)
    }

    // MARK: Subject

    /// WelcomeListSubject `_check_subject`: the lower-cased Subject contains
    /// a match of one of the globs (they are not anchored).
    static func subjectIn(_ ctx: EvalContext, _ list: AddressList) -> Int {
        guard !list.isEmpty, let subject = ctx.headerText(HeaderQuery(name: "Subject")), !subject.isEmpty else { return 0 }
        let lower = subject.lowercasedASCIIBytes()
        if list.contains(String(decoding: lower, as: UTF8.self)) { return 1 }
        return list.entries.contains { Glob.occurs($0, in: lower) } ? 1 : 0
    }

    // MARK: VBounce

    static func bounceRelays(_ ctx: EvalContext) -> AddressList? {
        guard let list = ctx.configuration.addressLists["welcomelist_bounce_relays"], !list.isEmpty else { return nil }
        return list
    }

    /// VBounce `check_welcomelist_bounce_relays`: a bounce quotes a
    /// Received header naming one of `welcomelist_bounce_relays`. First the
    /// rendered body's paragraphs that start (after `>` and spaces) with
    /// `Received:`, each space-delimited word with a dot in it; then the
    /// body as it stands in the message, Received headers with their
    /// continuation lines joined, each white-space-delimited word with a
    /// dot.
    static func bodyNamesBounceRelay(_ ctx: EvalContext) -> Bool {
        guard let list = bounceRelays(ctx) else { return false }
        func listedRelay(_ word: ArraySlice<UInt8>) -> Bool {
            let lower = word.lowercasedASCIIBytes()
            if list.contains(String(decoding: lower, as: UTF8.self)) { return true }
            return list.patterns.contains { Glob.matchesAddress($0, lower) }
        }
        for paragraph in ctx.views.body where startsWithReceived(paragraph[...]) {
            if dottedWords(paragraph[...], spaceOnly: true, listedRelay) { return true }
        }
        let pristine = ctx.views.message.root.encodedBody
        guard containsReceived(pristine) else { return false }
        var foundReceived = false
        var header: [UInt8] = []
        for line in pristine.split(separator: 10, omittingEmptySubsequences: false) {
            if !foundReceived {
                guard startsWithReceived(line) else { continue }
                foundReceived = true
            }
            if let first = line.first, first.isASCIIWhitespaceByte { header += line } else { header = Array(line) }
            guard startsWithReceived(header[...]) else { continue }
            if dottedWords(header[...], spaceOnly: false, listedRelay) { return true }
        }
        return false
    }

    /// `/^[> ]*Received:/i`
    static func startsWithReceived(_ line: ArraySlice<UInt8>) -> Bool {
        let rest = line.drop { $0 == 62 || $0 == 32 }
        return rest.count >= 9 && rest.prefix(9).lowercasedASCIIBytes() == Array("received:".utf8)
    }

    static func containsReceived(_ bytes: [UInt8]) -> Bool {
        let needle = Array("received:".utf8)
        guard bytes.count >= needle.count else { return false }
        for i in 0...(bytes.count - needle.count) where bytes[i] | 0x20 == 114 {
            if bytes[i..<(i + needle.count)].lowercasedASCIIBytes() == needle { return true }
        }
        return false
    }

    /// `/ (\S+\.\S+) /g` (or `/\s(\S+\.\S+)\s/g`): each delimited word with
    /// a dot inside it; the closing delimiter is consumed, so two words
    /// sharing one space count once.
    static func dottedWords(_ text: ArraySlice<UInt8>, spaceOnly: Bool, _ found: (ArraySlice<UInt8>) -> Bool) -> Bool {
        func isDelimiter(_ b: UInt8) -> Bool { spaceOnly ? b == 32 : b.isASCIIWhitespaceByte }
        var i = text.startIndex
        while i < text.endIndex {
            guard isDelimiter(text[i]) else { i += 1; continue }
            var end = i + 1
            while end < text.endIndex, !text[end].isASCIIWhitespaceByte { end += 1 }
            let word = text[(i + 1)..<end]
            if end < text.endIndex, isDelimiter(text[end]), word.dropFirst().dropLast().contains(46) {
                if found(word) { return true }
                i = end + 1
            } else {
                i = end
            }
        }
        return false
    }
}

/// File-glob patterns as SpamAssassin's lists compile them (Parser.pm
/// `add_to_addrlist`): `*` any run of bytes, `?` any one byte (neither
/// crosses a line break, as Perl's `.`), everything else literal. Matched
/// directly rather than through a regex: one pass with a single
/// backtracking point (the last `*`), so the cost is at most the pattern's
/// length times the text's, however many `*` there are.
enum Glob {
    /// `^glob$` over a lower-cased address. As SpamAssassin's "paranoia"
    /// step does, a NUL, `\` or `(` in the glob only matches `_`.
    static func matchesAddress(_ glob: String, _ text: [UInt8]) -> Bool {
        var t = text[...]
        if t.last == 10 { t = t.dropLast() }   // `$` matches before a final newline
        guard !t.contains(10) else { return false }
        var g = glob
        return g.withUTF8 { p in
            matches(p[...], t) { $0 == 0 || $0 == 92 || $0 == 40 ? 95 : $0 }
        }
    }

    /// An unanchored match (the Subject globs): somewhere within one line.
    static func occurs(_ glob: String, in text: [UInt8]) -> Bool {
        let pattern = [42] + Array(glob.utf8) + [42]
        return text.split(separator: 10, omittingEmptySubsequences: false).contains {
            matches(pattern[...], $0) { $0 }
        }
    }

    /// The whole of `text` against the whole of `pattern`.
    static func matches<P: RandomAccessCollection<UInt8>>(_ pattern: P, _ text: ArraySlice<UInt8>,
                                                          literal: (UInt8) -> UInt8) -> Bool where P.Index == Int {
        var pi = pattern.startIndex, ti = text.startIndex
        var star = -1, mark = 0
        while ti < text.endIndex {
            if pi < pattern.endIndex, pattern[pi] == 42 {
                star = pi; mark = ti; pi += 1
            } else if pi < pattern.endIndex, pattern[pi] == 63 || literal(pattern[pi]) == text[ti] {
                pi += 1; ti += 1
            } else if star >= 0 {
                // Let the last `*` take one more byte and retry after it.
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < pattern.endIndex, pattern[pi] == 42 { pi += 1 }
        return pi == pattern.endIndex
    }
}
