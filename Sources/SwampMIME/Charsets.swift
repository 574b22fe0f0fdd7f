import Foundation

// Charset decoding to UTF-8, following Message/Node.pm `_normalize` of
// SpamAssassin 4.0 (normalize_charset 1): valid UTF-8 is kept as it is,
// otherwise the declared charset is tried, then Windows-1252, which never
// fails. Conversions of legacy charsets go through Foundation (ICU-backed
// CoreFoundation encodings on Linux); EUC-JP, which it lacks, is rewritten
// to ISO-2022-JP first.

enum Charset {
    /// Strict UTF-8 as Perl's Encode "UTF-8" accepts it (no overlongs, no
    /// surrogates, nothing above U+10FFFF).
    static func isValidUTF8<C: RandomAccessCollection>(_ b: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var i = b.startIndex
        let n = b.endIndex
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            var need = 0
            var minCP: UInt32 = 0
            var cp: UInt32
            if c & 0xE0 == 0xC0 { need = 1; cp = UInt32(c & 0x1F); minCP = 0x80 }
            else if c & 0xF0 == 0xE0 { need = 2; cp = UInt32(c & 0x0F); minCP = 0x800 }
            else if c & 0xF8 == 0xF0 { need = 3; cp = UInt32(c & 0x07); minCP = 0x10000 }
            else { return false }
            if i + need >= n { return false }
            for k in 1...need {
                let d = b[i + k]
                if d & 0xC0 != 0x80 { return false }
                cp = cp << 6 | UInt32(d & 0x3F)
            }
            if cp < minCP || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) { return false }
            i += need + 1
        }
        return true
    }

    static func isASCII<C: Sequence>(_ b: C) -> Bool where C.Element == UInt8 {
        for c in b where c >= 0x80 { return false }
        return true
    }

    /// Windows-1252 bytes 0x80–0x9F; 0 marks the five undefined ones.
    static let cp1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    /// Windows-1252 to UTF-8. `strict`: nil on the undefined bytes (Encode
    /// FB_CROAK); otherwise they become U+FFFD as Encode does.
    static func decodeCP1252(_ b: [UInt8], strict: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(b.count + b.count / 4)
        for c in b {
            var cp: UInt32
            if c < 0x80 { out.append(c); continue }
            if c < 0xA0 {
                let m = cp1252High[Int(c - 0x80)]
                if m == 0 { if strict { return nil }; cp = 0xFFFD } else { cp = UInt32(m) }
            } else { cp = UInt32(c) }
            appendUTF8(cp, to: &out)
        }
        return out
    }

    @inline(__always) static func appendUTF8(_ cp: UInt32, to out: inout [UInt8]) {
        if cp < 0x80 { out.append(UInt8(cp)) }
        else if cp < 0x800 { out.append(UInt8(0xC0 | (cp >> 6))); out.append(UInt8(0x80 | (cp & 0x3F))) }
        else if cp < 0x10000 {
            out.append(UInt8(0xE0 | (cp >> 12))); out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (cp >> 18))); out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }

    /// Bytes SpamAssassin accepts before trying Windows-1252 with FB_CROAK:
    /// ASCII, NBSP, SHY, some punctuation and Latin letters.
    static func isCP1252Plausible(_ b: [UInt8]) -> Bool {
        for c in b where c >= 0x80 {
            switch c {
            case 0xA0, 0xA9, 0xAD, 0x82, 0x84, 0x85, 0x91...0x97, 0x99,
                 0xC0...0xD6, 0xD8...0xDE, 0xE0...0xF6, 0xF8...0xFE: continue
            default: return false
            }
        }
        return true
    }

    enum Kind { case ascii, utf8, cp1252, utf16, foundation(UInt), eucJP, unknown }

    /// Maps a declared charset name to a decoder, as Encode::find_encoding
    /// would find one.
    static func kind(of name: String) -> Kind {
        var n = name.lowercased()
        n = n.trimmingASCII(.spaces)
        n = n.replacingOccurrences(of: "_", with: "-")
        if n.hasPrefix("x-") { n.removeFirst(2) }
        switch n {
        case "us-ascii", "ascii", "ansi-x3.4-1968", "ansi-x3.4-1986", "iso646-us", "us": return .ascii
        case "utf-8", "utf8": return .utf8
        case "iso-8859-1", "iso8859-1", "iso-88591", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "iso-8859-1:1987", "iso-ir-100", "cp819", "ibm819": return .cp1252
        case "utf-16", "utf16", "utf-16le", "utf-16be", "ucs-2", "unicode": return .utf16
        case "euc-jp", "eucjp", "ujis": return .eucJP
        default: break
        }
        let table: [String: UInt] = [
            "iso-8859-2": 0x0202, "latin2": 0x0202, "iso-8859-3": 0x0203, "iso-8859-4": 0x0204,
            "iso-8859-5": 0x0205, "iso-8859-6": 0x0206, "iso-8859-7": 0x0207, "iso-8859-8": 0x0208,
            "iso-8859-9": 0x0209, "latin5": 0x0209, "iso-8859-10": 0x020A, "iso-8859-11": 0x020B, "tis-620": 0x020B,
            "iso-8859-13": 0x020D, "iso-8859-14": 0x020E, "iso-8859-15": 0x020F, "latin9": 0x020F, "iso-8859-16": 0x0210,
            "windows-1250": 0x0501, "cp1250": 0x0501, "windows-1251": 0x0502, "cp1251": 0x0502,
            "windows-1253": 0x0503, "cp1253": 0x0503, "windows-1254": 0x0504, "cp1254": 0x0504,
            "windows-1255": 0x0505, "cp1255": 0x0505, "windows-1256": 0x0506, "cp1256": 0x0506,
            "windows-1257": 0x0507, "cp1257": 0x0507, "windows-1258": 0x0508, "cp1258": 0x0508,
            "windows-874": 0x041D, "cp874": 0x041D,
            "koi8-r": 0x0A02, "koi8r": 0x0A02, "koi8-u": 0x0A08,
            "shift-jis": 0x0A01, "shiftjis": 0x0A01, "sjis": 0x0A01, "ms-kanji": 0x0A01, "cp932": 0x0A01, "windows-31j": 0x0A01,
            "iso-2022-jp": 0x0820, "csiso2022jp": 0x0820,
            "gb2312": 0x0930, "euc-cn": 0x0930, "gb-2312": 0x0930, "csgb2312": 0x0930, "chinese": 0x0930,
            "gbk": 0x0632, "cp936": 0x0632, "gb18030": 0x0632, "windows-936": 0x0632,
            "hz-gb-2312": 0x0A05, "hz": 0x0A05,
            "big5": 0x0A03, "big-5": 0x0A03, "cn-big5": 0x0A03, "big5-hkscs": 0x0A06, "cp950": 0x0A03,
            "euc-kr": 0x0940, "ks-c-5601-1987": 0x0422, "cp949": 0x0422, "ks-c-5601": 0x0422, "iso-2022-kr": 0x0840,
            "utf-7": 0x04000100, "utf7": 0x04000100, "mac-cyrillic": 0x0007, "macintosh": 0x0000, "mac-roman": 0x0000,
        ]
        if let v = table[n] { return .foundation(v) }
        if n.hasPrefix("gb18030-") { return .foundation(0x0632) }
        return .unknown
    }

    static func foundationDecode(_ b: [UInt8], cf: UInt) -> [UInt8]? {
        let enc = String.Encoding(rawValue: 0x8000_0000 | cf)
        guard let s = String(data: Data(b), encoding: enc) else { return nil }
        return Array(s.utf8)
    }

    /// Character-by-character decoding for text that does not decode as a
    /// whole: each undecodable byte becomes U+FFFD, as Encode substitutes.
    static func lenientDecode(_ b: [UInt8], _ one: ([UInt8]) -> [UInt8]?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count * 2)
        var i = 0
        var budget = 4096  // bounds the per-character decoder calls
        while i < b.count {
            if b[i] < 0x80 { out.append(b[i]); i += 1; continue }
            var done = false
            if budget > 0 {
                budget -= 1
                for len in [2, 1, 3, 4] where i + len <= b.count {
                    if let r = one(Array(b[i..<(i + len)])), !r.isEmpty, !r.contains(0xEF) || r != [0xEF, 0xBF, 0xBD] {
                        out += r; i += len; done = true; break
                    }
                }
            }
            if !done { out += [0xEF, 0xBF, 0xBD]; i += 1 }
        }
        return out
    }

    /// EUC-JP (JIS X 0208 and half-width kana) rewritten as ISO-2022-JP.
    static func eucJPToISO2022JP(_ b: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(b.count + 16)
        enum Mode { case ascii, jis, kana }
        var mode = Mode.ascii
        func set(_ m: Mode) {
            if mode == m { return }
            switch m {
            case .ascii: out += [0x1B, 0x28, 0x42]
            case .jis: out += [0x1B, 0x24, 0x42]
            case .kana: out += [0x1B, 0x28, 0x49]
            }
            mode = m
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 { set(.ascii); out.append(c); i += 1 }
            else if c == 0x8E, i + 1 < b.count, b[i + 1] >= 0xA1 && b[i + 1] <= 0xDF { set(.kana); out.append(b[i + 1] - 0x80); i += 2 }
            else if c >= 0xA1 && c <= 0xFE, i + 1 < b.count, b[i + 1] >= 0xA1 && b[i + 1] <= 0xFE {
                set(.jis); out.append(c - 0x80); out.append(b[i + 1] - 0x80); i += 2
            } else { return nil }
        }
        set(.ascii)
        return out
    }

    /// SpamAssassin's detect_utf16: guess the byte order from where spaces
    /// fall. With a BOM it picks no decoder at all (it leaves that to Perl,
    /// which then never decodes), so neither do we.
    static func utf16Order(_ b: [UInt8]) -> Bool?? {
        if b.count >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)) { return .some(nil) }
        var le = 0, be = 0, sumEven = 0, sumOdd = 0
        var i = 0
        while i < b.count {
            let odd: UInt8 = i + 1 < b.count ? b[i + 1] : 0
            if b[i] == 0x20 && odd == 0 { le += 1 }
            if b[i] == 0 && odd == 0x20 { be += 1 }
            sumEven += Int(b[i] >> 4) + Int(b[i] & 15)
            sumOdd += Int(odd >> 4) + Int(odd & 15)
            i += 2
        }
        if sumEven > sumOdd * 4 { le += 1 }
        if sumOdd * 4 > sumEven { be += 1 }
        if le > be { return .some(true) }
        if be > le { return .some(false) }
        return .some(nil)
    }

    /// Strict UTF-16 (no partial characters, paired surrogates) to UTF-8.
    static func decodeUTF16(_ b: [UInt8]) -> [UInt8]? {
        guard case .some(.some(let littleEndian)) = utf16Order(b), b.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            let u = littleEndian ? UInt32(b[i]) | UInt32(b[i + 1]) << 8 : UInt32(b[i]) << 8 | UInt32(b[i + 1])
            i += 2
            if u >= 0xD800 && u <= 0xDBFF {
                guard i + 1 < b.count else { return nil }
                let l = littleEndian ? UInt32(b[i]) | UInt32(b[i + 1]) << 8 : UInt32(b[i]) << 8 | UInt32(b[i + 1])
                guard l >= 0xDC00 && l <= 0xDFFF else { return nil }
                i += 2
                appendUTF8(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00), to: &out)
            } else if u >= 0xDC00 && u <= 0xDFFF {
                return nil
            } else {
                appendUTF8(u, to: &out)
            }
        }
        return out
    }

    /// Decodes with one decoder; nil when it fails or none is known.
    static func decode(_ b: [UInt8], kind: Kind, strict: Bool) -> [UInt8]? {
        switch kind {
        case .ascii:
            if isASCII(b) { return b }
            if strict { return nil }
            var out: [UInt8] = []
            for c in b { if c < 0x80 { out.append(c) } else { out += [0xEF, 0xBF, 0xBD] } }
            return out
        case .utf8:
            if isValidUTF8(b) { return b }
            if strict { return nil }
            return Array(String(decoding: b, as: UTF8.self).utf8)
        case .cp1252: return decodeCP1252(b, strict: strict)
        case .utf16: return decodeUTF16(b)
        case .foundation(let cf):
            if cf == 0x0820, let high = b.firstIndex(where: { $0 >= 0x80 }) {
                // Encode's ISO-2022-JP stops quietly at the first 8-bit byte.
                return foundationDecode(Array(b[..<high]), cf: cf)
            }
            if let r = foundationDecode(b, cf: cf) { return r }
            return strict ? nil : lenientDecode(b) { foundationDecode($0, cf: cf) }
        case .eucJP: return eucJPToISO2022JP(b).flatMap { foundationDecode($0, cf: 0x0820) }
        case .unknown: return nil
        }
    }

    /// `_normalize($data, $charset, ..., $insist)`: returns UTF-8 octets, or
    /// the input unchanged when nothing could decode it.
    static func normalize(_ b: [UInt8], charset declared: String, insist: Bool) -> [UInt8] {
        normalizeFlagged(b, charset: declared, insist: insist).0
    }

    /// Also tells whether Perl would now hold a character (utf8-flagged)
    /// string: true whenever a decoder ran.
    static func normalizeFlagged(_ b: [UInt8], charset declared: String, insist: Bool) -> ([UInt8], Bool) {
        let has8bit = !isASCII(b)
        let lname = declared.lowercased()
        if !has8bit {
            // Declared ASCII or an ASCII superset, and really 7-bit.
            if isASCIISuperset(lname) { return (b, false) }
        }
        if has8bit && !insist && isValidUTF8(b) { return (b, true) }
        let kind = Charset.kind(of: declared)
        var rv: [UInt8]? = nil
        switch kind {
        case .ascii where !insist:
            break
        case .utf16:
            rv = decodeUTF16(b)
            // _normalize returns the undecoded octets from this branch when
            // asked for octets (header words), a quirk kept for fidelity.
            if rv != nil && insist { return (b, false) }
        case .utf8 where !insist && has8bit:
            break  // already tried
        default:
            rv = decode(b, kind: kind, strict: !insist)
        }
        if let rv { return (rv, true) }
        if !has8bit { return (b, false) }
        if isCP1252Plausible(b), let r = decodeCP1252(b, strict: true) { return (r, true) }
        if let r = decodeCP1252(b, strict: false) { return (r, true) }
        return (b, false)
    }

    static func isASCIISuperset(_ n: String) -> Bool {
        switch n {
        case "us-ascii", "ascii", "ansi_x3.4-1986", "ansi_x3.4-1968", "ansi x3.4-1986", "ansi x3.4-1968",
             "ansix3.4-1986", "ansix3.4-1968", "iso646-us", "utf-8", "utf8", "big5", "gbk":
            return true
        default: break
        }
        if n.hasPrefix("iso-8859") || n.hasPrefix("iso8859") || n.hasPrefix("iso 8859") {
            return true
        }
        if n.hasPrefix("windows-") && n.count == 12 { return true }
        if n.hasPrefix("koi8-") || n.hasPrefix("euc-") { return n.count <= 7 }
        if n.hasPrefix("gb18030") || n.hasPrefix("gb 18030") || n.hasPrefix("gb-18030") { return true }
        return false
    }
}
