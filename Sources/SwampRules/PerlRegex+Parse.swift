// Splitting a rule's Perl regex literal into pattern and flags, with the
// checks SpamAssassin's `Util::compile_regexp` makes before it hands the
// text to Perl (Mail/SpamAssassin/Util.pm, `compile_regexp`).

/// Why a regex literal was rejected.
public struct RegexSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension PerlRegex {
    /// Parses `/re/flags`, `m{re}flags`, `m!re!flags`, `qr<re>` ...
    ///
    /// The pattern keeps escaped delimiters escaped (`\/`, `\}`), exactly as
    /// SpamAssassin hands the text to Perl's regex compiler; PCRE reads an
    /// escaped punctuation character as that character, so the meaning is
    /// the same and the bytes stay identical to SpamAssassin's (which
    /// ReplaceTags expansion and diagnostics rely on).
    ///
    /// Flags: `i m s x` are kept; `g o` (meaningless for a match test) and the
    /// charset flags `a d l u` and `p` (no effect on PCRE2 in 8-bit non-UTF
    /// mode, where SpamAssassin's implicit `/aa` is the default) are dropped;
    /// anything else is an error.
    public static func parse(perl text: Substring) throws(RegexSyntaxError) -> PerlRegex {
        let bytes = Array(text.utf8)
        var start = 0
        let close: UInt8
        if bytes.first == UInt8(ascii: "/") {
            start = 1
            close = UInt8(ascii: "/")
        } else {
            var i = 0
            if bytes.starts(with: [UInt8(ascii: "q"), UInt8(ascii: "r")]) {
                i = 2
            } else if bytes.first == UInt8(ascii: "m") {
                i = 1
            } else {
                throw RegexSyntaxError("missing regexp delimiters")
            }
            guard i < bytes.count else { throw RegexSyntaxError("missing regexp delimiters") }
            let open = bytes[i]
            switch open {
            case UInt8(ascii: "{"): close = UInt8(ascii: "}")
            case UInt8(ascii: "("): close = UInt8(ascii: ")")
            case UInt8(ascii: "<"): close = UInt8(ascii: ">")
            case UInt8(ascii: "["): close = UInt8(ascii: "]")
            case UInt8(ascii: "\\"): throw RegexSyntaxError("backslash delimiter not allowed")
            default:
                guard open < 0x80, !isWordByte(open), !isPerlSpace(open) else {
                    throw RegexSyntaxError("missing regexp delimiters")
                }
                close = open
            }
            start = i + 1
        }

        // The closing delimiter is the one followed only by modifier letters
        // (SpamAssassin allows [a-df-z]; `e` is refused outright).
        var end = bytes.count
        while end > start, isModifierLetter(bytes[end - 1]) { end -= 1 }
        guard end > start, bytes[end - 1] == close else {
            throw RegexSyntaxError("invalid end delimiter/modifiers")
        }
        let body = bytes[start..<(end - 1)]
        let mods = bytes[end...]

        if containsCodeBlock(body) {
            throw RegexSyntaxError("embedded code (?{...}) not allowed")
        }
        // An unescaped copy of a non-bracket delimiter inside the pattern means
        // the literal was cut short (SpamAssassin: "unquoted delimiter").
        if close != UInt8(ascii: "}"), close != UInt8(ascii: ")"), close != UInt8(ascii: "]") {
            var i = body.startIndex
            while i < body.endIndex {
                if body[i] == UInt8(ascii: "\\") {
                    i += 2
                    continue
                }
                if body[i] == close {
                    throw RegexSyntaxError("unquoted delimiter '\(Character(Unicode.Scalar(close)))' in pattern")
                }
                i += 1
            }
        }

        var flags = ""
        for m in mods {
            let c = Character(Unicode.Scalar(m))
            switch c {
            case "i", "m", "s", "x":
                if flags.contains(c) {
                    if c == "x" { throw RegexSyntaxError("flag 'xx' not supported") }
                } else {
                    flags.append(c)
                }
            case "g", "o", "a", "d", "l", "u", "p":
                continue
            default:
                throw RegexSyntaxError("unsupported regexp flag '\(c)'")
            }
        }
        return PerlRegex(pattern: String(decoding: body, as: UTF8.self), flags: flags)
    }

    /// The literal back in `/re/flags` form when the pattern allows it, else
    /// `m{re}flags`; for messages and round trips.
    public var perlLiteral: String {
        var hasBareSlash = false
        var escaped = false
        for b in pattern.utf8 {
            if escaped { escaped = false; continue }
            if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "/") { hasBareSlash = true; break }
        }
        return hasBareSlash ? "m{\(pattern)}\(flags)" : "/\(pattern)/\(flags)"
    }
}

/// `(?{` or `(??{`: Perl code inside a regex.
private func containsCodeBlock(_ body: ArraySlice<UInt8>) -> Bool {
    var i = body.startIndex
    while i + 2 < body.endIndex {
        if body[i] == UInt8(ascii: "("), body[i + 1] == UInt8(ascii: "?") {
            if body[i + 2] == UInt8(ascii: "{") { return true }
            if body[i + 2] == UInt8(ascii: "?"), i + 3 < body.endIndex, body[i + 3] == UInt8(ascii: "{") { return true }
        }
        i += 1
    }
    return false
}

@inline(__always) func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
}

/// Perl's `\s` in byte semantics: space, \t, \n, \v, \f, \r.
@inline(__always) func isPerlSpace(_ b: UInt8) -> Bool {
    b == 0x20 || (b >= 0x09 && b <= 0x0D)
}

@inline(__always) private func isModifierLetter(_ b: UInt8) -> Bool {
    b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") && b != UInt8(ascii: "e")
}
