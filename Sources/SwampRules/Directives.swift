// Directives other than rules and conditionals, with SpamAssassin 4.0.1's
// value checks (Conf.pm, the `@cmds` entries, and Conf/Parser.pm's
// `set_*_value` helpers). A value of the wrong type is an error and leaves
// the setting unchanged.

extension ConfigLoader {
    mutating func apply(key: String, value: String, at loc: SourceLocation) {
        if applyRuleDirective(key: key, value: value, at: loc) { return }
        if applyURIBLDirective(key: key, value: value, at: loc) { return }
        if applyListDirective(key: key, value: value, at: loc) { return }
        switch key {
        case "required_score", "required_hits":
            if let d = number(key, value, at: loc) { configuration.requiredScore = d }
        case "rewrite_header":
            rewriteHeader(value, at: loc)
        case "report_safe":
            guard !value.isEmpty else { return missing(key, at: loc) }
            guard let n = Int(value), (0...2).contains(n), value.utf8.count == 1 else { return invalid(key, value, at: loc) }
            configuration.reportSafe = n
            if n == 0, !configuration.addedHeaders.contains(where: { $0.audience != .ham && $0.name.lowercased() == "report" }) {
                configuration.addHeader(AddedHeader(audience: .spam, name: "Report", template: "_REPORT_"))
            }
        case "add_header":
            addHeader(value, at: loc)
        case "remove_header":
            removeHeader(value, at: loc)
        case "clear_headers":
            guard noArguments(key, value, at: loc) else { return }
            configuration.clearHeaders()
        case "report":
            configuration.reportTemplate.append(templateLine(value))
        case "clear_report_template":
            guard noArguments(key, value, at: loc) else { return }
            configuration.reportTemplate = []
        case "unsafe_report":
            configuration.unsafeReportTemplate.append(templateLine(value))
        case "clear_unsafe_report_template":
            guard noArguments(key, value, at: loc) else { return }
            configuration.unsafeReportTemplate = []
        case "report_contact":
            guard !value.isEmpty else { return missing(key, at: loc) }
            configuration.reportContact = value
        case "trusted_networks":
            if let nets = networks(key, value, at: loc) { configuration.trustedNetworks += nets }
        case "clear_trusted_networks":
            if noArguments(key, value, at: loc) { configuration.trustedNetworks = [] }
        case "internal_networks":
            if let nets = networks(key, value, at: loc) { configuration.internalNetworks += nets }
        case "clear_internal_networks":
            if noArguments(key, value, at: loc) { configuration.internalNetworks = [] }
        case "msa_networks":
            if let nets = networks(key, value, at: loc) { configuration.msaNetworks += nets }
        case "clear_msa_networks":
            if noArguments(key, value, at: loc) { configuration.msaNetworks = [] }
        case "welcomelist_auth", "whitelist_auth":
            addresses(key, value, at: loc) { Self.addAll($0, to: &$1.welcomelistAuth) }
        case "def_welcomelist_auth", "def_whitelist_auth":
            addresses(key, value, at: loc) { Self.addAll($0, to: &$1.defWelcomelistAuth) }
        case "unwelcomelist_auth", "unwhitelist_auth":
            // Removes from both lists (Conf.pm: "remove a welcomelist_auth or
            // def_welcomelist_auth entry").
            addresses(key, value, at: loc) { addrs, conf in
                conf.welcomelistAuth.removeAll { addrs.contains($0) }
                conf.defWelcomelistAuth.removeAll { addrs.contains($0) }
            }
        case "use_bayes":
            if let b = bool(key, value, at: loc) { configuration.useBayes = b }
        case "bayes_auto_learn":
            if let b = bool(key, value, at: loc) { configuration.bayesAutoLearn = b }
        case "bayes_auto_learn_threshold_spam":
            if let d = number(key, value, at: loc) { configuration.bayesAutoLearnThresholdSpam = d }
        case "bayes_auto_learn_threshold_nonspam":
            if let d = number(key, value, at: loc) { configuration.bayesAutoLearnThresholdNonspam = d }
        case "bayes_auto_learn_on_error":
            if let b = bool(key, value, at: loc) { configuration.bayesAutoLearnOnError = b }
        case "use_bayes_rules":
            if let b = bool(key, value, at: loc) { configuration.useBayesRules = b }
        case "bayes_path":
            guard !value.isEmpty else { return missing(key, at: loc) }
            configuration.bayesPath = value
        case "bayes_sql_dsn":
            guard !value.isEmpty else { return missing(key, at: loc) }
            configuration.bayesSQLDSN = value
        case "bayes_sql_username":
            guard !value.isEmpty else { return missing(key, at: loc) }
            configuration.bayesSQLUsername = value
        case "bayes_sql_override_username":
            guard !value.isEmpty else { return missing(key, at: loc) }
            configuration.bayesSQLOverrideUsername = value
        case "bayes_sql_password":
            // Conf.pm allows an empty password; the value is never echoed.
            configuration.bayesSQLPassword = value
        case "bayes_store_module":
            guard !value.isEmpty else { return missing(key, at: loc) }
            guard let module = BayesStoreModule(moduleName: value) else {
                return report(.error, "bayes_store_module \(value) is not supported: swamp keeps Bayes in SQLite "
                              + "(instead of BayesStore::DBM) or PostgreSQL (BayesStore::PgSQL or BayesStore::SQL)", at: loc)
            }
            configuration.bayesStoreModule = module
        case "dns_server":
            guard let server = Self.dnsServer(value) else { return invalid(key, value, at: loc) }
            configuration.dnsServers.append(server)
        case "clear_dns_servers":
            if noArguments(key, value, at: loc) { configuration.dnsServers = [] }
        case "dns_available":
            dnsAvailable(value, at: loc)
        case "skip_rbl_checks":
            if let b = bool(key, value, at: loc) { configuration.skipRBLChecks = b }
        case "normalize_charset":
            if let b = bool(key, value, at: loc) { configuration.normalizeCharset = b }
        case "body_part_scan_size":
            if let d = number(key, value, at: loc) { configuration.bodyPartScanSize = Self.clampedInt(d) }
        case "rawbody_part_scan_size":
            if let d = number(key, value, at: loc) { configuration.rawbodyPartScanSize = Self.clampedInt(d) }
        case "time_limit":
            if let d = duration(key, value, at: loc) { configuration.timeLimit = d }
        case "lock_method":
            guard ["nfssafe", "flock", "win32"].contains(value) else { return invalid(key, value, at: loc) }
            configuration.lockMethod = value
        case "enable_compat":
            // Conf.pm: defines Mail::SpamAssassin::Conf::compat_NAME for
            // `if can(...)`.
            guard !value.isEmpty else { return missing(key, at: loc) }
            guard value.utf8.count <= 128, value.utf8.allSatisfy(isWordByte) else { return invalid(key, value, at: loc) }
            state.compatFlags.insert("compat_" + value)
            configuration.otherSettings[key, default: []].append(value)
            configuration.otherSettingLocations[key, default: []].append(loc)
        case "loadplugin", "tryplugin":
            loadPlugin(key, value, at: loc)
        case "replace_tag", "replace_pre", "replace_inter", "replace_post":
            guard let (k, v) = keyValue(key, value, at: loc) else { return }
            switch key {
            case "replace_tag": configuration.replaceTags[k] = v
            case "replace_pre": configuration.replacePre[k] = v
            case "replace_inter": configuration.replaceInter[k] = v
            default: configuration.replacePost[k] = v
            }
        case "replace_rules":
            guard !value.isEmpty else { return missing(key, at: loc) }
            for name in Self.words(value) { configuration.replaceRules.insert(name) }
        case "replace_start", "replace_end":
            guard !value.isEmpty else { return missing(key, at: loc) }
            if key == "replace_start" { configuration.replaceStart = value } else { configuration.replaceEnd = value }
        default:
            if KnownDirectives.isKnown(key) {
                if key == "askdns" { askdns(value, at: loc) }
                configuration.otherSettings[key, default: []].append(value)
                configuration.otherSettingLocations[key, default: []].append(loc)
            } else {
                report(.warning, "unknown directive '\(key)'", at: loc)
            }
        }
    }

    // MARK: value types

    mutating func missing(_ key: String, at loc: SourceLocation) {
        report(.error, "'\(key)' needs a value", at: loc)
    }

    mutating func invalid(_ key: String, _ value: String, at loc: SourceLocation) {
        report(.error, "invalid value for '\(key)': \(value)", at: loc)
    }

    /// `set_numeric_value`: `[+-]?\d+(\.\d*)?`.
    mutating func number(_ key: String, _ value: String, at loc: SourceLocation) -> Double? {
        guard !value.isEmpty else { missing(key, at: loc); return nil }
        guard Self.isPerlNumber(value), let d = Double(value.hasSuffix(".") ? String(value.dropLast()) : value) else {
            invalid(key, value, at: loc); return nil
        }
        return d
    }

    static func isPerlNumber(_ s: String) -> Bool {
        var u = Substring(s).utf8[...]
        if let f = u.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { u = u.dropFirst() }
        let digits = u.prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard !digits.isEmpty else { return false }
        u = u.dropFirst(digits.count)
        if u.isEmpty { return true }
        guard u.first == UInt8(ascii: ".") else { return false }
        return u.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `set_duration_value`: a number with an optional s/m/h/d/w unit.
    mutating func duration(_ key: String, _ value: String, at loc: SourceLocation) -> Double? {
        guard !value.isEmpty else { missing(key, at: loc); return nil }
        var text = value
        var factor = 1.0
        if let last = text.last?.lowercased(), let f = ["s": 1.0, "m": 60, "h": 3600, "d": 86400, "w": 604_800][last] {
            factor = f
            text.removeLast()
            while let l = text.last, l == " " || l == "\t" { text.removeLast() }
        }
        guard !text.hasPrefix("-"), Self.isPerlNumber(text),
              let d = Double(text.hasSuffix(".") ? String(text.dropLast()) : text) else {
            invalid(key, value, at: loc); return nil
        }
        return d * factor
    }

    /// `set_bool_value`: yes/1 or no/0.
    mutating func bool(_ key: String, _ value: String, at loc: SourceLocation) -> Bool? {
        guard !value.isEmpty else { missing(key, at: loc); return nil }
        switch value.lowercased() {
        case "yes", "1": return true
        case "no", "0": return false
        default: invalid(key, value, at: loc); return nil
        }
    }

    mutating func noArguments(_ key: String, _ value: String, at loc: SourceLocation) -> Bool {
        if value.isEmpty { return true }
        report(.error, "'\(key)' takes no value", at: loc)
        return false
    }

    /// `set_hash_key_value`: `KEY VALUE...`, both required.
    mutating func keyValue(_ key: String, _ value: String, at loc: SourceLocation) -> (String, String)? {
        let (k, v) = Self.splitDirective(value)
        guard !k.isEmpty, !v.isEmpty else { missing(key, at: loc); return nil }
        // splitDirective lowercases keys; hash keys keep their case.
        return (Self.firstWord(value), v)
    }

    static func words(_ s: String) -> [String] {
        s.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }

    static func firstWord(_ s: String) -> String {
        String(s.prefix { !$0.isWhitespace })
    }

    static func clampedInt(_ d: Double) -> Int {
        d >= Double(Int.max) ? Int.max : (d <= Double(Int.min) ? Int.min : Int(d))
    }

    /// `set_template_append`: a line wholly in double quotes loses them.
    func templateLine(_ value: String) -> String {
        if value.utf8.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            return String(value.dropFirst().dropLast())
        }
        return value
    }

    private static func addAll(_ items: [String], to list: inout [String]) {
        for item in items where !list.contains(item) { list.append(item) }
    }

    /// Address lists are stored lowercased, as SpamAssassin's
    /// `add_to_addrlist` keys them.
    private mutating func addresses(_ key: String, _ value: String, at loc: SourceLocation,
                                    _ update: ([String], inout Configuration) -> Void) {
        guard !value.isEmpty else { return missing(key, at: loc) }
        update(Self.words(value).map { $0.lowercased() }, &configuration)
    }

    /// IP address lists (`trusted_networks` ...): `[!]addr[/len]` items;
    /// partial IPv4 such as `10.` or `192.168/16` is allowed, as in
    /// SpamAssassin's NetSet.
    private mutating func networks(_ key: String, _ value: String, at loc: SourceLocation) -> [String]? {
        guard !value.isEmpty else { missing(key, at: loc); return nil }
        let items = Self.words(value)
        for item in items {
            var body = Substring(item)
            if body.hasPrefix("!") { body = body.dropFirst() }
            if body.hasPrefix("["), let close = body.firstIndex(of: "]") {
                body = body[body.index(after: body.startIndex)..<close] + body[body.index(after: close)...]
            }
            let ok = !body.isEmpty && body.unicodeScalars.allSatisfy {
                ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0)
                    || $0 == "." || $0 == ":" || $0 == "/" || $0 == "%"
            } && body.unicodeScalars.contains { ("0"..."9").contains($0) || $0 == ":" }
            if !ok {
                report(.error, "invalid network '\(item)' in '\(key)'", at: loc)
                return nil
            }
        }
        return items
    }

    // MARK: individual settings

    private mutating func rewriteHeader(_ value: String, at loc: SourceLocation) {
        let (h, rest) = Self.splitDirective(value)
        guard !h.isEmpty else { return missing("rewrite_header", at: loc) }
        let header = h.prefix(1).uppercased() + h.dropFirst()
        guard ["From", "Subject", "To"].contains(header) else {
            report(.error, "rewrite_header: only Subject, From and To can be rewritten, not '\(h)'", at: loc)
            return
        }
        if rest.allSatisfy(\.isWhitespace) {
            configuration.rewriteHeaders[header] = nil
            return
        }
        // Conf.pm: parentheses would break address headers.
        configuration.rewriteHeaders[header] = header == "Subject"
            ? rest
            : String(rest.map { $0 == "(" ? "[" : ($0 == ")" ? "]" : $0) })
    }

    private mutating func addHeader(_ value: String, at loc: SourceLocation) {
        let (_, rest) = Self.splitDirective(value)
        let aud = Self.firstWord(value)
        let (nameLower, templateRaw) = Self.splitDirective(rest)
        let name = Self.firstWord(rest)
        guard let audience = HeaderAudience(rawValue: aud), !nameLower.isEmpty, !templateRaw.isEmpty,
              name.utf8.allSatisfy({ isWordByte($0) || $0 == UInt8(ascii: "-") })
        else {
            report(.error, "add_header needs spam|ham|all NAME TEMPLATE, got '\(value)'", at: loc)
            return
        }
        var template = templateRaw
        if template.utf8.count >= 2, template.hasPrefix("\""), template.hasSuffix("\"") {
            template = String(template.dropFirst().dropLast())
        }
        configuration.addHeader(AddedHeader(audience: audience, name: name, template: Self.unescapeHeaderTemplate(template)))
    }

    /// Conf.pm `add_header`: `\\` is a backslash, `\t` and `\n` expand, any
    /// other escaped character is dropped.
    static func unescapeHeaderTemplate(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var it = s.makeIterator()
        while let c = it.next() {
            guard c == "\\" else { out.append(c); continue }
            guard let n = it.next() else { break }
            switch n {
            case "\\": out.append("\\")
            case "t": out.append("\t")
            case "n": out.append("\n")
            default: break
            }
        }
        return out
    }

    private mutating func removeHeader(_ value: String, at loc: SourceLocation) {
        let words = Self.words(value)
        guard words.count == 2, let audience = HeaderAudience(rawValue: words[0]) else {
            report(.error, "remove_header needs spam|ham|all NAME, got '\(value)'", at: loc)
            return
        }
        // Conf.pm: the Checker-Version header cannot be removed.
        guard words[1] != "Checker-Version" else { return }
        let header = AddedHeader(audience: audience, name: words[1], template: "")
        configuration.removedHeaders.append(header)
        configuration.removeHeader(named: words[1], from: audience)
    }

    private mutating func dnsAvailable(_ value: String, at loc: SourceLocation) {
        if value == "yes" || value == "1" {
            configuration.dnsAvailable = true
            configuration.dnsAvailableTest = nil
        } else if value == "no" || value == "0" {
            configuration.dnsAvailable = false
            configuration.dnsAvailableTest = nil
        } else if value == "test" || (value.hasPrefix("test:") && !value.dropFirst(5).allSatisfy(\.isWhitespace)) {
            // Probed at run time; assume available until the probe says not.
            configuration.dnsAvailable = true
            configuration.dnsAvailableTest = value
        } else {
            invalid("dns_available", value, at: loc)
        }
    }

    /// `dns_server ADDR[:PORT]` / `[ADDR]:PORT`; stored as `host:port` for
    /// IPv4 and `[host]:port` for IPv6, port 53 by default.
    static func dnsServer(_ value: String) -> String? {
        var host: Substring
        var port = "53"
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            host = value[value.index(after: value.startIndex)..<close]
            let after = value[value.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                port = String(after.dropFirst())
            }
        } else if value.filter({ $0 == ":" }).count == 1 {
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            host = parts[0]
            port = String(parts[1])
        } else {
            host = Substring(value)
        }
        guard let p = Int(port), (1...65535).contains(p), !port.hasPrefix("+") else { return nil }
        var bare = host
        if let pct = bare.firstIndex(of: "%") { bare = bare[..<pct] }
        if isIPv4(bare) { return "\(host):\(p)" }
        if bare.contains(":"), bare.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }) {
            return "[\(host)]:\(p)"
        }
        return nil
    }

    static func isIPv4(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) && Int(p).map { $0 <= 255 } == true
        }
    }

    private mutating func loadPlugin(_ key: String, _ value: String, at loc: SourceLocation) {
        guard !value.isEmpty else { return missing(key, at: loc) }
        let words = Self.words(value)
        let nameOK = words.first.map { name in
            name.split(separator: ":", omittingEmptySubsequences: false).enumerated().allSatisfy { i, part in
                i % 2 == 1 ? part.isEmpty : (!part.isEmpty && part.utf8.allSatisfy(isWordByte))
            }
        } ?? false
        guard nameOK, words.count == 1 || (words.count == 2 && words[1].hasSuffix(".pm")) else {
            return invalid(key, value, at: loc)
        }
        let name = SpamAssassinCompatibility.canonicalPluginName(words[0])
        state.loadedPlugins.insert(name)
        if !configuration.plugins.contains(name) { configuration.plugins.append(name) }
    }

    /// `askdns NAME QUERY [TYPE [SUBTEST]]` defines NAME (Plugin/AskDNS.pm).
    private mutating func askdns(_ value: String, at loc: SourceLocation) {
        let words = Self.words(value)
        guard words.count >= 2, Self.isRuleName(words[0]) else { return }
        definePlaceholder(words[0], at: loc)
    }
}

extension Configuration {
    /// `add_header`: replaces a header of the same name (case-insensitive)
    /// for that audience, then appends.
    mutating func addHeader(_ header: AddedHeader) {
        removeHeader(named: header.name, from: header.audience)
        addedHeaders.append(header)
    }

    /// Removes NAME for one audience; an `all` entry loses that audience.
    mutating func removeHeader(named name: String, from audience: HeaderAudience) {
        let lower = name.lowercased()
        var result: [AddedHeader] = []
        for var h in addedHeaders {
            guard h.name.lowercased() == lower else { result.append(h); continue }
            switch (h.audience, audience) {
            case (_, .all): continue
            case (.all, .spam): h.audience = .ham; result.append(h)
            case (.all, .ham): h.audience = .spam; result.append(h)
            case (let a, let b) where a == b: continue
            default: result.append(h)
            }
        }
        addedHeaders = result
    }

    /// `clear_headers`: everything but Checker-Version goes.
    mutating func clearHeaders() {
        let keep = addedHeaders.first { $0.name.lowercased() == "checker-version" && $0.audience != .spam }
        addedHeaders = keep.map { [AddedHeader(audience: .all, name: $0.name, template: $0.template)] } ?? []
    }
}
