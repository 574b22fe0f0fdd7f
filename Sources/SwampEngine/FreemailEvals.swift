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
        "check_freemail_from": { ctx, args in
            guard let list = ctx.freemail else { return 0 }
            let re = EvalFunction.argumentRegex(args.first)
            if args.first != nil && re == nil { return 0 }
            let from = ctx.memo.strings("all_from_addrs") { FreemailEvals.allFromAddresses(ctx) }
            for email in from where list.isFreemail(email, ctx.memo) {
                if let re, !ctx.memo.matches(re, Array(email.utf8)) { continue }
                return 1
            }
            return 0
        },
        "check_freemail_header": { ctx, args in
            guard let list = ctx.freemail, let header = args.first?.trimmingASCII(.spaces), !header.isEmpty else { return 0 }
            let re = EvalFunction.argumentRegex(args.count > 1 ? args[1] : nil)
            if args.count > 1 && re == nil { return 0 }
            for email in FreemailEvals.addresses(ctx, header) where list.isFreemail(email, ctx.memo) {
                if let re, !ctx.memo.matches(re, Array(email.utf8)) { continue }
                return 1
            }
            return 0
        },
    ]
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
