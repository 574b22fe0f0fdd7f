// SpamAssassin's FreeMail plugin, natively: whether the sender's, a
// header's or the reply addresses are at free mail providers
// (`freemail_domains`, which SpamAssassin's stock rules list by the
// hundred), for FREEMAIL_FROM and its kin.

import SwampMIME
import SwampRegex
import SwampRules

/// The `freemail_domains` and `freemail_welcomelist` settings, read once
/// per rule set.
struct FreemailList: Sendable {
    let domains: Set<String>
    /// The wildcard entries (`*.example`, `mail?.example`) as one pattern
    /// over a whole address: `\@(?:...)$`.
    let wildcards: Regex?
    let welcomelist: Set<String>

    /// nil when no domain is listed: the plugin is then off.
    init?(_ configuration: Configuration) {
        var domains = Set<String>(), wild: [String] = []
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.*?-")
        for line in configuration.otherSettings["freemail_domains"] ?? [] {
            for entry in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) where entry.allSatisfy(allowed.contains) {
                let value = entry.lowercased()
                if value.contains("*") || value.contains("?") {
                    wild.append(value.replacingOccurrences(of: ".", with: "\\.")
                        .replacingOccurrences(of: "?", with: ".").replacingOccurrences(of: "*", with: "[^.]*"))
                } else {
                    domains.insert(value)
                }
            }
        }
        guard !domains.isEmpty || !wild.isEmpty else { return nil }
        self.domains = domains
        wildcards = wild.isEmpty ? nil : try? Regex("\\@(?:" + wild.sorted().joined(separator: "|") + ")$")
        var welcome = Set<String>()
        for key in ["freemail_welcomelist", "freemail_whitelist"] {
            for line in configuration.otherSettings[key] ?? [] {
                for entry in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    let value = entry.lowercased()
                    if value.utf8.count >= 3, FreemailList.hasWordSeparatedByDotOrAt(value) { welcome.insert(value) }
                }
            }
        }
        welcomelist = welcome
    }

    /// `/\w[.@]\w/`
    static func hasWordSeparatedByDotOrAt(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func word(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        return b.indices.dropFirst().dropLast().contains { (b[$0] == 46 || b[$0] == 64) && word(b[$0 - 1]) && word(b[$0 + 1]) }
    }

    /// Role accounts and provider-generated addresses are never counted.
    static let defaultWelcomelist = try! Regex(
        #"^(?:abuse|support|sales|info|helpdesk|contact|kontakt|(?:post|host|domain)master|undisclosed.*|request-[a-f0-9]{16}|bounced?-|[a-f0-9]{8}(?:\.[a-f0-9]{8}|-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})|.+=.+=.+)\@"#,
        options: .caseless)

    /// FreeMail.pm `_is_freemail`, for a lower-cased address.
    func isFreemail(_ email: String, _ memo: EvalMemo) -> Bool {
        guard !email.isEmpty else { return false }
        if welcomelist.contains(email) { return false }
        let domain = email.split(separator: "@", omittingEmptySubsequences: false).last.map(String.init) ?? email
        if welcomelist.contains(domain) { return false }
        let bytes = Array(email.utf8)
        if memo.matches(Self.defaultWelcomelist, bytes) { return false }
        return domains.contains(domain) || (wildcards.map { memo.matches($0, bytes) } ?? false)
    }
}

extension EvalFunction {
    static let freemailRegistry: [String: @Sendable (EvalContext, [String]) -> Int] = [
        "check_freemail_from": { ctx, args in FreemailEvals.from(ctx, args) != nil ? 1 : 0 },
        "check_freemail_header": { ctx, args in FreemailEvals.header(ctx, args) != nil ? 1 : 0 },
        "check_freemail_replyto": { ctx, args in FreemailEvals.replyTo(ctx, args) != nil ? 1 : 0 },
    ]

    /// What a FreeMail hit notes for the report (FreeMail.pm `_test_log`):
    /// the address it found, "@" written "(at)", unless
    /// `freemail_add_describe_email` is 0.
    static let freemailNotes: [String: @Sendable (EvalContext, [String]) -> [String]] = {
        func note(_ find: @escaping @Sendable (EvalContext, [String]) -> String?) -> @Sendable (EvalContext, [String]) -> [String] {
            { ctx, args in
                guard FreemailEvals.setting(ctx, "freemail_add_describe_email", default: 1) != 0,
                      let found = find(ctx, args) else { return [] }
                return [found.replacingOccurrences(of: "@", with: "(at)")]
            }
        }
        return [
            "check_freemail_from": note(FreemailEvals.from),
            "check_freemail_header": note(FreemailEvals.header),
            "check_freemail_replyto": note(FreemailEvals.replyTo),
        ]
    }()
}

extension FreemailEvals {
    /// `check_freemail_from`: the first sender address at a free mail
    /// provider (matching the regex argument when there is one).
    @Sendable static func from(_ ctx: EvalContext, _ args: [String]) -> String? {
        guard let list = ctx.freemail else { return nil }
        let re = EvalFunction.argumentRegex(args.first)
        if args.first != nil && re == nil { return nil }
        let from = ctx.memo.value("all_from_addrs") { FreemailEvals.allFromAddresses(ctx) }
        for email in from where list.isFreemail(email, ctx.memo) {
            if let re, !ctx.memo.matches(re, Array(email.utf8)) { continue }
            return email
        }
        return nil
    }

    /// `check_freemail_header`: the first address of the header at a free
    /// mail provider (matching the regex argument when there is one).
    @Sendable static func header(_ ctx: EvalContext, _ args: [String]) -> String? {
        guard let list = ctx.freemail, let header = args.first?.trimmingASCII(.spaces), !header.isEmpty else { return nil }
        let re = EvalFunction.argumentRegex(args.count > 1 ? args[1] : nil)
        if args.count > 1 && re == nil { return nil }
        for email in FreemailEvals.addresses(ctx, header) where list.isFreemail(email, ctx.memo) {
            if let re, !ctx.memo.matches(re, Array(email.utf8)) { continue }
            return email
        }
        return nil
    }

    /// `check_freemail_replyto`: what FreeMail.pm logs on a hit.
    @Sendable static func replyTo(_ ctx: EvalContext, _ args: [String]) -> String? {
        guard let list = ctx.freemail else { return nil }
        let what = args.first?.trimmingASCII(.spaces) ?? "replyto"
        guard what == "replyto" || what == "reply" else { return nil }
        return replyTo(ctx, list, replyToOnly: what == "replyto")
    }
}

enum FreemailEvals {
    /// The addresses of a header (`HEADER:addr`), lower-cased.
    static func addresses(_ ctx: EvalContext, _ header: String) -> [String] {
        let name = header.hasSuffix(":addr") ? header : header + ":addr"
        return HeaderEvals.lines(ctx.headerText(HeaderQuery(name: name)))
            .map { String(decoding: $0.lowercasedASCIIBytes(), as: UTF8.self) }
    }

    /// PerMsgStatus.pm `all_from_addrs`: Resent-From's first address when
    /// there is one, else those of From, Envelope-Sender, Resent-Sender,
    /// X-Envelope-From and the envelope sender, runs of dots squeezed;
    /// lower-cased, each once.
    static func allFromAddresses(_ ctx: EvalContext) -> [String] {
        var found: [String] = []
        let resent = HeaderEvals.lines(ctx.headerText(HeaderQuery(name: "Resent-From:first:addr")))
        if !resent.isEmpty {
            found = resent.map { String(decoding: $0, as: UTF8.self) }
        } else {
            for name in ["From", "Envelope-Sender", "Resent-Sender", "X-Envelope-From", "EnvelopeFrom"] {
                for line in HeaderEvals.lines(ctx.headerText(HeaderQuery(name: name, modifier: .addr))) where !line.isEmpty {
                    var squeezed: [UInt8] = []
                    for c in line where !(c == 46 && squeezed.last == 46) { squeezed.append(c) }
                    found.append(String(decoding: squeezed, as: UTF8.self))
                }
            }
        }
        var seen = Set<String>(), out: [String] = []
        for a in found {
            let l = String(decoding: Array(a.utf8).lowercasedASCIIBytes(), as: UTF8.self)
            if !l.isEmpty, seen.insert(l).inserted { out.append(l) }
        }
        return out
    }
}

// MARK: check_freemail_replyto

extension FreemailEvals {
    /// FreeMail.pm `check_freemail_replyto`: From and Reply-To are
    /// different free mail addresses, or the reply address (Reply-To; with
    /// `reply`, From when there is no Reply-To) is a free mail address and
    /// the body names a different one. Messages from bulk-looking envelope
    /// senders are skipped (`freemail_skip_bulk_envfrom`).
    /// On a hit, what the plugin logs: "FROM -> REPLY-TO" (each list
    /// comma-joined), or "REPLY, BODY" for the pair that differs.
    static func replyTo(_ ctx: EvalContext, _ list: FreemailList, replyToOnly: Bool) -> String? {
        if setting(ctx, "freemail_skip_bulk_envfrom", default: 1) != 0,
           let envelope = HeaderEvals.lines(ctx.headerText(HeaderQuery(name: "EnvelopeFrom"))).first,
           ctx.memo.matches(bulkEnvelopeSender, envelope) {
            return nil
        }
        let from = addresses(ctx, "From"), replyTo = addresses(ctx, "Reply-To")
        let fromIsFree = from.contains { list.isFreemail($0, ctx.memo) }
        let replyToIsFree = replyTo.contains { list.isFreemail($0, ctx.memo) }
        if fromIsFree && replyToIsFree && !from.contains(where: replyTo.contains) {
            return from.joined(separator: ",") + " -> " + replyTo.joined(separator: ",")
        }
        if replyToOnly {
            guard replyToIsFree else { return nil }
        } else if !replyTo.isEmpty && !replyToIsFree {
            return nil
        } else if !fromIsFree {
            return nil
        }
        guard let body = ctx.memo.value("freemail_body", { bodyFreemails(ctx, list) }) else { return nil }
        let reply = replyToOnly || replyToIsFree ? replyTo : from
        for b in body {
            if let r = reply.first(where: { $0 != b }) { return "\(r), \(b)" }
        }
        return nil
    }

    /// FreeMail.pm `_parse_body`: the free mail addresses of the `mailto:`
    /// links and the body text; nil when the body names too many addresses
    /// (`freemail_max_body_emails`, 5) or free mail addresses
    /// (`freemail_max_body_freemails`, 3) and `freemail_skip_when_over_max`
    /// says to skip it then.
    static func bodyFreemails(_ ctx: EvalContext, _ list: FreemailList) -> [String]? {
        guard let email = emailPattern else { return [] }
        let scratch = ctx.memo.scratch
        var found: [String] = [], seen = Set<String>()
        func add(_ bytes: ArraySlice<UInt8>) {
            let e = String(decoding: Array(bytes).lowercasedASCIIBytes(), as: UTF8.self)
            if seen.insert(e).inserted { found.append(e) }
        }
        // Every address in the body text, before anything is stripped:
        // SpamAssassin lists those as `mailto:` links parsed from the text,
        // and leaves links of the HTML that are the same out of the first
        // step.
        var inText = Set<[UInt8]>()
        for piece in ctx.views.body where piece.contains(64) {
            for r in allMatches(email, in: piece, scratch: scratch) where inText.count < 1000 {
                inText.insert(Array("mailto:".utf8) + piece[r])
            }
        }
        anchors: for stats in ctx.views.html {
            for href in stats.mailtoAnchors where !inText.contains(href) {
                let rest = Array(href.dropFirst(7))
                let match: Range<Int>? = rest.withUnsafeBufferPointer { buf in
                    if case .match(let r) = email.search(buf, scratch: scratch), r.lowerBound == 0 { return r }
                    return nil
                }
                if let match { add(rest[match]) }
                if found.count >= 20 { break anchors }
            }
        }
        body: for piece in ctx.views.body where piece.contains(64) {
            let stripped = replacing(quotedAddress, in: replacing(addressInLink, in: piece, scratch: scratch), scratch: scratch)
            for r in allMatches(email, in: stripped, scratch: scratch) {
                add(stripped[r])
                // At most 40 different addresses, the links' included.
                if found.count >= 40 { break body }
            }
        }
        let skipOver = setting(ctx, "freemail_skip_when_over_max", default: 1) != 0
        let maxEmails = setting(ctx, "freemail_max_body_emails", default: 5)
        let maxFree = setting(ctx, "freemail_max_body_freemails", default: 3)
        var free: [String] = [], all = 0
        for e in found {
            all += 1
            if all == maxEmails && skipOver { return nil }
            guard list.isFreemail(e, ctx.memo) else { continue }
            if free.count + 1 == maxFree && skipOver { return nil }
            free.append(e)
        }
        return free
    }

    /// A numeric FreeMail setting (the last one given), else its default.
    static func setting(_ ctx: EvalContext, _ name: String, default value: Int) -> Int {
        guard let text = ctx.configuration.otherSettings[name]?.last?.trimmingASCII(.spaces),
              let d = Double(text), d.isFinite else { return value }
        return Int(max(-1e9, min(1e9, d)))
    }

    /// The non-overlapping matches of `re` in `text`, as Perl's `//g`.
    static func allMatches(_ re: Regex, in text: [UInt8], scratch: MatchScratch) -> [Range<Int>] {
        text.withUnsafeBufferPointer { buf in
            var out: [Range<Int>] = [], at = 0
            while at <= buf.count, case .match(let r) = re.search(buf, from: at, notEmptyAtStart: true, scratch: scratch) {
                out.append(r)
                at = max(r.upperBound, r.lowerBound + 1)
            }
            return out
        }
    }

    /// `s/re/ /g`.
    static func replacing(_ re: Regex?, in text: [UInt8], scratch: MatchScratch) -> [UInt8] {
        guard let re else { return text }
        let ranges = allMatches(re, in: text, scratch: scratch)
        guard !ranges.isEmpty else { return text }
        var out: [UInt8] = [], last = 0
        out.reserveCapacity(text.count)
        for r in ranges {
            out += text[last..<r.lowerBound]
            out.append(32)
            last = r.upperBound
        }
        out += text[last...]
        return out
    }

    /// The plugin's address pattern: a local part of at most 64 characters,
    /// one to four domain labels, then a valid top-level domain.
    static let emailText: String? = {
        let tlds = DomainRegistry.topLevelDomains.filter { $0.utf8.allSatisfy { $0.isASCIIAlnumByte || $0 == 45 } }
        guard !tlds.isEmpty else { return nil }
        let local = "[a-z0-9!#$%&'*+/=?^_`{|}~-]"
        return "(?=.{0,64}\\@)(?<!\(local))(\(local)+(?:\\.\(local)+)*\\@(?:[a-z0-9](?:[a-z0-9-]{0,59}[a-z0-9])?\\.){1,4}"
            + "(?<![a-zA-Z0-9-])(?:" + tlds.sorted().joined(separator: "|") + ")(?!(?:[a-zA-Z0-9-]|\\.[a-zA-Z0-9])))"
    }()

    static let emailPattern: Regex? = emailText.flatMap { try? Regex($0, options: .caseless) }

    /// A link with an address in it (`<?https?://...@...`): its address is
    /// not one to write to.
    static let addressInLink = try? Regex(#"<?https?://\S{0,255}(?:\@|%40)\S{0,255}"#, options: .caseless)

    /// An address in angle brackets (not after `mailto:`), or followed by a
    /// word and a colon the way quoted replies begin ("... wrote:"), but
    /// not "fax:", "tel:", "phone:" or "e-mail:".
    static let quotedAddress: Regex? = emailText.flatMap {
        try? Regex("<?(?<!mailto:)" + $0 + #"(?:>|\s{1,10}(?!(?:fa(?:x|csi)|tel|phone|e?-?mail))[a-z]{2,11}:)"#, options: .caseless)
    }

    /// Envelope senders of mailing lists, bounces and no-reply robots.
    static let bulkEnvelopeSender = try! Regex(
        #"(?:^(?:post|host|domain)master|^double-bounce|^(?:sentto|owner|return|(?:gr)?bounced?)-.+|-(?:request|bounces?|admin|owner)|\b(?:do[._-t]?)?no[._-t]?repl(?:y|ies)|.+=.+)\@"#,
        options: .caseless)
}
