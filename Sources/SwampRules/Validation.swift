// Checks that need the whole configuration: metas referring to rules that
// were never defined (Conf/Parser.pm `compile_meta_rules` notes them;
// swamp warns, and the engine treats them as not hit), and
// `rules_matching()` expansion.

extension Configuration {
    /// Warnings about the configuration as a whole. `ConfigLoader` runs this
    /// at the end of every top-level `load` and puts the result after the
    /// reading diagnostics in `diagnostics`.
    ///
    /// A `score`, `describe` or `tflags` line for an undefined rule is not
    /// reported: SpamAssassin allows it (bug 5514).
    public func validate() -> [Diagnostic] {
        var out: [Diagnostic] = []
        for name in ruleOrder {
            guard let rule = rules[name], case .meta(let expr) = rule.test else { continue }
            // `local_tests_only` is a pseudo-rule (Conf/Parser.pm
            // `compile_meta_rules`): true when network tests are off.
            let missing = expr.ruleNames.filter {
                rules[$0] == nil && placeholderRules[$0] == nil && $0 != "local_tests_only"
            }
            for dep in missing.sorted() {
                out.append(Diagnostic(.warning, "meta \(name) refers to undefined rule \(dep)", at: rule.location))
            }
        }
        return out
    }

    /// Replaces `rules_matching(GLOB)` in metas by the sorted `+`-joined
    /// names it matches among defined and scored rules, the meta itself
    /// excluded (Conf/Parser.pm `expand_ruleglob`), then parses the result.
    mutating func expandGlobMetas(diagnostics: inout [Diagnostic]) {
        guard !globMetas.isEmpty else { return }
        let candidates = Set(rules.keys).union(placeholderRules.keys).union(scores.keys).sorted()
        for (name, text) in globMetas {
            guard let rule = rules[name] else { continue }
            let expanded = ConfigLoader.replacingRuleGlobs(in: text) { glob in
                let matches = candidates.filter { $0 != name && globMatches(glob, $0) }
                return matches.isEmpty ? "0" : matches.joined(separator: "+")
            }
            do {
                let test = try ConfigLoader.metaTest(expanded)
                rules[name] = Rule(name: name, type: .meta, test: test, location: rule.location)
            } catch {
                diagnostics.append(Diagnostic(.error, "meta \(name): \(error.message)", at: rule.location))
            }
        }
    }
}

/// `*` any run, `?` one character; the whole name must match.
func globMatches(_ glob: String, _ name: String) -> Bool {
    let g = Array(glob.utf8), n = Array(name.utf8)
    var gi = 0, ni = 0
    var starG = -1, starN = 0
    while ni < n.count {
        if gi < g.count, g[gi] == UInt8(ascii: "?") || g[gi] == n[ni] {
            gi += 1; ni += 1
        } else if gi < g.count, g[gi] == UInt8(ascii: "*") {
            starG = gi; starN = ni; gi += 1
        } else if starG >= 0 {
            gi = starG + 1; starN += 1; ni = starN
        } else {
            return false
        }
    }
    while gi < g.count, g[gi] == UInt8(ascii: "*") { gi += 1 }
    return gi == g.count
}
