import Testing
@testable import SwampRules

struct PerlRegexTests {
    @Test(arguments: [
        ("/abc/", "abc", ""),
        ("/abc/i", "abc", "i"),
        ("/a\\/b/is", "a\\/b", "is"),
        ("m{a/b}", "a/b", ""),
        ("m{a\\}b}i", "a\\}b", "i"),
        ("m!a/b!m", "a/b", "m"),
        ("m!a\\!b!", "a\\!b", ""),
        ("m#a/b#x", "a/b", "x"),
        ("m#a\\#b#", "a\\#b", ""),
        ("m<a>", "a", ""),
        ("m(a|b)", "a|b", ""),
        ("m[ab]", "ab", ""),
        ("m|x|", "x", ""),
        ("qr/x/", "x", ""),
        ("m{.{0,10}[xyz]}", ".{0,10}[xyz]", ""),
        ("/x/gi", "x", "i"),
        ("/x/o", "x", ""),
        ("/x/imsx", "x", "imsx"),
        ("/x/ii", "x", "i"),
        ("/x/aa", "x", ""),
        ("//", "", ""),
        ("/a\\\\/", "a\\\\", ""),
        ("/\\xc3\\xa9/", "\\xc3\\xa9", ""),
        ("/é/", "é", ""),
    ])
    func parses(_ literal: String, _ pattern: String, _ flags: String) throws {
        let re = try PerlRegex.parse(perl: Substring(literal))
        #expect(re.pattern == pattern)
        #expect(re.flags == flags)
        #expect(PerlRegex(perl: Substring(literal)) == re)
    }

    @Test(arguments: [
        "abc",            // no delimiters
        "/abc",           // no end delimiter
        "/abc/e",         // e refused
        "/abc/I",         // uppercase modifier
        "/a/b/",          // unquoted delimiter
        "/a\\\\/b/",      // escaped backslash, then bare delimiter
        "m!a!b!",
        "m\\a\\",         // backslash delimiter
        "m{abc",
        "/(?{ system('x') })/",
        "/(??{ 1 })/",
        "/x/n",           // unsupported flag
        "/x/xx",
        "/x/c",
        "",
        "m",
        "mx",
    ])
    func rejects(_ literal: String) {
        #expect(throws: RegexSyntaxError.self) { try PerlRegex.parse(perl: Substring(literal)) }
        #expect(PerlRegex(perl: Substring(literal)) == nil)
    }

    @Test func literalRoundTrip() throws {
        for text in ["/abc/i", "m{a/b}s"] {
            let re = try PerlRegex.parse(perl: Substring(text))
            #expect(try PerlRegex.parse(perl: Substring(re.perlLiteral)) == re)
        }
    }
}
