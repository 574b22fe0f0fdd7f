/// The leading part of a pattern, for the multi-pattern stage when the
/// whole pattern is too long for it.
///
/// A pattern that is a sequence of pieces matches only where its first
/// pieces match: where `ABC` matches from some position, `AB` matches from
/// there too, each piece taking what it took in the whole match and its
/// assertions looking at the same text around them. So a text in which
/// no leading part of the sequence matches cannot match the whole, and
/// the leading part can stand in for it as a prefilter.
///
/// SpamAssassin's form-filling patterns (`__FILL_THIS_FORM_SHORT1`,
/// `_SHORT2`: `(?:<FF_YOUR><FF_ALL><FF_SUFFIX>(?:<FF_BLANK2>|<ANDOR>)){3}`
/// expanded) are 3–8 KB: too long for Hyperscan to take whole (too large,
/// or in prefilter mode approximated to something that reports every
/// text), and PCRE2 must try them at nearly every byte. Their leading part
/// up to the second field name (a field name, a separator, another field
/// name) compiles to about a megabyte and matches in one message of seven.
///
/// Pieces are the top-level elements, with groups of one alternative that
/// are not repeated, capture nothing and set no options opened up into
/// theirs. The reading is `ExistenceParser`'s, so whatever it does not
/// read (back references, conditionals, `/x`, ...) gets no leading part.
///
/// Lookarounds among the pieces are left out of every part: they match
/// no text, so the pieces around them still match side by side where the
/// whole does, and Hyperscan reads no lookaround outside prefilter mode,
/// so a long pattern with one had no part it could take. (SpamAssassin's
/// obfuscated-word rules begin with two, `(?=<M>)(?!microsoft)<M><I>…`;
/// with so few start bytes they are not worth a database alone and stay
/// out. Taken in, they saved 45 µs a message of PCRE2 for 3.5 MiB of
/// databases, which the daemon's memory goal cannot spare.)
enum LeadingPart {
    /// The leading parts of `pattern` shorter than the whole, longest
    /// first, and first the whole without its lookarounds when it has
    /// some; none when the pattern is not one sequence of several pieces
    /// or cannot be read.
    static func all(_ pattern: String, options: RegexOptions) -> [String] {
        guard !options.contains(.extended) else { return [] }
        let bytes = Array(pattern.utf8)
        var parser = ExistenceParser(bytes: bytes)
        guard let top = parser.alternation(), parser.position == bytes.count, top.count == 1 else { return [] }
        let opened = parser.opened(top[0])
        let pieces = opened.filter { !parser.isLookaround($0) }
        let longest = pieces.count < opened.count ? pieces.count : pieces.count - 1
        return stride(from: longest, through: 1, by: -1).map { n in
            String(decoding: pieces[..<n].flatMap { bytes[$0.whole] }, as: UTF8.self)
        }
    }
}

extension ExistenceParser {
    /// Whether `element` is a lookahead or lookbehind (repeated or not:
    /// it matches no text either way).
    func isLookaround(_ element: Element) -> Bool {
        guard case .stop = element.kind else { return false }
        let text = bytes[element.atom]
        return ["(?=", "(?!", "(?<=", "(?<!"].contains { text.starts(with: $0.utf8) }
    }

    /// `sequence` with every group that is a plain part of it (`(?:` with
    /// one alternative and no quantifier, no option setting inside) replaced
    /// by its own elements, at any depth.
    func opened(_ sequence: [Element]) -> [Element] {
        var out: [Element] = []
        for e in sequence {
            if case .group(let open, let capturing, let alternatives) = e.kind, !capturing,
               alternatives.count == 1, e.minimum == 1, e.maximum == 1, !e.possessive,
               bytes[open].elementsEqual("(?:".utf8),
               !alternatives[0].contains(where: { if case .setting = $0.kind { return true }; return false }) {
                out += opened(alternatives[0])
            } else {
                out.append(e)
            }
        }
        return out
    }
}
