import Foundation
import SwampMIME

// SpamAssassin's MIME, body and HTML eval functions (Plugin/MIMEEval.pm,
// Plugin/BodyEval.pm, Plugin/HTMLEval.pm, and check_for_uppercase). They
// read facts gathered once per message: `Views.mime` (one pass over the
// parts as they stand).
//
// swamp does not read `ok_locales`, so every locale is acceptable (the
// default "all"); the plugin's faraway-charset tests then never hit.

extension EvalFunction {
    typealias Body = @Sendable (EvalContext, [String]) -> Int

    static let bodyRegistry: [String: Body] = {
        var r: [String: Body] = [:]
        r.merge(mimeEvals) { a, _ in a }
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
