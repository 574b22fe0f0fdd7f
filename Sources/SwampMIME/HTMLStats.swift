// What SpamAssassin's HTML.pm records about one text/html part while it
// renders it (`put_results`), for the HTMLEval plugin's rules: the tags
// seen and left open, how many were not HTML elements, comments, titles,
// anchor texts, image areas. HTMLRenderer fills it in its single pass.

import SwampRegex

public struct HTMLStats: Sendable, Equatable {
    /// Tag name → times opened less times closed, never below 0
    /// (`inside`); a name is present once the tag was seen at all.
    public var inside: [String: Int] = [:]
    /// Every start and end tag (`tags`), those that are HTML elements
    /// (`elements`), and the same counted once per name until it is seen
    /// (`tags_seen`, `elements_seen`).
    public var tags = 0
    public var elements = 0
    public var tagsSeen = 0
    public var elementsSeen = 0
    /// End tags with no start tag open.
    public var closedExtra = 0
    /// Each `<!...>` comment, markup included.
    public var comments: [[UInt8]] = []
    /// The text of each `<title>`.
    public var titles: [[UInt8]] = []
    /// The text of each `<a>`, with `<img>\n` for each image inside it;
    /// nil when the part has no anchor.
    public var anchors: [[UInt8]]? = nil
    /// Comments, titles and anchor texts kept per part: each is a copy of
    /// its text, and a hostile part of `<!>` or `<a>` repeated would
    /// otherwise cost many times its size in arrays.
    public static let maximumTexts = 1000
    /// Whether the open anchor / title is one of those kept.
    var recordingAnchor = false
    var recordingTitle = false
    /// Width × height of the images that give both (200 for a size that is
    /// not a number; percentages of an 800×600 screen).
    public var imageArea = 0
    public var embeds = false
    public var formActionMailto = false
    /// The href of each `<a>` that is a `mailto:` link, as written (the
    /// FreeMail plugin reads the addresses of these, which the rendered
    /// text does not show); at most `maximumMailtoAnchors`.
    public var mailtoAnchors: [[UInt8]] = []
    public static let maximumMailtoAnchors = 100
    /// Text coloured (nearly) like its background, text in a colour HTML.pm
    /// cannot read, a `<font face>` that is no list of font names.
    public var fontLowContrast = false
    public var fontInvalidColor = false
    public var fontFaceBad = false
    /// The largest font size set (3 is the default).
    public var maxSize = 3
    /// Text pieces that go on with the word the previous piece ended.
    public var obfuscation = 0
    /// Whether an `<iframe>` names a source.
    public var iframeSource = false
    /// Characters of the HTML source (`length`).
    public var length = 0
    /// Characters of rendered text that are not blanks (`non_space_len`).
    public var nonSpaceLength = 0

    public init() {}

    public var badTagRatio: Double? { tags > 0 ? Double(tags - elements) / Double(tags) : nil }
    public var nonElementRatio: Double? { tagsSeen > 0 ? Double(tagsSeen - elementsSeen) / Double(tagsSeen) : nil }
    public var closedExtraRatio: Double? { tags > 0 ? Double(closedExtra) / Double(tags) : nil }

    /// A numeric result by the name `html_range`/`html_eval` give, or nil
    /// where HTML.pm would have none.
    public func number(named name: String) -> Double? {
        switch name {
        case "length": return Double(length)
        case "bad_tag_ratio": return badTagRatio
        case "non_element_ratio": return nonElementRatio
        case "closed_extra_ratio": return closedExtraRatio
        case "image_area": return Double(imageArea)
        case "non_space_len": return Double(nonSpaceLength)
        case "html": return 1
        case "embeds": return embeds ? 1 : nil
        case "form_action_mailto": return formActionMailto ? 1 : nil
        case "font_low_contrast": return fontLowContrast ? 1 : nil
        case "font_invalid_color": return fontInvalidColor ? 1 : nil
        case "font_face_bad": return fontFaceBad ? 1 : nil
        case "max_size": return Double(maxSize)
        case "obfuscation_ratio": return obfuscation > 0 && tags > 0 ? Double(obfuscation) / Double(tags) : nil
        default: return nil
        }
    }

    /// What HTML.pm takes for a list of font names (`html_tests`).
    static let fontFacePattern: Regex? = try? Regex(
        #"^\s*["'.]?[a-z ][a-z -]*[a-z]\d?["']?(?:,\s*["']?[a-z][a-z -]*[a-z]\d?["']?)*;?$"#, options: [.caseless])

    /// Neither a blank nor ASCII punctuation (HTML.pm's
    /// `[^\s\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]`).
    static func isWordByte(_ c: UInt8) -> Bool {
        !(c == 32 || (c >= 9 && c <= 13) || (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40)
          || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E))
    }

    /// HTML::Parser's Microsoft Office namespace tags (`o:p`, `st1:place`),
    /// which HTML.pm counts as elements.
    static func isNamespaceTag(_ name: String) -> Bool {
        var u = Array(name.utf8)
        if u.last == 0x2F { u.removeLast() }
        var i = 0
        if u.first == 0x6F { i = 1 }
        else if u.count > 3, u[0] == 0x73, u[1] == 0x74, u[2].isDigit { i = 3 }
        else { return false }
        guard i < u.count, u[i] == 0x3A, i + 1 < u.count else { return false }
        return u[(i + 1)...].allSatisfy { $0.isWord || $0 == 0x2D }
    }

    mutating func tag(seen: Bool, element: Bool) {
        if element {
            elements += 1
            if !seen { elementsSeen += 1 }
        }
        tags += 1
        if !seen { tagsSeen += 1 }
    }

    /// An `<img>` start tag's area, as HTML.pm guesses it.
    mutating func image(width: [UInt8]?, height: [UInt8]?) {
        guard let w = width, let h = height else { return }
        func size(_ v: [UInt8], percent scale: Int) -> Int {
            // ^(\d+)(%)?$
            var digits = v
            var pct = false
            if digits.last == 0x25 { pct = true; digits.removeLast() }
            guard !digits.isEmpty, digits.allSatisfy(\.isDigit), digits.count < 12,
                  let n = Int(String(decoding: digits, as: UTF8.self)) else { return 0 }
            return pct ? n * scale : n
        }
        var width = size(w, percent: 8), height = size(h, percent: 6)
        if width <= 0 { width = 200 }
        if height <= 0 { height = 200 }
        imageArea += width * height
    }
}
