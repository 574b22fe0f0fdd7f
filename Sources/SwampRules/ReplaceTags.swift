// The ReplaceTags plugin (Plugin/ReplaceTags.pm, `finish_parsing_end`):
// `<TAG>` in the regex of a rule named by `replace_rules` becomes the
// `replace_tag` text; `<pre NAME>`, `<post NAME>` and `<inter NAME>` put
// `replace_pre` text before each tag, `replace_post` text after each, and
// `replace_inter` text between two adjacent tags. Replacements that contain
// tags are expanded again, six passes at most.
//
// The steps below follow the plugin's string operations one for one, quirks
// included, so that the expanded pattern is byte-identical to the one
// SpamAssassin compiles:
// - the modifier tags are found with the configured start/end strings but
//   the pattern is split into pieces at `<...>` (`<[^<>]+>`) regardless;
// - "adjacent" means an empty piece between two tags (Perl's `split`
//   keeps empty fields between delimiters, drops trailing ones, and
//   SpamAssassin's pattern always starts with `(?flags)`, so a leading tag
//   has no empty piece before it);
// - only the first tag of a piece is looked up, then all its copies in the
//   piece are replaced; a replacement of "" or "0" counts as missing (Perl
//   truth).

extension Configuration {
    /// The regex of `rule` as the engine should compile it: with ReplaceTags
    /// expanded when the rule is listed in `replace_rules`, as written
    /// otherwise. nil for rules without a regex (eval, exists, meta) and
    /// unknown names. `mimeheader` rules are not expanded (SpamAssassin keeps
    /// their patterns outside the tables ReplaceTags rewrites).
    public func expandedRegex(for rule: String) -> PerlRegex? {
        guard let r = rules[rule] else { return nil }
        let regex: PerlRegex
        switch r.test {
        case .regex(let re): regex = re
        case .header(_, let re, _, _): regex = re
        default: return nil
        }
        guard r.type != .mimeheader, replaceRules.contains(rule) else { return regex }
        return expandReplaceTags(regex)
    }

    /// Expands ReplaceTags tags in `regex` with this configuration's
    /// `replace_*` definitions, whether or not a rule asked for it.
    public func expandReplaceTags(_ regex: PerlRegex) -> PerlRegex {
        PerlRegex(pattern: TagExpander(self).expand(regex.pattern), flags: regex.flags)
    }
}

private struct TagExpander {
    let start: [UInt8]
    let end: [UInt8]
    let tags: [String: [UInt8]]
    let pre: [String: [UInt8]]
    let inter: [String: [UInt8]]
    let post: [String: [UInt8]]

    init(_ c: Configuration) {
        start = Array(c.replaceStart.utf8)
        end = Array(c.replaceEnd.utf8)
        func bytes(_ d: [String: String]) -> [String: [UInt8]] {
            // Perl truth: "" and "0" do not replace.
            d.filter { !$0.value.isEmpty && $0.value != "0" }.mapValues { Array($0.utf8) }
        }
        tags = bytes(c.replaceTags)
        pre = bytes(c.replacePre)
        inter = bytes(c.replaceInter)
        post = bytes(c.replacePost)
    }

    /// Six passes can multiply a pattern's size by a tag's fan-out to the
    /// sixth power; past this size the expansion is abandoned and the
    /// pattern returned as written (the largest stock expansion is 224 KB).
    static let maxExpandedBytes = 4 << 20

    func expand(_ pattern: String) -> String {
        var re = Array(pattern.utf8)
        guard re.contains(UInt8(ascii: "<")) || !start.elementsEqual("<".utf8) else { return pattern }
        var passes = 0
        var again: Bool
        repeat {
            again = false
            let preName = removeModifier("pre ", from: &re)
            let postName = removeModifier("post ", from: &re)
            let interName = removeModifier("inter ", from: &re)

            var pieces = split(re)
            if let name = preName, let text = pre[name] {
                for i in pieces.indices {
                    if let m = firstTag(in: pieces[i], from: 0) {
                        pieces[i].insert(contentsOf: text, at: m.lowerBound)
                    }
                }
            }
            if let name = postName, let text = post[name] {
                for i in pieces.indices {
                    var out: [UInt8] = []
                    var from = 0
                    while let m = firstTag(in: pieces[i], from: from) {
                        out += pieces[i][from..<m.upperBound]
                        out += text
                        from = m.upperBound
                    }
                    out += pieces[i][from...]
                    pieces[i] = out
                }
            }
            if let name = interName, let text = inter[name] {
                // Index 0 stands for SpamAssassin's non-empty "(?flags)" start.
                for i in pieces.indices.dropFirst() where pieces[i].isEmpty { pieces[i] = text }
            }
            for i in pieces.indices {
                guard let m = firstTag(in: pieces[i], from: 0) else { continue }
                let name = Array(pieces[i][(m.lowerBound + start.count)..<(m.upperBound - end.count)])
                guard let replacement = tags[String(decoding: name, as: UTF8.self)] else { continue }
                pieces[i] = replaceAll(start + name + end, with: replacement, in: pieces[i])
                if !again && containsAngleTag(replacement) { again = true }
            }
            re = Array(pieces.joined())
            if re.count > Self.maxExpandedBytes { return pattern }
            passes += 1
        } while again && passes <= 5
        return String(decoding: re, as: UTF8.self)
    }

    /// `s/${start}KEYWORD(.+?)${end}//` once; returns the captured name.
    private func removeModifier(_ keyword: String, from re: inout [UInt8]) -> String? {
        let open = start + Array(keyword.utf8)
        var p = 0
        while let s = find(open, in: re, from: p) {
            let nameStart = s + open.count
            if let e = findWithinLine(end, in: re, from: nameStart + 1, lineFrom: nameStart) {
                let name = String(decoding: re[nameStart..<e], as: UTF8.self)
                re.removeSubrange(s..<(e + end.count))
                return name
            }
            p = s + 1
        }
        return nil
    }

    /// The first `${start}.+?${end}` match at or after `from`.
    private func firstTag(in piece: [UInt8], from: Int) -> Range<Int>? {
        var p = from
        while let s = find(start, in: piece, from: p) {
            let inner = s + start.count
            if let e = findWithinLine(end, in: piece, from: inner + 1, lineFrom: inner) {
                return s..<(e + end.count)
            }
            p = s + 1
        }
        return nil
    }

    /// Perl `split(/(<[^<>]+>)/, $re)`: text and tags alternating, trailing
    /// empty fields dropped. Index 0 is always the text before the first tag.
    private func split(_ re: [UInt8]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var textStart = 0
        var i = 0
        while i < re.count {
            if re[i] == UInt8(ascii: "<") {
                var j = i + 1
                while j < re.count, re[j] != UInt8(ascii: "<"), re[j] != UInt8(ascii: ">") { j += 1 }
                if j < re.count, re[j] == UInt8(ascii: ">"), j > i + 1 {
                    pieces.append(Array(re[textStart..<i]))
                    pieces.append(Array(re[i...j]))
                    i = j + 1
                    textStart = i
                    continue
                }
            }
            i += 1
        }
        pieces.append(Array(re[textStart...]))
        while pieces.count > 1, pieces.last!.isEmpty { pieces.removeLast() }
        return pieces
    }

    /// `/<[^>]+>/`
    private func containsAngleTag(_ s: [UInt8]) -> Bool {
        var i = 0
        while i < s.count {
            if s[i] == UInt8(ascii: "<"), i + 1 < s.count, s[i + 1] != UInt8(ascii: ">") {
                if s[(i + 1)...].contains(UInt8(ascii: ">")) { return true }
                return false
            }
            i += 1
        }
        return false
    }

    private func replaceAll(_ needle: [UInt8], with replacement: [UInt8], in s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count + replacement.count)
        var p = 0
        while let f = find(needle, in: s, from: p) {
            out += s[p..<f]
            out += replacement
            p = f + needle.count
        }
        out += s[p...]
        return out
    }

    private func find(_ needle: [UInt8], in s: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, needle.count <= s.count else { return nil }
        var i = from
        while i + needle.count <= s.count {
            if s[i] == needle[0], s[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// `find` for the end of a `.+?`: Perl's `.` stops at a newline.
    private func findWithinLine(_ needle: [UInt8], in s: [UInt8], from: Int, lineFrom: Int) -> Int? {
        guard let f = find(needle, in: s, from: from) else { return nil }
        if lineFrom < f, s[lineFrom..<f].contains(UInt8(ascii: "\n")) { return nil }
        return f
    }
}
