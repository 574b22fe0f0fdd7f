import Foundation
import Testing
@testable import SwampMIME

/// The body split by visibility (what Bayes reads) for small messages with
/// hidden HTML text in Corpus/hidden-text/. Each row holds what
/// SpamAssassin 4.0.1 gives for `get_rendered_body_text_array`,
/// `get_visible_rendered_body_text_array` and
/// `get_invisible_rendered_body_text_array`.
@Suite struct VisibilityTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Corpus/hidden-text")

    struct Row: Sendable, CustomStringConvertible {
        var file: String
        var body: [String]
        var visible: [String]
        var invisible: [String]
        var description: String { file }
    }

    static let rows: [Row] = [
        // Colour equal or near to the background, named colours, a cell's
        // own background. Hidden pieces join with nothing between them.
        Row(file: "colour.eml",
            body: ["Colour test\n", "\n", "Visible offer here\n", "whitewash camouflage\n", "nearly invisible words\n",
                   "black text alpha beta matched cell shown cell "],
            visible: ["Colour test\n", "\n", "Visible offer here\n", "black text shown cell "],
            invisible: ["whitewash camouflagenearly invisible wordsalphabetamatched cell"]),
        // display:none and visibility:hidden; a text/plain alternative is
        // all visible; HTML.pm reads the property name as written, so
        // "DISPLAY: None" shows.
        Row(file: "display.eml",
            body: ["Display test\n", "Plain version with shown words.\n", "Shown paragraph here.\n",
                   "hiddenblock stuffing vocabulary ghostly phrase trailing words\n", "Uppercase none\n", " "],
            visible: ["Display test\n", "Plain version with shown words.\n", "Shown paragraph here.\n",
                      " trailing words\n", "Uppercase none\n", " "],
            invisible: ["hiddenblock stuffing vocabularyghostly phrase"]),
        // Font size 1 or less, relative sizes, nested <small>; entities,
        // one of them above U+00FF, which makes the hidden text UTF-8.
        Row(file: "tiny.eml",
            body: ["Tiny test\n",
                   "Normal sized text. tinyprint legalese minus two small but readable doubly small Café naïve €uro "],
            visible: ["Tiny test\n", "Normal sized text. small but readable "],
            invisible: ["tinyprint legaleseminus twodoubly smallCafé naïve €uro"]),
    ]

    @Test(arguments: VisibilityTests.rows)
    func splitMatchesSpamAssassin(_ row: Row) throws {
        let data = try Data(contentsOf: Self.corpus.appendingPathComponent(row.file))
        let v = Views(message: Message(bytes: Array(data)))
        // Body rules still see the hidden text.
        #expect(v.body.map(\.s) == row.body)
        let split = v.bodyByVisibility()
        #expect(split.visible.map(\.s) == row.visible)
        #expect(split.invisible.map(\.s) == row.invisible)
    }

    /// How HTML.pm reads a style attribute decides what is hidden: colour
    /// names in any case, but the colon right after them; `display` and
    /// `visibility` in lower case only; no value across a line break.
    @Test(arguments: [
        ("<span style=\"color:\nred\nblue\">x</span> y", ""),
        ("<span style=\"color: #ffffff\n\">x</span> y", "x"),
        ("<span style=\"\n display : none\">x</span> y", "x"),
        ("<span style=\"Display: none\">x</span> y", ""),
        ("<span style=\"color : white\">x</span> y", ""),
        ("<span style=\"COLOR: white\">x</span> y", "x"),
        ("<span style=\"visibility: HIDDEN\">x</span> y", "x"),
    ] as [(String, String)])
    func styleDeclarations(_ html: String, _ hidden: String) {
        #expect(HTMLRenderer.render(Array(html.utf8), maxURIs: 10).text(invisible: true).s == hidden)
    }

    @Test func withoutHiddenTextVisibleIsTheBody() {
        let v = views("Subject: hi\nContent-Type: text/html\n\n<p>all <b>shown</b></p><font color=red>red</font>\n")
        #expect(!v.hasInvisibleText)
        #expect(v.bodyByVisibility() == BodyByVisibility(visible: v.body, invisible: []))
        let plain = views("Subject: hi\n\nplain words\n")
        #expect(plain.bodyByVisibility() == BodyByVisibility(visible: plain.body, invisible: []))
    }

    @Test func htmlPiecesCarryTheirVisibility() {
        let r = HTMLRenderer.render(Array("a <font size=1>b</font> c <span style='display:none'>d</span>".utf8), maxURIs: 10)
        #expect(r.text.s == "a b c d")
        #expect(r.text(invisible: false).s == "a  c ")
        #expect(r.text(invisible: true).s == "bd")
        // Blanks that end the document are a piece of their own, so they
        // stay visible after hidden text.
        let tail = HTMLRenderer.render(Array("<p>a</p><font color=white>xx &amp; yy\r\n".utf8), maxURIs: 10)
        #expect(tail.text.s == "\n\na\n\nxx & yy ")
        #expect(tail.text(invisible: false).s == "\n\na\n\n ")
        #expect(tail.text(invisible: true).s == "xx & yy")
    }
}
