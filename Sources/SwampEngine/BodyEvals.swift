import Foundation
import SwampMIME
import SwampRegex
import Synchronization

// SpamAssassin's MIME, body and HTML eval functions (Plugin/MIMEEval.pm,
// Plugin/BodyEval.pm, Plugin/HTMLEval.pm, and check_for_uppercase). They
// read facts gathered once per message: `Views.mime` (one pass over the
// parts as they stand) and `Views.html` (recorded while HTML is rendered
// for the body view).
//
// swamp does not read `ok_locales`, so every locale is acceptable (the
// default "all"); the plugins' faraway-charset tests then never hit.

extension EvalFunction {
    typealias Body = @Sendable (EvalContext, [String]) -> Int

    static let bodyRegistry: [String: Body] = {
        var r: [String: Body] = [:]
        r.merge(mimeEvals) { a, _ in a }
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
        "check_for_faraway_charset": { _, _ in 0 },
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
            guard args.count == 2, let re = cachedRegex(args[1]) else { return 0 }
            return hit(ctx.views.html.contains { stats in
                let texts: [[UInt8]]?
                switch args[0] {
                case "comment": texts = stats.comments.isEmpty ? nil : stats.comments
                case "title": texts = stats.titles.isEmpty ? nil : stats.titles
                case "anchor": texts = stats.anchors
                default: texts = nil
                }
                return texts?.contains { re.firstMatch(in: $0) != nil } ?? false
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
        "html_charset_faraway": { _, _ in 0 },
    ]

    /// UTF-8 characters (HTML.pm measures decoded text in characters).
    static func characterCount(_ b: [UInt8]) -> Int { b.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }

    /// `html_text_match` patterns, compiled once per process.
    static let regexCache = Mutex<[String: Regex]>([:])
    static func cachedRegex(_ pattern: String) -> Regex? {
        regexCache.withLock { cache in
            if let re = cache[pattern] { return re }
            guard cache.count < 256, let re = try? Regex(pattern) else { return nil }
            cache[pattern] = re
            return re
        }
    }

    /// The `OP NUMBER` expressions html_eval and html_tag_balance apply to
    /// a value (the plugin evaluates `$value EXPR` in Perl; the stock rules
    /// only compare with a number).
    struct Comparison {
        let op: String
        let operand: Double
        init?(_ text: String) {
            let t = text.trimmingASCII(.spaces)
            guard let opEnd = t.firstIndex(where: { !"<>=!".contains($0) }) else { return nil }
            let op = String(t[..<opEnd])
            guard ["<", ">", "<=", ">=", "==", "!="].contains(op),
                  let v = Double(t[opEnd...].trimmingCharacters(in: .whitespaces)) else { return nil }
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
