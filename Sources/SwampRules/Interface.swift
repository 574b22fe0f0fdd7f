// The public surface of SwampRules that SwampEngine, SwampScan and the CLI
// build on. Signatures are the contract. The work is done in the other files
// of this module: ConfigLoader+Parse (lines, conditionals), Directives,
// RuleParsing, PerlRegex+Parse, MetaExpression+Parse, Conditionals,
// ReplaceTags, Validation, ConfigLoader+Files.

public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public init(file: String, line: Int) { self.file = file; self.line = line }
    public var description: String { "\(file):\(line)" }
}

public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, info }
    public let severity: Severity
    public let location: SourceLocation?
    public let message: String
    public init(_ severity: Severity, _ message: String, at location: SourceLocation?) {
        self.severity = severity; self.message = message; self.location = location
    }
    public var description: String {
        (location.map { "\($0): " } ?? "") + "\(severity.rawValue): \(message)"
    }
}

/// A Perl regex as written in a rule: `/re/flags`, `m{re}flags`, `m!re!`, ...
/// with the delimiters removed. `pattern` is the text between them, byte for
/// byte as SpamAssassin compiles it: escaped delimiters stay escaped (PCRE
/// reads `\/` as `/`), and bytes that were not UTF-8 in the file appear as
/// `\xHH` escapes (see `PerlRegex.parse(perl:)`).
public struct PerlRegex: Sendable, Hashable {
    public var pattern: String
    /// Subset of "imsx" (other Perl flags such as `g`, `o` dropped).
    public var flags: String
    public init(pattern: String, flags: String) { self.pattern = pattern; self.flags = flags }
    /// Parses `/re/flags` or `m<delim>re<delim>flags`; nil when malformed.
    /// `parse(perl:)` says why.
    public init?(perl text: Substring) {
        guard let parsed = try? PerlRegex.parse(perl: text) else { return nil }
        self = parsed
    }
}

/// `Subject`, `From:addr`, `ALL:raw`, `To:first:addr` ...
public struct HeaderTarget: Sendable, Hashable {
    public var name: String
    /// Modifiers after the name, lowercased, without colons: "raw", "addr",
    /// "name", "host", "domain", "ip", "revip", "first", "last".
    public var modifiers: [String]
    public init(name: String, modifiers: [String]) { self.name = name; self.modifiers = modifiers }
}

public enum RuleType: String, Sendable, Hashable, CaseIterable {
    case header, body, rawbody, full, uri, meta, mimeheader
}

public indirect enum MetaExpression: Sendable, Hashable {
    case rule(String)
    case number(Double)
    case not(MetaExpression)
    case negate(MetaExpression)
    /// `&& || + - * / < <= > >= == !=`
    case binary(String, MetaExpression, MetaExpression)

    /// Parses SpamAssassin meta syntax: rule names, numbers, `! ( )`, and the
    /// operators above with Perl precedence.
    public static func parse(_ text: Substring) throws(MetaParseError) -> MetaExpression {
        var parser = MetaParser(text)
        return try parser.parseAll()
    }

    /// Every rule name referenced.
    public var ruleNames: Set<String> {
        var names = Set<String>()
        collectRuleNames(into: &names)
        return names
    }
}

public struct MetaParseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum RuleTest: Sendable, Hashable {
    /// `header NAME Target =~ /re/ [if-unset: TEXT]` (negated for `!~`).
    case header(HeaderTarget, PerlRegex, negated: Bool, ifUnset: String?)
    /// `header NAME exists:Target`
    case exists(String)
    /// `body|rawbody|full|uri NAME /re/`
    case regex(PerlRegex)
    /// `TYPE NAME eval:function(args)`; for header rules the optional
    /// header target before `eval:` is dropped. Arguments unquoted.
    case eval(function: String, arguments: [String])
    case meta(MetaExpression)
}

public struct Rule: Sendable, Hashable {
    public var name: String
    public var type: RuleType
    public var test: RuleTest
    public var location: SourceLocation
    public init(name: String, type: RuleType, test: RuleTest, location: SourceLocation) {
        self.name = name; self.type = type; self.test = test; self.location = location
    }
}

/// `test RULE ok|fail TEXT`: the rule should (ok) or should not (fail)
/// hit TEXT.
public struct RegressionTest: Sendable, Hashable {
    public var rule: String
    public var shouldHit: Bool
    public var text: String
    public var location: SourceLocation
    public init(rule: String, shouldHit: Bool, text: String, location: SourceLocation) {
        self.rule = rule; self.shouldHit = shouldHit; self.text = text; self.location = location
    }
}

public enum HeaderAudience: String, Sendable, Hashable { case spam, ham, all }

public struct AddedHeader: Sendable, Hashable {
    public var audience: HeaderAudience
    /// Without the `X-Spam-` prefix, as in `add_header all Status ...`.
    public var name: String
    public var template: String
    public init(audience: HeaderAudience, name: String, template: String) {
        self.audience = audience; self.name = name; self.template = template
    }
}

/// Everything the configuration files said, merged in load order (later
/// definitions replace earlier ones, as in SpamAssassin). Defaults are
/// SpamAssassin's.
public struct Configuration: Sendable {
    /// Rules by name, and the order names were first defined in.
    public var rules: [String: Rule] = [:]
    public var ruleOrder: [String] = []
    /// `score NAME s0 [s1 s2 s3]`, always stored as four values.
    public var scores: [String: [Double]] = [:]
    public var descriptions: [String: String] = [:]
    /// `tflags NAME ...`, each flag as written ("multiple", "maxhits=5", ...).
    public var tflags: [String: [String]] = [:]
    public var priorities: [String: Int] = [:]
    /// ReplaceTags plugin: `replace_tag`, `replace_pre`, `replace_inter`,
    /// `replace_post`, `replace_rules`.
    public var replaceTags: [String: String] = [:]
    public var replacePre: [String: String] = [:]
    public var replaceInter: [String: String] = [:]
    public var replacePost: [String: String] = [:]
    public var replaceRules: Set<String> = []

    public var requiredScore: Double = 5.0
    /// `rewrite_header Subject|From|To TEXT`
    public var rewriteHeaders: [String: String] = [:]
    public var reportSafe: Int = 1
    /// The `add_header` list in effect (SpamAssassin's defaults until
    /// `clear_headers`).
    public var addedHeaders: [AddedHeader] = Configuration.defaultHeaders
    /// `remove_header spam|ham|all NAME`
    public var removedHeaders: [AddedHeader] = []
    public var reportTemplate: [String] = Configuration.defaultReport
    public var reportContact: String = "the administrator of that system"
    public var trustedNetworks: [String] = []
    public var internalNetworks: [String] = []
    public var msaNetworks: [String] = []
    /// SpamAssassin's address lists by its setting name: `welcomelist_from`,
    /// `blocklist_from`, `welcomelist_to`, `blocklist_to`, `more_spam_to`,
    /// `all_spam_to`, `welcomelist_allows_relays`,
    /// `welcomelist_bounce_relays`, and each `enlist_addrlist (NAME)` list
    /// (see ListDirectives.swift).
    public var addressLists: [String: AddressList] = [:]
    /// `welcomelist_from_rcvd` / `def_welcomelist_from_rcvd`: each address
    /// glob with the relay names or `[IP]` forms it must have come through.
    public var welcomelistFromRcvd: [String: [String]] = [:]
    public var defWelcomelistFromRcvd: [String: [String]] = [:]
    /// `enlist_uri_host (LIST) [!]host...` (`blocklist_uri_host` is list
    /// BLOCK, `welcomelist_uri_host` WELCOME): per list, each lower-cased
    /// host or domain and whether it is listed (false for `!host`).
    public var uriHostLists: [String: [String: Bool]] = [:]
    /// WelcomeListSubject plugin: `welcomelist_subject` /
    /// `blocklist_subject` lines, each a lower-cased glob over the Subject.
    public var welcomelistSubject = AddressList()
    public var blocklistSubject = AddressList()
    public var welcomelistAuth: [String] = []
    public var defWelcomelistAuth: [String] = []
    public var useBayes = true
    public var bayesAutoLearn = true
    public var bayesAutoLearnThresholdSpam = 12.0
    public var bayesAutoLearnThresholdNonspam = 0.1
    /// Autolearn only what Bayes got wrong (BAYES_99 spam, BAYES_00 ham
    /// are left alone).
    public var bayesAutoLearnOnError = false
    /// Whether the BAYES_* rules run at all (learning goes on regardless).
    public var useBayesRules = true
    public var bayesPath: String? = nil
    public var bayesSQLDSN: String? = nil
    /// `bayes_sql_username`, `bayes_sql_password`: the login for
    /// `bayes_sql_dsn` (SpamAssassin's names; they win over a user and
    /// password written in the DSN).
    public var bayesSQLUsername: String? = nil
    public var bayesSQLPassword: String? = nil
    /// `bayes_sql_override_username`: with the SQL store, every scan and
    /// every learn uses this user's rows, whoever the user is (and the
    /// site's too): one database for a group or for all.
    public var bayesSQLOverrideUsername: String? = nil
    /// `bayes_store_module`, when set: which of swamp's stores it names.
    /// Nil means the SQL store when `bayes_sql_dsn` is set, else SQLite.
    public var bayesStoreModule: BayesStoreModule? = nil
    public var rulesDirs: [String] = []
    public var dnsServers: [String] = []
    public var dnsAvailable = true
    public var skipRBLChecks = false
    public var normalizeCharset = true
    public var bodyPartScanSize = 50_000
    public var rawbodyPartScanSize = 500_000
    public var timeLimit: Double = 300
    public var lockMethod: String? = nil
    /// Every directive swamp accepts but does not act on yet, with its value.
    public var otherSettings: [String: [String]] = [:]
    /// `loadplugin NAME [path]`, in order.
    public var plugins: [String] = []
    public var diagnostics: [Diagnostic] = []
    /// Files read, in order.
    public var files: [String] = []

    // Added by SwampRules beyond the first contract; see each comment.

    /// `unsafe_report` lines, the text added to reports of unsafe messages
    /// (`clear_unsafe_report_template` empties it).
    public var unsafeReportTemplate: [String] = []

    /// Whether some template (`add_header`, `report`, `unsafe_report`,
    /// `rewrite_header`) shows the subrules a message hit (`_SUBTESTS_`,
    /// `_SUBTESTSCOLLAPSED_`): then every subrule must run.
    public var templatesShowSubrules: Bool {
        let texts = addedHeaders.map(\.template) + reportTemplate + unsafeReportTemplate + Array(rewriteHeaders.values)
        return texts.contains { $0.contains("_SUBTESTS") }
    }
    /// `test RULE ok|fail TEXT` lines, in order, for regression tests.
    public var regressionTests: [RegressionTest] = []
    /// Names defined without a test of their own — `reuse NAME` and
    /// `askdns NAME ...` — so that scores, tflags and metas may use them
    /// (SpamAssassin's "empty" tests). A later real definition removes the
    /// name from here.
    public var placeholderRules: [String: SourceLocation] = [:]
    /// `reuse NAME [OLD_NAME...]`: the names whose results NAME may reuse.
    public var reuse: [String: [String]] = [:]
    /// ReplaceTags `replace_start` / `replace_end`: tag delimiters.
    public var replaceStart = "<"
    public var replaceEnd = ">"
    /// `dns_available test[: servers]` as written; nil for `yes`/`no`.
    public var dnsAvailableTest: String? = nil
    /// The URIDNSBL plugin's lookups by the rule they hit (`urirhssub`,
    /// `uridnsbl`, ...; see URIBLDirectives.swift).
    public var uriBlocklists: [String: URIBlocklist] = [:]
    /// `uridnsbl_skip_domain`: domains and hosts never looked up, lower-case.
    public var uridnsblSkipDomains: Set<String> = []
    /// `uridnsbl_max_domains`: hosts looked up per message.
    public var uridnsblMaxDomains = 20
    /// `uridnsbl_skip_mailto`: leave the hosts of mailto: links out.
    public var uridnsblSkipMailto = true
    /// `skip_uribl_checks`
    public var skipURIBLChecks = false
    /// Where each rule's last `score` line was.
    public var scoreLocations: [String: SourceLocation] = [:]
    /// Where each `otherSettings` value came from, index for index.
    public var otherSettingLocations: [String: [SourceLocation]] = [:]
    /// Rules whose regex defines named captures (`(?<NAME>...)`): they set
    /// tags other rules read, and so run first (SpamAssassin gives them
    /// priority -10000 when defined; a later `priority` line overrides).
    public var captureRules: Set<String> = []
    /// Rules whose regex uses `%{NAME}` capture templates, with the names.
    /// SpamAssassin escapes each to `%\{NAME\}` in the pattern (as stored
    /// here), and substitutes the captured value at scan time.
    public var captureTemplates: [String: Set<String>] = [:]
    /// Metas using `rules_matching(GLOB)`: their text, expanded once every
    /// rule is known (in `validate()`).
    var globMetas: [String: String] = [:]

    public init() {}

    /// swamp's own defaults, in the order SpamAssassin's default prefs add them.
    public static let defaultHeaders: [AddedHeader] = [
        AddedHeader(audience: .all, name: "Checker-Version", template: "swamp _VERSION_ on _HOSTNAME_"),
        AddedHeader(audience: .spam, name: "Flag", template: "_YESNOCAPS_"),
        AddedHeader(audience: .all, name: "Level", template: "_STARS(*)_"),
        AddedHeader(audience: .all, name: "Status",
                    template: "_YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_ autolearn=_AUTOLEARN_ version=_VERSION_"),
    ]
    public static let defaultReport: [String] = []
}

/// SpamAssassin's Bayes store classes (`Mail::SpamAssassin::BayesStore::*`)
/// on swamp's two stores: its DBM files' place is taken by the SQLite file
/// at `bayes_path`; `SQL` and `PgSQL` are PostgreSQL at `bayes_sql_dsn`.
public enum BayesStoreModule: String, Sendable, Equatable {
    case file, sql

    /// The store a module name selects; nil for the ones swamp has no
    /// counterpart of (`MySQL`, `Redis`).
    public init?(moduleName: String) {
        let last = moduleName.split(separator: ":").last.map { $0.lowercased() } ?? ""
        switch last {
        case "dbm", "sqlite": self = .file
        case "sql", "pgsql": self = .sql
        default: return nil
        }
    }
}

/// Reads configuration text into a `Configuration`.
public struct ConfigLoader: Sendable {
    public internal(set) var configuration = Configuration()
    /// Files nest `include` this deep at most; cycles are reported.
    public var maxIncludeDepth = 20

    public init() {}

    /// Parses `text` as if read from `file` (for diagnostics and relative
    /// includes).
    public mutating func load(text: String, file: String) {
        beginTopLevel()
        parse(text: text, file: file)
        endTopLevel()
    }
    /// A file, or a directory: its `*.pre` then `*.cf` files, sorted by name.
    public mutating func load(path: String) {
        beginTopLevel()
        loadPath(path, from: nil)
        endTopLevel()
    }

    // Loader state (see ConfigLoader+Parse.swift).
    var state = LoaderState()
}
