import Foundation
import SwampMIME
import SwampRegex
import SwampRules

// `ok_locales` (SpamAssassin's Locales.pm): the languages whose character
// sets a site reads. Mail in another language's charset — in its headers'
// encoded words or its Content-Type — is "faraway" (CHARSET_FARAWAY_HEADER,
// CHARSET_FARAWAY).
// The default, "all", accepts every charset and those rules never hit.

enum Locales {
    /// The charsets each language's mail comes in, beyond the ones every
    /// site accepts (`isCharsetOK`), written as `isCharsetOK` normalises
    /// names: upper case, letters and digits only.
    static let charsetsForLocale: [String: Set<String>] = {
        let cyrillic: Set<String> = ["KOI8R", "KOI8U", "KOI8T", "ISOIR111", "CP1251", "GEORGIANPS", "PT154", "CP866"]
        var table: [String: Set<String>] = [
            "ja": ["EUCJP", "JISX020119760", "JISX020819830", "JISX020819900", "JISX020819970", "JISX021219900",
                   "JISX021320001", "JISX021320002", "SHIFTJIS", "ISO2022JP", "SJIS", "JIS7", "JISX0201", "JISX0208",
                   "JISX0212"],
            "ko": ["EUCKR", "KSC56011987"],
            "th": ["TIS620"],
            "zh": ["GB1988", "GB2312", "GB231219800", "GB18030", "GBK", "BIG5HKSCS", "BIG5", "EUCTW", "ISO2022CN"],
        ]
        for language in ["ru", "ka", "tg", "be", "uk", "bg"] { table[language] = cyrillic }
        return table
    }()

    /// The locales `ok_locales` names, then the process's own locale
    /// (LC_ALL, else LANGUAGE, LC_MESSAGES or LANG), as SpamAssassin adds
    /// it.
    static func okLocales(_ configuration: Configuration) -> [String] {
        let setting = configuration.otherSettings["ok_locales"]?.last ?? "all"
        var locales = setting.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let own = processLocale { locales.append(own) }
        return locales
    }

    static let processLocale: String? = {
        for name in ["LC_ALL", "LANGUAGE", "LC_MESSAGES", "LANG"] {
            if let v = ProcessInfo.processInfo.environment[name], !v.isEmpty, v != "0" { return v }
        }
        return nil
    }()

    /// Locales.pm `is_charset_ok_for_locales`: the charsets of western
    /// mail and Unicode always; others when a locale (its first two
    /// letters; C counts as English) lists them.
    static func isCharsetOK(_ charset: String, _ locales: [String]) -> Bool {
        var cs = String(charset.uppercased().unicodeScalars.filter { ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
        if cs.hasPrefix("3D") { cs.removeFirst(2) }   // quoted-printable damage
        let always = ["USASCII", "ASCII", "IBM852", "XUNKNOWN", "ISO"]
        let alwaysPrefixes = ["ISO8859", "ISO10646", "UTF", "UCS", "CP125", "WINDOWS", "UNICODE11UTF7", "UNICODE11UTF8"]
        if always.contains(cs) || alwaysPrefixes.contains(where: cs.hasPrefix) { return true }
        for locale in locales {
            var l = locale == "C" ? "en" : locale
            let b = Array(l.utf8)
            if b.count >= 2, (97...122).contains(b[0]), (97...122).contains(b[1]) { l = String(l.prefix(2)) }
            if charsetsForLocale[l]?.contains(cs) == true { return true }
        }
        return false
    }

    static let encodedWord = try! Regex(#"=\?(.+?)\?.\?.*?\?="#)

    /// The charsets of the encoded words (`=?charset?E?...?=`) in `value`.
    static func encodedWordCharsets(_ value: [UInt8], scratch: MatchScratch) -> [String] {
        var out: [String] = []
        value.withUnsafeBufferPointer { buf in
            var at = 0
            while at < buf.count, out.count < 100, case .match(let r) = encodedWord.search(buf, from: at, scratch: scratch) {
                if let c = encodedWord.capture(1, in: Array(value[r])) { out.append(String(decoding: Array(value[r])[c], as: UTF8.self)) }
                at = max(r.upperBound, r.lowerBound + 1)
            }
        }
        return out
    }
}

extension EvalFunction {
    static let localeRegistry: [String: @Sendable (EvalContext, [String]) -> Int] = [
        // HeaderEval.pm: an encoded word of From or Subject in a faraway
        // charset.
        "check_for_faraway_charset_in_headers": { ctx, _ in
            let locales = Locales.okLocales(ctx.configuration)
            guard !locales.contains("all") else { return 0 }
            for name in ["From", "Subject"] {
                for value in HeaderEvals.values(ctx, name) {
                    if Locales.encodedWordCharsets(value, scratch: ctx.memo.scratch).contains(where: { !Locales.isCharsetOK($0, locales) }) { return 1 }
                }
            }
            return 0
        },
        // MIMEEval.pm: the message's Content-Type names a faraway charset
        // and most of the body's bytes are 8-bit (some such charsets hold
        // ASCII as well).
        "check_for_faraway_charset": { ctx, _ in
            let locales = Locales.okLocales(ctx.configuration)
            guard !locales.contains("all"), let type = ForgeryEvals.get(ctx, "Content-Type"),
                  let cs = EvalFunction.charsetOfContentType(type), !Locales.isCharsetOK(cs, locales) else { return 0 }
            var high = 0, total = 0
            for (i, piece) in ctx.views.body.enumerated() {
                if i > 0 { total += 1 }
                total += piece.count
                high += piece.reduce(0) { $0 + ($1 >= 0x80 ? 1 : 0) }
            }
            return total - high <= high && high > 3 ? 1 : 0
        },
        // HTMLEval.pm `html_charset_faraway` reads the charsets of the HTML
        // parts' meta tags from the parser's results, but HTML.pm keeps
        // them beside its results, never in them: in SpamAssassin 4.0.1 the
        // test never hits (HTML_CHARSET_FARAWAY on none of the 3,107 corpus
        // messages with `ok_locales en`, 8 of which name big5 or gb2312 in
        // a meta tag). swamp does the same.
        "html_charset_faraway": { _, _ in 0 },
    ]
}
