import Foundation
import Testing
import SwampMIME
@testable import SwampBayes

@Suite struct TokenizerTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static func tokens(_ text: String, settings: BayesSettings = BayesSettings()) -> Set<String> {
        let views = Views(message: Message(bytes: FilterMarkup.strip(Array(text.utf8))))
        return Set(Tokenizer(settings: settings).tokenStrings(views).map { String(decoding: $0, as: UTF8.self) })
    }

    /// Golden lists written by SpamAssassin 4.0.1's own tokenizer
    /// (`sa-tokens.pl`, stock rules loaded). spam-sales.eml has hidden HTML
    /// text, which SpamAssassin prefixes with "I*:"; swamp has no separate
    /// invisible-text view yet, and one URI variant differs.
    @Test(arguments: ["ham-plain", "gtube"])
    func goldenTokenList(name: String) throws {
        let golden = try String(contentsOf: Self.here.appendingPathComponent("golden/\(name).tokens"), encoding: .utf8)
        let expected = Set(golden.split(separator: "\n").map(String.init))
        let message = try String(contentsOf: Self.here.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Corpus/\(name).eml"), encoding: .utf8)
        #expect(Self.tokens(message) == expected)
    }

    @Test func lineNormalisations() {
        let t = LineTokenizer(maxTokenLength: 15, stopwords: Stopwords(languages: ["en"]))
        func run(_ s: String, _ region: Region = .body) -> [String] {
            var out: [[UInt8]] = []
            t.tokenize(Array(s.utf8), prefix: [], region: region, into: &out)
            return out.map { String(decoding: $0, as: UTF8.self) }
        }
        // Title case at the line start is folded; stop words and short words go.
        #expect(run("Hello there you") == ["hello", "there"])
        // "..." splits words (and is then trimmed away itself); "--" too.
        #expect(run("wait...what") == ["wait", "what"])
        #expect(run("foo--bar") == ["foo", "bar"])
        // Addresses break into U*/D*, domains into UD: suffixes.
        #expect(run("mail bob@mx.example.org").contains("D*example.org"))
        #expect(run("see www.example.com") == ["UD:www.example.com", "UD:example.com", "UD:com", "wwwexamplecom", "www.example.com"])
        // Long tokens keep seven characters.
        #expect(run("supercalifragilistic") == ["sk:superca"])
        // URIs keep long tokens whole.
        #expect(run("supercalifragilistic", .uri) == ["supercalifragilistic"])
        // Decomposed variants of body tokens.
        #expect(Set(run("bob FREE!")) == ["bob", "FREE", "free!", "free", "FREE!"])
        // Long UTF-8 tokens become their 3-byte characters.
        #expect(run("日本語日本語日本語") .allSatisfy { $0.hasPrefix("u8:") })
    }

    @Test func filterMarkupIsRemoved() {
        let plain = "From: a@example.com\nSubject: hi\n\nbody words here\n"
        let marked = "From: a@example.com\nX-Spam-Status: Yes, score=9.0 required=5.0\n tests=FOO\nX-Spam-Flag: YES\nSubject: *****SPAM***** hi\n\nbody words here\n"
        #expect(FilterMarkup.strip(Array(marked.utf8), subjectTag: "*****SPAM*****") == Array(plain.utf8))
        let wrapped = """
        From: filter@example.org
        Subject: *****SPAM***** hi
        Content-Type: multipart/mixed; boundary="----------=_ABC"
        X-Spam-Flag: YES

        This is a multi-part message in MIME format.

        ------------=_ABC
        Content-Type: text/plain; charset=iso-8859-1

        Spam detection software has identified this message as spam.

        ------------=_ABC
        Content-Type: message/rfc822; x-spam-type=original
        Content-Description: original message before SpamAssassin

        \(plain)
        ------------=_ABC--

        """
        #expect(FilterMarkup.strip(Array(wrapped.utf8)) == Array(plain.utf8))
        #expect(Self.tokens(wrapped) == Self.tokens(plain))
    }

    @Test func ignoredHeaders() {
        let msg = "From: a@example.com\nX-Custom: zebra\nX-Other: yak\n\nbody\n"
        #expect(Self.tokens(msg).contains("HX-Custom:zebra"))
        let settings = BayesSettings(otherSettings: ["bayes_ignore_header": ["X-Custom"]])
        let t = Self.tokens(msg, settings: settings)
        #expect(!t.contains("HX-Custom:zebra") && t.contains("HX-Other:yak"))
    }
}
