// How far the HTML of multipart/alternative mail says something else than
// its plain text (SpamAssassin's BodyEval `_multipart_alternative_difference`):
// the share of the HTML words the text alternative does not have, from the
// parts already rendered for the body view.

/// The HTML and text words of the multipart/alternative parts.
public struct AlternativeDifference: Sendable, Equatable {
    /// Largest share (0...100) of distinct HTML words missing from the text,
    /// over the multipart/alternative parts with some HTML word.
    public var difference = 0.0
    /// Distinct words of the HTML and of the text of the last such part.
    public var htmlWords = 0
    public var textWords = 0
    public init() {}
}

extension BodyRenderer {
    static func alternativeDifference(_ message: Message, _ parts: RenderedParts) -> AlternativeDifference? {
        let all = message.allParts
        let alternatives = all.filter { $0.mediaType.hasPrefix("multipart/alternative") }
        guard !alternatives.isEmpty else { return nil }
        var result = AlternativeDifference()
        // An invitation (multipart/alternative of text/html and
        // text/calendar) says the same thing twice by design.
        let root = message.root
        if root.mediaType == "multipart/alternative", root.children.count == 2,
           root.children[0].mediaType == "text/html", root.children[0].children.isEmpty,
           root.children[1].mediaType == "text/calendar", root.children[1].children.isEmpty {
            return result
        }
        var rendered: [ObjectIdentifier: RenderedParts.Leaf] = [:]
        for (p, leaf) in zip(leaves(root), parts.leaves) { rendered[ObjectIdentifier(p)] = leaf }
        for alternative in alternatives {
            var html: [ArraySlice<UInt8>: Int] = [:]
            var text: [ArraySlice<UInt8>: Int] = [:]
            var stack: [MIMEPart] = [alternative]
            while let p = stack.popLast() {
                stack.append(contentsOf: p.children.reversed())
                guard p.mediaType.hasPrefix("text"), let leaf = rendered[ObjectIdentifier(p)] else { continue }
                switch leaf {
                case .other: continue
                case .html(let r, _):
                    countWords(r.text, into: &html)
                    if html.isEmpty && r.stats.inside["img"] != nil { html[[lf][...]] = 1 }
                case .plain(let t, _):
                    // Empty HTML is rendered as plain text, but is HTML still.
                    if effectiveType(p) == "text/html" { continue }
                    countWords(t, into: &text)
                }
            }
            let original = html.count
            guard original > 0 else { continue }
            result.htmlWords = original
            result.textWords = text.count
            for (word, n) in text { if let h = html[word], h - n < 1 { html[word] = nil } }
            result.difference = max(result.difference, Double(html.count) / Double(original) * 100)
        }
        return result
    }

    /// Words as `grep(/\w/, split(/\s+/, ...))` gives them: runs between
    /// blanks holding a word character (any non-ASCII byte counts as one,
    /// for letters outside ASCII).
    private static func countWords(_ t: [UInt8], into words: inout [ArraySlice<UInt8>: Int]) {
        var i = 0
        let n = t.count
        while i < n {
            while i < n && t[i].isSpace { i += 1 }
            let start = i
            var hasWord = false
            while i < n && !t[i].isSpace {
                if t[i].isWord || t[i] >= 0x80 { hasWord = true }
                i += 1
            }
            if hasWord { words[t[start..<i], default: 0] += 1 }
        }
    }
}
