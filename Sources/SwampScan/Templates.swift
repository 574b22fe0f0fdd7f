import Foundation
import SwampEngine
import SwampMIME
import SwampRules

/// Expands SpamAssassin template tags (`_SCORE_`, `_TESTS(,)_`,
/// `_STARS(*)_`, ...) as PerMsgStatus documents them. An unknown tag is left
/// as written, as SpamAssassin leaves it.
struct TemplateContext {
    let result: ScanResult
    let scanner: SpamScanner
    /// `add_header` lines rendered so far, for `_ADDEDHEADER_`.
    var addedHeaders: (Bool) -> String = { _ in "" }

    var verdict: Verdict { result.verdict }
    var configuration: Configuration { scanner.configuration }

    /// Replaces every `_TAG_` or `_TAG(arg)_` in `text`.
    func expand(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "_"), let (tag, arg, end) = TemplateContext.tag(in: bytes, at: i) {
                if let value = self.value(of: tag, argument: arg) {
                    out.append(contentsOf: value.utf8)
                    i = end
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Matches `_([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?:\(.*?\))?)_` at `start`,
    /// the tag syntax of SpamAssassin's `_replace_tags`.
    static func tag(in b: [UInt8], at start: Int) -> (String, String?, Int)? {
        func upper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
        func alnum(_ c: UInt8) -> Bool { upper(c) || (c >= 48 && c <= 57) }
        var i = start + 1
        guard i < b.count, upper(b[i]) else { return nil }
        var nameEnd = i
        while nameEnd < b.count, alnum(b[nameEnd]) { nameEnd += 1 }
        // Candidate name ends: after the first word, or after each `_WORD`.
        var ends = [nameEnd]
        var j = nameEnd
        while j + 1 < b.count, b[j] == UInt8(ascii: "_"), alnum(b[j + 1]) {
            j += 1
            while j < b.count, alnum(b[j]) { j += 1 }
            ends.append(j)
        }
        // Perl's regex is greedy on the `_WORD` groups but backtracks: try the
        // longest name first.
        for e in ends.reversed() {
            i = e
            let name = String(decoding: b[(start + 1)..<e], as: UTF8.self)
            if i < b.count, b[i] == UInt8(ascii: "(") {
                // `\(.*?\)_`: the shortest argument followed by `)_`.
                var k = i + 1
                while k + 1 < b.count {
                    if b[k] == UInt8(ascii: ")") && b[k + 1] == UInt8(ascii: "_") {
                        let arg = String(decoding: b[(i + 1)..<k], as: UTF8.self)
                        return (name, arg, k + 2)
                    }
                    if b[k] == UInt8(ascii: "\n") { break }
                    k += 1
                }
            }
            if i < b.count, b[i] == UInt8(ascii: "_") { return (name, nil, i + 1) }
        }
        return nil
    }

    func value(of tag: String, argument: String?) -> String? {
        let v = verdict
        let relays = result.views.relays
        switch tag {
        case "YESNO": return yesNo(argument)
        case "YESNOCAPS": return yesNo(argument).uppercased()
        case "SCORE", "HITS": return scoreText(pad: argument)
        case "REQD": return CFormat.double("%2.1f", v.requiredScore)
        case "VERSION": return SwampVersion.version
        case "SUBVERSION": return SwampVersion.subversion
        case "RULESVERSION": return ""
        case "HOSTNAME": return configuration.otherSettings["report_hostname"]?.last ?? scanner.hostname
        case "REMOTEHOSTNAME": return "localhost"
        case "REMOTEHOSTADDR": return "127.0.0.1"
        case "FIRSTTRUSTEDIP": return relays.trusted.last?.ip ?? ""
        case "FIRSTTRUSTEDREVIP": return relays.trusted.last.map { reverseIP($0.ip) } ?? ""
        case "LASTEXTERNALIP": return relays.external.first?.ip ?? ""
        case "LASTEXTERNALREVIP": return relays.external.first.map { reverseIP($0.ip) } ?? ""
        case "LASTEXTERNALRDNS": return relays.external.first?.rdns ?? ""
        case "LASTEXTERNALHELO": return relays.external.first?.helo ?? ""
        case "RELAYSTRUSTED": return relayText("X-Spam-Relays-Trusted")
        case "RELAYSUNTRUSTED": return relayText("X-Spam-Relays-Untrusted")
        case "RELAYSINTERNAL": return relayText("X-Spam-Relays-Internal")
        case "RELAYSEXTERNAL": return relayText("X-Spam-Relays-External")
        case "CONTACTADDRESS": return configuration.reportContact
        case "BAYES": return v.bayes?.probability.map { CFormat.double("%3.4f", $0) } ?? "0.5"
        case "BAYESTC": return String(v.bayes?.tokenCount ?? 0)
        case "BAYESTCLEARNED": return String(v.bayes?.learnedTokenCount ?? 0)
        case "BAYESTCSPAMMY": return String(v.bayes?.significant.filter { $0.probability >= 0.5 }.count ?? 0)
        case "BAYESTCHAMMY": return String(v.bayes?.significant.filter { $0.probability < 0.5 }.count ?? 0)
        case "HAMMYTOKENS", "SPAMMYTOKENS", "TOKENSUMMARY": return ""
        case "DATE": return Rendering.rfc2822Date(Date())
        case "STARS":
            let n = min(50, max(0, Int(v.score)))
            return n > 0 ? String(repeating: argument.flatMap { $0.isEmpty ? nil : $0 } ?? "*", count: n) : ""
        case "AUTOLEARN": return v.autolearn
        case "AUTOLEARNSCORE": return "0"
        case "TESTS":
            let s = v.tests.joined(separator: argument.flatMap { $0.isEmpty ? nil : $0 } ?? ",")
            return s.isEmpty ? "none" : s
        case "SUBTESTS", "SUBTESTSCOLLAPSED":
            let s = v.evaluation.subrules.sorted().joined(separator: argument.flatMap { $0.isEmpty ? nil : $0 } ?? ",")
            return s.isEmpty ? "none" : s
        case "TESTSSCORES":
            let sep = argument.flatMap { $0.isEmpty ? nil : $0 } ?? ","
            let s = v.evaluation.hits.sorted { $0.name < $1.name }
                .map { "\($0.name)=\(Rendering.perlNumber($0.score / Double($0.count)))" }
                .joined(separator: sep)
            return s.isEmpty ? "none" : s
        case "PREVIEW": return Rendering.preview(result.views)
        case "REPORT": return "\n" + reportLines(terse: true)
        case "SUMMARY": return reportLines(terse: false)
        case "RECEIVEDSPF": return result.network?.receivedSPF ?? ""
        case "SUBJPREFIX", "RBL", "LANGUAGES", "DCCB", "DCCR", "DCCREP", "PYZOR", "TIMING": return ""
        case "SENDERDOMAIN", "AUTHORDOMAIN":
            let header = tag == "AUTHORDOMAIN" ? "From" : "EnvelopeFrom"
            guard let a = result.views.header(HeaderQuery(name: header, modifier: .addr)) else { return "" }
            let text = String(decoding: a, as: UTF8.self)
            guard let at = text.lastIndex(of: "@") else { return "" }
            return text[text.index(after: at)...].lowercased().trimmingASCII(.spacesAndNewlines)
        case "HEADER":
            guard let name = argument, !name.isEmpty else { return "" }
            let parts = name.split(separator: ":").map(String.init)
            let query = HeaderQuery(HeaderTarget(name: parts[0], modifiers: Array(parts.dropFirst())))
            return result.views.header(query).map { String(decoding: $0, as: UTF8.self) } ?? ""
        case "ADDEDHEADER": return addedHeaders(v.isSpam)
        case "ADDEDHEADERHAM": return addedHeaders(false)
        case "ADDEDHEADERSPAM": return addedHeaders(true)
        default: return nil
        }
    }

    func yesNo(_ argument: String?) -> String {
        if let argument {
            let parts = argument.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            if verdict.isSpam { return String(parts[0]) }
            return parts.count > 1 ? String(parts[1]) : "No"
        }
        return verdict.isSpam ? "Yes" : "No"
    }

    /// `_SCORE(PAD)_`. A ham whose score rounds up to the threshold shows the
    /// threshold minus 0.1, so a ham never displays a spam score.
    func scoreText(pad: String?) -> String {
        var score = CFormat.double("%2.1f", verdict.score)
        let required = CFormat.double("%2.1f", verdict.requiredScore)
        if !verdict.isSpam, let s = Double(score), let r = Double(required), s >= r {
            score = Rendering.perlNumber(r - 0.1)
        }
        if let pad, !pad.isEmpty, pad.allSatisfy({ $0 == "0" }) || pad.allSatisfy({ $0 == " " }) {
            let count = pad.count + 3 - score.count
            if count > 0 { score = String(pad.prefix(count)) + score }
        }
        return score
    }

    func relayText(_ name: String) -> String {
        result.views.header(HeaderQuery(name: name)).map {
            String(decoding: $0, as: UTF8.self).trimmingASCII(.newlines)
        } ?? ""
    }

    func reverseIP(_ ip: String) -> String {
        ip.contains(":") ? ip : ip.split(separator: ".").reversed().joined(separator: ".")
    }

    /// The per-rule lines of `_REPORT_` (terse, `* ` prefixed) or
    /// `_SUMMARY_` (the table of the report template).
    func reportLines(terse: Bool) -> String {
        var out = ""
        for hit in verdict.evaluation.hits {
            let perHit = hit.score / Double(max(1, hit.count))
            let score = abs(perHit) >= 10 ? CFormat.double("%4.0f", perHit) : CFormat.double("%4.1f", perHit)
            let desc = hit.description.isEmpty ? "No description available." : hit.description
            let (terseLog, longLog) = TemplateContext.logLines(hit.log)
            if terse {
                let first = 4 + hit.name.count + score.count + hit.area.count
                out += "* \(score) \(hit.name) \(hit.area)\(Rendering.wrapDescription(desc, firstLineLength: first, prefix: "*      "))\n"
                if !terseLog.isEmpty { out += "*      " + terseLog }
            } else {
                let name = hit.name + String(repeating: " ", count: max(0, 22 - hit.name.count))
                let first = 3 + hit.name.count + score.count + hit.area.count
                out += "\(score) \(name) \(hit.area)\(Rendering.wrapDescription(desc, firstLineLength: first, prefix: String(repeating: " ", count: 28)))\n"
                out += longLog
            }
        }
        return out
    }

    /// A hit's `test_log` notes as PerMsgStatus lays them out under the
    /// rule: each cut after 30 to 48 characters at a space, a bracketed
    /// line per piece; terse (`_REPORT_`: only the first line prefixed, by
    /// the caller) and long (`_SUMMARY_`: indented to the description
    /// column, or right-aligned at 78 when longer than 47).
    static func logLines(_ notes: [String]) -> (terse: String, long: String) {
        var terse = "", long = ""
        func add(_ piece: Substring) {
            terse += "[\(piece)]\n"
            if piece.count > 47 {
                let bracketed = "[\(piece)]"
                long += String(repeating: " ", count: max(0, 78 - bracketed.count)) + bracketed + "\n"
            } else {
                long += String(repeating: " ", count: 27) + " [\(piece)]\n"
            }
        }
        for note in notes {
            var rest = Substring(note)
            // Perl's `s/^(.{30,48})\s//`: the longest run of 30 to 48
            // characters (no newline) followed by whitespace.
            while true {
                let chars = Array(rest.prefix(49))
                var cut: Int?
                var n = min(48, chars.count - 1)
                while n >= 30 {
                    if chars[n].isWhitespace, !chars[..<n].contains("\n") { cut = n; break }
                    n -= 1
                }
                guard let cut else { break }
                add(rest.prefix(cut))
                rest = rest.dropFirst(cut + 1)
            }
            add(rest)
        }
        return (terse, long)
    }
}
