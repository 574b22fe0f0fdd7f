import Foundation
import Synchronization
import SwampRegex
import SwampMIME
import SwampRules

/// What an `eval:` function reads: the views, the configuration and the
/// facts gathered outside the engine.
struct EvalContext {
    let views: Views
    let configuration: Configuration
    let facts: Facts
    let headerText: (HeaderQuery) -> [UInt8]?
    /// The FreeMail plugin's lists, when the configuration has any.
    var freemail: FreemailList? = nil
    /// What several rules of one message share, worked out once.
    let memo: EvalMemo
}

/// A native implementation of one of SpamAssassin's `eval:` functions.
/// Returns the hit count (0 = no hit).
struct EvalFunction: Sendable {
    let name: String
    let run: @Sendable (EvalContext, [String]) -> Int

    /// The functions swamp implements. Rules calling any other are skipped at
    /// load and listed by `swamp lint`.
    static func lookup(_ name: String, type: RuleType) -> EvalFunction? {
        (registry[name] ?? headerRegistry[name] ?? freemailRegistry[name] ?? bodyRegistry[name]
            ?? forgeryRegistry[name] ?? networkRegistry[name]).map { EvalFunction(name: name, run: $0) }
    }

    static let registry: [String: @Sendable (EvalContext, [String]) -> Int] = [
        "check_from_in_welcomelist": { ctx, _ in fromMatches(ctx, ctx.configuration.welcomelistFrom, except: ctx.configuration.unwelcomelistFrom) },
        "check_from_in_whitelist": { ctx, _ in fromMatches(ctx, ctx.configuration.welcomelistFrom, except: ctx.configuration.unwelcomelistFrom) },
        "check_from_in_blocklist": { ctx, _ in fromMatches(ctx, ctx.configuration.blocklistFrom, except: ctx.configuration.unblocklistFrom) },
        "check_from_in_blacklist": { ctx, _ in fromMatches(ctx, ctx.configuration.blocklistFrom, except: ctx.configuration.unblocklistFrom) },
        "check_for_missing_to_header": { ctx, _ in
            ctx.headerText(HeaderQuery(name: "To")) == nil && ctx.headerText(HeaderQuery(name: "Apparently-To")) == nil ? 1 : 0
        },
        "check_bayes": { ctx, args in
            // Plugin/Bayes.pm: hits when (MIN == 0 or p > MIN) and
            // (MAX is "undef" or p <= MAX).
            guard ctx.configuration.useBayes, ctx.configuration.useBayesRules,
                  let p = ctx.facts.bayesProbability, args.count >= 2,
                  let low = Double(args[0].trimmingASCII(.spaces)) else { return 0 }
            let highText = args[1].trimmingASCII(.spaces)
            let aboveLow = low == 0 || p > low
            if highText == "undef" { return aboveLow ? 1 : 0 }
            guard let high = Double(highText) else { return 0 }
            return aboveLow && p <= high ? 1 : 0
        },
        "check_fact": { ctx, args in
            // swamp's own: a rule fed by a check outside the engine.
            guard let name = args.first else { return 0 }
            return Int(ctx.facts.externalHits[name] ?? 0)
        },
    ]

    /// An eval's regex argument as SpamAssassin's `compile_regexp` takes
    /// it: `/re/flags` or `m{re}flags` (read as rules' patterns are), else
    /// the bare pattern; nil when it does not compile (the rule then never
    /// hits, as SpamAssassin warns and returns 0). Compiled once for all
    /// messages; the cache holds the few patterns the rules name, and past
    /// its bound a pattern is compiled each time rather than refused.
    static func argumentRegex(_ argument: String?) -> Regex? {
        guard let text = argument?.trimmingASCII(.spaces), !text.isEmpty else { return nil }
        if let cached = argumentRegexes.withLock({ $0[text] }) { return cached }
        let compiled: Regex?
        if let perl = PerlRegex(perl: Substring(text)), text.hasPrefix("/") || text.hasPrefix("m") {
            compiled = try? Regex(perl.pattern, options: RegexOptions(perlFlags: perl.flags), jit: false)
        } else {
            compiled = try? Regex(text, jit: false)
        }
        argumentRegexes.withLock { cache in
            if cache.count < 256 { cache[text] = compiled }
        }
        return compiled
    }

    static let argumentRegexes = Mutex<[String: Regex?]>([:])

    /// SpamAssassin's welcomelist/blocklist: the author and envelope
    /// addresses against `*`/`?` globs, case-insensitively, minus the
    /// `unwelcomelist_from` exceptions.
    static func fromMatches(_ ctx: EvalContext, _ globs: [String], except: [String]) -> Int {
        guard !globs.isEmpty else { return 0 }
        var addresses: [String] = []
        let resent = ctx.headerText(HeaderQuery(name: "Resent-From", modifier: .addr))
        for name in [resent == nil ? "From" : "Resent-From", "EnvelopeFrom"] {
            if let v = ctx.headerText(HeaderQuery(name: name, modifier: .addr)) {
                let text = String(decoding: v, as: UTF8.self)
                for line in text.split(whereSeparator: { $0 == "\n" }) where !line.isEmpty {
                    addresses.append(line.lowercased())
                }
            }
        }
        for address in addresses {
            if except.contains(where: { glob($0.lowercased(), matches: address) }) { continue }
            if globs.contains(where: { glob($0.lowercased(), matches: address) }) { return 1 }
        }
        return 0
    }

    /// `*` any run, `?` one character; everything else literal.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == UInt8(ascii: "*") { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

/// Rules swamp always has, whatever the configuration says.
enum Builtins {
    /// GTUBE (the Generic Test for Unsolicited Bulk Email) always scores
    /// 1000, as SpamAssassin defines it, so a test message is spam with any
    /// configuration (SECURITY.md).
    static let gtubePattern = #"XJS\*C4JDBQADN1\.NSBN3\*2IDNEN\*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL\*C\.34X"#

    static func addMissing(to config: inout Configuration) {
        if config.rules["GTUBE"] == nil {
            config.rules["GTUBE"] = Rule(name: "GTUBE", type: .body,
                                         test: .regex(PerlRegex(pattern: gtubePattern, flags: "")),
                                         location: SourceLocation(file: "(built in)", line: 0))
            config.ruleOrder.append("GTUBE")
        }
        if config.scores["GTUBE"] == nil { config.scores["GTUBE"] = [1000, 1000, 1000, 1000] }
        if config.descriptions["GTUBE"] == nil {
            config.descriptions["GTUBE"] = "Generic Test for Unsolicited Bulk Email"
        }
        var flags = config.tflags["GTUBE"] ?? []
        if !flags.contains("noautolearn") { flags.append("noautolearn") }
        config.tflags["GTUBE"] = flags
    }
}
