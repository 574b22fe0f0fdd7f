import SwampMIME
import SwampRules

// SpamAssassin's SPF and DKIM eval functions (Plugin/SPF.pm, Plugin/DKIM.pm)
// as readers of facts: SwampScan's network checks do the DNS work and put
// their findings in `Facts.externalHits` under the keys below; these
// functions only look them up, so the engine stays free of I/O.

/// Fact keys the network checks set (value 1 when true).
public enum NetworkFactKey {
    /// "spf.pass", "spf.fail", ... for the envelope sender.
    public static func spf(_ result: String) -> String { "spf.\(result)" }
    /// "spf.helo.pass", ... for the HELO identity.
    public static func spfHelo(_ result: String) -> String { "spf.helo.\(result)" }
    public static let dkimSigned = "dkim.signed"
    public static let dkimValid = "dkim.valid"
    public static let dkimValidAuthor = "dkim.valid_au"
    public static let dkimValidEnvelopeFrom = "dkim.valid_ef"
    public static let dkimDependable = "dkim.dependable"
    /// Per signing identity domain (SDID), for the functions taking domains.
    public static func dkimSignedBy(_ domain: String) -> String { "dkim.signed.sdid:\(domain)" }
    public static func dkimValidBy(_ domain: String) -> String { "dkim.valid.sdid:\(domain)" }
    public static func dkimValidAuthorBy(_ domain: String) -> String { "dkim.valid_au.sdid:\(domain)" }
    /// A DNSBL rule's verdict, keyed by its eval call: "rbl:check_rbl|zen|zen.spamhaus.org.".
    public static func rbl(_ function: String, _ arguments: [String]) -> String {
        "rbl:" + ([function] + arguments).joined(separator: "|")
    }
    /// A URI blocklist rule's verdict (`urirhssub NAME ...`): "uribl:NAME".
    public static func uribl(_ rule: String) -> String { "uribl:\(rule)" }
}

extension EvalFunction {
    static let networkRegistry: [String: @Sendable (EvalContext, [String]) -> Int] = {
        var r: [String: @Sendable (EvalContext, [String]) -> Int] = [:]
        for result in ["pass", "neutral", "none", "fail", "softfail", "permerror", "temperror"] {
            let key = NetworkFactKey.spf(result)
            let heloKey = NetworkFactKey.spfHelo(result)
            r["check_for_spf_\(result)"] = { ctx, _ in fact(ctx, key) }
            r["check_for_spf_helo_\(result)"] = { ctx, _ in fact(ctx, heloKey) }
        }
        r["check_dkim_signed"] = { ctx, args in
            args.isEmpty ? fact(ctx, NetworkFactKey.dkimSigned) : signedBy(ctx, args, NetworkFactKey.dkimSignedBy)
        }
        r["check_dkim_valid"] = { ctx, args in
            args.isEmpty ? fact(ctx, NetworkFactKey.dkimValid) : signedBy(ctx, args, NetworkFactKey.dkimValidBy)
        }
        r["check_dkim_verified"] = r["check_dkim_valid"]
        r["check_dkim_valid_author_sig"] = { ctx, args in
            args.isEmpty ? fact(ctx, NetworkFactKey.dkimValidAuthor) : signedBy(ctx, args, NetworkFactKey.dkimValidAuthorBy)
        }
        r["check_dkim_valid_envelopefrom"] = { ctx, _ in fact(ctx, NetworkFactKey.dkimValidEnvelopeFrom) }
        r["check_dkim_dependable"] = { ctx, _ in fact(ctx, NetworkFactKey.dkimDependable) }
        // Authenticated welcomelists (Plugin/SPF.pm, Plugin/DKIM.pm):
        // `welcomelist_auth` feeds both the SPF and the DKIM list.
        for (welcome, white) in [("welcomelist", "whitelist")] {
            r["check_for_spf_\(welcome)_from"] = { ctx, _ in spfWelcomelisted(ctx, defaults: false) }
            r["check_for_spf_\(white)_from"] = { ctx, _ in spfWelcomelisted(ctx, defaults: false) }
            r["check_for_def_spf_\(welcome)_from"] = { ctx, _ in spfWelcomelisted(ctx, defaults: true) }
            r["check_for_def_spf_\(white)_from"] = { ctx, _ in spfWelcomelisted(ctx, defaults: true) }
            r["check_for_dkim_\(welcome)_from"] = { ctx, _ in dkimWelcomelisted(ctx, defaults: false) }
            r["check_for_dkim_\(white)_from"] = { ctx, _ in dkimWelcomelisted(ctx, defaults: false) }
            r["check_for_def_dkim_\(welcome)_from"] = { ctx, _ in dkimWelcomelisted(ctx, defaults: true) }
            r["check_for_def_dkim_\(white)_from"] = { ctx, _ in dkimWelcomelisted(ctx, defaults: true) }
        }
        // URIDNSBL.pm hits the rule its `urirhssub`/`uridnsbl` line names and
        // ignores the argument; every stock rule passes its own name, which
        // is what is looked up here.
        r["check_uridnsbl"] = { ctx, args in args.first.map { fact(ctx, NetworkFactKey.uribl($0)) } ?? 0 }
        for function in blocklistFunctions {
            r[function] = { ctx, args in fact(ctx, NetworkFactKey.rbl(function, args)) }
        }
        return r
    }()

    /// The DNS list functions: their hits come from Dns.pm's lookups,
    /// which SpamAssassin reports under "RBL: ".
    static let blocklistFunctions: Set<String> = ["check_rbl", "check_rbl_txt", "check_rbl_sub", "check_rbl_from_host",
                                                  "check_rbl_from_domain", "check_rbl_envfrom", "check_rbl_headers"]

    /// The fact key a network eval call reads, for the notes the checks
    /// left under it (`Facts.externalLogs`); nil for other functions.
    static func factKey(_ function: String, _ arguments: [String]) -> String? {
        if blocklistFunctions.contains(function) { return NetworkFactKey.rbl(function, arguments) }
        if function == "check_uridnsbl" { return arguments.first.map(NetworkFactKey.uribl) }
        return nil
    }

    static func fact(_ ctx: EvalContext, _ key: String) -> Int {
        (ctx.facts.externalHits[key] ?? 0) > 0 ? 1 : 0
    }

    /// DKIM.pm `_check_dkim_signed_by`: "*.example.com" or ".example.com"
    /// match the domain and its subdomains, anything else the domain only.
    static func signedBy(_ ctx: EvalContext, _ domains: [String], _ key: (String) -> String) -> Int {
        let prefix = key("")
        let signers = ctx.facts.externalHits.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        for wanted in domains.map({ $0.lowercased() }) {
            var base = Substring(wanted)
            let subdomains = base.hasPrefix("*.") || base.hasPrefix(".")
            if subdomains { base = base.drop(while: { $0 == "*" }).dropFirst() }
            for s in signers where s == base || (subdomains && s.hasSuffix("." + base)) { return 1 }
        }
        return 0
    }

    /// `welcomelist_from_spf` (and `welcomelist_auth`) globs, or the `def_`
    /// ones, each directive value holding one or more addresses.
    static func spfGlobs(_ c: Configuration, defaults: Bool) -> [String] {
        let keys = defaults ? ["def_welcomelist_from_spf", "def_whitelist_from_spf"] : ["welcomelist_from_spf", "whitelist_from_spf"]
        var globs = defaults ? c.defWelcomelistAuth : c.welcomelistAuth
        for k in keys { for v in c.otherSettings[k] ?? [] { globs += v.split(separator: " ").map(String.init) } }
        return globs.map { $0.lowercased() }
    }

    /// (address glob, signing domain or nil for the author's domain).
    static func dkimEntries(_ c: Configuration, defaults: Bool) -> [(String, String?)] {
        let keys = defaults ? ["def_welcomelist_from_dkim", "def_whitelist_from_dkim"] : ["welcomelist_from_dkim", "whitelist_from_dkim"]
        var entries: [(String, String?)] = (defaults ? c.defWelcomelistAuth : c.welcomelistAuth).map { ($0.lowercased(), nil) }
        for k in keys {
            for v in c.otherSettings[k] ?? [] {
                let words = v.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
                guard let first = words.first else { continue }
                entries.append((first, words.count > 1 ? words[1] : nil))
            }
        }
        return entries
    }

    /// SPF.pm `_check_spf_welcomelist`: SPF passed for the envelope sender,
    /// and that sender is listed.
    static func spfWelcomelisted(_ ctx: EvalContext, defaults: Bool) -> Int {
        guard fact(ctx, NetworkFactKey.spf("pass")) == 1,
              let env = ctx.headerText(HeaderQuery(name: "EnvelopeFrom", modifier: .addr)) else { return 0 }
        let sender = String(decoding: env.split(separator: UInt8(ascii: "\n")).first ?? [], as: UTF8.self).lowercased()
        guard !sender.isEmpty else { return 0 }
        return spfGlobs(ctx.configuration, defaults: defaults).contains { Glob.matchesAddress($0, Array(sender.utf8)) } ? 1 : 0
    }

    /// DKIM.pm `_check_dkim_welcomelist`: an author address is listed and a
    /// valid signature comes from the listed signing domain (by default the
    /// author's own domain).
    static func dkimWelcomelisted(_ ctx: EvalContext, defaults: Bool) -> Int {
        guard fact(ctx, NetworkFactKey.dkimValid) == 1,
              let from = ctx.headerText(HeaderQuery(name: "From", modifier: .addr)) else { return 0 }
        let entries = dkimEntries(ctx.configuration, defaults: defaults)
        guard !entries.isEmpty else { return 0 }
        for line in from.split(separator: UInt8(ascii: "\n")) {
            let author = String(decoding: line, as: UTF8.self).lowercased()
            guard let at = author.lastIndex(of: "@") else { continue }
            let authorDomain = String(author[author.index(after: at)...])
            for (pattern, signer) in entries where Glob.matchesAddress(pattern, Array(author.utf8)) {
                if let signer {
                    if signedBy(ctx, [signer], NetworkFactKey.dkimValidBy) == 1 { return 1 }
                } else if fact(ctx, NetworkFactKey.dkimValidAuthorBy(authorDomain)) == 1 {
                    return 1
                }
            }
        }
        return 0
    }
}
