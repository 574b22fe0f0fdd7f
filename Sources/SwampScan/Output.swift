import Foundation
import SwampEngine
import SwampMIME
import SwampRules

/// What a scan's result looks like to the outside: the `X-Spam-*` headers,
/// the rewritten message, the report. Shared by `swamp check` and the daemon.
extension SpamScanner {
    /// `add_header` lines that apply, in order, name → template: an
    /// `add_header` of a name already present replaces it in place, and
    /// `remove_header` drops it, as SpamAssassin's directives do.
    func headerTemplates(spam: Bool) -> [(name: String, template: String)] {
        var list: [(name: String, template: String)] = []
        for h in configuration.addedHeaders where h.audience == .all || h.audience == (spam ? .spam : .ham) {
            if let i = list.firstIndex(where: { $0.name.lowercased() == h.name.lowercased() }) {
                list[i].template = h.template
            } else {
                list.append((h.name, h.template))
            }
        }
        for r in configuration.removedHeaders where r.audience == .all || r.audience == (spam ? .spam : .ham) {
            // The version header is not removable (SpamAssassin's rule).
            if r.name.lowercased() == "checker-version" { continue }
            list.removeAll { $0.name.lowercased() == r.name.lowercased() }
        }
        return list
    }

    func context(_ result: ScanResult) -> TemplateContext {
        var ctx = TemplateContext(result: result, scanner: self)
        let base = ctx
        ctx.addedHeaders = { spam in self.renderHeaders(base, spam: spam, lineEnding: "\n") }
        return ctx
    }

    func renderHeaders(_ ctx: TemplateContext, spam: Bool, lineEnding: String) -> String {
        var out = ""
        for (name, template) in headerTemplates(spam: spam) {
            let value = Rendering.mimeEncodeHeader(Rendering.foldHeader(name: name, value: ctx.expand(template)))
            out += "X-Spam-\(name): \(value)\n"
        }
        return lineEnding == "\n" ? out : out.replacingOccurrences(of: "\n", with: lineEnding)
    }

    /// The `X-Spam-*` header lines this result adds, with `\n` line ends.
    public func addedHeaders(for result: ScanResult) -> String {
        renderHeaders(context(result), spam: result.verdict.isSpam, lineEnding: "\n")
    }

    /// The report (`report` template), as spamd's REPORT sends it and
    /// `report_safe` attaches it.
    public func report(for result: ScanResult) -> String {
        let template = configuration.reportTemplate.isEmpty
            ? SpamScanner.defaultReportTemplate : configuration.reportTemplate
        var text = context(result).expand(template.map { $0 + "\n" }.joined())
        while text.hasSuffix("\n") { text.removeLast() }
        if let network = result.network {
            let lines = Self.networkReportLines(network)
            if !lines.isEmpty { text += "\n\n" + lines.joined(separator: "\n") }
        }
        return text + "\n\n"
    }

    /// The report's closing lines when network checks ran, whatever the
    /// `report` template says: the SPF result as a Received-SPF field
    /// (RFC 7208 §9.1) and every check that failed or was skipped, so a
    /// score reached without DNS says so (SECURITY.md "fail visible").
    public static func networkReportLines(_ f: NetworkFindings) -> [String] {
        var lines: [String] = []
        if let spf = f.receivedSPF { lines.append("Received-SPF: \(spf)") }
        if !f.notes.isEmpty {
            lines.append("Network check notes:")
            lines += f.notes.map { " * \($0)" }
        }
        return lines
    }

    /// swamp's own default report, used when no `report` lines are configured.
    public static let defaultReportTemplate: [String] = [
        "swamp on \"_HOSTNAME_\" scored this message _SCORE_ points; _REQD_ or more is spam.",
        "Questions about this verdict go to _CONTACTADDRESS_.",
        "",
        "Content preview:  _PREVIEW_",
        "",
        "Scoring details:   (_SCORE_ points, _REQD_ required)",
        "",
        " pts rule name              description",
        "---- ---------------------- --------------------------------------------------",
        "_SUMMARY_",
    ]

    /// Rule names hit, comma-separated, as spamd's SYMBOLS answers.
    public func symbols(for result: ScanResult) -> String {
        result.verdict.tests.joined(separator: ",")
    }

    /// The message with headers added and, for spam, rewritten — or wrapped
    /// whole when `report_safe` is 1 or 2 (PerMsgStatus `rewrite_mail`).
    /// A leading mbox separator ("From sender date" line) is taken off
    /// first and put back in front, as Message.pm and `rewrite_mail` do.
    public func processedMessage(for result: ScanResult) -> [UInt8] {
        let (separator, message) = Self.mboxSeparator(result.message.bytes)
        if result.verdict.isSpam && configuration.reportSafe != 0 {
            return separator + reportSafeMessage(for: result, original: message)
        }
        return separator + annotatedMessage(for: result, bytes: message)
    }

    /// Message.pm's `/^From\s+(?!:)/` on the first line: the mbox
    /// separator (with its line end) and the message after it.
    static func mboxSeparator(_ bytes: [UInt8]) -> (separator: [UInt8], message: [UInt8]) {
        let from = Array("From".utf8)
        guard bytes.starts(with: from) else { return ([], bytes) }
        // The blanks after "From" (the line's end among them: the regex
        // reads the first line alone).
        var i = from.count, spaces = 0
        while i < bytes.count, Rendering.isSpace(bytes[i]) {
            spaces += 1
            i += 1
            if bytes[i - 1] == 10 { break }
        }
        let atLineEnd = i >= bytes.count || bytes[i - 1] == 10
        // At least one, and (as the regex backtracks) not a single one
        // before a colon: that is the obsolete `From :` header form.
        guard spaces >= 1, spaces >= 2 || atLineEnd || bytes[i] != UInt8(ascii: ":") else { return ([], bytes) }
        var end = from.count
        while end < bytes.count, bytes[end] != 10 { end += 1 }
        end = min(end + 1, bytes.count)
        return (Array(bytes[..<end]), Array(bytes[end...]))
    }

    /// report_safe 0 (or ham): the original with old `X-Spam-*` headers
    /// removed, new ones added after Return-Path, Subject/From/To rewritten
    /// on spam. The body is never touched.
    func annotatedMessage(for result: ScanResult, bytes: [UInt8]) -> [UInt8] {
        let split = HeaderSplit(bytes)
        var lines = split.headerLines
        // Drop earlier filters' X-Spam-* fields (but not X-Spam-Prev-*), with
        // their continuation lines.
        var kept: [[UInt8]] = []
        var dropping = false
        for line in lines {
            if let first = line.first, first == 32 || first == 9 {
                if !dropping { kept.append(line) }
                continue
            }
            dropping = HeaderSplit.hasPrefix(line, "x-spam-") && !HeaderSplit.hasPrefix(line, "x-spam-prev-")
            if !dropping { kept.append(line) }
        }
        lines = kept
        let lineEnding = split.lineEnding
        let ctx = context(result)
        let spam = result.verdict.isSpam
        let rewrites = configuration.rewriteHeaders
        if let template = rewrites["Subject"], !lines.contains(where: { HeaderSplit.hasPrefix($0, "subject:") }),
           spam {
            lines.append(Array("Subject: \(lineEnding)".utf8))
            lines.append(Array("X-Spam-Prev-Subject: (nonexistent)\(lineEnding)".utf8))
            _ = template
        }
        if spam {
            var extra: [[UInt8]] = []
            for (n, line) in lines.enumerated() {
                for field in ["Subject", "From", "To"] where HeaderSplit.hasPrefix(line, field.lowercased() + ":") {
                    guard let template = rewrites[field] else { continue }
                    // Keep the old value (first line) as X-Spam-Prev-*.
                    if !(field == "Subject" && line.count <= "Subject: ".count + lineEnding.utf8.count
                         && lines.contains(where: { HeaderSplit.hasPrefix($0, "x-spam-prev-subject: (nonexistent)") })) {
                        extra.append(Array("X-Spam-Prev-".utf8) + line)
                    }
                    var tag = ctx.expand(template).replacingOccurrences(of: "\n", with: " ")
                    if field != "Subject" { tag = "(\(tag))" }
                    lines[n] = HeaderSplit.prefixValue(line, with: tag, fieldLength: field.count + 1)
                }
            }
            lines.append(contentsOf: extra)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 1024)
        var rest = lines[...]
        if let first = rest.first, HeaderSplit.hasPrefix(first, "return-path:") {
            out += first
            rest = rest.dropFirst()
            while let l = rest.first, l.first == 32 || l.first == 9 { out += l; rest = rest.dropFirst() }
        }
        out += Array(renderHeaders(ctx, spam: spam, lineEnding: lineEnding).utf8)
        for l in rest { out += l }
        out += split.separator
        out += split.body
        return out
    }

    /// Whether `needle` (not empty) occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first, memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                    i += 1
                }
                return false
            }
        }
    }

    /// report_safe 1/2: a new message carrying the report, with the
    /// original attached as message/rfc822 (1) or text/plain (2).
    func reportSafeMessage(for result: ScanResult, original: [UInt8]) -> [UInt8] {
        let ctx = context(result)
        let split = HeaderSplit(original)
        // `get_pristine_header` in scalar context: the last such field, its
        // bytes as they came.
        func pristine(_ name: String) -> [UInt8]? { split.fields(named: name).last }
        var from = pristine("From"), to = pristine("To"), subject = pristine("Subject")
        let cc = pristine("Cc"), date = pristine("Date"), messageID = pristine("Message-Id")
        let rewrites = configuration.rewriteHeaders
        if let t = rewrites["Subject"] {
            // `s/^(?:\Qtag\E )?/tag /`: the tag once.
            let tag = Array((ctx.expand(t).replacingOccurrences(of: "\n", with: " ") + " ").utf8)
            var s = subject ?? [10]
            if s.starts(with: tag) { s.removeFirst(tag.count) }
            subject = tag + s
        }
        for field in ["To", "From"] {
            guard let t = rewrites[field] else { continue }
            // `s/(?:\t\Q(tag)\E)?$/\t(tag)/`: at the end of the value, once.
            let tag = Array("\t(\(ctx.expand(t).replacingOccurrences(of: "\n", with: field == "From" ? "" : " ")))".utf8)
            var v = (field == "To" ? to : from) ?? [10]
            if v.last == 10 { v.removeLast() }
            if v.last == 13 { v.removeLast() }
            if v.count >= tag.count, Array(v.suffix(tag.count)) == tag { v.removeLast(tag.count) }
            v += tag + [10]
            if field == "To" { to = v } else { from = v }
        }
        var head: [UInt8] = Array("Received: from localhost by \(hostname)\n\twith swamp (version \(SwampVersion.version));\n\t\(Rendering.rfc2822Date(Date()))\n".utf8)
        for (name, value) in [("From", from), ("To", to), ("Cc", cc), ("Subject", subject), ("Date", date), ("Message-Id", messageID)] {
            if let value { head += Array("\(name): ".utf8) + value }
        }
        head += Array(renderHeaders(ctx, spam: true, lineEnding: "\n").utf8)

        var boundary = "----------=_" + CFormat.unsigned("%08X", UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)))
            + CFormat.unsigned(".%08X", UInt32.random(in: 0...UInt32.max))
        while Self.contains(original, Array(("\n" + boundary).utf8)) {
            boundary += CFormat.unsigned("/%08X", UInt32.random(in: 0...UInt32.max))
        }
        let contentType = result.views.header(HeaderQuery(name: "Content-Type")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let unsafe = !contentType.isEmpty && !contentType.lowercased().containsBytes("text/plain")
        let disposition = unsafe ? "attachment" : "inline"
        // The `unsafe_report` text follows the report when the original is
        // not plain text, each line ended.
        var reportText = report(for: result)
        if unsafe { reportText += ctx.expand(configuration.unsafeReportTemplate.map { $0 + "\n" }.joined()) }
        let type = configuration.reportSafe > 1 ? "text/plain" : "message/rfc822"
        let description = configuration.otherSettings["encapsulated_content_description"]?.last ?? "original message before swamp"
        head += Array("""
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="\(boundary)"

        This is a multi-part message in MIME format.

        --\(boundary)
        Content-Type: text/plain; charset=UTF-8
        Content-Disposition: inline
        Content-Transfer-Encoding: 8bit

        \(reportText)

        --\(boundary)
        Content-Type: \(type); x-spam-type=original
        Content-Description: \(description)
        Content-Disposition: \(disposition)
        Content-Transfer-Encoding: 8bit


        """.utf8)
        var trailer = Array("\n--\(boundary)--\n\n".utf8)
        // `_fixup_report_line_endings`: `s/\r?\n/LINE_END/g` on what was
        // added, for a message whose lines end otherwise.
        if split.lineEnding != "\n" {
            head = Self.lineEndings(head, split.lineEnding)
            trailer = Self.lineEndings(trailer, split.lineEnding)
        }
        return head + original + trailer
    }

    /// `s/\r?\n/END/g` on bytes.
    static func lineEndings(_ bytes: [UInt8], _ end: String) -> [UInt8] {
        let e = Array(end.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 16)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 13, i + 1 < bytes.count, bytes[i + 1] == 10 { out += e; i += 2; continue }
            if bytes[i] == 10 { out += e; i += 1; continue }
            out.append(bytes[i])
            i += 1
        }
        return out
    }
}

/// The pristine header block of a message split into field lines, the blank
/// separator line and the body, byte for byte.
struct HeaderSplit {
    var headerLines: [[UInt8]] = []
    var separator: [UInt8] = []
    var body: ArraySlice<UInt8> = []
    var lineEnding = "\n"

    init(_ bytes: [UInt8]) {
        // Line ends found by memchr, and a line's blankness read in place:
        // a copy of each line filtered to test it cost more than the rest.
        let (lines, blank) = bytes.withUnsafeBufferPointer { b -> ([Range<Int>], Range<Int>?) in
            guard let base = b.baseAddress else { return ([], nil) }
            var lines: [Range<Int>] = []
            lines.reserveCapacity(32)
            var i = 0
            while i < b.count {
                let end = memchr(base + i, 10, b.count - i).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) }
                    ?? b.count
                let lineEnd = min(end + 1, b.count)
                var k = i
                while k < lineEnd, b[k] == 10 || b[k] == 13 { k += 1 }
                if k == lineEnd { return (lines, i..<lineEnd) }
                lines.append(i..<lineEnd)
                i = lineEnd
            }
            return (lines, nil)
        }
        // The first line's end decides the message's line ending.
        if let first = lines.first ?? blank {
            let end = bytes[first].last == 10 ? first.upperBound - 1 : first.upperBound
            lineEnding = end > first.lowerBound && end < bytes.count && bytes[end - 1] == 13 ? "\r\n" : "\n"
        }
        headerLines = lines.map { Array(bytes[$0]) }
        if let blank {
            separator = Array(bytes[blank])
            body = bytes[blank.upperBound...]
        } else {
            body = bytes[bytes.count...]
        }
    }

    static func hasPrefix(_ line: [UInt8], _ lowercasePrefix: String) -> Bool {
        let p = Array(lowercasePrefix.utf8)
        guard line.count >= p.count else { return false }
        for (a, b) in zip(line, p) where (a >= 65 && a <= 90 ? a + 32 : a) != b { return false }
        return true
    }

    /// `Name: value` → `Name: TAG value` (once: an existing tag is not doubled).
    static func prefixValue(_ line: [UInt8], with tag: String, fieldLength: Int) -> [UInt8] {
        var value = line[fieldLength...].drop(while: { $0 == 32 || $0 == 9 })
        let t = Array((tag + " ").utf8)
        if value.starts(with: t) { value = value.dropFirst(t.count) }
        return Array(line[..<fieldLength]) + [32] + t + Array(value)
    }

    /// Values of every field with this name, as `get_pristine_header`
    /// reads them (`/^NAME[ \t]*:[ \t]*(.*?\n(?![ \t]))/mi`): after the
    /// colon and the blanks around it, with folding and line end.
    func fields(named name: String) -> [[UInt8]] {
        let lowerName = name.lowercased()
        var out: [[UInt8]] = []
        var current: [UInt8]? = nil
        for line in headerLines {
            if let f = line.first, f == 32 || f == 9 {
                current? += line
                continue
            }
            if let c = current { out.append(c) }
            current = nil
            guard HeaderSplit.hasPrefix(line, lowerName) else { continue }
            var i = lowerName.utf8.count
            while i < line.count, line[i] == 32 || line[i] == 9 { i += 1 }
            guard i < line.count, line[i] == UInt8(ascii: ":") else { continue }
            i += 1
            while i < line.count, line[i] == 32 || line[i] == 9 { i += 1 }
            current = Array(line[i...])
        }
        if let c = current { out.append(c) }
        return out
    }
}
