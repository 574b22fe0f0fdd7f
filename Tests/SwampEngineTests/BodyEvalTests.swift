import Testing
@testable import SwampEngine
@testable import SwampMIME
import SwampRules

/// The MIME, body and HTML eval functions (SpamAssassin's Plugin/MIMEEval.pm,
/// Plugin/BodyEval.pm, Plugin/HTMLEval.pm), on small hand-made messages.
@Suite struct BodyEvalTests {
    static let mimeRules = """
    rawbody MIME_QP_LONG_LINE eval:check_for_mime('mime_qp_long_line')
    rawbody MIME_BASE64_TEXT  eval:check_for_mime('mime_base64_encoded_text')
    rawbody __MIME_BASE64     eval:check_for_mime('mime_base64_count')
    rawbody __MIME_QP         eval:check_for_mime('mime_qp_count')
    body    MIME_BAD_ISO_CHARSET eval:check_for_mime('mime_bad_iso_charset')
    body    __MIME_ATTACHMENT eval:check_for_mime('mime_attachment')
    rawbody __MIME_CHARSET_FARAWAY eval:check_for_mime('mime_faraway_charset')
    body    MIME_HTML_ONLY    eval:check_for_mime_html_only()
    body    __MIME_HTML       eval:check_for_mime_html()
    body    MIME_HTML_MOSTLY  eval:check_mime_multipart_ratio('0.00','0.01')
    body    MULTIPART_ALT_NON_TEXT eval:check_ma_non_text()
    body    BASE64_LENGTH_79_INF eval:check_base64_length('79')
    body    BASE64_LENGTH_78_79 eval:check_base64_length('78','79')
    body    PP_MIME_FAKE_ASCII_TEXT eval:check_for_ascii_text_illegal()
    body    PP_TOO_MUCH_UNICODE02 eval:check_abundant_unicode_ratio(0.02)
    body    CHARSET_FARAWAY   eval:check_for_faraway_charset()
    """

    static func multipart(_ type: String, _ parts: [String], headers: String = "") -> String {
        var m = "From: a@example.com\nSubject: test\n\(headers)Content-Type: \(type); boundary=\"BB\"\n\n"
        for p in parts { m += "--BB\n\(p)\n" }
        return m + "--BB--\n"
    }

    @Test func plainTextHitsNone() {
        let m = "From: a@example.com\nSubject: hi\n\nJust some text.\n"
        #expect(hits(Self.mimeRules, m).isEmpty)
    }

    @Test func quotedPrintable() {
        let long = String(repeating: "x", count: 90)
        let m = "Subject: q\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
            + "caf=E9 \(long)\nplain =41=42 end=20=20\n"
        let h = hits(Self.mimeRules, m)
        #expect(h.contains("MIME_QP_LONG_LINE"))
        #expect(h.contains("__MIME_QP"))
        #expect(!h.contains("__MIME_BASE64"))
        // Short lines only: still QP, no long line.
        let short = "Subject: q\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nshort=20line\n"
        #expect(hits(Self.mimeRules, short).intersection(["MIME_QP_LONG_LINE", "__MIME_QP"]) == ["__MIME_QP"])
    }

    @Test func needlessQPCounting() {
        // =41 and =42 are printable (needless), =E9 is not, the trailing =20
        // run is needed.
        let line = Array("a=41=42=E9 b=20=20\n".utf8)
        #expect(MIMEFacts.needlessQP(line, 0, line.count) == 2)
        let none = Array("=E9=0A\n".utf8)
        #expect(MIMEFacts.needlessQP(none, 0, none.count) == 0)
    }

    @Test func base64TextAndLength() {
        let line = String(repeating: "QUJD", count: 20)  // 80 characters + newline
        let m = "Subject: b\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: base64\n\n\(line)\n"
        let h = hits(Self.mimeRules, m)
        #expect(h.isSuperset(of: ["MIME_BASE64_TEXT", "__MIME_BASE64", "BASE64_LENGTH_79_INF"]))
        #expect(!h.contains("BASE64_LENGTH_78_79"))
        // A UTF-8 text part in base64 is not "base64 for ASCII text".
        let utf8 = m.replacingOccurrences(of: "us-ascii", with: "utf-8")
        #expect(!hits(Self.mimeRules, utf8).contains("MIME_BASE64_TEXT"))
        // 77 characters and a newline: 78.
        let m78 = "Subject: b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
            + String(repeating: "A", count: 77) + "\n"
        #expect(hits(Self.mimeRules, m78).intersection(["BASE64_LENGTH_78_79", "BASE64_LENGTH_79_INF"]) == ["BASE64_LENGTH_78_79"])
    }

    @Test(arguments: [("iso-2022-cn", true), ("iso-8859-1", false), ("iso-8859-15", false), ("iso-2022-jp", false),
                      ("iso-10646-ucs-2", true), ("utf-8", false), ("iso-8859-1x", true)])
    func badISOCharset(charset: String, bad: Bool) {
        #expect(MIMEFacts.isBadISOCharset(charset) == bad)
        let m = "Subject: c\nContent-Type: text/plain; charset=\(charset)\n\nhello\n"
        #expect(hits(Self.mimeRules, m).contains("MIME_BAD_ISO_CHARSET") == bad)
    }

    @Test func htmlOnlyAndRatio() {
        let htmlOnly = "Subject: h\nContent-Type: text/html\n\n<html><body>Hi</body></html>\n"
        #expect(hits(Self.mimeRules, htmlOnly).isSuperset(of: ["MIME_HTML_ONLY", "__MIME_HTML"]))
        let alt = Self.multipart("multipart/alternative", [
            "Content-Type: text/plain\n\nx",
            "Content-Type: text/html\n\n<html><body>" + String(repeating: "word ", count: 60) + "</body></html>",
        ])
        let h = hits(Self.mimeRules, alt)
        #expect(h.contains("__MIME_HTML"))
        #expect(!h.contains("MIME_HTML_ONLY"))
        #expect(h.contains("MIME_HTML_MOSTLY"))  // 2 bytes of text against 300 of HTML
        let balanced = Self.multipart("multipart/alternative", [
            "Content-Type: text/plain\n\n" + String(repeating: "word ", count: 60),
            "Content-Type: text/html\n\n<p>" + String(repeating: "word ", count: 60),
        ])
        #expect(!hits(Self.mimeRules, balanced).contains("MIME_HTML_MOSTLY"))
    }

    @Test func attachmentsAndNonText() {
        let m = Self.multipart("multipart/alternative", [
            "Content-Type: text/plain\n\nhello",
            "Content-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n\nJVBERi0=",
        ])
        let h = hits(Self.mimeRules, m)
        #expect(h.isSuperset(of: ["__MIME_ATTACHMENT", "MULTIPART_ALT_NON_TEXT"]))
        let mixed = Self.multipart("multipart/mixed", [
            "Content-Type: text/plain\n\nhello",
            "Content-Type: application/pdf\n\nJVBERi0=",
        ])
        #expect(hits(Self.mimeRules, mixed).intersection(["__MIME_ATTACHMENT", "MULTIPART_ALT_NON_TEXT"]).isEmpty)
    }

    @Test func asciiIllegalAndUnicodeEntities() {
        let fake = "Subject: a\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\ncaf\u{e9}\n"
        #expect(hits(Self.mimeRules, fake).contains("PP_MIME_FAKE_ASCII_TEXT"))
        let declared = fake.replacingOccurrences(of: "us-ascii", with: "utf-8")
        #expect(!hits(Self.mimeRules, declared).contains("PP_MIME_FAKE_ASCII_TEXT"))
        let entities = "Subject: u\nContent-Type: text/plain\n\n&#x0412;&#x0410;&#x041D; text\n"
        #expect(hits(Self.mimeRules, entities).contains("PP_TOO_MUCH_UNICODE02"))
        let lower = "Subject: u\nContent-Type: text/plain\n\n&#x04af; just text here\n"
        #expect(!hits(Self.mimeRules, lower).contains("PP_TOO_MUCH_UNICODE02"))
    }

    // MARK: BodyEval

    static let bodyRules = """
    body __KAM_BODY_LENGTH_LT_128 eval:check_body_length('128')
    body MPART_ALT_DIFF       eval:multipart_alternative_difference('99', '100')
    body MPART_ALT_DIFF_COUNT eval:multipart_alternative_difference_count('3', '1')
    body BLANK_LINES_80_90    eval:check_blank_line_ratio('80','90','4')
    body __TVD_SPACE_RATIO    eval:tvd_vertical_words('0','10')
    body TVD_STOCK1           eval:check_stock_info('2')
    body __UPPERCASE_75_100   eval:check_for_uppercase('75', '100')
    body __UPPERCASE_25_50    eval:check_for_uppercase('25', '50')
    """

    @Test func bodyLength() {
        let short = "Subject: s\n\nshort body\n"
        #expect(hits(Self.bodyRules, short).contains("__KAM_BODY_LENGTH_LT_128"))
        let long = "Subject: s\n\n" + String(repeating: "long body text ", count: 20) + "\n"
        #expect(!hits(Self.bodyRules, long).contains("__KAM_BODY_LENGTH_LT_128"))
        #expect(Message(bytes: Array(short.utf8)).pristineBodyLength == 11)
    }

    @Test func alternativeDifference() {
        let differ = Self.multipart("multipart/alternative", [
            "Content-Type: text/plain\n\nhello there",
            "Content-Type: text/html\n\n<p>buy cheap pills now</p>",
        ])
        #expect(hits(Self.bodyRules, differ).isSuperset(of: ["MPART_ALT_DIFF"]))
        let same = Self.multipart("multipart/alternative", [
            "Content-Type: text/plain\n\nbuy cheap pills now",
            "Content-Type: text/html\n\n<p>buy cheap pills now</p>",
        ])
        #expect(!hits(Self.bodyRules, same).contains("MPART_ALT_DIFF"))
        let views = Views(message: Message(bytes: Array(same.utf8)))
        #expect(views.alternativeDifference == {
            var d = AlternativeDifference(); d.htmlWords = 4; d.textWords = 4; return d
        }())
        // Much more text than HTML: text words / HTML words > 3.
        let wordy = Self.multipart("multipart/alternative", [
            "Content-Type: text/plain\n\none two three four five six seven eight nine ten",
            "Content-Type: text/html\n\n<p>one two</p>",
        ])
        #expect(hits(Self.bodyRules, wordy).contains("MPART_ALT_DIFF_COUNT"))
        #expect(!hits(Self.bodyRules, same).contains("MPART_ALT_DIFF_COUNT"))
    }

    @Test func blankLinesAndVerticalWords() {
        // "x", nine blank lines, "y": 9 of 11 lines blank, 81.8 %.
        let blank = "Subject: b\n\nx\n" + String(repeating: " \n", count: 9) + "y\n"
        #expect(hits(Self.bodyRules, blank).contains("BLANK_LINES_80_90"))
        let fewer = "Subject: b\n\nx\n" + String(repeating: " \n", count: 3) + "y\n"
        #expect(!hits(Self.bodyRules, fewer).contains("BLANK_LINES_80_90"))
        let normal = "Subject: b\n\nThis is a normal sentence with words.\n"
        #expect(hits(Self.bodyRules, normal).contains("__TVD_SPACE_RATIO") == false)
        let vertical = "Subject: b\n\nabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\n"
        #expect(hits(Self.bodyRules, vertical).contains("__TVD_SPACE_RATIO"))
    }

    @Test func stockInfo() {
        let tip = "Subject: hot pick\n\nCompany: Acme Corp\nSymbol: ACME\nCurrent Price: $0.10\nTarget: $2.00\n"
        #expect(hits(Self.bodyRules, tip).contains("TVD_STOCK1"))
        let one = "Subject: hi\n\nCompany: Acme Corp\nHello there\n"
        #expect(!hits(Self.bodyRules, one).contains("TVD_STOCK1"))
        var pos = 0
        let text = Array("  Ticker symbol : X\n".utf8)
        #expect(EvalFunction.stockField(text, from: &pos).map { String(decoding: $0, as: UTF8.self) } == "Ticker symbol ")
    }

    @Test func uppercase() {
        let shouting = "Subject: s\n\n" + String(repeating: "BUY NOW AND SAVE BIG ", count: 12) + "\n"
        let h = hits(Self.bodyRules, shouting)
        #expect(h.contains("__UPPERCASE_75_100"))
        let quiet = "Subject: s\n\n" + String(repeating: "just a quiet line of text ", count: 12) + "\n"
        #expect(!hits(Self.bodyRules, quiet).contains("__UPPERCASE_75_100"))
        // Short bodies never count.
        #expect(!hits(Self.bodyRules, "Subject: s\n\nBUY NOW\n").contains("__UPPERCASE_75_100"))
        // Nor a charset whose text reads as capitals.
        let jp = "Subject: s\nContent-Type: text/plain; charset=iso-2022-jp\n\n" + String(repeating: "BUY NOW AND SAVE BIG ", count: 12) + "\n"
        #expect(!hits(Self.bodyRules, jp).contains("__UPPERCASE_75_100"))
    }

    // MARK: HTMLEval

    static let htmlRules = """
    body HTML_MESSAGE        eval:html_test('html')
    body __TAG_EXISTS_CENTER eval:html_tag_exists('center')
    body __TAG_EXISTS_HEAD   eval:html_tag_exists('head')
    body HTML_TAG_BALANCE_BODY eval:html_tag_balance('body', '!= 0')
    body HTML_EXTRA_CLOSE    eval:html_range('closed_extra_ratio', '0.09', 'inf')
    body HTML_BADTAG_40_50   eval:html_range('bad_tag_ratio','0.40','0.50')
    body __HTML_LENGTH_512   eval:html_eval('length', '< 512')
    body HTML_COMMENT_SHORT  eval:html_text_match('comment', '<!(?!-).{0,6}>')
    body __COMMENT_EXISTS    eval:html_text_match('comment', '<!.*?>')
    body __HTML_LINK_IMAGE   eval:html_text_match('anchor', '<img>')
    body __HTML_TITLE_SUBJ_DIFF eval:html_title_subject_ratio('3.5')
    body HTML_IMAGE_ONLY_04  eval:html_image_only('0000','0400')
    body HTML_IMAGE_RATIO_02 eval:html_image_ratio('0.000','0.002')
    body HTML_EMBEDS         eval:html_test('embeds')
    body HTML_IFRAME_SRC     eval:check_iframe_src()
    """

    static func html(_ body: String, subject: String = "hi") -> String {
        "Subject: \(subject)\nContent-Type: text/html\n\n\(body)\n"
    }

    @Test func htmlMessage() {
        #expect(hits(Self.htmlRules, "Subject: p\n\nplain <b>text</b>\n").isEmpty)
        let h = hits(Self.htmlRules, Self.html("<html><head></head><body><center>Hi</center></body></html>"))
        #expect(h.isSuperset(of: ["HTML_MESSAGE", "__TAG_EXISTS_CENTER", "__TAG_EXISTS_HEAD", "__HTML_LENGTH_512"]))
        #expect(!h.contains("HTML_TAG_BALANCE_BODY"))
        #expect(!h.contains("HTML_EXTRA_CLOSE"))
        let unbalanced = hits(Self.htmlRules, Self.html("<html><body>Hi</html></p></p>"))
        #expect(unbalanced.isSuperset(of: ["HTML_TAG_BALANCE_BODY", "HTML_EXTRA_CLOSE"]))
        #expect(!unbalanced.contains("__TAG_EXISTS_CENTER"))
    }

    @Test func htmlStatistics() {
        let views = Views(message: Message(bytes: Array(Self.html("<!DOCTYPE html><html><foo>a</foo><o:p>b</o:p><!-- c --></html>").utf8)))
        let s = try! #require(views.html.first)
        // html, foo, o:p, /o:p, /foo, /html and the doctype: 7 tags; foo twice is
        // not an element.
        #expect(s.tags == 7)
        #expect(s.elements == 5)
        #expect(s.tagsSeen == 3)
        #expect(s.elementsSeen == 2)
        #expect(s.comments == [Array("<!-- c -->".utf8)])
        #expect(hits(Self.htmlRules, Self.html("<html><x1>a</x1><x2>b</x2><p>c</p></html><p>")).contains("HTML_BADTAG_40_50"))
    }

    @Test func htmlTextMatches() {
        let h = hits(Self.htmlRules, Self.html("<html><!foo><a href=\"http://x.example/\"><img src=\"a.gif\"></a></html>"))
        #expect(h.isSuperset(of: ["HTML_COMMENT_SHORT", "__COMMENT_EXISTS", "__HTML_LINK_IMAGE"]))
        let none = hits(Self.htmlRules, Self.html("<html><!-- a long comment --><a href=\"http://x.example/\">text</a></html>"))
        #expect(none.contains("__COMMENT_EXISTS"))
        #expect(!none.contains("HTML_COMMENT_SHORT"))
        #expect(!none.contains("__HTML_LINK_IMAGE"))
        let title = hits(Self.htmlRules, Self.html("<title>a title much longer than the subject line</title>x", subject: "hi"))
        #expect(title.contains("__HTML_TITLE_SUBJ_DIFF"))
        let shortTitle = hits(Self.htmlRules, Self.html("<title>hi</title>x", subject: "hi"))
        #expect(!shortTitle.contains("__HTML_TITLE_SUBJ_DIFF"))
    }

    @Test func htmlFonts() {
        let rules = """
        body HTML_FONT_LOW_CONTRAST eval:html_test('font_low_contrast')
        body __KAM_HTML_FONT_INVALID eval:html_test('font_invalid_color')
        body HTML_FONT_FACE_BAD eval:html_test('font_face_bad')
        body HTML_FONT_SIZE_LARGE eval:html_range('max_size', '5', '6')
        body HTML_FONT_SIZE_HUGE eval:html_range('max_size', '6', 'inf')
        """
        #expect(hits(rules, Self.html("<font color=\"#fefefe\">hidden</font> shown")) == ["HTML_FONT_LOW_CONTRAST"])
        #expect(hits(rules, Self.html("<font color=\"#000000\">plain</font>")).isEmpty)
        #expect(hits(rules, Self.html("<font color=\"nonsense\">odd</font>")) == ["__KAM_HTML_FONT_INVALID"])
        #expect(hits(rules, Self.html("<font face=\"Arial, Helvetica\">ok</font>")).isEmpty)
        #expect(hits(rules, Self.html("<font face=\"x!@#$\">bad</font>")) == ["HTML_FONT_FACE_BAD"])
        #expect(hits(rules, Self.html("<font size=\"6\">big</font>")) == ["HTML_FONT_SIZE_LARGE"])
        #expect(hits(rules, Self.html("<font size=\"+5\">bigger</font>")) == ["HTML_FONT_SIZE_HUGE"])
    }

    @Test func htmlObfuscation() {
        let rule = "body HTML_OBFUSCATE_20_30 eval:html_range('obfuscation_ratio','.2','.3')\n"
        // One word cut by markup among 4 tags: 0.25.
        #expect(hits(rule, Self.html("<p>V<b></b>iagra</p>now")) == ["HTML_OBFUSCATE_20_30"])
        #expect(hits(rule, Self.html("<p>Viagra</p><p>now</p>")).isEmpty)
        let views = Views(message: Message(bytes: Array(Self.html("C<b>i</b>alis and <i>more</i>").utf8)))
        #expect(views.html.first?.obfuscation == 2)
    }

    @Test func htmlImages() {
        let only = hits(Self.htmlRules, Self.html("<html><img src=\"http://x.example/a.gif\" width=\"600\" height=\"400\">Hi</html>"))
        #expect(only.isSuperset(of: ["HTML_IMAGE_ONLY_04", "HTML_IMAGE_RATIO_02"]))
        let texty = hits(Self.htmlRules, Self.html("<html><img src=\"a.gif\" width=10 height=10>" + String(repeating: "words ", count: 100) + "</html>"))
        #expect(texty.intersection(["HTML_IMAGE_ONLY_04", "HTML_IMAGE_RATIO_02"]).isEmpty)
        let embeds = hits(Self.htmlRules, Self.html("<embed src=\"x.swf\"><iframe src=\"http://x.example/\"></iframe>"))
        #expect(embeds.isSuperset(of: ["HTML_EMBEDS", "HTML_IFRAME_SRC"]))
    }
}
