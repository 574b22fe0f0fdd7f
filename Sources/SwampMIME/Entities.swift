// HTML character references (HTML 4 named entities and numeric ones), decoded
// to UTF-8 the way HTML::Parser's `dtext` gives them to SpamAssassin.

enum Entities {
    static let named: [String: UInt32] = {
        var m: [String: UInt32] = [
            "quot": 34, "amp": 38, "apos": 39, "lt": 60, "gt": 62, "nbsp": 160, "iexcl": 161, "cent": 162,
            "pound": 163, "curren": 164, "yen": 165, "brvbar": 166, "sect": 167, "uml": 168, "copy": 169,
            "ordf": 170, "laquo": 171, "not": 172, "shy": 173, "reg": 174, "macr": 175, "deg": 176, "plusmn": 177,
            "sup2": 178, "sup3": 179, "acute": 180, "micro": 181, "para": 182, "middot": 183, "cedil": 184,
            "sup1": 185, "ordm": 186, "raquo": 187, "frac14": 188, "frac12": 189, "frac34": 190, "iquest": 191,
            "times": 215, "divide": 247, "OElig": 338, "oelig": 339, "Scaron": 352, "scaron": 353, "Yuml": 376,
            "fnof": 402, "circ": 710, "tilde": 732, "ensp": 8194, "emsp": 8195, "thinsp": 8201, "zwnj": 8204,
            "zwj": 8205, "lrm": 8206, "rlm": 8207, "ndash": 8211, "mdash": 8212, "lsquo": 8216, "rsquo": 8217,
            "sbquo": 8218, "ldquo": 8220, "rdquo": 8221, "bdquo": 8222, "dagger": 8224, "Dagger": 8225,
            "bull": 8226, "hellip": 8230, "permil": 8240, "prime": 8242, "Prime": 8243, "lsaquo": 8249,
            "rsaquo": 8250, "oline": 8254, "frasl": 8260, "euro": 8364, "trade": 8482, "larr": 8592, "uarr": 8593,
            "rarr": 8594, "darr": 8595, "harr": 8596, "hearts": 9829, "spades": 9824, "clubs": 9827, "diams": 9830,
            "loz": 9674, "infin": 8734, "ne": 8800, "le": 8804, "ge": 8805, "minus": 8722, "radic": 8730,
            "sum": 8721, "prod": 8719, "part": 8706, "int": 8747, "asymp": 8776, "equiv": 8801,
        ]
        // Latin-1 letters 192–255 by their HTML 4 names.
        let letters = ["Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
                       "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
                       "Ocirc", "Otilde", "Ouml", "", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
                       "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
                       "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
                       "ograve", "oacute", "ocirc", "otilde", "ouml", "", "oslash", "ugrave", "uacute", "ucirc",
                       "uuml", "yacute", "thorn", "yuml"]
        for (k, name) in letters.enumerated() where !name.isEmpty { m[name] = UInt32(192 + k) }
        let greek = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota", "Kappa", "Lambda",
                     "Mu", "Nu", "Xi", "Omicron", "Pi", "Rho", "", "Sigma", "Tau", "Upsilon", "Phi", "Chi", "Psi", "Omega"]
        for (k, name) in greek.enumerated() where !name.isEmpty {
            m[name] = UInt32(913 + k)
            m[name.prefix(1).lowercased() + name.dropFirst()] = UInt32(945 + k)
        }
        m["sigmaf"] = 962
        return m
    }()

    /// Names decoded even without the closing `;` (HTML::Entities does
    /// this for the Latin-1 set).
    static func decode(_ b: [UInt8]) -> [UInt8] {
        guard b.contains(38) else { return b }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            guard c == 38, i + 1 < n else { out.append(c); i += 1; continue }
            if b[i + 1] == 35 {  // &#
                var j = i + 2
                var hex = false
                if j < n && (b[j] == 120 || b[j] == 88) { hex = true; j += 1 }
                let ds = j
                var v: UInt32 = 0
                var overflow = false
                while j < n && (hex ? b[j].isHexDigit : b[j].isDigit) {
                    v = v &* (hex ? 16 : 10) &+ UInt32(hex ? b[j].hexValue : b[j] - 48)
                    if v > 0x10FFFF { overflow = true }
                    j += 1
                }
                if j > ds && !overflow && v > 0 {
                    if j < n && b[j] == 59 { j += 1 }
                    let cp: UInt32 = (v >= 0xD800 && v <= 0xDFFF) ? 0xFFFD : v
                    Charset.appendUTF8(cp, to: &out)
                    i = j; continue
                }
                out.append(c); i += 1; continue
            }
            var j = i + 1
            while j < n && j - i <= 9 && b[j].isAlnum { j += 1 }
            if j > i + 1 {
                let name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
                if let cp = named[name] {
                    let semi = j < n && b[j] == 59
                    if semi || cp < 256 {
                        Charset.appendUTF8(cp, to: &out)
                        i = semi ? j + 1 : j; continue
                    }
                }
            }
            out.append(c); i += 1
        }
        return out
    }
}
