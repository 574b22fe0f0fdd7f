import Testing
@testable import SwampMIME

/// `firstByteRange(of:)` against a plain search over the UTF-8 bytes, on
/// ASCII and non-ASCII text, Strings and Substrings.
@Suite struct ByteSearchTests {
    @Test(arguments: [
        ("rgb(1,2,3)", "rgb(", 0),
        ("color: RGB(1,2,3) rgb(4,5,6)", "rgb(", 18),
        ("from x ) by y", ") by ", 7),
        ("ends with !!", "!!", 10),
        ("no match here", "!!", nil),
        ("short", "longer than it", nil),
        ("", "x", nil),
        ("café ) by €uro", ") by ", 6),
        ("ééé..ü", "..", 6),
        ("aaab", "aab", 1),
    ] as [(String, String, Int?)])
    func findsTheFirstOccurrenceByBytes(_ text: String, _ needle: String, _ offset: Int?) {
        let r = text.firstByteRange(of: needle)
        #expect(r.map { text.utf8.distance(from: text.utf8.startIndex, to: $0.lowerBound) } == offset)
        if let r { #expect(String(text[r]) == needle) }
        #expect(text.containsBytes(needle) == (offset != nil))
    }

    /// In a Substring the offsets are the Substring's own.
    @Test func substringsSearchTheirOwnBytes() throws {
        let whole = "xx rgb( yy rgb( zz"
        let tail = whole[whole.index(whole.startIndex, offsetBy: 5)...]
        let r = try #require(tail.firstByteRange(of: "rgb("))
        #expect(whole.utf8.distance(from: whole.utf8.startIndex, to: r.lowerBound) == 11)
        #expect(String(tail[r.upperBound...]) == " zz")
    }

    /// Byte for byte, as Perl's `index`: a decomposed é does not match a
    /// composed one (Foundation's search would say it does).
    @Test func comparesBytesNotCharacters() {
        #expect(!"cafe\u{301}".containsBytes("caf\u{e9}"))
        #expect("cafe\u{301}".containsBytes("cafe"))
    }
}
