/// Dates as SpamAssassin's `parse_rfc822_date` (Util.pm) reads them, for
/// the date evals: forgiving of the many ways mailers write a date, and
/// giving the same second for the same text, oddities included (a zone
/// it does not know counts as UTC, a day past the month's end is the 1st
/// of the next, years are clamped to 1970–2037).
enum MailDate {
    static let months: [String: Int] = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
        "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    ]

    /// Zone names and their offsets in minutes.
    static let zones: [String: Int] = [
        "UT": 0, "UTC": 0, "NDT": -150, "AST": -240, "ADT": -180, "NST": -210,
        "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
        "PST": -480, "PDT": -420, "HST": -600, "AKST": -540, "AKDT": -480, "HADT": -540,
        "HAST": -600, "GMT": 0, "BST": 60, "IST": 60, "WET": 0, "WEST": 60, "CET": 60,
        "CEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "MSD": 240, "MET": 60,
        "MEZ": 60, "MEST": 120, "MESZ": 120, "BRST": -120, "BRT": -180, "AEST": 600,
        "AEDT": 660, "ACST": 570, "ACDT": 630, "AWST": 480, "NZST": 720, "NZDT": 780,
        "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "PHT": 480, "IDT": 180,
    ]

    /// Seconds since 1970 (UTC), or nil when no date is found.
    static func parse(_ text: [UInt8]) -> Int? {
        // " text ", commas (and the blanks after them) and runs of
        // whitespace each made one space: the words, as ranges of `text`.
        var words: [Range<Int>] = []
        var wordStart = -1
        for (i, c) in text.enumerated() {
            if c == 44 || c == 32 || (c >= 9 && c <= 13) {
                if wordStart >= 0 { words.append(wordStart..<i); wordStart = -1 }
            } else if wordStart < 0 {
                wordStart = i
            }
        }
        if wordStart >= 0 { words.append(wordStart..<text.count) }
        var used = [Bool](repeating: false, count: words.count)

        func digits(_ w: Range<Int>, _ range: ClosedRange<Int>) -> Int? {
            guard range.contains(w.count) else { return nil }
            var v = 0
            for i in w {
                let c = text[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        func month(_ w: Range<Int>) -> Int? {
            guard w.count == 3 else { return nil }
            let a = text[w.lowerBound] | 0x20, b = text[w.lowerBound + 1] | 0x20, c = text[w.lowerBound + 2] | 0x20
            return months[String(decoding: [a, b, c], as: UTF8.self)]
        }
        /// The pieces of a word between colons (empty ones kept), when there
        /// are two or three.
        func colonParts(_ w: Range<Int>) -> (Range<Int>, Range<Int>, Range<Int>?)? {
            var cuts: [Int] = []
            for i in w where text[i] == 58 {
                if cuts.count == 2 { return nil }
                cuts.append(i)
            }
            switch cuts.count {
            case 1: return (w.lowerBound..<cuts[0], (cuts[0] + 1)..<w.upperBound, nil)
            case 2: return (w.lowerBound..<cuts[0], (cuts[0] + 1)..<cuts[1], (cuts[1] + 1)..<w.upperBound)
            default: return nil
            }
        }
        func isTime(_ w: Range<Int>) -> Bool {
            // \d+:\d+:\d+
            guard let (a, b, c) = colonParts(w), let c else { return false }
            return [a, b, c].allSatisfy { part in !part.isEmpty && part.allSatisfy { text[$0] >= 48 && text[$0] <= 57 } }
        }

        // The date: "D Mon YYYY", else "Mon D hh:mm:ss YYYY", else "D Mon YY(Y)".
        var day = 0, mon = 0, year = 0
        var found = false
        for i in 0..<max(0, words.count - 2) {
            if let d = digits(words[i], 1...9), let m = month(words[i + 1]), let y = digits(words[i + 2], 4...4) {
                (day, mon, year) = (d, m, y)
                used[i] = true; used[i + 1] = true; used[i + 2] = true
                found = true
                break
            }
        }
        if !found {
            for i in 0..<max(0, words.count - 3) {
                if let m = month(words[i]), let d = digits(words[i + 1], 1...9), isTime(words[i + 2]),
                   let y = digits(words[i + 3], 4...4) {
                    // The time goes with the date: this form is read
                    // without its hour (SpamAssassin's substitution takes
                    // all four words).
                    (day, mon, year) = (d, m, y)
                    used[i] = true; used[i + 1] = true; used[i + 2] = true; used[i + 3] = true
                    found = true
                    break
                }
            }
        }
        if !found {
            for i in 0..<max(0, words.count - 2) {
                if let d = digits(words[i], 1...9), let m = month(words[i + 1]), let y = digits(words[i + 2], 2...3) {
                    (day, mon, year) = (d, m, words[i + 2].count == 2 && y < 50 ? y + 2000 : y + 1900)
                    used[i] = true; used[i + 1] = true; used[i + 2] = true
                    found = true
                    break
                }
            }
        }
        guard found else { return nil }

        // hh:mm(:ss)?
        var hh = 0, mm = 0, ss = 0
        for i in words.indices where !used[i] {
            guard let (hPart, mPart, sPart) = colonParts(words[i]),
                  let h = digits(hPart, 1...2), let m = digits(mPart, 2...2) else { continue }
            if let sPart { guard let s = digits(sPart, 2...2) else { continue }; ss = s }
            (hh, mm) = (h, m)
            used[i] = true
            break
        }

        // A numeric zone, else the first word of 2–4 capitals (with
        // "-DST") when it is a known zone; anything else is -0000.
        var offset = 0
        var numeric = false
        for i in words.indices where !used[i] {
            let w = words[i]
            let sign = text[w.lowerBound]
            if w.count == 5, sign == 43 || sign == 45, let v = digits((w.lowerBound + 1)..<w.upperBound, 4...4) {
                offset = (v / 100 * 60 + v % 100) * (sign == 45 ? -1 : 1)
                numeric = true
                used[i] = true
                break
            }
        }
        if !numeric, let name = firstCapitalWord(text, words, used) {
            offset = zones[name] ?? 0
        }

        ss = min(ss, 59); mm = min(mm, 59); hh = min(hh, 23)
        var maxDay = 31
        if [4, 6, 9, 11].contains(mon) { maxDay = 30 }
        if mon == 2 { maxDay = (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28 }
        if day > maxDay {
            day = 1
            mon += 1
            if mon > 12 { mon = 1; year += 1 }
        }
        year = min(max(year, 1970), 2037)
        var time = days(year: year, month: mon, day: day) * 86_400 + hh * 3600 + mm * 60 + ss
        let seconds = abs(offset) * 60
        if offset < 0 {
            time += seconds
        } else {
            time = time < seconds ? 0 : time - seconds
        }
        return time
    }

    /// Perl's `\b([A-Z]{2,4}(?:-DST)?)\b` over what is left of the date:
    /// the first such word (the text between the words is single spaces).
    static func firstCapitalWord(_ text: [UInt8], _ words: [Range<Int>], _ used: [Bool]) -> String? {
        func isUpper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
        func isWord(_ c: UInt8) -> Bool { isUpper(c) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 }
        for (i, range) in words.enumerated() where !used[i] {
            let w = text[range]
            var k = w.startIndex
            while k < w.endIndex {
                // A run of capitals starting at a word boundary.
                guard isUpper(w[k]), k == w.startIndex || !isWord(w[k - 1]) else { k += 1; continue }
                var e = k
                while e < w.endIndex, isUpper(w[e]) { e += 1 }
                let run = e - k
                if run >= 2 && run <= 4 {
                    var end = e
                    if w.endIndex - e >= 4, w[e] == 45, w[e + 1] == 68, w[e + 2] == 83, w[e + 3] == 84 { end = e + 4 }
                    if end == w.endIndex || !isWord(w[end]) {
                        return String(decoding: w[k..<end], as: UTF8.self)
                    }
                    if end != e, e == w.endIndex || !isWord(w[e]) {
                        return String(decoding: w[k..<e], as: UTF8.self)
                    }
                }
                k = e
            }
        }
        return nil
    }

    /// Days from 1970-01-01 to a civil date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
