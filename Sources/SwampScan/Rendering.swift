import Foundation
import SwampEngine
import SwampMIME
import SwampRules

/// Text helpers shared by templates and message rewriting.
enum Rendering {
    /// Perl's default number formatting (`%.15g`), as SpamAssassin prints
    /// scores in `_TESTSSCORES_`.
    static func perlNumber(_ x: Double) -> String {
        var s = CFormat.double("%.15g", x)
        if s == "-0" { s = "0" }
        return s
    }

    /// `EEE, dd MMM yyyy HH:mm:ss Z` in the local time zone, English names
    /// (what a DateFormatter with the POSIX locale writes), formatted by
    /// hand: creating a DateFormatter cost more than the rest of a report.
    static func rfc2822Date(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        guard localtime_r(&t, &tm) != nil else { return "" }
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let offset = Int(tm.tm_gmtoff) / 60
        let zone = (offset < 0 ? "-" : "+") + two(Int32(abs(offset) / 60)) + two(Int32(abs(offset) % 60))
        var year = String(tm.tm_year + 1900)
        while year.count < 4 { year = "0" + year }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(year) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) \(zone)"
    }

    /// Word wrapping as SpamAssassin's `Util::wrap` does it: the text is cut
    /// after each `isBreak` character, pieces are joined while the line fits
    /// in `width` (a tab counts 8), and each new line starts with `prefix`.
    /// (The content preview's wrap, with overflow, is `overflowWrap`.)
    static func wrap(_ text: String, prefix: String, first: String, width: Int,
                     isBreak: (Character) -> Bool, breakAfter: Bool) -> String {
        wrapBytes(text, prefix: prefix, first: first, width: width, isBreak: isBreak, breakAfter: breakAfter)
            ?? wrapCharacters(text, prefix: prefix, first: first, width: width, isBreak: isBreak, breakAfter: breakAfter)
    }

    /// `wrap` on bytes, for ASCII text without CR, where each byte is a
    /// character (CR LF would be one); nil for other text. One pass that
    /// builds each line as it goes, where `wrapCharacters` splits the text
    /// into strings and joins them back.
    static func wrapBytes(_ text: String, prefix: String, first: String, width: Int,
                          isBreak: (Character) -> Bool, breakAfter: Bool) -> String? {
        func plain(_ s: String) -> Bool { s.utf8.allSatisfy { $0 < 0x80 && $0 != 13 } }
        guard plain(text), plain(prefix), plain(first) else { return nil }
        func length<C: Collection<UInt8>>(_ s: C) -> Int { s.count + 7 * s.lazy.filter { $0 == 9 }.count }
        let prefixBytes = Array(prefix.utf8)
        // A prefix wider than the line makes `wrapCharacters` add prefixes
        // for ever; not worth a second behaviour here.
        guard length(prefixBytes) <= width else { return nil }
        // Whether each byte breaks, asked of `isBreak` once per byte value
        // (in the loop: a nested function capturing the table cost a call
        // and a boxed variable per byte).
        var known = [Int8](repeating: -1, count: 128)
        // The pieces as `wrapCharacters` makes them: text, separator, text...
        var pieces: [Range<Int>] = []
        let bytes = Array(text.utf8)
        var start = 0
        for (i, b) in bytes.enumerated() {
            var breaks = known[Int(b)]
            if breaks < 0 {
                breaks = isBreak(Character(Unicode.Scalar(b))) ? 1 : 0
                known[Int(b)] = breaks
            }
            guard breaks == 1 else { continue }
            if breakAfter {
                pieces.append(start..<(i + 1)); pieces.append((i + 1)..<(i + 1))
            } else {
                pieces.append(start..<i); pieces.append(i..<(i + 1))
            }
            start = i + 1
        }
        pieces.append(start..<bytes.count)
        while let last = pieces.last, last.isEmpty, pieces.count > 1 { pieces.removeLast() }
        var out: [UInt8] = Array(first.utf8)
        out.reserveCapacity(bytes.count + out.count + 16)
        // Where the line being built starts in `out`, its length, and whether
        // a piece has joined it (the first one joins whatever its length).
        var lineStart = 0
        var lineLength = length(out)
        var joined = false
        var pieceIndex = 0
        if out.isEmpty, let p = pieces.first {
            out += bytes[p]
            lineLength = length(bytes[p])
            pieceIndex = 1
        }
        for p in pieces[pieceIndex...] {
            let next = bytes[p]
            if lineLength + (joined ? length(next) : 0) > width {
                while out.count > lineStart, let l = out.last, l == 32 || (l >= 9 && l <= 13) { out.removeLast() }
                out.append(10)
                lineStart = out.count
                out += prefixBytes
                lineLength = length(prefixBytes)
                joined = false
            }
            // A new line is its prefix alone, which fits: the piece joins it.
            out += next
            lineLength += length(next)
            joined = true
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `wrap` on characters, for any text.
    static func wrapCharacters(_ text: String, prefix: String, first: String, width: Int,
                               isBreak: (Character) -> Bool, breakAfter: Bool) -> String {
        // Pieces alternate text, separator, text, ... as Perl's split with a
        // capturing pattern yields them.
        var pieces: [String] = []
        var current = ""
        for ch in text {
            if isBreak(ch) {
                if breakAfter {
                    current.append(ch)
                    pieces.append(current); pieces.append(""); current = ""
                } else {
                    pieces.append(current); pieces.append(String(ch)); current = ""
                }
            } else {
                current.append(ch)
            }
        }
        pieces.append(current)
        while let last = pieces.last, last.isEmpty, pieces.count > 1 { pieces.removeLast() }
        if !first.isEmpty { pieces.insert(first, at: 0) }
        func length(_ s: String) -> Int { displayLength(s) }
        var pos = 0
        var joined = false
        // The length of pieces[pos], kept as pieces join it rather than
        // measured again each time (which made long headers quadratic):
        // ASCII lengths add up, but for a CR LF across the seam; other
        // text is measured whole (characters may merge across it).
        var lineLength = pieces.isEmpty ? 0 : length(pieces[0])
        var lineIsASCII = pieces.isEmpty || isASCII(pieces[0])
        while pieces.count - 1 > pos {
            var len = lineLength
            if joined { len += length(pieces[pos + 1]) }
            if len <= width {
                let next = pieces.remove(at: pos + 1)
                let nextIsASCII = isASCII(next)
                let adds = lineIsASCII && nextIsASCII && !(pieces[pos].utf8.last == 13 && next.utf8.first == 10)
                pieces[pos] += next
                lineLength = adds ? lineLength + length(next) : length(pieces[pos])
                lineIsASCII = lineIsASCII && nextIsASCII
                joined = true
            } else {
                while let l = pieces[pos].last, l.isWhitespace { pieces[pos].removeLast() }
                pos += 1
                joined = false
                pieces.insert(prefix, at: pos)
                (lineLength, lineIsASCII) = (length(prefix), isASCII(prefix))
            }
        }
        return pieces.joined(separator: "\n")
    }

    static func isASCII(_ s: String) -> Bool { s.utf8.allSatisfy { $0 < 0x80 } }

    /// Characters, a tab counting 8, as `wrap` measures a line. ASCII text
    /// is measured on its bytes: each is a character, except CR LF, which is
    /// one.
    static func displayLength(_ s: String) -> Int {
        var count = 0, tabs = 0
        var previous: UInt8 = 0
        for b in s.utf8 {
            if b >= 0x80 { return s.count + s.filter { $0 == "\t" }.count * 7 }
            if b == 9 { tabs += 1 }
            if !(b == 10 && previous == 13) { count += 1 }
            previous = b
        }
        return count + tabs * 7
    }

    /// A rule description wrapped to the report width (75), its first line
    /// already `firstLineLength` columns in.
    static func wrapDescription(_ desc: String, firstLineLength: Int, prefix: String) -> String {
        // One short ASCII line: nothing to break (what the wrap gives back).
        if firstLineLength + displayLength(desc) <= 75,
           desc.utf8.allSatisfy({ $0 < 0x80 && $0 != 10 && $0 != 13 }) {
            return String(desc.drop(while: { $0.isWhitespace }))
        }
        let wrapped = wrap(desc, prefix: prefix, first: String(repeating: " ", count: firstLineLength),
                           width: 75, isBreak: { $0.isWhitespace }, breakAfter: false)
        return String(wrapped.drop(while: { $0.isWhitespace }))
    }

    /// An `add_header` value after tag expansion: no trailing newlines, and
    /// folded at 79 columns after whitespace or commas (`fold_headers 1`).
    static func foldHeader(name: String, value: String) -> String {
        var data = value
        while data.hasSuffix("\n") || data.hasSuffix("\r") { data.removeLast() }
        if data.utf8.contains(10) {
            // Already multi-line: make each break a proper fold.
            return foldedLines(data) ?? foldedLinesCharacters(data)
        }
        // A short ASCII line stays as it is (what the wrap below gives it
        // back as: nothing to break, no white-space-only line).
        if displayLength("X-Spam-\(name)!!\(data)") <= 79,
           name.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "!") }), data.utf8.allSatisfy({ $0 < 0x80 }) {
            return data
        }
        let whole = wrap("X-Spam-\(name)!!\(data)", prefix: "\t", first: "", width: 79,
                         isBreak: { $0 == " " || $0 == "\t" || $0 == "," }, breakAfter: true)
        return afterMarker(droppingBlankLines: whole, orElse: data)
            ?? afterMarkerCharacters(droppingBlankLines: whole, orElse: data)
    }

    /// `afterMarker` on characters, for any text.
    static func afterMarkerCharacters(droppingBlankLines whole: String, orElse data: String) -> String {
        // Whitespace-only lines go, except a last one (Perl's `s/^\s*\n//gm`).
        let all = whole.split(separator: "\n", omittingEmptySubsequences: false)
        let lines = all.enumerated()
            .filter { $0.offset == all.count - 1 || !$0.element.allSatisfy { $0 == " " || $0 == "\t" } }
            .map(\.element)
        let folded = lines.joined(separator: "\n")
        guard let range = folded.firstByteRange(of: "!!") else { return data }
        return String(folded[range.upperBound...])
    }

    /// `foldedLines` on characters, for any text.
    static func foldedLinesCharacters(_ data: String) -> String {
        data.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingASCII(.spaces) }
            .joined(separator: "\n\t")
    }

    /// `foldHeader`'s last steps on bytes: the wrapped text's lines that
    /// are blanks (spaces and tabs) only dropped, but for the last one, and
    /// what follows the first `!!` (the text itself when there is none).
    /// nil for text with a CR, where the split into lines on characters
    /// (CR LF is one) differs from a split on LF bytes.
    static func afterMarker(droppingBlankLines whole: String, orElse data: String) -> String? {
        var whole = whole
        return whole.withUTF8 { b -> String? in
            guard !b.contains(13) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var start = 0, wroteLine = false
            while start <= b.count {
                var end = start
                while end < b.count, b[end] != 10 { end += 1 }
                let isLast = end == b.count
                var blank = true
                for k in start..<end where b[k] != 32 && b[k] != 9 { blank = false; break }
                if isLast || !blank {
                    if wroteLine { out.append(10) }
                    out.append(contentsOf: b[start..<end])
                    wroteLine = true
                }
                start = end + 1
            }
            var i = 0
            while i + 1 < out.count, !(out[i] == 33 && out[i + 1] == 33) { i += 1 }
            guard i + 1 < out.count else { return data }
            return String(decoding: out[(i + 2)...], as: UTF8.self)
        }
    }

    /// A multi-line value's lines trimmed of spaces and tabs and joined by
    /// LF and a tab, on bytes; nil for text with a CR (see `afterMarker`).
    static func foldedLines(_ data: String) -> String? {
        var data = data
        return data.withUTF8 { b -> String? in
            guard !b.contains(13) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(b.count + 16)
            var start = 0
            while start <= b.count {
                var end = start
                while end < b.count, b[end] != 10 { end += 1 }
                var (first, last) = (start, end)
                while first < last, b[first] == 32 || b[first] == 9 { first += 1 }
                while last > first, b[last - 1] == 32 || b[last - 1] == 9 { last -= 1 }
                if start > 0 { out.append(10); out.append(9) }
                out.append(contentsOf: b[first..<last])
                start = end + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// RFC 2047-encodes the parts of a header value that are not printable
    /// ASCII, line by line, as SpamAssassin's `mime_encode_header` does.
    static func mimeEncodeHeader(_ text: String) -> String {
        // Printable ASCII lines (no CR) come back as they are.
        if text.utf8.allSatisfy({ $0 == 9 || $0 == 10 || ($0 >= 0x20 && $0 <= 0x7e) }) { return text }
        return mimeEncodeLines(text)
    }

    /// `mimeEncodeHeader` line by line, for any text.
    static func mimeEncodeLines(_ text: String) -> String {
        var result = ""
        var lines: [Substring] = []
        var start = text.startIndex
        for i in text.indices where text[i] == "\n" {
            lines.append(text[start...i]); start = text.index(after: i)
        }
        if start < text.endIndex { lines.append(text[start...]) }
        func printable(_ b: UInt8) -> Bool { b == 9 || (b >= 0x20 && b <= 0x7e) }
        for line in lines {
            var bytes = Array(line.utf8)
            var suffix: [UInt8] = []
            if bytes.last == 10 { suffix.insert(bytes.removeLast(), at: 0); if bytes.last == 13 { suffix.insert(bytes.removeLast(), at: 0) } }
            if bytes.allSatisfy(printable) { result += String(decoding: bytes + suffix, as: UTF8.self); continue }
            // Printable tail after the last space before it, and printable head
            // up to a space, stay as they are.
            var tailStart = bytes.count
            while tailStart > 0, printable(bytes[tailStart - 1]) { tailStart -= 1 }
            if tailStart < bytes.count {
                if let sp = bytes[tailStart...].firstIndex(where: { $0 == 32 || $0 == 9 }) { tailStart = sp } else { tailStart = bytes.count }
            }
            var headEnd = 0
            while headEnd < tailStart, printable(bytes[headEnd]) { headEnd += 1 }
            if headEnd < tailStart {
                if let sp = bytes[..<headEnd].lastIndex(where: { $0 == 32 || $0 == 9 }) { headEnd = sp + 1 } else { headEnd = 0 }
            }
            let middle = Array(bytes[headEnd..<tailStart])
            var encoded = ""
            let special = middle.filter { $0 == 61 || $0 == 63 || $0 == 95 || $0 < 0x20 || $0 >= 0x7f }.count
            if middle.count + special * 2 <= 4 * (middle.count + 2) / 3 {
                encoded = "=?UTF-8?Q?"
                for b in middle {
                    if b == 32 { encoded += "_" }
                    else if b == 61 || b == 63 || b == 95 || b < 0x20 || b >= 0x7f { encoded += CFormat.unsigned("=%02X", UInt32(b)) }
                    else { encoded += String(UnicodeScalar(b)) }
                }
            } else {
                encoded = "=?UTF-8?B?" + Data(middle).base64EncodedString()
            }
            result += String(decoding: bytes[..<headEnd], as: UTF8.self) + encoded + "?="
                + String(decoding: Array(bytes[tailStart...]) + suffix, as: UTF8.self)
        }
        return result
    }

    /// Perl's `s/[-_*.]{10,}//gs`: runs of ten or more of `-_*.` dropped.
    static func removingLongRuns(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let out = removingLongRuns(bytes)
        return out.count == bytes.count ? text : String(decoding: out, as: UTF8.self)
    }

    static func removingLongRuns(_ bytes: [UInt8]) -> [UInt8] {
        func runByte(_ b: UInt8) -> Bool { b == 45 || b == 95 || b == 42 || b == 46 }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard runByte(bytes[i]) else { out.append(bytes[i]); i += 1; continue }
            var j = i
            while j < bytes.count && runByte(bytes[j]) { j += 1 }
            if j - i < 10 { out.append(contentsOf: bytes[i..<j]) }
            i = j
        }
        return out
    }

    /// "Content preview", as PerMsgStatus `get_content_preview` makes it:
    /// up to three paragraphs after the Subject while under 200 bytes, a
    /// line longer than 200 cut there with " [...]", forwarded-message
    /// markers, the multipart notice and runs of ten or more `-_*.`
    /// dropped, whitespace collapsed to single spaces (so it ends with
    /// one), wrapped at 75 with overflow after "Content preview:  ". On
    /// bytes throughout, as Perl measures them; bytes that are not UTF-8
    /// become U+FFFD only at the end.
    static func preview(_ views: Views) -> String {
        var text: [UInt8] = []
        var lines = 3
        for paragraph in views.body.dropFirst() where text.count < 200 && lines > 0 {
            text += paragraph
            lines -= 1
        }
        // `s/^(.{200}).+$/$1 [...]/gm`, then chomp and a newline.
        var cut: [UInt8] = []
        cut.reserveCapacity(text.count + 8)
        for (n, line) in text.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
            if n > 0 { cut.append(10) }
            if line.count > 200 {
                cut += line.prefix(200)
                cut += Array(" [...]".utf8)
            } else {
                cut += line
            }
        }
        if cut.last == 10 { cut.removeLast() }
        cut.append(10)
        var b = removing(Array("-----Original Message-----".utf8), from: cut, toLineEnd: true)
        b = removing(Array("This is a multi-part message in MIME format.".utf8), from: b, toLineEnd: false)
        b = collapsingWhitespace(removingLongRuns(b))
        let wrapped = overflowWrap(b, prefix: Array("  ".utf8), first: Array("Content preview:  ".utf8), width: 75)
        // `s/^Content preview:\s+//`
        var rest = wrapped[...]
        let label = Array("Content preview:".utf8)
        if rest.starts(with: label), rest.count > label.count, isSpace(rest[rest.startIndex + label.count]) {
            rest = rest.dropFirst(label.count)
            while let f = rest.first, isSpace(f) { rest = rest.dropFirst() }
        }
        return String(decoding: rest, as: UTF8.self)
    }

    /// Perl's `\s` on octets.
    static func isSpace(_ b: UInt8) -> Bool { b == 32 || (b >= 9 && b <= 13) }

    /// `Util::wrap($text, $prefix, $first, $width, 1)` on octets: pieces
    /// split at each whitespace byte (kept as pieces of their own), joined
    /// while the line so far is at most `width` long (a tab counting 8),
    /// each new line its trailing whitespace dropped and `prefix` put first.
    static func overflowWrap(_ text: [UInt8], prefix: [UInt8], first: [UInt8], width: Int) -> [UInt8] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for (i, b) in text.enumerated() where isSpace(b) {
            pieces.append(text[start..<i])
            pieces.append(text[i..<(i + 1)])
            start = i + 1
        }
        pieces.append(text[start...])
        // Perl's split drops trailing empty fields.
        while let last = pieces.last, last.isEmpty { pieces.removeLast() }
        if !first.isEmpty { pieces.insert(first[...], at: 0) }
        guard !pieces.isEmpty else { return [] }
        func length(_ s: some Collection<UInt8>) -> Int { s.count + 7 * s.lazy.filter { $0 == 9 }.count }
        var out: [UInt8] = Array(pieces[0])
        var lineStart = 0
        var lineLength = length(out)
        for piece in pieces.dropFirst() {
            if lineLength > width {
                while out.count > lineStart, let l = out.last, isSpace(l) { out.removeLast() }
                out.append(10)
                lineStart = out.count
                out += prefix
                lineLength = length(prefix)
            }
            out += piece
            lineLength += length(piece)
        }
        return out
    }

    /// Perl's `s/\s+/ /gs` (ASCII whitespace).
    static func collapsingWhitespace(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inSpace = false
        for b in bytes {
            if isSpace(b) {
                if !inSpace { out.append(32) }
                inSpace = true
            } else {
                out.append(b)
                inSpace = false
            }
        }
        return out
    }

    /// `s/LITERAL//gs`, or with `toLineEnd` `s/LITERAL.*$//gm`: every
    /// occurrence of `m` taken out of `b`, with the rest of its line (the
    /// line end stays).
    static func removing(_ m: [UInt8], from b: [UInt8], toLineEnd: Bool) -> [UInt8] {
        guard let m0 = m.first, b.count >= m.count else { return b }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == m0, i + m.count <= b.count, b[i..<(i + m.count)].elementsEqual(m) {
                i += m.count
                if toLineEnd { while i < b.count, b[i] != 10 { i += 1 } }
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }
}
