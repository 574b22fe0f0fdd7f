// Rule definitions and the per-rule settings (Conf.pm: `header`, `body`,
// `rawbody`, `full`, `uri`, `meta`, `describe`, `score`, `tflags`,
// `priority`, `reuse`, `test`; Plugin/MIMEHeader.pm: `mimeheader`;
// Conf/Parser.pm: `add_test`, `pack_eval_args`, `is_meta_valid`).
// A malformed rule is reported as an error and not defined.

extension ConfigLoader {
    /// Handles rule directives; false when `key` is not one.
    mutating func applyRuleDirective(key: String, value: String, at loc: SourceLocation) -> Bool {
        switch key {
        case "header", "body", "rawbody", "full", "uri", "meta", "mimeheader":
            defineRule(type: RuleType(rawValue: key)!, value: value, at: loc)
        case "describe":
            if let (name, text) = keyValue(key, value, at: loc) { configuration.descriptions[name] = text }
        case "tflags":
            if let (name, flags) = keyValue(key, value, at: loc) { configuration.tflags[name] = Self.words(flags) }
        case "score":
            score(value, at: loc)
        case "priority":
            let words = Self.words(value)
            guard words.count == 2 else { missing(key, at: loc); return true }
            guard Self.isRuleName(words[0]), let p = Int(words[1]), !words[1].hasPrefix("+") else {
                invalid(key, value, at: loc); return true
            }
            configuration.priorities[words[0]] = p
        case "reuse":
            let words = Self.words(value)
            guard let name = words.first, words.allSatisfy({ $0.utf8.allSatisfy(isWordByte) }) else {
                invalid(key, value, at: loc); return true
            }
            configuration.reuse[name] = Array(words.dropFirst())
            // "don't overwrite tests, just define them so scores, priorities work"
            definePlaceholder(name, at: loc)
        case "test":
            let words = value.split(maxSplits: 2, whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 3, words[1] == "ok" || words[1] == "fail" else {
                invalid(key, value, at: loc); return true
            }
            configuration.regressionTests.append(RegressionTest(
                rule: String(words[0]), shouldHit: words[1] == "ok", text: String(words[2]), location: loc))
        default:
            return false
        }
        return true
    }

    /// `score NAME s [s s s]`; `(n)` values are added to the current score.
    private mutating func score(_ value: String, at loc: SourceLocation) {
        let words = Self.words(value)
        guard words.count == 2 || words.count == 5 else {
            report(.error, "'score' needs a rule name and 1 or 4 scores", at: loc)
            return
        }
        let name = words[0]
        var relative = false
        var values: [Double] = []
        for var w in words.dropFirst() {
            if w.hasPrefix("("), w.hasSuffix(")"), w.count > 2 {
                w = String(w.dropFirst().dropLast())
                relative = true
            }
            guard !w.hasPrefix("+"), !w.hasSuffix("."), Self.isPerlNumber(w), let d = Double(w) else {
                report(.error, "score \(name): '\(w)' is not a number", at: loc)
                return
            }
            values.append(d)
        }
        if values.count == 1 { values = Array(repeating: values[0], count: 4) }
        if relative {
            guard let old = configuration.scores[name] else {
                report(.error, "score \(name): relative score without an earlier score", at: loc)
                return
            }
            values = zip(old, values).map { $0 + $1 }
        }
        configuration.scores[name] = values
        configuration.scoreLocations[name] = loc
    }

    /// Perl's IS_RULENAME (Constants.pm) with add_test's 100-character cap.
    static func isRuleName(_ s: String) -> Bool {
        let u = s.utf8
        guard let f = u.first, isWordByte(f), !(f >= 0x30 && f <= 0x39), u.count <= 100 else { return false }
        return u.allSatisfy(isWordByte)
    }

    mutating func definePlaceholder(_ name: String, at loc: SourceLocation) {
        guard configuration.rules[name] == nil, configuration.placeholderRules[name] == nil else { return }
        configuration.placeholderRules[name] = loc
        if !configuration.ruleOrder.contains(name) { configuration.ruleOrder.append(name) }
    }

    private mutating func define(_ rule: Rule) {
        if configuration.rules[rule.name] == nil && configuration.placeholderRules[rule.name] == nil {
            configuration.ruleOrder.append(rule.name)
        }
        configuration.rules[rule.name] = rule
        configuration.placeholderRules[rule.name] = nil
        configuration.globMetas[rule.name] = nil
    }

    private mutating func ruleError(_ type: RuleType, _ name: String, _ message: String, at loc: SourceLocation) {
        report(.error, "\(type.rawValue) \(name): \(message); rule skipped", at: loc)
    }

    private mutating func defineRule(type: RuleType, value: String, at loc: SourceLocation) {
        let (nameLower, _) = Self.splitDirective(value)
        let name = Self.firstWord(value)
        let body = Self.splitDirective(value).value
        guard !nameLower.isEmpty, !body.isEmpty else {
            report(.error, "'\(type.rawValue)' needs a rule name and a test", at: loc)
            return
        }
        guard Self.isRuleName(name) else {
            report(.error, "\(type.rawValue): invalid rule name '\(name)' (letters, digits and _, not starting with a digit)", at: loc)
            return
        }
        let test: RuleTest
        do throws(RuleSyntaxError) {
            switch type {
            case .header: test = try Self.headerTest(body)
            case .mimeheader: test = try Self.mimeheaderTest(body)
            case .meta:
                if body.contains("rules_matching(") {
                    // Expanded once all rules are known (Conf/Parser.pm
                    // `compile_meta_rules`); checked for syntax now.
                    _ = try Self.metaTest(Self.replacingRuleGlobs(in: body) { _ in "0" })
                    define(Rule(name: name, type: .meta, test: .meta(.number(0)), location: loc))
                    configuration.globMetas[name] = body
                    return
                }
                test = try Self.metaTest(body)
            case .body, .rawbody, .full, .uri:
                if body.hasPrefix("eval:") {
                    test = try Self.evalTest(body.dropFirst(5))
                } else {
                    do { test = .regex(try PerlRegex.parse(perl: Substring(body))) } catch {
                        throw RuleSyntaxError("invalid regex \(body): \(error.message)")
                    }
                }
            }
        } catch {
            ruleError(type, name, error.message, at: loc)
            return
        }
        var finalTest = test
        configuration.captureRules.remove(name)
        configuration.captureTemplates[name] = nil
        if type != .mimeheader {
            switch test {
            case .regex(var re):
                noteCaptures(name, &re)
                finalTest = .regex(re)
            case .header(let target, var re, let negated, let ifUnset):
                noteCaptures(name, &re)
                finalTest = .header(target, re, negated: negated, ifUnset: ifUnset)
            default:
                break
            }
        }
        define(Rule(name: name, type: type, test: finalTest, location: loc))
    }

    /// Conf/Parser.pm `parse_captures`: `%{NAME}` templates are escaped to
    /// `%\{NAME\}` and remembered; a rule with named captures runs first.
    private mutating func noteCaptures(_ name: String, _ re: inout PerlRegex) {
        let (pattern, templates) = Self.escapeCaptureTemplates(re.pattern)
        if !templates.isEmpty {
            re.pattern = pattern
            configuration.captureTemplates[name] = Set(templates)
        }
        if Self.definesNamedCapture(re.pattern) {
            configuration.captureRules.insert(name)
            configuration.priorities[name] = -10000
        }
    }

    /// `(?<!\\)%\{([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?:\([^\)\}]*\))?)\}`
    static func escapeCaptureTemplates(_ pattern: String) -> (String, [String]) {
        let u = Array(pattern.utf8)
        guard u.count > 3, pattern.contains("%{") else { return (pattern, []) }
        func upper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
        func upperOrDigit(_ b: UInt8) -> Bool { upper(b) || (b >= 0x30 && b <= 0x39) }
        var out: [UInt8] = []
        var names: [String] = []
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "%"), i + 2 < u.count, u[i + 1] == UInt8(ascii: "{"),
               i == 0 || u[i - 1] != UInt8(ascii: "\\"), upper(u[i + 2]) {
                var j = i + 3
                while j < u.count, upperOrDigit(u[j]) { j += 1 }
                while j + 1 < u.count, u[j] == UInt8(ascii: "_"), upperOrDigit(u[j + 1]) {
                    j += 2
                    while j < u.count, upperOrDigit(u[j]) { j += 1 }
                }
                if j < u.count, u[j] == UInt8(ascii: "(") {
                    var k = j + 1
                    while k < u.count, u[k] != UInt8(ascii: ")"), u[k] != UInt8(ascii: "}") { k += 1 }
                    if k < u.count, u[k] == UInt8(ascii: ")") { j = k + 1 }
                }
                if j < u.count, u[j] == UInt8(ascii: "}") {
                    let name = Array(u[(i + 2)..<j])
                    names.append(String(decoding: name, as: UTF8.self))
                    out += Array("%\\{".utf8) + name + Array("\\}".utf8)
                    i = j + 1
                    continue
                }
            }
            out.append(u[i])
            i += 1
        }
        return (String(decoding: out, as: UTF8.self), names)
    }

    /// `\(\?P?[<'][A-Z]`
    static func definesNamedCapture(_ pattern: String) -> Bool {
        let u = Array(pattern.utf8)
        var i = 0
        while i + 3 < u.count {
            if u[i] == UInt8(ascii: "("), u[i + 1] == UInt8(ascii: "?") {
                var j = i + 2
                if u[j] == UInt8(ascii: "P") { j += 1 }
                if j + 1 < u.count, u[j] == UInt8(ascii: "<") || u[j] == UInt8(ascii: "'"),
                   u[j + 1] >= 0x41, u[j + 1] <= 0x5A { return true }
            }
            i += 1
        }
        return false
    }

    struct RuleSyntaxError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    // MARK: header

    /// `Target =~ /re/ [if-unset: TEXT]`, `exists:Name`, `eval:f(args)`,
    /// `rbleval:f(args)`.
    static func headerTest(_ body: String) throws(RuleSyntaxError) -> RuleTest {
        if body.hasPrefix("eval:") { return try evalTest(body.dropFirst(5)) }
        if body.hasPrefix("rbleval:") { return try evalTest(body.dropFirst(8)) }
        if body.hasPrefix("exists:") {
            var name = Substring(body.dropFirst(7))
            guard !name.isEmpty, name.utf8.allSatisfy({ isWordByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ":") }),
                  name.utf8.dropLast().allSatisfy({ $0 != UInt8(ascii: ":") }) else {
                throw RuleSyntaxError("invalid header name in '\(body)'")
            }
            if name.hasSuffix(":") { name = name.dropLast() }
            guard !name.isEmpty else { throw RuleSyntaxError("invalid header name in '\(body)'") }
            return .exists(String(name))
        }
        let u = Array(body.utf8)
        var i = 0
        while i < u.count, isWordByte(u[i]) || u[i] == UInt8(ascii: ".") || u[i] == UInt8(ascii: "-") { i += 1 }
        guard i > 0 else { throw RuleSyntaxError("invalid header test '\(body)'") }
        let name = String(decoding: u[0..<i], as: UTF8.self)
        var modifiers: [String] = []
        if i < u.count, u[i] == UInt8(ascii: ":") {
            // ':' alone, or one or two ':modifier's.
            var j = i
            while j < u.count, u[j] == UInt8(ascii: ":"), modifiers.count < 2 {
                var k = j + 1
                while k < u.count, u[k] >= UInt8(ascii: "a"), u[k] <= UInt8(ascii: "z") { k += 1 }
                if k == j + 1 { break }
                modifiers.append(String(decoding: u[(j + 1)..<k], as: UTF8.self))
                j = k
            }
            if modifiers.isEmpty { j = i + 1 }
            i = j
        }
        // Eval with a target in front: accepted, target dropped.
        var k = i
        while k < u.count, isPerlSpace(u[k]) { k += 1 }
        if k > i, k < u.count {
            let rest = String(decoding: u[k...], as: UTF8.self)
            if rest.hasPrefix("eval:") { return try evalTest(rest.dropFirst(5)) }
            if rest.hasPrefix("rbleval:") { return try evalTest(rest.dropFirst(8)) }
        }
        i = k
        guard i + 1 < u.count, u[i] == UInt8(ascii: "=") || u[i] == UInt8(ascii: "!"), u[i + 1] == UInt8(ascii: "~") else {
            throw RuleSyntaxError("invalid header test '\(body)' (expected NAME =~ /regex/)")
        }
        let negated = u[i] == UInt8(ascii: "!")
        i += 2
        while i < u.count, isPerlSpace(u[i]) { i += 1 }
        guard i < u.count else { throw RuleSyntaxError("missing regex in '\(body)'") }
        let known: Set<String> = ["raw", "addr", "name", "host", "domain", "ip", "revip", "first", "last"]
        if let bad = modifiers.first(where: { !known.contains($0) }) {
            throw RuleSyntaxError("invalid header modifier ':\(bad)'")
        }
        let (pattern, ifUnset) = splitIfUnset(String(decoding: u[i...], as: UTF8.self))
        let re: PerlRegex
        do { re = try PerlRegex.parse(perl: Substring(pattern)) } catch {
            throw RuleSyntaxError("invalid regex \(pattern): \(error.message)")
        }
        return .header(HeaderTarget(name: name, modifiers: modifiers), re, negated: negated, ifUnset: ifUnset)
    }

    /// `... [if-unset: TEXT]` at the end (`\s+\[if-unset:\s+(.+)\]$`).
    static func splitIfUnset(_ s: String) -> (String, String?) {
        guard s.hasSuffix("]"), let open = s.range(ofLast: "[if-unset:") else { return (s, nil) }
        let before = s[..<open.lowerBound]
        guard let last = before.last, last == " " || last == "\t" else { return (s, nil) }
        let inner = s[open.upperBound..<s.index(before: s.endIndex)]
        guard let first = inner.first, first == " " || first == "\t" else { return (s, nil) }
        let text = inner.drop { $0 == " " || $0 == "\t" }
        guard !text.isEmpty else { return (s, nil) }
        var pattern = before
        while let l = pattern.last, l == " " || l == "\t" { pattern.removeLast() }
        return (String(pattern), String(text))
    }

    /// `mimeheader NAME Header[:raw] =~ /re/ [if-unset: TEXT]`
    static func mimeheaderTest(_ body: String) throws(RuleSyntaxError) -> RuleTest {
        let u = Array(body.utf8)
        var i = 0
        while i < u.count, u[i] != UInt8(ascii: ":"), !isPerlSpace(u[i]), u[i] != UInt8(ascii: "=") || i + 1 >= u.count || u[i + 1] != UInt8(ascii: "~"), u[i] != UInt8(ascii: "!") || i + 1 >= u.count || u[i + 1] != UInt8(ascii: "~") { i += 1 }
        guard i > 0 else { throw RuleSyntaxError("invalid mimeheader test '\(body)'") }
        let name = String(decoding: u[0..<i], as: UTF8.self)
        var modifiers: [String] = []
        if i < u.count, u[i] == UInt8(ascii: ":") {
            if u[(i + 1)...].starts(with: Array("raw".utf8)) {
                modifiers = ["raw"]
                i += 4
            } else {
                i += 1
            }
        }
        while i < u.count, isPerlSpace(u[i]) { i += 1 }
        guard i + 1 < u.count, u[i] == UInt8(ascii: "=") || u[i] == UInt8(ascii: "!"), u[i + 1] == UInt8(ascii: "~") else {
            throw RuleSyntaxError("invalid mimeheader test '\(body)' (expected NAME[:raw] =~ /regex/)")
        }
        let negated = u[i] == UInt8(ascii: "!")
        i += 2
        while i < u.count, isPerlSpace(u[i]) { i += 1 }
        guard i < u.count else { throw RuleSyntaxError("missing regex in '\(body)'") }
        let (pattern, ifUnset) = splitIfUnset(String(decoding: u[i...], as: UTF8.self))
        let re: PerlRegex
        do { re = try PerlRegex.parse(perl: Substring(pattern)) } catch {
            throw RuleSyntaxError("invalid regex \(pattern): \(error.message)")
        }
        return .header(HeaderTarget(name: name, modifiers: modifiers), re, negated: negated, ifUnset: ifUnset)
    }

    // MARK: eval

    /// `function(args)`; arguments as Conf/Parser.pm `pack_eval_args`
    /// accepts them: quoted strings, or bare `[\d.:A-Za-z-]+` words,
    /// comma-separated.
    static func evalTest(_ text: Substring) throws(RuleSyntaxError) -> RuleTest {
        let u = Array(text.utf8)
        var i = 0
        while i < u.count, isWordByte(u[i]) { i += 1 }
        guard i > 0, i < u.count, u[i] == UInt8(ascii: "("), u.last == UInt8(ascii: ")") else {
            throw RuleSyntaxError("invalid eval '\(text)' (expected eval:function(arguments))")
        }
        let function = String(decoding: u[0..<i], as: UTF8.self)
        guard let args = parseEvalArguments(u[(i + 1)..<(u.count - 1)]) else {
            throw RuleSyntaxError("syntax error in eval arguments '\(text)'")
        }
        return .eval(function: function, arguments: args)
    }

    static func parseEvalArguments(_ bytes: ArraySlice<UInt8>) -> [String]? {
        var args: [String] = []
        var i = bytes.startIndex
        let end = bytes.endIndex
        func skipSpace(_ j: inout Int) { while j < end, isPerlSpace(bytes[j]) { j += 1 } }
        /// After an argument: `\s*` then `,\s*` or the end. Returns the next
        /// position, or nil if neither follows.
        func separator(after j: Int) -> Int? {
            var k = j
            skipSpace(&k)
            if k == end { return k }
            guard bytes[k] == UInt8(ascii: ",") else { return nil }
            k += 1
            skipSpace(&k)
            return k
        }
        if bytes.allSatisfy(isPerlSpace) { return [] }
        while i < end {
            var j = i
            skipSpace(&j)
            guard j < end else { return nil }
            let q = bytes[j]
            if q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") {
                // Lazy `(.*?)\1` followed by a separator: the first closing
                // quote that a comma or the end follows.
                var close = j + 1
                var found: (Int, Int)? = nil
                while close < end {
                    if bytes[close] == q, let next = separator(after: close + 1) {
                        found = (close, next)
                        break
                    }
                    close += 1
                }
                guard let (c, next) = found else { return nil }
                args.append(String(decoding: bytes[(j + 1)..<c], as: UTF8.self))
                i = next
            } else {
                var k = j
                while k < end, isWordByte(bytes[k]) && bytes[k] != UInt8(ascii: "_") || bytes[k] == UInt8(ascii: ".")
                    || bytes[k] == UInt8(ascii: ":") || bytes[k] == UInt8(ascii: "-") { k += 1 }
                guard k > j, let next = separator(after: k) else { return nil }
                args.append(String(decoding: bytes[j..<k], as: UTF8.self))
                i = next
            }
        }
        return args
    }

    // MARK: meta

    static func metaTest(_ body: String) throws(RuleSyntaxError) -> RuleTest {
        // Conf.pm: "**" is refused; Parser.pm bug 7557: no Perl sigils,
        // blocks, statements or method calls.
        let u = Array(body.utf8)
        // /\*\s*\*/
        var lastNonSpace: UInt8 = 0
        for b in u where !isPerlSpace(b) {
            if b == UInt8(ascii: "*") && lastNonSpace == UInt8(ascii: "*") { throw RuleSyntaxError("invalid '**' operator") }
            lastNonSpace = b
        }
        let forbidden: Set<UInt8> = Set("$@%;{}".utf8)
        if u.contains(where: { forbidden.contains($0) })
            || zip(u, u.dropFirst()).contains(where: { ($0 == UInt8(ascii: ":") && $1 == UInt8(ascii: ":")) || ($0 == UInt8(ascii: "-") && $1 == UInt8(ascii: ">")) }) {
            throw RuleSyntaxError("invalid characters in meta expression '\(body)'")
        }
        do { return .meta(try MetaExpression.parse(Substring(body))) } catch {
            throw RuleSyntaxError("invalid meta expression '\(body)': \(error.message)")
        }
    }

    /// Replaces each `rules_matching(GLOB)` (Constants.pm
    /// META_RULES_MATCHING_RE) with `(expansion)`.
    static func replacingRuleGlobs(in text: String, _ expand: (String) -> String) -> String {
        var out = ""
        var rest = Substring(text)
        while let r = rest.range(ofFirst: "rules_matching(") {
            let before = rest[..<r.lowerBound]
            let afterName = rest[r.upperBound...]
            // (?<!_)\b: not glued to a preceding word character.
            let glued = before.last.map { $0 == "_" || $0.isLetter || $0.isNumber } ?? false
            let inner = afterName.prefix { $0 != ")" }
            let glob = inner.trimmingSpaces
            guard !glued, inner.endIndex < afterName.endIndex, !glob.isEmpty,
                  glob.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "*" || $0 == "?") }),
                  !(glob.first!.isNumber)
            else {
                out += rest[..<r.upperBound]
                rest = afterName
                continue
            }
            out += before
            out += " (" + expand(String(glob)) + ") "
            rest = afterName[afterName.index(after: inner.endIndex)...]
        }
        out += rest
        return out
    }
}

extension StringProtocol {
    func range(ofFirst needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) {
                return i..<index(i, offsetBy: needle.count)
            }
            i = index(after: i)
        }
        return nil
    }

    func range(ofLast needle: String) -> Range<Index>? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        var i = index(endIndex, offsetBy: -needle.count)
        while true {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            if i == startIndex { return nil }
            i = index(before: i)
        }
    }

    var trimmingSpaces: SubSequence {
        let s = drop { $0 == " " || $0 == "\t" }
        var e = s.endIndex
        while e > s.startIndex, s[s.index(before: e)] == " " || s[s.index(before: e)] == "\t" { e = s.index(before: e) }
        return s[s.startIndex..<e]
    }
}
