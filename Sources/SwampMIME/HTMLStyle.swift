// Text style tracking for HTML rendering: SpamAssassin's HTML.pm marks text
// as invisible when its colour is too close to the background, the colour
// cannot be parsed, the font is tiny, or CSS hides it. Invisible text is
// still part of the body text, but it changes where blanks are trimmed, so
// the rendering must know it. Colour names are the CSS ones.

struct TextStyle {
    var tag: String
    var fg: String
    var bg: String
    var size: Int
    var display: String?
    var visibility: String?
}

enum CSSColors {
    static let table: [String: UInt32] = {
        let list = """
        aliceblue f0f8ff antiquewhite faebd7 aqua 00ffff aquamarine 7fffd4 azure f0ffff beige f5f5dc bisque ffe4c4 \
        black 000000 blanchedalmond ffebcd blue 0000ff blueviolet 8a2be2 brown a52a2a burlywood deb887 \
        cadetblue 5f9ea0 chartreuse 7fff00 chocolate d2691e coral ff7f50 cornflowerblue 6495ed cornsilk fff8dc \
        crimson dc143c cyan 00ffff darkblue 00008b darkcyan 008b8b darkgoldenrod b8860b darkgray a9a9a9 \
        darkgrey a9a9a9 darkgreen 006400 darkkhaki bdb76b darkmagenta 8b008b darkolivegreen 556b2f \
        darkorange ff8c00 darkorchid 9932cc darkred 8b0000 darksalmon e9967a darkseagreen 8fbc8f \
        darkslateblue 483d8b darkslategray 2f4f4f darkslategrey 2f4f4f darkturquoise 00ced1 darkviolet 9400d3 \
        deeppink ff1493 deepskyblue 00bfff dimgray 696969 dimgrey 696969 dodgerblue 1e90ff firebrick b22222 \
        floralwhite fffaf0 forestgreen 228b22 fuchsia ff00ff gainsboro dcdcdc ghostwhite f8f8ff gold ffd700 \
        goldenrod daa520 gray 808080 grey 808080 green 008000 greenyellow adff2f honeydew f0fff0 hotpink ff69b4 \
        indianred cd5c5c indigo 4b0082 ivory fffff0 khaki f0e68c lavender e6e6fa lavenderblush fff0f5 \
        lawngreen 7cfc00 lemonchiffon fffacd lightblue add8e6 lightcoral f08080 lightcyan e0ffff \
        lightgoldenrodyellow fafad2 lightgray d3d3d3 lightgrey d3d3d3 lightgreen 90ee90 lightpink ffb6c1 \
        lightsalmon ffa07a lightseagreen 20b2aa lightskyblue 87cefa lightslategray 778899 lightslategrey 778899 \
        lightsteelblue b0c4de lightyellow ffffe0 lime 00ff00 limegreen 32cd32 linen faf0e6 magenta ff00ff \
        maroon 800000 mediumaquamarine 66cdaa mediumblue 0000cd mediumorchid ba55d3 mediumpurple 9370db \
        mediumseagreen 3cb371 mediumslateblue 7b68ee mediumspringgreen 00fa9a mediumturquoise 48d1cc \
        mediumvioletred c71585 midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 moccasin ffe4b5 \
        navajowhite ffdead navy 000080 oldlace fdf5e6 olive 808000 olivedrab 6b8e23 orange ffa500 \
        orangered ff4500 orchid da70d6 palegoldenrod eee8aa palegreen 98fb98 paleturquoise afeeee \
        palevioletred db7093 papayawhip ffefd5 peachpuff ffdab9 peru cd853f pink ffc0cb plum dda0dd \
        powderblue b0e0e6 purple 800080 rebeccapurple 663399 red ff0000 rosybrown bc8f8f royalblue 4169e1 \
        saddlebrown 8b4513 salmon fa8072 sandybrown f4a460 seagreen 2e8b57 seashell fff5ee sienna a0522d \
        silver c0c0c0 skyblue 87ceeb slateblue 6a5acd slategray 708090 slategrey 708090 snow fffafa \
        springgreen 00ff7f steelblue 4682b4 tan d2b48c teal 008080 thistle d8bfd8 tomato ff6347 \
        turquoise 40e0d0 violet ee82ee wheat f5deb3 white ffffff whitesmoke f5f5f5 yellow ffff00 yellowgreen 9acd32
        """
        var m: [String: UInt32] = [:]
        let w = list.split(whereSeparator: { $0 == " " || $0 == "\n" })
        var i = 0
        while i + 1 < w.count { m[String(w[i])] = UInt32(w[i + 1], radix: 16); i += 2 }
        return m
    }()

    static func hex2(_ v: Int) -> String {
        let c = Swift.max(0, Swift.min(255, v))
        let s = String(c, radix: 16)
        return s.count == 1 ? "0" + s : s
    }

    /// HTML.pm `name_to_rgb`: "#rrggbb" or "invalid". A bare hex value
    /// without `#` is invalid there, and we keep that.
    static func rgb(_ input: String) -> String {
        let color = input.lowercased().trimmingASCII(.spacesAndNewlines)
        if let v = table[color] {
            let s = String(v, radix: 16)
            return "#" + String(repeating: "0", count: 6 - s.count) + s
        }
        let isHexish = color.allSatisfy { $0 == "#" || ($0.isHexDigit && !$0.isUppercase) }
        let hasRGB = color.containsBytes("rgb(")
        guard isHexish || hasRGB else { return "invalid" }
        var c = color
        if let r = c.firstByteRange(of: "rgb(") {
            let inner = c[r.upperBound...].prefix(while: { $0 != ")" })
            let parts = inner.split(separator: ",").map { $0.trimmingASCII(.spacesAndNewlines) }
            if parts.count == 3 {
                if parts.allSatisfy({ $0.hasSuffix("%") }), let a = Int(parts[0].dropLast()), let b = Int(parts[1].dropLast()), let d = Int(parts[2].dropLast()) {
                    c = "#" + hex2(a * 255 / 100) + hex2(b * 255 / 100) + hex2(d * 255 / 100)
                } else if let a = Int(parts[0]), let b = Int(parts[1]), let d = Int(parts[2]) {
                    c = "#" + hex2(a) + hex2(b) + hex2(d)
                }
            }
        }
        guard c.hasPrefix("#") else { return "invalid" }
        var h = String(c.filter { $0.isHexDigit }.lowercased())
        if h.count > 6 { h = String(h.prefix(6)) }
        if h.count > 3 && h.count < 6 { h = String(h.prefix(3)) }
        if h.count % 3 != 0 { h += String(repeating: "0", count: 3 - h.count % 3) }
        if h.count == 3 { h = h.map { "\($0)\($0)" }.joined() }
        return "#" + h
    }
}

struct StyleStack {
    private(set) var stack: [TextStyle] = [TextStyle(tag: "default", fg: "#000000", bg: "#ffffff", size: 3)]
    var basefont = 3
    /// How many entries of each tag the stack holds, so "is there an open
    /// <font>?" is O(1) and deep nesting stays linear.
    var openCount: [String: Int] = ["default": 1]

    mutating func push(_ s: TextStyle) {
        stack.append(s); openCount[s.tag, default: 0] += 1
    }
    @discardableResult mutating func pop() -> TextStyle? {
        guard let s = stack.popLast() else { return nil }
        openCount[s.tag, default: 1] -= 1
        return s
    }
    func isOpen(_ tag: String) -> Bool { (openCount[tag] ?? 0) > 0 }

    static let styleTags: Set<String> = ["body", "font", "table", "tr", "th", "td", "big", "small", "basefont", "marquee", "span", "p", "div", "a"]
    static let okAttributes: [String: Set<String>] = [
        "basefont": ["color", "face", "size"], "body": ["text", "bgcolor", "link", "alink", "vlink", "background"],
        "font": ["color", "face", "size"], "marquee": ["bgcolor", "background"], "table": ["bgcolor", "style"],
        "td": ["bgcolor", "style"], "th": ["bgcolor", "style"], "tr": ["bgcolor", "style"], "span": ["style"],
        "p": ["style"], "div": ["style"], "a": ["style"],
    ]

    mutating func start(_ rawTag: String, _ attrs: [(String, [UInt8])]) {
        let tag = rawTag == "th" ? "td" : rawTag
        func attr(_ n: String) -> String? { attrs.first(where: { $0.0 == n }).map { String(decoding: $0.1, as: UTF8.self) } }
        if tag == "basefont", let s = attr("size"), let n = leadingInt(s, signed: false) {
            basefont = n; return
        }
        if tag == "td" || tag == "tr" { closeTable(tag) }
        var new = stack[stack.count - 1]
        new.tag = tag
        if tag == "big" { new.size += 1; push(new); return }
        if tag == "small" { new.size -= 1; push(new); return }
        let ok = StyleStack.okAttributes[tag] ?? []
        for (name, value) in attrs where ok.contains(name) {
            let v = String(decoding: value, as: UTF8.self)
            switch name {
            case "text", "color": new.fg = CSSColors.rgb(v)
            case "size":
                let t = v.drop(while: { $0 == " " || $0 == "\t" })
                if t.first == "+" || t.first == "-", let n = leadingInt(String(t), signed: true) { new.size = basefont + n }
                else if let n = leadingInt(String(t), signed: false) { new.size = n }
            case "style":
                for decl in v.split(separator: ";", omittingEmptySubsequences: false) {
                    let d = decl.trimmingASCII(.spacesAndNewlines)
                    guard let colon = d.firstIndex(of: ":") else { continue }
                    // HTML.pm matches `color:` and `background-color:` in any
                    // case, `background:` in lower case, both with the colon
                    // right after the name; any other property is kept under
                    // its name as written, so only lower-case `display` and
                    // `visibility` count.
                    let written = d[..<colon]
                    let name = written.trimmingASCII(.spacesAndNewlines)
                    let prop = name.count == written.count ? name.lowercased() : ""
                    var value = d[d.index(after: colon)...].trimmingASCII(.spacesAndNewlines)
                    // A value is one line: HTML.pm's patterns stop at a line
                    // break (an unclosed quote can run the attribute on).
                    if value.utf8.contains(lf) { continue }
                    if prop == "color" || prop == "background-color" {
                        value = value.lowercased()
                        if value.hasSuffix("important") {
                            var t = value.dropLast(9)
                            while t.last?.isWhitespace == true { t = t.dropLast() }
                            if t.last == "!" {
                                t = t.dropLast()
                                while t.last?.isWhitespace == true { t = t.dropLast() }
                                value = String(t)
                            }
                        }
                        let target: String
                        if value.containsBytes("rgb") {
                            let nums = value.filter { $0.isNumber || $0 == "," }.split(separator: ",", omittingEmptySubsequences: false)
                            var comps: [Int] = []
                            for k in 0..<3 { comps.append(k < nums.count ? Int(nums[k]) ?? 0 : 0) }
                            target = "#" + comps.map { CSSColors.hex2($0) }.joined()
                        } else if value == "inherit" {
                            continue
                        } else if value == "transparent" {
                            target = "transparent"
                        } else {
                            target = CSSColors.rgb(value)
                        }
                        if prop == "color" { new.fg = target } else { new.bg = target }
                    } else if prop == "background" && name == "background" {
                        let layers = value.lowercased().split(separator: ",")
                        if let last = layers.last {
                            for tok in last.split(separator: " ") where CSSColors.rgb(String(tok)) != "invalid" {
                                new.bg = CSSColors.rgb(String(tok)); break
                            }
                        }
                    } else if name == "display" {
                        new.display = value
                    } else if name == "visibility" {
                        new.visibility = value
                    }
                }
                if new.bg == "transparent" { new.bg = stack[stack.count - 1].bg }
                if new.fg == "transparent" { new.fg = new.bg }
            default: break  // bgcolor does not change the colour in HTML.pm
            }
            // HTML.pm's max_size: the largest size a styled tag's
            // attribute left in force.
            maxSize = max(maxSize, new.size)
        }
        push(new)
    }

    mutating func end(_ rawTag: String) {
        let tag = rawTag == "th" ? "td" : rawTag
        guard tag != "body", isOpen(tag) else { return }
        while let top = pop() { if top.tag == tag { break } }
        if stack.isEmpty { push(TextStyle(tag: "default", fg: "#000000", bg: "#ffffff", size: 3)) }
    }

    mutating func closeTable(_ tag: String) {
        guard isOpen(tag) else { return }
        while let top = stack.last?.tag {
            if (tag == "td" && (top == "font" || top == "td")) || (tag == "tr" && (top == "font" || top == "td" || top == "tr")) {
                pop()
            } else { break }
        }
    }

    func leadingInt(_ s: String, signed: Bool) -> Int? {
        var t = Substring(s).drop(while: { $0 == " " || $0 == "\t" })
        var sign = 1
        if signed {
            if t.first == "+" { t = t.dropFirst() } else if t.first == "-" { sign = -1; t = t.dropFirst() } else { return nil }
        }
        let digits = t.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let v = Int(digits.prefix(9)) else { return nil }
        return sign * v
    }

    /// The largest font size set (`max_size`); 3 is the default size.
    private(set) var maxSize = 3

    /// Why HTML.pm `html_font_invisible` finds text invisible: the first
    /// two reasons are also results of their own (`font_low_contrast`,
    /// `font_invalid_color`).
    enum Invisibility { case lowContrast, invalidColor, hidden }

    var invisible: Bool { invisibility != nil }

    /// HTML.pm `html_font_invisible`.
    var invisibility: Invisibility? {
        let top = stack[stack.count - 1]
        let fg = top.fg, bg = top.bg
        if fg.suffix(6) == bg.suffix(6) { return .lowContrast }
        /// `#rrggbb` (lower-case hex digits, `#` optional) as numbers; read
        /// byte by byte (this runs for every piece of text in the HTML).
        func comps(_ c: String) -> (Double, Double, Double)? {
            var h = c.utf8[...]
            if h.first == 35 { h = h.dropFirst() }
            guard h.count == 6 else { return nil }
            var v: UInt32 = 0
            for b in h {
                switch b {
                case 48...57: v = v << 4 | UInt32(b - 48)
                case 97...102: v = v << 4 | UInt32(b - 87)
                default: return nil
                }
            }
            return (Double(v >> 16), Double((v >> 8) & 255), Double(v & 255))
        }
        if let a = comps(fg), let b = comps(bg) {
            let r = 0.2126 * (a.0 - b.0), g = 0.7152 * (a.1 - b.1), bl = 0.0722 * (a.2 - b.2)
            if (r * r + g * g + bl * bl).squareRoot() < 12 { return .lowContrast }
        }
        if fg == "invalid" || bg == "invalid" { return .invalidColor }
        if top.size <= 1 { return .hidden }
        if let d = top.display, d.lowercased() == "none" { return .hidden }
        if let v = top.visibility, v.lowercased() == "hidden" { return .hidden }
        return nil
    }
}
