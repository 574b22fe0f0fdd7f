// `if EXPR` / `ifplugin NAME` conditions (Conf/Parser.pm,
// `handle_conditional`). SpamAssassin rewrites the expression into Perl and
// `eval`s it; swamp evaluates the same small language directly: numbers,
// `version`, `perl_version`, `local_tests_only`, `plugin(NAME)`,
// `can(NAME)`, `has(NAME)`, bare class names (true strings), `!` `-`,
// `* / + -`, comparisons, `&& ||`, Perl's low-precedence `not and or`, and
// parentheses.

/// What a configuration reports about itself to `if` lines.
public enum SpamAssassinCompatibility {
    /// The SpamAssassin version whose rule language swamp implements, as
    /// `version` reads in `if (version >= 3.004000)`.
    public static let spamAssassinVersion = 4.000001
    /// The same, as `require_version` spells it.
    public static let spamAssassinVersionString = "4.000001"
    /// `perl_version` in `if` lines: the Perl of Debian 12, which SpamAssassin
    /// 4.0.1 was measured with.
    public static let perlVersion = 5.036000

    /// `Mail::SpamAssassin::Conf` functions `can(...)` finds true in 4.0.1
    /// (Conf.pm, the `feature_*`, `has_*` and `perl_min_version_*` subs at
    /// the end of the file).
    public static let confFeatures: Set<String> = [
        "feature_originating_ip_headers", "feature_dns_local_ports_permit_avoid",
        "feature_bayes_auto_learn_on_error", "feature_uri_host_listed",
        "feature_yesno_takes_args", "feature_bug6558_free", "feature_edns",
        "feature_dns_query_restriction", "feature_registryboundaries", "feature_geodb",
        "feature_dns_block_rule", "feature_compile_regexp", "feature_meta_rules_matching",
        "feature_subjprefix", "feature_bayes_stopwords", "feature_get_host",
        "feature_blocklist_welcomelist", "feature_welcomelist_blocklist",
        "feature_header_address_parser", "feature_local_tests_only",
        "feature_header_first_last", "feature_header_match_many", "feature_capture_rules",
        "has_tflags_nosubject", "has_tflags_nolog", "perl_min_version_5010000",
    ]

    /// `has_*` capabilities of SpamAssassin 4.0.1's plugins, by plugin short
    /// name (Plugin/*.pm, the `sub has_...` lines).
    public static let pluginCapabilities: [String: Set<String>] = [
        "ASN": ["has_asn_lookup_ipv6", "has_asn_geodb", "has_check_asn", "has_check_asn_tag"],
        "AskDNS": ["has_tag_header"],
        "BodyEval": ["has_check_body_length", "has_plaintext_body_sig_ratio"],
        "DKIM": ["has_arc"],
        "DNSEval": ["has_tflags_domains_only", "has_tflags_ips_only"],
        "DecodeShortURLs": [
            "has_short_url", "has_autoclean", "has_short_url_code", "has_user_agent", "has_get",
            "has_clear", "has_timeout", "has_max_redirections", "has_short_url_redir",
        ],
        "HashBL": [
            "has_hashbl_bodyre", "has_hashbl_bodyre_num", "has_hashbl_emails", "has_hashbl_uris",
            "has_hashbl_ignore", "has_hashbl_email_regex", "has_hashbl_email_welcomelist",
            "has_hashbl_email_whitelist", "has_hashbl_tag", "has_hashbl_sha256",
            "has_hashbl_attachments", "has_hashbl_email_domain", "has_hashbl_email_domain_alias",
        ],
        "MIMEEval": ["has_check_for_ascii_text_illegal", "has_check_abundant_unicode_ratio", "has_check_qp_ratio"],
        "MIMEHeader": ["has_all_header", "has_tflags_range", "has_tflags_concat", "has_tflags_multiple", "has_capture_rules"],
        "OLEVBMacro": ["has_olemacro_redirect_uri", "has_olemacro_mhtml_uri", "has_olertfobject"],
        "Pyzor": ["has_fork", "has_perl"],
        "Razor2": ["has_fork"],
        "SPF": ["has_check_for_spf_errors", "has_check_spf_skipped_noenvfrom"],
        "URIDNSBL": [
            "has_tflags_domains_only", "has_subtest_for_ranges", "has_uridnsbl_for_a",
            "has_uridnsbl_a_ns", "has_tflags_notrim", "has_uridnsbl_skip_mailto",
        ],
        "URIDetail": ["has_host_key"],
    ]

    static let pluginPrefix = "Mail::SpamAssassin::Plugin::"

    /// Old plugin names SpamAssassin 4.0.1 maps to new ones, in `loadplugin`
    /// and in conditions alike.
    static func canonicalPluginName(_ name: String) -> String {
        switch name {
        case "Mail::SpamAssassin::Plugin::Dmarc": return "Mail::SpamAssassin::Plugin::DMARC"
        case "Mail::SpamAssassin::Plugin::WhiteListSubject": return "Mail::SpamAssassin::Plugin::WelcomeListSubject"
        default: return name
        }
    }
}

struct ConditionError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Evaluates one `if` expression against the plugins loaded so far.
struct ConditionEvaluator {
    let loadedPlugins: Set<String>
    let compatFlags: Set<String>

    enum Value {
        case number(Double)
        case string(String)

        var truthy: Bool {
            switch self {
            case .number(let d): return d != 0
            case .string(let s): return !s.isEmpty && s != "0"
            }
        }
        var number: Double {
            switch self {
            case .number(let d): return d
            case .string(let s): return Double(s) ?? 0
            }
        }
    }

    private enum Token: Equatable {
        case word(String)   // names, class names, keywords
        case number(Double)
        case op(String)
        case end
    }

    private var tokens: [Token] = []
    private var index = 0
    /// Bounded nesting, as in MetaParser.
    private var depth = 0

    init(loadedPlugins: Set<String>, compatFlags: Set<String> = []) {
        self.loadedPlugins = loadedPlugins
        self.compatFlags = compatFlags
    }

    mutating func evaluate(_ text: String) throws(ConditionError) -> Bool {
        tokens = try Self.lex(text)
        index = 0
        guard tokens.first != .end else { throw ConditionError("empty condition") }
        let v = try parseLowOr()
        guard tokens[index] == .end else { throw ConditionError("unexpected \(Self.describe(tokens[index]))") }
        return v.truthy
    }

    private static func lex(_ text: String) throws(ConditionError) -> [Token] {
        var out: [Token] = []
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            if isPerlSpace(c) { i += 1; continue }
            let start = i
            if isWordByte(c) && !(c >= 0x30 && c <= 0x39) {
                // \w[\w:]* — class names such as Mail::SpamAssassin::Conf::x
                while i < b.count, isWordByte(b[i]) || b[i] == UInt8(ascii: ":") { i += 1 }
                out.append(.word(String(decoding: b[start..<i], as: UTF8.self)))
                continue
            }
            if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") {
                while i < b.count, (b[i] >= 0x30 && b[i] <= 0x39) || b[i] == UInt8(ascii: ".") { i += 1 }
                let s = String(decoding: b[start..<i], as: UTF8.self)
                guard let d = Double(s) else { throw ConditionError("malformed number '\(s)'") }
                out.append(.number(d))
                continue
            }
            let two = i + 1 < b.count ? String(decoding: b[i...(i + 1)], as: UTF8.self) : ""
            if ["&&", "||", "<=", ">=", "==", "!="].contains(two) {
                out.append(.op(two)); i += 2; continue
            }
            let one = String(decoding: [c], as: UTF8.self)
            if ["!", "<", ">", "+", "-", "*", "/", "(", ")"].contains(one) {
                out.append(.op(one)); i += 1; continue
            }
            throw ConditionError("unparseable '\(one)'")
        }
        out.append(.end)
        return out
    }

    private var current: Token { tokens[index] }

    private static func describe(_ t: Token) -> String {
        switch t {
        case .word(let w): return "'\(w)'"
        case .number(let d): return "'\(d)'"
        case .op(let o): return "'\(o)'"
        case .end: return "end of condition"
        }
    }

    // or / and / not: Perl's low-precedence logical operators.
    private mutating func parseLowOr() throws(ConditionError) -> Value {
        var lhs = try parseLowAnd()
        while current == .word("or") {
            index += 1
            let rhs = try parseLowAnd()
            lhs = lhs.truthy ? lhs : rhs
        }
        return lhs
    }

    private mutating func parseLowAnd() throws(ConditionError) -> Value {
        var lhs = try parseLowNot()
        while current == .word("and") {
            index += 1
            let rhs = try parseLowNot()
            lhs = lhs.truthy ? rhs : lhs
        }
        return lhs
    }

    private mutating func parseLowNot() throws(ConditionError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= MetaParser.maxDepth else { throw ConditionError("condition nested too deeply") }
        if current == .word("not") {
            index += 1
            return .number(try parseLowNot().truthy ? 0 : 1)
        }
        return try parseOr()
    }

    private mutating func parseOr() throws(ConditionError) -> Value {
        var lhs = try parseAnd()
        while current == .op("||") {
            index += 1
            let rhs = try parseAnd()
            lhs = lhs.truthy ? lhs : rhs
        }
        return lhs
    }

    private mutating func parseAnd() throws(ConditionError) -> Value {
        var lhs = try parseEquality()
        while current == .op("&&") {
            index += 1
            let rhs = try parseEquality()
            lhs = lhs.truthy ? rhs : lhs
        }
        return lhs
    }

    private mutating func parseEquality() throws(ConditionError) -> Value {
        var lhs = try parseRelational()
        while case .op(let op) = current, op == "==" || op == "!=" {
            index += 1
            let rhs = try parseRelational()
            let eq = lhs.number == rhs.number
            lhs = .number((op == "==") == eq ? 1 : 0)
        }
        return lhs
    }

    private mutating func parseRelational() throws(ConditionError) -> Value {
        var lhs = try parseAdditive()
        while case .op(let op) = current, ["<", ">", "<=", ">="].contains(op) {
            index += 1
            let rhs = try parseAdditive()
            let (l, r) = (lhs.number, rhs.number)
            let result: Bool
            switch op {
            case "<": result = l < r
            case ">": result = l > r
            case "<=": result = l <= r
            default: result = l >= r
            }
            lhs = .number(result ? 1 : 0)
        }
        return lhs
    }

    private mutating func parseAdditive() throws(ConditionError) -> Value {
        var lhs = try parseMultiplicative()
        while case .op(let op) = current, op == "+" || op == "-" {
            index += 1
            let rhs = try parseMultiplicative()
            lhs = .number(op == "+" ? lhs.number + rhs.number : lhs.number - rhs.number)
        }
        return lhs
    }

    private mutating func parseMultiplicative() throws(ConditionError) -> Value {
        var lhs = try parseUnary()
        while case .op(let op) = current, op == "*" || op == "/" {
            index += 1
            let rhs = try parseUnary()
            if op == "/" && rhs.number == 0 { throw ConditionError("division by zero") }
            lhs = .number(op == "*" ? lhs.number * rhs.number : lhs.number / rhs.number)
        }
        return lhs
    }

    private mutating func parseUnary() throws(ConditionError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= MetaParser.maxDepth else { throw ConditionError("condition nested too deeply") }
        switch current {
        case .op("!"):
            index += 1
            return .number(try parseUnary().truthy ? 0 : 1)
        case .op("-"):
            index += 1
            return .number(-(try parseUnary().number))
        case .op("+"):
            index += 1
            return try parseUnary()
        default:
            return try parsePrimary()
        }
    }

    private mutating func parsePrimary() throws(ConditionError) -> Value {
        switch current {
        case .number(let d):
            index += 1
            return .number(d)
        case .op("("):
            index += 1
            let v = try parseLowOr()
            guard current == .op(")") else { throw ConditionError("expected ')' but found \(Self.describe(current))") }
            index += 1
            return v
        case .word(let w):
            index += 1
            switch w {
            case "version": return .number(SpamAssassinCompatibility.spamAssassinVersion)
            case "perl_version": return .number(SpamAssassinCompatibility.perlVersion)
            case "local_tests_only": return .number(0)
            case "plugin", "can", "has":
                let arg = try parseCallArgument(w)
                return .number(try call(w, arg) ? 1 : 0)
            default:
                guard Self.isClassName(w) else { throw ConditionError("not allowed value '\(w)'") }
                return .string(w)
            }
        default:
            throw ConditionError("unexpected \(Self.describe(current))")
        }
    }

    private mutating func parseCallArgument(_ function: String) throws(ConditionError) -> String {
        guard current == .op("(") else { throw ConditionError("\(function) needs '(' NAME ')'") }
        index += 1
        guard case .word(let arg) = current, Self.isClassName(arg) else {
            throw ConditionError("\(function)() needs a name, found \(Self.describe(current))")
        }
        index += 1
        guard current == .op(")") else { throw ConditionError("expected ')' after \(function)(\(arg)") }
        index += 1
        return arg
    }

    /// `(?:\w+::){0,10}\w+`
    private static func isClassName(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        // "A::B" splits into ["A", "", "B"].
        var names: [Substring] = []
        var i = 0
        while i < parts.count {
            names.append(parts[i])
            if i + 1 < parts.count {
                guard parts[i + 1].isEmpty, i + 2 < parts.count else { return false }
                i += 2
            } else {
                i += 1
            }
        }
        return names.count <= 11 && names.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(isWordByte) }
    }

    private func call(_ function: String, _ arg: String) throws(ConditionError) -> Bool {
        if function == "plugin" {
            let name = SpamAssassinCompatibility.canonicalPluginName(arg)
            // Removed in 4.1 and always reported present by 4.0.
            if name == "Mail::SpamAssassin::Plugin::RaciallyCharged" { return true }
            return loadedPlugins.contains(name)
        }
        // can(Module::function) / has(Module::function)
        let u = Array(arg.utf8)
        guard let colon = u.lastIndex(of: UInt8(ascii: ":")), colon > 0, u[colon - 1] == UInt8(ascii: ":") else {
            throw ConditionError("cannot find '::' in \(function)(\(arg))")
        }
        let module = SpamAssassinCompatibility.canonicalPluginName(String(decoding: u[..<(colon - 1)], as: UTF8.self))
        let method = String(decoding: u[(colon + 1)...], as: UTF8.self)
        if module == "Mail::SpamAssassin::Conf" {
            return SpamAssassinCompatibility.confFeatures.contains(method) || compatFlags.contains(method)
        }
        if module.hasPrefix(SpamAssassinCompatibility.pluginPrefix) {
            let short = String(module.dropFirst(SpamAssassinCompatibility.pluginPrefix.count))
            return loadedPlugins.contains(module)
                && (SpamAssassinCompatibility.pluginCapabilities[short]?.contains(method) ?? false)
        }
        return false
    }
}
