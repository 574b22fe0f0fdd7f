import Foundation
import Synchronization
import SwampRegex
import SwampMIME
import SwampRules

/// What an `eval:` function reads: the views, the configuration and the
/// facts gathered outside the engine.
///
/// A class: every eval call is handed it, and a struct of these fields
/// (the configuration's among them) was copied, each of its references
/// counted, on every call.
final class EvalContext {
    let views: Views
    let configuration: Configuration
    let facts: Facts
    let headerText: (HeaderQuery) -> [UInt8]?
    /// The FreeMail plugin's lists, when the configuration has any.
    let freemail: FreemailList?
    /// What several rules of one message share, worked out once.
    let memo: EvalMemo

    init(views: Views, configuration: Configuration, facts: Facts,
         headerText: @escaping (HeaderQuery) -> [UInt8]?, freemail: FreemailList? = nil, memo: EvalMemo) {
        (self.views, self.configuration, self.facts, self.headerText) = (views, configuration, facts, headerText)
        (self.freemail, self.memo) = (freemail, memo)
    }
}

/// An eval or mimeheader rule as a scan calls it, apart from its
/// `CompiledRule` so the loop reads it in place: binding the function and
/// arguments out of a rule's target cost reference counts on each, every
/// eval of every message (about 1 % of a scan).
struct EvalCall: Sendable {
    let rule: Int
    /// An eval's function (for a mimeheader rule, one that is not called).
    let function: @Sendable (EvalContext, [String]) -> Int
    let arguments: [String]
    let mimeHeader: MIMEHeaderTest?
    let isMIMEHeader: Bool
    /// Reads the Bayes probability (`check_bayes`): runs only after it.
    let readsBayes: Bool

    init(rule: Int, eval function: EvalFunction, arguments: [String]) {
        (self.rule, self.function, self.arguments, mimeHeader, isMIMEHeader) = (rule, function.run, arguments, nil, false)
        readsBayes = EvalFunction.readingBayes.contains(function.name)
    }

    init(rule: Int, mimeHeader: MIMEHeaderTest) {
        (self.rule, function, arguments, self.mimeHeader, isMIMEHeader) = (rule, { @Sendable _, _ in 0 }, [], mimeHeader, true)
        readsBayes = false
    }
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
            ?? forgeryRegistry[name] ?? localeRegistry[name] ?? networkRegistry[name] ?? listRegistry[name]).map { EvalFunction(name: name, run: $0) }
    }

    /// The functions that read `Facts.bayesProbability`: on two threads
    /// they run only after the Bayes step (`SharedEvals`).
    static let readingBayes: Set<String> = ["check_bayes"]

    /// `%3.4f`, as Plugin/Bayes.pm logs the probability of a hit.
    static func fixed4(_ x: Double) -> String { CFormat.double("%3.4f", x) }

    static let registry: [String: @Sendable (EvalContext, [String]) -> Int] = [
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
