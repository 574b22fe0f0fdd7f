import Foundation
import SwampMIME
import SwampRegex

// SpamAssassin's MIME, body and HTML eval functions (Plugin/MIMEEval.pm,
// Plugin/BodyEval.pm, Plugin/HTMLEval.pm, and check_for_uppercase). They
// read facts gathered once per message: `Views.mime` (one pass over the
// parts as they stand), `Views.html` (recorded while HTML is rendered for
// the body view) and `Views.alternativeDifference`.
//
// The faraway-charset tests, which read `ok_locales`, are in Locales.swift.

extension EvalFunction {
    typealias Body = @Sendable (EvalContext, [String]) -> Int

    static let bodyRegistry: [String: Body] = {
        var r: [String: Body] = [:]
        r.merge(mimeEvals) { a, _ in a }
        r.merge(textEvals) { a, _ in a }
        r.merge(htmlEvals) { a, _ in a }
        return r
    }()

    /// A numeric argument as Perl reads one in numeric context: the leading
    /// number, 0 when there is none.
    static func number(_ args: [String], _ i: Int) -> Double {
        guard i < args.count else { return 0 }
        let t = args[i].trimmingASCII(.spaces)
        if let d = Double(t) { return d }
        if t == "inf" { return .infinity }
        var end = t.startIndex
        for (k, c) in zip(t.indices, t) where c.isNumber || c == "." || (k == t.startIndex && (c == "-" || c == "+")) { end = t.index(after: k) }
        return Double(t[..<end]) ?? 0
    }

    static func hit(_ b: Bool) -> Int { b ? 1 : 0 }

    // MARK: MIMEEval

    static let mimeEvals: [String: Body] = [
        "check_for_mime": { ctx, args in
            guard let name = args.first, let v = ctx.views.mime.value(named: name) else { return 0 }
            return hit(v != 0)
        },
        "check_for_mime_html": { ctx, _ in
            hit(topTypeIsHTML(ctx) || ctx.views.mime.htmlBodyCount > 0)
        },
        "check_for_mime_html_only": { ctx, _ in
            let m = ctx.views.mime
            return hit(topTypeIsHTML(ctx) || (m.htmlBodyCount > 0 && m.textBodyCount == 0))
        },
        "check_mime_multipart_ratio": { ctx, args in
            let r = ctx.views.mime.multipartRatio
            return hit(r >= number(args, 0) && r < number(args, 1))
        },
        "check_ma_non_text": { ctx, _ in hit(ctx.views.mime.alternativeNonText) },
        "check_base64_length": { ctx, args in
            let longest = Double(ctx.views.mime.longestBase64Line)
            if args.count > 1, longest > number(args, 1) { return 0 }
            return hit(longest >= number(args, 0))
        },
        "check_for_ascii_text_illegal": { ctx, _ in hit(ctx.views.mime.asciiTextIllegal > 0) },
        "check_abundant_unicode_ratio": { ctx, args in
            // The plugin takes only a plain decimal ratio (`\d{0,3}\.\d{1,3}`).
            guard let a = args.first, isPlainRatio(a) else { return 0 }
            return hit(ctx.views.mime.textUnicodeRatio >= number(args, 0))
        },
        "check_qp_ratio": { ctx, args in hit(ctx.views.mime.qpRatio >= number(args, 0)) },
    ]

    /// `$pms->get('Content-Type') =~ m{^text/html}i`.
    static func topTypeIsHTML(_ ctx: EvalContext) -> Bool {
        guard let v = ctx.headerText(HeaderQuery(name: "Content-Type")) else { return false }
        return v.count >= 9 && v[0..<9].map { $0 | (($0 >= 65 && $0 <= 90) ? 0x20 : 0) }.elementsEqual("text/html".utf8)
    }

    static func isPlainRatio(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0].count <= 3 && parts[0].allSatisfy { $0.isASCII && $0.isNumber }
            && (1...3).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && $0.isNumber }
    }

    // MARK: BodyEval and check_for_uppercase

    static let textEvals: [String: Body] = [
        "check_body_length": { ctx, args in
            hit(Double(ctx.views.message.pristineBodyLength) <= number(args, 0))
        },
        "multipart_alternative_difference": { ctx, args in
            let d = ctx.views.alternativeDifference?.difference ?? 0
            let min = number(args, 0)
            let maxText = args.count > 1 ? args[1].trimmingASCII(.spaces) : "undef"
            return hit((min == 0 || d > min) && (maxText == "undef" || d <= number(args, 1)))
        },
        "multipart_alternative_difference_count": { ctx, args in
            guard let d = ctx.views.alternativeDifference, Double(d.htmlWords) > number(args, 1) else { return 0 }
            return hit(Double(d.textWords) / Double(d.htmlWords) > number(args, 0))
        },
        "check_blank_line_ratio": { ctx, args in
            let minLines = max(1, number(args, 2))
            var blank = 0, lines = 0
            for chunk in ctx.views.rawBody {
                var start = 0
                while start < chunk.count {
                    var end = start
                    var ink = false
                    while end < chunk.count && chunk[end] != 10 {
                        if !chunk[end].isASCIIWhitespaceByte { ink = true }
                        end += 1
                    }
                    if end < chunk.count { end += 1 }
                    lines += 1
                    if !ink { blank += 1 }
                    start = end
                }
            }
            let ratio = Double(lines) < minLines ? -1 : 100 * Double(blank) / Double(lines)
            let min = number(args, 0), max = number(args, 1)
            return hit((min == 0 && ratio <= max) || (ratio > min && ratio <= max))
        },
        "tvd_vertical_words": { ctx, args in
            let min = number(args, 0)
            var max = number(args, 1)
            if max >= 100 { max = 101 }
            var value = -1
            for line in ctx.views.body where line.count > 5 {
                let spaces = line.reduce(0) { $0 + ($1 == 32 ? 1 : 0) }
                let others = line.count - spaces
                let pct = spaces > others || others == 0 ? 100 : 100 * spaces / others
                value = Swift.max(value, pct)
            }
            return hit(Double(value) >= min && Double(value) < max)
        },
        "check_stock_info": { ctx, args in
            let min = number(args, 0)
            return hit(min == 0 || Double(stockInfo(ctx.views)) >= min)
        },
        "check_for_uppercase": { ctx, args in
            // Three rules ask for the same ratio.
            let u = ctx.memo.value("uppercase") { uppercasePercent(ctx) }
            return hit(u > number(args, 0) && u <= number(args, 1))
        },
    ]

    /// BodyEval `_check_stock_info`: how many kinds of stock-tip field
    /// ("Symbol: ...", "Target price: ...") the first text/plain part has.
    static func stockInfo(_ views: Views) -> Int {
        guard let part = views.message.allParts.first(where: { $0.mediaType == "text/plain" }),
              let paragraphs = views.renderedParagraphs(of: part) else { return 0 }
        var kinds = Set<String>()
        for chunk in paragraphs {
            var pos = 0
            while let field = stockField(chunk, from: &pos) {
                let letters = String(decoding: field.lowercasedASCIIBytes().filter { $0 >= 97 && $0 <= 122 }, as: UTF8.self)
                if let re = stockPattern, let m = re.capture(1, in: Array(letters.utf8)) {
                    kinds.insert(String(decoding: Array(letters.utf8)[m], as: UTF8.self))
                }
            }
        }
        return kinds.count
    }

    static let stockPattern: Regex? = try? Regex(
        "(^trad(?:e|ing)date|company(?:name)?|s\\w?(?:t\\w?o\\w?c\\w?k|y\\w?m(?:\\w?b\\w?o\\w?l)?)|t(?:arget|icker)|"
        + "(?:opening|current)p(?:rice)?|p(?:rojected|osition)|expectations|weeks?high|marketperformance|"
        + "(?:year|week|month|day|price)(?:target|estimates?)|sector|r(?:ecommendation|ating))$")

    /// The next `^\s*([^:\s][^:\n]{2,29})\s*:\s*\S` (multi-line) from `pos`;
    /// moves `pos` past it.
    static func stockField(_ c: [UInt8], from pos: inout Int) -> ArraySlice<UInt8>? {
        let n = c.count
        var lineStart = pos
        // The next line start at or after pos.
        if lineStart > 0 && c[lineStart - 1] != 10 {
            while lineStart < n && c[lineStart] != 10 { lineStart += 1 }
            lineStart += 1
        }
        while lineStart < n {
            var i = lineStart
            while i < n && c[i].isASCIIWhitespaceByte { i += 1 }
            if i < n && c[i] != 58 {
                let first = i
                var j = i + 1
                while j < n && j - (i + 1) < 29 && c[j] != 58 && c[j] != 10 { j += 1 }
                // Longest field first, shorter ones when no colon follows.
                var end = j
                while end - (first + 1) >= 2 {
                    var k = end
                    while k < n && c[k].isASCIIWhitespaceByte { k += 1 }
                    if k < n && c[k] == 58 {
                        k += 1
                        while k < n && c[k].isASCIIWhitespaceByte { k += 1 }
                        if k < n {
                            pos = k + 1
                            return c[first..<end]
                        }
                    }
                    end -= 1
                }
            }
            while lineStart < n && c[lineStart] != 10 { lineStart += 1 }
            lineStart += 1
        }
        pos = n
        return nil
    }

    /// `check_for_uppercase`: the share of capitals among letters and
    /// digits in the body lines that have words, when there are 200 bytes
    /// of them and no charset whose text tends to look like capitals.
    static func uppercasePercent(_ ctx: EvalContext) -> Double {
        if bodyCharsetLikelyCaps(ctx) { return 0 }
        var length = 0, lower = 0, upper = 0
        for line in ctx.views.body {
            guard hasSpacedWords(line), !looksLikeBase64(line) else { continue }
            var l = line
            stripJISRuns(&l)
            length += l.count
            for c in l {
                if (c >= 97 && c <= 122) || c.isASCIIDigitByte { lower += 1 } else if c >= 65 && c <= 90 { upper += 1 }
            }
        }
        guard length >= 200, upper + lower > 0 else { return 0 }
        return Double(upper) / Double(upper + lower) * 100
    }

    /// `/\S\s+\S/`
    static func hasSpacedWords(_ l: [UInt8]) -> Bool {
        var sawInk = false, gap = false
        for c in l {
            if c.isASCIIWhitespaceByte { if sawInk { gap = true } } else { if gap { return true }; sawInk = true }
        }
        return false
    }

    /// `/^(?:[A-Za-z0-9+\/=]{60,76} ){2}/`: two base64 lines run together.
    static func looksLikeBase64(_ l: [UInt8]) -> Bool {
        var i = 0
        for _ in 0..<2 {
            let start = i
            while i < l.count, l[i].isASCIIAlnumByte || l[i] == 43 || l[i] == 47 || l[i] == 61 { i += 1 }
            guard (60...76).contains(i - start), i < l.count, l[i] == 32 else { return false }
            i += 1
        }
        return true
    }

    /// `s/\x1b\$B.*\x1b\(B//gs`: from the first ISO-2022-JP shift-in to
    /// the last shift-out.
    static func stripJISRuns(_ l: inout [UInt8]) {
        guard l.contains(0x1B) else { return }
        let open: [UInt8] = [0x1B, 0x24, 0x42], close: [UInt8] = [0x1B, 0x28, 0x42]
        guard let s = l.firstIndex(of: open, from: 0) else { return }
        var last: Int? = nil
        var k = s + 3
        while let c = l.firstIndex(of: close, from: k) { last = c; k = c + 1 }
        guard let e = last else { return }
        l.removeSubrange(s..<(e + 3))
    }

    /// BodyEval `body_charset_is_likely_to_fp`: the message's or a part's
    /// charset is one whose text is apt to read as capitals.
    static func bodyCharsetLikelyCaps(_ ctx: EvalContext) -> Bool {
        var charsets = ctx.views.mime.charsets
        if let ct = ctx.headerText(HeaderQuery(name: "Content-Type")), let c = charsetOfContentType(ct) { charsets.append(c) }
        return charsets.contains { c in
            let l = Array(c.lowercased().utf8)
            return l.allSatisfy { $0.isASCIIAlnumByte || $0 == 45 || $0 == 95 }
                && capsCharsetMarks.contains { l.firstIndex(of: $0) != nil }
        }
    }

    static let capsCharsetMarks = ["koi", "jp", "jis", "euc", "gb", "big5", "isoir", "cp1251", "windows-1251",
                                   "georgianps", "pt154", "tis"].map { Array($0.utf8) }

    /// MIMEEval.pm `get_charset_from_ct_line`: the first of
    /// `charset="..."`, `charset='...'` and `charset=WORD` found anywhere
    /// in the value, in that order.
    static func charsetOfContentType(_ v: [UInt8]) -> String? {
        for re in contentTypeCharsets {
            if let r = re.capture(1, in: v) { return String(decoding: v[r], as: UTF8.self) }
        }
        return nil
    }

    static let contentTypeCharsets = [#"charset="([^"]+)""#, #"charset='([^']+)'"#, #"charset=(\S+)"#]
        .map { try! Regex($0, options: .caseless) }
}

// MARK: HTMLEval

extension EvalFunction {
    static let htmlEvals: [String: Body] = [
        "html_test": { ctx, args in
            guard let name = args.first else { return 0 }
            return hit(ctx.views.html.contains { ($0.number(named: name) ?? 0) != 0 })
        },
        "html_tag_exists": { ctx, args in
            guard let tag = args.first else { return 0 }
            return hit(ctx.views.html.contains { $0.inside[tag] != nil })
        },
        "html_tag_balance": { ctx, args in
            guard args.count == 2, args[0].utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || (($0 | 0x20) >= 97 && ($0 | 0x20) <= 122) }), !args[0].isEmpty,
                  let test = Comparison(args[1]) else { return 0 }
            return hit(ctx.views.html.contains { $0.inside[args[0]].map { test.holds(Double($0)) } ?? false })
        },
        "html_range": { ctx, args in
            guard args.count >= 2 else { return 0 }
            let min = number(args, 1)
            let unbounded = args.count < 3 || args[2].trimmingASCII(.spaces) == "inf"
            let max = unbounded ? Double.infinity : number(args, 2)
            return hit(ctx.views.html.contains { stats in
                guard let v = stats.number(named: args[0]) else { return false }
                return unbounded ? v > min : (v.isFinite && v > min && v <= max)
            })
        },
        "html_eval": { ctx, args in
            guard args.count == 2, let test = Comparison(args[1]) else { return 0 }
            return hit(ctx.views.html.contains { $0.number(named: args[0]).map(test.holds) ?? false })
        },
        "html_text_match": { ctx, args in
            guard args.count == 2, let re = argumentRegex(args[1]) else { return 0 }
            return hit(ctx.views.html.contains { stats in
                let texts: [[UInt8]]?
                switch args[0] {
                case "comment": texts = stats.comments.isEmpty ? nil : stats.comments
                case "title": texts = stats.titles.isEmpty ? nil : stats.titles
                case "anchor": texts = stats.anchors
                default: texts = nil
                }
                return texts?.contains { ctx.memo.matches(re, $0) } ?? false
            })
        },
        "html_title_subject_ratio": { ctx, args in
            guard var subject = ctx.headerText(HeaderQuery(name: "Subject")) else { return 0 }
            if subject.last == 10 { subject.removeLast() }
            let subjectLength = characterCount(subject)
            guard subjectLength > 0 else { return 0 }
            let ratio = number(args, 0)
            return hit(ctx.views.html.contains { stats in
                let longest = stats.titles.map { Double(characterCount($0)) / Double(subjectLength) }.max() ?? 0
                return longest > ratio
            })
        },
        "html_image_only": { ctx, args in
            let min = number(args, 0), max = number(args, 1)
            return hit(ctx.views.html.contains { s in
                s.inside["img"] != nil && Double(s.length) > min && Double(s.length) <= max
            })
        },
        "html_image_ratio": { ctx, args in
            let min = number(args, 0), max = number(args, 1)
            return hit(ctx.views.html.contains { s in
                guard s.imageArea > 0 else { return false }
                let r = Double(s.nonSpaceLength) / Double(s.imageArea)
                return r > min && r <= max
            })
        },
        "check_iframe_src": { ctx, _ in hit(ctx.views.html.contains(where: \.iframeSource)) },
    ]

    /// UTF-8 characters (HTML.pm measures decoded text in characters).
    static func characterCount(_ b: [UInt8]) -> Int { b.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }

    /// The `OP NUMBER` expressions html_eval and html_tag_balance apply to
    /// a value (the plugin evaluates `$value EXPR` in Perl; the stock rules
    /// only compare with a number).
    struct Comparison {
        let op: String
        let operand: Double
        /// Read on every call of the rule: bytes, no Foundation.
        init?(_ text: String) {
            let t = text.trimmingASCII(.spaces).utf8
            guard let opEnd = t.firstIndex(where: { $0 != 60 && $0 != 62 && $0 != 61 && $0 != 33 }) else { return nil }
            let op = String(decoding: t[..<opEnd], as: UTF8.self)
            guard ["<", ">", "<=", ">=", "==", "!="].contains(op),
                  let v = Double(String(decoding: t[opEnd...], as: UTF8.self).trimmingASCII(.spaces)) else { return nil }
            self.op = op
            self.operand = v
        }
        func holds(_ v: Double) -> Bool {
            switch op {
            case "<": return v < operand
            case ">": return v > operand
            case "<=": return v <= operand
            case ">=": return v >= operand
            case "==": return v == operand
            default: return v != operand
            }
        }
    }
}
