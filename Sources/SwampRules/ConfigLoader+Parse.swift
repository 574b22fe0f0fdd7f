// Reading configuration text line by line, as SpamAssassin's
// Conf/Parser.pm `parse` does: comments, whitespace, `lang`, conditionals,
// `include`, then one directive per line.

/// What the loader remembers between lines and files.
struct LoaderState: Sendable {
    /// Nesting of public `load` calls; validation runs when it returns to 0.
    var topLevelDepth = 0
    /// Files being read, outermost first: include depth and cycles.
    var fileStack: [String] = []
    /// Diagnostics from reading; validation warnings are recomputed on top.
    var readDiagnostics: [Diagnostic] = []
    /// `loadplugin`/`tryplugin` names seen so far, canonical spelling.
    var loadedPlugins: Set<String> = []
    /// `enable_compat NAME` flags, as `compat_NAME`.
    var compatFlags: Set<String> = []
}

/// Per-file parsing state: conditionals never span files (SpamAssassin
/// resets its if-stack at every file boundary and warns about unclosed ones).
struct FileContext {
    struct Conditional {
        let outerSkip: Bool
        let location: SourceLocation
        let keyword: String
    }
    let file: String
    var line = 0
    var conditionals: [Conditional] = []
    var skipping = false
    /// Set by a failed `require_version`: the rest of the file is ignored.
    var abandoned = false

    var location: SourceLocation { SourceLocation(file: file, line: line) }
}

extension ConfigLoader {
    mutating func beginTopLevel() {
        state.topLevelDepth += 1
    }

    mutating func endTopLevel() {
        state.topLevelDepth -= 1
        guard state.topLevelDepth == 0 else { return }
        configuration.expandGlobMetas(diagnostics: &state.readDiagnostics)
        configuration.diagnostics = state.readDiagnostics + configuration.validate()
    }

    mutating func report(_ severity: Diagnostic.Severity, _ message: String, at location: SourceLocation?) {
        state.readDiagnostics.append(Diagnostic(severity, message, at: location))
    }

    /// Parses one file's text. Includes recurse through `loadPath`.
    mutating func parse(text: String, file: String) {
        configuration.files.append(file)
        state.fileStack.append(file)
        defer { state.fileStack.removeLast() }

        var ctx = FileContext(file: file)
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        while !ctx.abandoned {
            let lineEnd = utf8[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? utf8.endIndex
            ctx.line += 1
            if let line = Self.clean(utf8[lineStart..<lineEnd]) {
                handleLine(line, &ctx)
            }
            if lineEnd == utf8.endIndex { break }
            lineStart = utf8.index(after: lineEnd)
        }
        for open in ctx.conditionals {
            report(.error, "unclosed '\(open.keyword)' (opened at \(open.location))", at: open.location)
        }
    }

    /// Removes comments (`#` unless written `\#`, which becomes `#`) and
    /// surrounding whitespace; nil for a line left empty.
    static func clean(_ raw: String.UTF8View.SubSequence) -> String? {
        var bytes = Array(raw)
        if let hash = firstUnescapedHash(bytes) {
            bytes.removeSubrange(hash...)
        }
        if bytes.contains(UInt8(ascii: "#")) {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = 0
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "#") {
                    out.append(UInt8(ascii: "#"))
                    i += 2
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            bytes = out
        }
        var lo = 0, hi = bytes.count
        while lo < hi, isPerlSpace(bytes[lo]) { lo += 1 }
        while hi > lo, isPerlSpace(bytes[hi - 1]) { hi -= 1 }
        guard lo < hi else { return nil }
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }

    private static func firstUnescapedHash(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "#"), i == 0 || bytes[i - 1] != UInt8(ascii: "\\") { return i }
            i += 1
        }
        return nil
    }

    /// Splits `key value`: the key lowercased with `-` as `_`, the value the
    /// rest after the first run of whitespace.
    static func splitDirective(_ line: String) -> (key: String, value: String) {
        let u = line.utf8
        guard let sp = u.firstIndex(where: isPerlSpace) else {
            return (normalizeKey(line), "")
        }
        var v = sp
        while v < u.endIndex, isPerlSpace(u[v]) { v = u.index(after: v) }
        return (normalizeKey(String(line[..<sp])), String(line[v...]))
    }

    private static func normalizeKey(_ key: String) -> String {
        var bytes = Array(key.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            return key.lowercased().replacing("-", with: "_")
        }
        for i in bytes.indices {
            if bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] += 0x20 } else if bytes[i] == UInt8(ascii: "-") { bytes[i] = UInt8(ascii: "_") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func handleLine(_ line: String, _ ctx: inout FileContext) {
        // `lang xx directive ...`: translations. swamp reports in English, so
        // like SpamAssassin under LANG=C it skips them.
        if line.hasPrefix("lang"), line.utf8.count > 4, isPerlSpace(line.utf8[line.utf8.index(line.utf8.startIndex, offsetBy: 4)]) {
            return
        }
        let (key, value) = Self.splitDirective(line)
        let loc = ctx.location

        switch key {
        case "endif":
            guard value.isEmpty else { report(.error, "'endif' must stand alone", at: loc); return }
            guard let last = ctx.conditionals.popLast() else {
                report(.error, "'endif' without 'if'", at: loc); return
            }
            ctx.skipping = last.outerSkip
            return
        case "else":
            guard value.isEmpty else { report(.error, "'else' must stand alone", at: loc); return }
            guard !ctx.conditionals.isEmpty else { report(.error, "'else' without 'if'", at: loc); return }
            // Bug 7848: an else inside a skipped block stays skipped.
            if ctx.conditionals.contains(where: { $0.outerSkip }) {
                ctx.skipping = true
            } else {
                ctx.skipping.toggle()
            }
            return
        case "if", "ifplugin":
            guard !value.isEmpty else { report(.error, "'\(key)' without a condition", at: loc); return }
            ctx.conditionals.append(.init(outerSkip: ctx.skipping, location: loc, keyword: key))
            // Conditions inside a skipped block are still checked, as
            // SpamAssassin does, so that lint reports them.
            let truth: Bool
            if key == "ifplugin" {
                truth = state.loadedPlugins.contains(SpamAssassinCompatibility.canonicalPluginName(value))
            } else {
                var evaluator = ConditionEvaluator(loadedPlugins: state.loadedPlugins, compatFlags: state.compatFlags)
                do {
                    truth = try evaluator.evaluate(value)
                } catch {
                    report(.error, "cannot evaluate 'if \(value)': \(error.message); block skipped", at: loc)
                    truth = false
                }
            }
            if !truth { ctx.skipping = true }
            return
        default:
            break
        }
        if ctx.skipping { return }

        switch key {
        case "include":
            guard !value.isEmpty else { report(.error, "'include' needs a file", at: loc); return }
            loadPath(resolve(value, relativeTo: ctx.file), from: loc)
        case "rules_dir":
            guard !value.isEmpty else { report(.error, "'rules_dir' needs a directory", at: loc); return }
            let dir = resolve(value, relativeTo: ctx.file)
            configuration.rulesDirs.append(dir)
            loadPath(dir, from: loc, requireDirectory: true)
        case "require_version":
            guard !value.isEmpty else { report(.error, "'require_version' needs a version", at: loc); return }
            if value != SpamAssassinCompatibility.spamAssassinVersionString && value != "@@VERSION@@" {
                report(.warning, "file requires SpamAssassin version \(value), swamp implements \(SpamAssassinCompatibility.spamAssassinVersionString); rest of file skipped", at: loc)
                ctx.abandoned = true
            }
        case "file":
            // SpamAssassin's internal include markers; never meaningful in a file.
            report(.warning, "unknown directive 'file'", at: loc)
        default:
            apply(key: key, value: value, at: loc)
        }
    }
}
