import Foundation
import Testing
import SwampTestSupport
@testable import SwampScan
import SwampMIME

@Suite struct RenderingTests {
    @Test(arguments: ["plain text", "a----------b", "a---------b", "x_*._*._*._*.y", "..........",
                      "caf\u{e9} ********** \u{301}----------\u{301} end", "--------------------\n", ""])
    func removesRunsAsTheRegexDid(text: String) {
        let expected = text.replacingOccurrences(of: "[-_*.]{10,}", with: "", options: .regularExpression)
        #expect(Rendering.removingLongRuns(text) == expected)
    }

    /// The same text a POSIX-locale DateFormatter gives, in the local zone.
    @Test(arguments: [0.0, 951_782_400, 1_704_189_603, 1_719_835_199, 4_102_444_799])
    func formatsDatesAsRFC2822(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone.current
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        #expect(Rendering.rfc2822Date(date) == f.string(from: date))
    }

    @Test func foldsStatusHeaderAfterCommasAt79Columns() {
        let value = "Yes, score=15.9 required=5.0 tests=FSL_HELO_NON_FQDN_1,GUARANTEED_100_PERCENT,HELO_NO_DOMAIN,HTML_MESSAGE,IP_LINK_PLUS,MIME_HEADER_CTYPE_ONLY,MIME_HTML_ONLY,MISSING_DATE,MISSING_MID,NORMAL_HTTP_TO_IP,RCVD_ILLEGAL_IP,RDNS_NONE,STY_INVIS_DIRECT,SUBJ_ALL_CAPS,TO_NO_BRKTS_PCNT autolearn=spam autolearn_force=no version=4.0.1"
        // As SpamAssassin 4.0.1 folded this very value.
        let expected = """
        Yes, score=15.9 required=5.0 tests=FSL_HELO_NON_FQDN_1,
        \tGUARANTEED_100_PERCENT,HELO_NO_DOMAIN,HTML_MESSAGE,IP_LINK_PLUS,
        \tMIME_HEADER_CTYPE_ONLY,MIME_HTML_ONLY,MISSING_DATE,MISSING_MID,
        \tNORMAL_HTTP_TO_IP,RCVD_ILLEGAL_IP,RDNS_NONE,STY_INVIS_DIRECT,
        \tSUBJ_ALL_CAPS,TO_NO_BRKTS_PCNT autolearn=spam autolearn_force=no
        \tversion=4.0.1
        """
        #expect(Rendering.foldHeader(name: "Status", value: value) == expected)
    }

    @Test func shortHeaderIsNotFolded() {
        #expect(Rendering.foldHeader(name: "Level", value: "*****\n") == "*****")
        #expect(Rendering.foldHeader(name: "Flag", value: "YES") == "YES")
    }

    @Test func multiLineValueIsRefolded() {
        #expect(Rendering.foldHeader(name: "Report", value: "\n* 1.0 A desc\n*  2.0 B\n") == "\n\t* 1.0 A desc\n\t*  2.0 B")
    }

    /// The hand-made date is what a DateFormatter with the POSIX locale
    /// writes, across the year and around the epoch.
    @Test func rfc2822DateMatchesDateFormatter() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone.current
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        var t = 0.0
        while t < 4_000_000_000 {
            let d = Date(timeIntervalSince1970: t)
            #expect(Rendering.rfc2822Date(d) == f.string(from: d))
            t += 7_654_321.5
        }
        #expect(Rendering.rfc2822Date(Date(timeIntervalSince1970: 1_764_432_000.9))
                == f.string(from: Date(timeIntervalSince1970: 1_764_432_000.9)))
    }

    @Test func displayLengthCountsCharactersAndTabs() {
        for text in ["", "abc", "a\tb", "\t\t", "a\r\nb", "\r\r\n\n", "caf\u{e9}\t", "e\u{301}x", "\r\n\t"] {
            #expect(Rendering.displayLength(text) == text.count + text.filter { $0 == "\t" }.count * 7, "\(text.debugDescription)")
        }
    }

    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    /// The content previews SpamAssassin 4.0.1 (`get_content_preview`)
    /// gave for two of Corpus/'s messages: the paragraphs before it (a
    /// blank one makes a leading space that counts in the first line),
    /// lines over 200 bytes cut, the last space kept, wrapped with
    /// overflow (a line may pass 75 by its last word; the next then starts
    /// with the space after it).
    @Test(arguments: [
        ("spam-sales.eml", "Act now! This limited time offer won't last. Earn $5,000\n  a week from home, 100% guaranteed. "),
        ("gtube.eml", "This is the GTUBE, the Generic Test for Unsolicited Bulk Email\n"
            + "   If your spam filter supports it, the GTUBE provides a test by which you can\n"
            + "   verify that the filter is installed correctly and is detecting incoming spam.\n"
            + "   You can send yourself a test mail containing t [...] "),
    ])
    func previewsAsSpamAssassin(file: String, expected: String) throws {
        let bytes = Array(try Data(contentsOf: Self.corpus.appendingPathComponent(file)))
        #expect(Rendering.preview(Views(message: Message(bytes: bytes))) == expected)
    }

    /// `Util::wrap($text, "  ", "Content preview:  ", 75, 1)` as Perl ran
    /// it: with overflow, and lengths in bytes of UTF-8.
    @Test func wrapsWithOverflowCountingBytes() {
        func wrap(_ s: String) -> String {
            String(decoding: Rendering.overflowWrap(Array(s.utf8), prefix: Array("  ".utf8),
                                                    first: Array("Content preview:  ".utf8), width: 75), as: UTF8.self)
        }
        #expect(wrap("Act now! This limited time offer won't last. Earn $5,000 a week from home, 100% guaranteed. ")
                == "Content preview:  Act now! This limited time offer won't last. Earn $5,000 a\n   week from home, 100% guaranteed. ")
        #expect(wrap("Hola Camale\u{f3}n, el se\u{f1}or dijo que la reuni\u{f3}n de ma\u{f1}ana es a las diez y media en punto, no m\u{e1}s tarde. ")
                == "Content preview:  Hola Camale\u{f3}n, el se\u{f1}or dijo que la reuni\u{f3}n de ma\u{f1}ana\n"
                + "  es a las diez y media en punto, no m\u{e1}s tarde. ")
    }

    /// `overflowWrap` against `Util::wrap` itself on random octets:
    /// words, runs of spaces and tabs, leading and trailing whitespace, and
    /// bytes that are not UTF-8 (each one byte long, as Perl counts it).
    @Test(.enabled(if: spamAssassinModulesInstalled, "needs SpamAssassin's Perl modules")) func overflowWrapMatchesSpamAssassin() throws {
        var rng = SplitMix64(seed: 20_261_202)
        var cases: [[UInt8]] = []
        for _ in 0..<400 {
            var b: [UInt8] = []
            for _ in 0..<Int(rng.next() % 40) {
                b += Array(repeating: [UInt8(ascii: "x"), 0xAE, 0xC3, UInt8(ascii: "y")][Int(rng.next() % 4)],
                           count: 1 + Int(rng.next() % 16))
                b += [[32], [32, 32], [9], [32, 9, 32]][Int(rng.next() % 4)]
            }
            if rng.next() % 3 == 0 { b.insert(32, at: 0) }
            cases.append(b)
        }
        let widths = cases.indices.map { [75, 20, 9][$0 % 3] }
        let script = #"""
        use Mail::SpamAssassin::Util;
        binmode STDIN; binmode STDOUT;
        local $/ = "\0";
        while (my $s = <STDIN>) { chomp $s; my ($w, $t) = split(/\n/, $s, 2);
          print Mail::SpamAssassin::Util::wrap($t, "  ", "Content preview:  ", $w, 1), "\0"; }
        """#
        var input: [UInt8] = []
        for (b, w) in zip(cases, widths) { input += Array("\(w)\n".utf8) + b + [0] }
        let output = try runPerl(script, bytes: input)
        let expected = output.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        try #require(expected.count >= cases.count)
        for (i, b) in cases.enumerated() {
            let ours = Rendering.overflowWrap(b, prefix: Array("  ".utf8), first: Array("Content preview:  ".utf8), width: widths[i])
            #expect(ours == expected[i], "case \(b) width \(widths[i])")
        }
    }

    @Test func previewTidiesAsSpamAssassin() {
        func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }
        #expect(text(Rendering.collapsingWhitespace(Array("\n a\t\tb \r\n".utf8))) == " a b ")
        #expect(text(Rendering.removing(Array("-----Original Message-----".utf8),
                                        from: Array("x -----Original Message----- From: y\nkept".utf8), toLineEnd: true))
                == "x \nkept")
        #expect(text(Rendering.removing(Array("MIME format.".utf8), from: Array("a MIME format.hello MIME format.".utf8),
                                        toLineEnd: false)) == "a hello ")
    }

    /// PerMsgStatus lays a rule's test_log notes out so (outputs of its
    /// loop run in Perl): cut at a space after 30 to 48 characters; the
    /// long form indented to the description column, or right-aligned at
    /// 78 when a piece is longer than 47.
    @Test func laysOutTestLogNotes() {
        let pad = String(repeating: " ", count: 27)
        #expect(TemplateContext.logLines(["score: 0.9987"]) == ("[score: 0.9987]\n", pad + " [score: 0.9987]\n"))
        #expect(TemplateContext.logLines(["This is a rather long test log note which should be cut into pieces at spaces"])
                == ("[This is a rather long test log note which should]\n[be cut into pieces at spaces]\n",
                    "                            [This is a rather long test log note which should]\n" + pad + " [be cut into pieces at spaces]\n"))
        let word = "Averyveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutanyspaces ok"
        #expect(TemplateContext.logLines([word]) == ("[\(word)]\n", "[\(word)]\n"))
        #expect(TemplateContext.logLines(["a line of exactly forty-eight characters, then x y"])
                == ("[a line of exactly forty-eight characters, then x]\n[y]\n",
                    pad + " [a line of exactly forty-eight characters, then x]\n" + pad + " [y]\n"))
        #expect(TemplateContext.logLines([]) == ("", ""))
    }

    @Test func previewDropsLongRunsOfPunctuation() {
        #expect(Rendering.removingLongRuns("a ---------- b") == "a  b")
        #expect(Rendering.removingLongRuns("a ._*-._*-._ b .........") == "a  b .........")
        #expect(Rendering.removingLongRuns("caf\u{e9} __________x") == "caf\u{e9} x")
        #expect(Rendering.removingLongRuns("no runs here") == "no runs here")
    }

    @Test func encodesNonASCIIHeaderText() {
        #expect(Rendering.mimeEncodeHeader("plain ascii") == "plain ascii")
        #expect(Rendering.mimeEncodeHeader("caf\u{e9} ok") == "=?UTF-8?Q?caf=C3=A9?= ok")
    }

    @Test(arguments: [
        ("_SCORE_", "_SCORE_", nil as String?, 9),
        ("_TESTS(,)_x", "TESTS", ",", 10),
        ("_STARS(*)_", "STARS", "*", 10),
        ("_HEADER(From:addr)_", "HEADER", "From:addr", 19),
        ("_RELAYS_TRUSTED_", "RELAYS_TRUSTED", nil, 16),
    ])
    func tagSyntax(text: String, name: String, arg: String?, end: Int) {
        let bytes = Array(text.utf8)
        let t = TemplateContext.tag(in: bytes, at: 0)
        if name == "_SCORE_" {
            #expect(t?.0 == "SCORE" && t?.1 == nil && t?.2 == 7)
        } else {
            #expect(t?.0 == name && t?.1 == arg && t?.2 == end)
        }
    }

    @Test func notATag() {
        #expect(TemplateContext.tag(in: Array("_lower_".utf8), at: 0) == nil)
        #expect(TemplateContext.tag(in: Array("__".utf8), at: 0) == nil)
    }

    /// The wrapping must be SpamAssassin's, character for character: compare
    /// with its own Util::wrap on many strings.
    @Test(.enabled(if: spamAssassinModulesInstalled, "needs SpamAssassin's Perl modules")) func wrapMatchesSpamAssassin() throws {
        var rng = SystemRandomNumberGenerator()
        var cases: [String] = []
        for _ in 0..<500 {
            var s = ""
            for _ in 0..<Int.random(in: 1...40, using: &rng) {
                s += String(repeating: "x", count: Int.random(in: 1...14, using: &rng))
                s += [" ", ",", ", ", "  "].randomElement(using: &rng)!
            }
            cases.append(s)
        }
        let script = #"""
        use Mail::SpamAssassin::Util;
        local $/ = "\0";
        while (my $s = <STDIN>) { chomp $s;
          my $h = Mail::SpamAssassin::Util::wrap("X-Spam-Status!!$s", "\t", "", 79, 0, '(?<=[\s,])');
          $h =~ s/^\s*\n//gm; print ((split(/!!/, $h, 2))[1], "\0"); }
        """#
        let output = try runPerl(script, input: cases.joined(separator: "\0") + "\0")
        let expected = output.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        for (i, c) in cases.enumerated() {
            #expect(Rendering.foldHeader(name: "Status", value: c) == expected[i], "case \(c)")
        }
    }

    /// The byte path of `wrap` gives what the character path gives, on
    /// random ASCII text (tabs, newlines, commas, runs of spaces), for each
    /// way the callers break lines; text it cannot take (CR, non-ASCII)
    /// goes to the character path.
    @Test func wrapsOnBytesAsOnCharacters() {
        var rng = SplitMix64(seed: 20_261_201)
        let alphabet = Array("ab cd,\tef  ,,\n x".utf8) + Array(repeating: UInt8(ascii: "w"), count: 6)
        let breaks: [(Character) -> Bool] = [{ $0.isWhitespace }, { $0 == " " || $0 == "\t" || $0 == "," }]
        var compared = 0
        for _ in 0..<4_000 {
            let count = Int(rng.next() % 160)
            let text = String(decoding: (0..<count).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            let first = ["", "Content preview:  ", "X", String(repeating: " ", count: Int(rng.next() % 90))][Int(rng.next() % 4)]
            let prefix = ["\t", "  ", " \t"][Int(rng.next() % 3)]
            let width = [75, 79, 20, 9][Int(rng.next() % 4)]
            let isBreak = breaks[Int(rng.next() % 2)]
            let after = rng.next() % 2 == 0
            let bytes = Rendering.wrapBytes(text, prefix: prefix, first: first, width: width, isBreak: isBreak, breakAfter: after)
            let characters = Rendering.wrapCharacters(text, prefix: prefix, first: first, width: width, isBreak: isBreak, breakAfter: after)
            #expect(bytes == characters, "\(String(reflecting: text)) first \(first.count) prefix \(String(reflecting: prefix)) width \(width) after \(after)")
            compared += 1
        }
        #expect(compared == 4_000)
        #expect(Rendering.wrapBytes("a\r\nb", prefix: "\t", first: "", width: 79, isBreak: { $0.isWhitespace }, breakAfter: false) == nil)
        #expect(Rendering.wrapBytes("caf\u{e9} au lait", prefix: "\t", first: "", width: 79, isBreak: { $0.isWhitespace }, breakAfter: false) == nil)
    }

    /// `foldHeader`'s steps on bytes give what they give on characters,
    /// and decline text with a CR (CR LF is one character, so a split on
    /// characters does not cut there).
    @Test func foldsOnBytesAsOnCharacters() {
        var rng = SplitMix64(seed: 20_261_202)
        let pieces = [" ", "\t", ",", "\n", "!", "!!", "w", "word", "\u{e9}", "\r", "\r\n", "  \n"]
        var declined = 0
        for _ in 0..<4_000 {
            let text = (0..<Int(rng.next() % 40)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let data = "fallback"
            let marked = "X-Spam-Status!!" + text
            if let bytes = Rendering.afterMarker(droppingBlankLines: text, orElse: data) {
                #expect(bytes == Rendering.afterMarkerCharacters(droppingBlankLines: text, orElse: data), "\(String(reflecting: text))")
                #expect(Rendering.afterMarker(droppingBlankLines: marked, orElse: data)
                        == Rendering.afterMarkerCharacters(droppingBlankLines: marked, orElse: data), "\(String(reflecting: text))")
            } else {
                #expect(text.utf8.contains(13))
                declined += 1
            }
            if let bytes = Rendering.foldedLines(text) {
                #expect(bytes == Rendering.foldedLinesCharacters(text), "\(String(reflecting: text))")
            } else {
                #expect(text.utf8.contains(13))
            }
        }
        #expect(declined > 0 && declined < 4_000)
        #expect(Rendering.afterMarker(droppingBlankLines: "no marker\n \nhere", orElse: "data") == "data")
        #expect(Rendering.foldedLines("  a \n\tb\t\n\n c") == "a\n\tb\n\t\n\tc")
    }

    /// Printable ASCII lines are returned as they are, which is what the
    /// line-by-line encoder gives them back as.
    @Test func printableHeaderTextIsLeftAsItIs() {
        var rng = SplitMix64(seed: 20_261_203)
        let alphabet = Array(" \t\nab=?_(),*".utf8)
        for _ in 0..<2_000 {
            let text = String(decoding: (0..<Int(rng.next() % 120)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] },
                              as: UTF8.self)
            #expect(Rendering.mimeEncodeHeader(text) == text)
            #expect(Rendering.mimeEncodeLines(text) == text, "\(String(reflecting: text))")
        }
        #expect(Rendering.mimeEncodeHeader("a\r\nb") == Rendering.mimeEncodeLines("a\r\nb"))
    }

    /// The header split against a plain reading of it: lines up to each
    /// LF, the first made of CR and LF only the separator.
    @Test func splitsHeaderAsLinesRead() {
        func reference(_ bytes: [UInt8]) -> ([[UInt8]], [UInt8], [UInt8], String) {
            var lines: [[UInt8]] = [], ending = "\n", i = 0, first = true
            while i < bytes.count {
                var end = i
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                let lineEnd = min(end + 1, bytes.count)
                let line = Array(bytes[i..<lineEnd])
                if first {
                    ending = end > i && end < bytes.count && bytes[end - 1] == 13 ? "\r\n" : "\n"
                    first = false
                }
                if line.allSatisfy({ $0 == 10 || $0 == 13 }) { return (lines, line, Array(bytes[lineEnd...]), ending) }
                lines.append(line)
                i = lineEnd
            }
            return (lines, [], [], ending)
        }
        var rng = SplitMix64(seed: 20_261_204)
        let pieces: [[UInt8]] = [[10], [13], [13, 10], Array("Subject: x".utf8), [32], [9], Array("ab".utf8)]
        for _ in 0..<3_000 {
            let bytes = (0..<Int(rng.next() % 16)).flatMap { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }
            let split = HeaderSplit(bytes)
            let (lines, separator, body, ending) = reference(bytes)
            #expect(split.headerLines == lines && split.separator == separator && Array(split.body) == body
                    && split.lineEnding == ending, "\(bytes)")
        }
    }
}
