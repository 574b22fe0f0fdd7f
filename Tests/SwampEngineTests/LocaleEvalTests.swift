import Testing
@testable import SwampEngine

/// `ok_locales` and the faraway-charset evals (Locales.swift).
@Suite struct LocaleEvalTests {
    let rules = """
    header HEADER_FARAWAY eval:check_for_faraway_charset_in_headers()
    body   MIME_FARAWAY   eval:check_for_faraway_charset()
    body   HTML_FARAWAY   eval:html_charset_faraway()
    """

    @Test func charsetsPerLocale() {
        for cs in ["us-ascii", "ISO-8859-15", "utf-8", "windows-1252", "cp1250", "x-unknown", "3DISO-8859-1"] {
            #expect(Locales.isCharsetOK(cs, ["en"]), "\(cs)")
        }
        #expect(!Locales.isCharsetOK("koi8-r", ["en"]))
        #expect(Locales.isCharsetOK("koi8-r", ["ru_RU.UTF-8"]))
        #expect(!Locales.isCharsetOK("Shift_JIS", ["en", "zh"]))
        #expect(Locales.isCharsetOK("Shift_JIS", ["ja"]))
        #expect(Locales.isCharsetOK("big5", ["zh_TW"]))
        #expect(!Locales.isCharsetOK("gb2312", ["C"]))
    }

    @Test func allAcceptsEverything() {
        let msg = "From: =?koi8-r?B?8NLJ18XU?= <a@example.org>\nSubject: =?gb2312?B?xOO6ww==?=\n\nhello\n"
        #expect(hits(rules, msg).isEmpty)
        #expect(hits(rules + "\nok_locales all", msg).isEmpty)
    }

    @Test func encodedWordsInFromOrSubject() {
        let en = rules + "\nok_locales en"
        #expect(hits(en, "From: =?koi8-r?B?8NLJ18XU?= <a@example.org>\nSubject: hi\n\nhello\n") == ["HEADER_FARAWAY"])
        #expect(hits(en, "From: a@example.org\nSubject: =?gb2312?B?xOO6ww==?=\n\nhello\n") == ["HEADER_FARAWAY"])
        #expect(hits(en, "From: a@example.org\nSubject: =?iso-8859-1?Q?caf=E9?=\n\nhello\n").isEmpty)
        #expect(hits(rules + "\nok_locales en ru", "From: =?koi8-r?B?8NLJ18XU?= <a@example.org>\n\nhello\n").isEmpty)
    }

    @Test func bodyInAFarawayCharset() {
        let en = rules + "\nok_locales en"
        // Mostly 8-bit text in koi8-r.
        let cyrillic = "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442} \u{43c}\u{438}\u{440}"
        let koi = "From: a@example.org\nContent-Type: text/plain; charset=\"koi8-r\"\nContent-Transfer-Encoding: 8bit\n\n"
        #expect(hits(en, koi + "\u{1}" + String(repeating: cyrillic + " ", count: 5) + "\n").contains("MIME_FARAWAY"))
        // The same charset named over plain ASCII text: not counted.
        #expect(!hits(en, koi + "plain ascii text only, nothing eight bit in it\n").contains("MIME_FARAWAY"))
    }

    @Test func htmlMetaCharsetsNeverCountAsInSpamAssassin() {
        let html = "From: a@example.org\nContent-Type: text/html\n\n<html><head>"
            + "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\"></head><body>hello</body></html>\n"
        #expect(hits(rules + "\nok_locales en", html).isEmpty)
    }
}
