// SpamAssassin's header and relay evals (Plugin/HeaderEval.pm,
// Plugin/RelayEval.pm), natively: dates against Received times, subjects,
// recipients, Message-ID shapes, illegal characters, the relays' trust.
// Each reads what the views already hold; what several rules share (the
// date difference, the recipient figures) is worked out once a message.

import SwampMIME
import SwampRegex
import SwampRules

/// Per-message results that several eval rules read, and the scan's
/// match scratch (a fresh one costs a JIT stack each time).
final class EvalMemo {
    private var values: [String: Any] = [:]
    let scratch: MatchScratch

    init(scratch: MatchScratch) { self.scratch = scratch }

    /// A per-message result, worked out once: each key always holds values
    /// of one type.
    func value<T>(_ key: String, _ make: () -> T) -> T {
        // Unwrapped first: a missing key must not pass as a stored nil of
        // an optional T.
        if let stored = values[key], let v = stored as? T { return v }
        let v = make()
        values[key] = v
        return v
    }

    /// Whether `re` matches somewhere in `bytes`.
    func matches(_ re: Regex, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buf in
            if case .match = re.search(buf, scratch: scratch) { return true }
            return false
        }
    }

    /// The range `re` matches first in `bytes`.
    func firstMatch(_ re: Regex, _ bytes: [UInt8]) -> Range<Int>? {
        bytes.withUnsafeBufferPointer { buf in
            if case .match(let r) = re.search(buf, scratch: scratch) { return r }
            return nil
        }
    }
}

extension EvalFunction {
    static let headerRegistry: [String: @Sendable (EvalContext, [String]) -> Int] = [
        "check_for_shifted_date": { ctx, args in
            let diff = Double(ctx.memo.value("date_diff") { HeaderEvals.dateDiff(ctx) })
            return HeaderEvals.within(diff, args, scale: 3600, upperOpen: true) ? 1 : 0
        },
        "subject_is_all_caps": { ctx, _ in HeaderEvals.subjectIsAllCaps(ctx) ? 1 : 0 },
        "check_for_to_in_subject": { ctx, args in HeaderEvals.toInSubject(ctx, test: args.first ?? "") ? 1 : 0 },
        "check_equal_from_domains": { ctx, _ in HeaderEvals.fromDomainsDiffer(ctx) ? 1 : 0 },
        "check_for_matching_env_and_hdr_from": { ctx, _ in
            // Two absent addresses match too, as in SpamAssassin.
            let env = HeaderEvals.firstLine(ctx.headerText(HeaderQuery(name: "EnvelopeFrom", modifier: .addr)))
            let from = HeaderEvals.firstLine(ctx.headerText(HeaderQuery(name: "From", modifier: .addr)))
            return env.lowercasedASCIIBytes() == from.lowercasedASCIIBytes() ? 1 : 0
        },
        "check_illegal_chars": { ctx, args in HeaderEvals.illegalChars(ctx, args) ? 1 : 0 },
        "check_header_count_range": { ctx, args in HeaderEvals.headerCountInRange(ctx, args) ? 1 : 0 },
        "sorted_recipients": { ctx, _ in
            ctx.memo.value("recipients") { HeaderEvals.recipients(ctx) }.sorted ? 1 : 0
        },
        "similar_recipients": { ctx, args in
            let similar = ctx.memo.value("recipients") { HeaderEvals.recipients(ctx) }.similar
            return HeaderEvals.within(similar, args, scale: 1, upperOpen: true) ? 1 : 0
        },
        "check_ratware_name_id": { ctx, _ in HeaderEvals.ratwareNameID(ctx) ? 1 : 0 },
        "check_outlook_message_id": { ctx, _ in HeaderEvals.outlookMessageIDInvalid(ctx) ? 1 : 0 },
        "check_unresolved_template": { ctx, _ in HeaderEvals.unresolvedTemplate(ctx) ? 1 : 0 },
        "helo_ip_mismatch": { ctx, _ in HeaderEvals.heloIPMismatch(ctx.views.relays) ? 1 : 0 },
        "check_all_trusted": { ctx, _ in
            let r = ctx.views.relays
            return !r.trusted.isEmpty && r.untrusted.isEmpty && r.unparseable == 0 ? 1 : 0
        },
        "check_no_relays": { ctx, _ in
            let r = ctx.views.relays
            return r.trusted.isEmpty && r.untrusted.isEmpty && r.unparseable == 0 ? 1 : 0
        },
        "check_relays_unparseable": { ctx, _ in ctx.views.relays.unparseable > 0 ? 1 : 0 },
        // MIMEEval.pm: a flag the parser set on the message.
        "check_msg_parse_flags": { ctx, args in
            guard let name = args.last?.trimmingASCII(.spaces) else { return 0 }
            return ctx.views.message.parseFlags.contains(name) ? 1 : 0
        },
    ]
}

enum HeaderEvals {
    /// `(MIN eq 'undef' || v >= MIN*scale) && (MAX eq 'undef' || v < MAX*scale)`.
    static func within(_ value: Double, _ args: [String], scale: Double, upperOpen: Bool) -> Bool {
        guard args.count >= 2 else { return false }
        let low = args[0].trimmingASCII(.spaces), high = args[1].trimmingASCII(.spaces)
        if low != "undef" {
            guard let l = Double(low) else { return false }
            if value < l * scale { return false }
        }
        if high != "undef" {
            guard let h = Double(high) else { return false }
            if upperOpen ? value >= h * scale : value > h * scale { return false }
        }
        return true
    }

    /// The first line of a header text (`:addr` gives one address a line;
    /// SpamAssassin's scalar `get` the first), empty when absent.
    static func firstLine(_ text: [UInt8]?) -> [UInt8] {
        guard let text else { return [] }
        return Array(text.prefix { $0 != 10 })
    }

    static func lines(_ text: [UInt8]?) -> [[UInt8]] {
        guard let text else { return [] }
        return text.split(separator: 10).map(Array.init)
    }

    static func values(_ ctx: EvalContext, _ name: String) -> [[UInt8]] {
        let lname = name.lowercased()
        return ctx.views.message.headers.filter { $0.isNamed(lname) }.map(\.rawValue)
    }

    // MARK: Dates

    static let localFrom = try! Regex(#"\bfrom (?:localhost\s|(?:\S+ ){1,2}\S*\b127\.0\.0\.1\b)"#)
    static let qmailInvoked = try! Regex(#"qmail \d+ invoked by uid \d+"#)
    static let fetchmail = try! Regex(#"\bby localhost with \w+ \(fetchmail-[\d.]+"#)

    /// The first `\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+` in a line (the
    /// date a Received header ends with), read by hand.
    static func receivedDate(_ b: [UInt8]) -> Range<Int>? {
        func digit(_ i: Int) -> Bool { i < b.count && b[i] >= 48 && b[i] <= 57 }
        func nonSpace(_ i: Int) -> Bool { i < b.count && !b[i].isASCIIWhitespaceByte }
        func digits(_ i: Int) -> Int? {
            var j = i
            while digit(j) { j += 1 }
            return j > i ? j : nil
        }
        func space(_ i: Int) -> Bool { i < b.count && b[i] == 32 }
        /// The rest after `.?`: its end, if it matches from `k`.
        func rest(_ k: Int) -> Int? {
            guard var j = digits(k), space(j) else { return nil }
            j += 1
            guard nonSpace(j), nonSpace(j + 1), nonSpace(j + 2), space(j + 3) else { return nil }
            j += 4
            guard let y = digits(j), space(y) else { return nil }
            j = y + 1
            guard let h = digits(j), h < b.count, b[h] == 58, let m = digits(h + 1), m < b.count, b[m] == 58,
                  let sEnd = digits(m + 1), space(sEnd) else { return nil }
            j = sEnd + 1
            guard nonSpace(j) else { return nil }
            while nonSpace(j) { j += 1 }
            return j
        }
        for i in b.indices where b[i].isASCIIWhitespaceByte {
            // `.?` is greedy: one character first (not a line break), then none.
            if i + 1 < b.count, b[i + 1] != 10, let e = rest(i + 2) { return i..<e }
            if let e = rest(i + 1) { return i..<e }
        }
        return nil
    }

    /// HeaderEval.pm `_check_date_diff`: the Date (or Resent-Date) header's
    /// time less the nearest of the Received headers' times, in seconds; 0
    /// when either is missing. A mail fetcher's local hand-overs on top
    /// are left out, and the oldest Received time when it equals the Date.
    static func dateDiff(_ ctx: EvalContext) -> Int {
        var dateTime: Int? = nil
        search: for name in ["Resent-Date", "Date"] {
            for value in values(ctx, name) where !value.isEmpty {
                if let t = MailDate.parse(value) { dateTime = t; break search }
            }
        }
        guard let dateTime else { return 0 }
        var received = lines(ctx.headerText(HeaderQuery(name: "Received"))).filter { $0.contains { !$0.isASCIIWhitespaceByte } }
        guard !received.isEmpty else { return 0 }
        var local: [[UInt8]] = []
        if ctx.memo.matches(localFrom, received[0]) || ctx.memo.matches(qmailInvoked, received[0]) {
            local.append(received.removeFirst())
        }
        if let first = received.first, ctx.memo.matches(fetchmail, first) {
            local.append(received.removeFirst())
        } else if !local.isEmpty {
            received.insert(local.removeFirst(), at: 0)
        }
        var times: [Int] = []
        for line in received {
            if let r = receivedDate(line), let t = MailDate.parse(Array(line[r])) { times.append(t) }
        }
        guard !times.isEmpty else { return 0 }
        var diffs = times.map { dateTime - $0 }
        if diffs.count > 1 && diffs.last == 0 { diffs.removeLast() }
        return diffs.min { abs($0) < abs($1) } ?? 0
    }

    // MARK: Subject

    /// Charsets whose subjects read as capitals without being shouted
    /// (Constants.pm CHARSETS_LIKELY_TO_FP_AS_CAPS), in an encoded word.
    static let capsCharset = try! Regex(#"=\?[-_a-z0-9]*(?:koi|jp|jis|euc|gb|big5|isoir|cp1251|windows-1251|georgianps|pt154|tis)[-_a-z0-9]*\?"#,
                                        options: .caseless)
    static let replyPrefixes = try! Regex(#"^(?:(?:Re|Fwd|Fw|Aw|Antwort|WG|SV|VB|VS|VL):\s*)+"#, options: .caseless)

    /// HeaderEval.pm `subject_is_all_caps`: a subject of several words, 10
    /// bytes or more once trimmed of reply prefixes, whose letters are all
    /// capitals.
    static func subjectIsAllCaps(_ ctx: EvalContext) -> Bool {
        guard let raw = ctx.headerText(HeaderQuery(name: "Subject")) else { return false }
        var s = Array(raw.drop { $0.isASCIIWhitespaceByte })
        while let last = s.last, last.isASCIIWhitespaceByte { s.removeLast() }
        if let r = ctx.memo.firstMatch(replyPrefixes, s) { s.removeSubrange(r) }
        guard s.contains(where: { $0.isASCIIWhitespaceByte }), s.count >= 10 else { return false }
        let letters = s.filter { b -> Bool in (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        if let encoded = ctx.headerText(HeaderQuery(name: "Subject", modifier: .raw)),
           ctx.memo.matches(capsCharset, encoded) { return false }
        return !letters.isEmpty && letters.allSatisfy { $0 >= 65 && $0 <= 90 }
    }

    /// HeaderEval.pm `check_for_to_in_subject`: the recipient's address
    /// ("address") or its local part ("user") in the subject, in the
    /// shapes of a personalised spam subject.
    static func toInSubject(_ ctx: EvalContext, test: String) -> Bool {
        let to = firstLine(ctx.headerText(HeaderQuery(name: "To", modifier: .addr)))
        guard !to.isEmpty else { return false }
        let subject = ctx.headerText(HeaderQuery(name: "Subject")) ?? []
        switch test.trimmingASCII(.spaces) {
        case "address": return addressInSubject(to.lowercasedASCIIBytes(), subject.lowercasedASCIIBytes())
        case "user": return userInSubject(Array(to.prefix { $0 != 64 }), subject)
        default: return false
        }
    }

    /// `\Q...\E` spelt out: every byte but letters, digits and `_`
    /// escaped, so that nothing in an address is read as syntax.
    static func quote(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            if b.isASCIIWordByte {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else if b < 128 {
                out += "\\" + String(Unicode.Scalar(b))
            } else {
                out += "\\x" + String(b, radix: 16)
            }
        }
        return out
    }

    /// `/\b\Q$to\E\b/i`, both sides lower-cased.
    static func addressInSubject(_ to: [UInt8], _ subject: [UInt8]) -> Bool {
        guard to.count <= subject.count else { return false }
        for i in 0...(subject.count - to.count) where subject[i..<(i + to.count)].elementsEqual(to) {
            // \b before and after: a word boundary at each end of the match.
            let beforeWord = i > 0 && subject[i - 1].isASCIIWordByte, firstWord = to[0].isASCIIWordByte
            let e = i + to.count
            let afterWord = e < subject.count && subject[e].isASCIIWordByte, lastWord = to[to.count - 1].isASCIIWordByte
            if beforeWord != firstWord && afterWord != lastWord { return true }
        }
        return false
    }

    /// The subject, from its start, as one of: `(re|fw):\s*(\w+\s+)?USER$`,
    /// `USER\s*[,:;!?-](?:$|\s)` (USER in its own case), `USER$`, or
    /// `,\s*USER[,:;!?-]$`, case-insensitively elsewhere; `$` at the end
    /// or before a final line break.
    static func userInSubject(_ user: [UInt8], _ subject: [UInt8]) -> Bool {
        let s = subject, n = s.count
        func atEnd(_ i: Int) -> Bool { i == n || (i == n - 1 && s[n - 1] == 10) }
        func userAt(_ i: Int, exactCase: Bool) -> Int? {
            guard i + user.count <= n else { return nil }
            let piece = Array(s[i..<(i + user.count)])
            return (exactCase ? piece == user : piece.lowercasedASCIIBytes() == user.lowercasedASCIIBytes()) ? i + user.count : nil
        }
        func spaces(_ i: Int) -> Int { var j = i; while j < n && s[j].isASCIIWhitespaceByte { j += 1 }; return j }
        let punctuation: Set<UInt8> = [44, 58, 59, 33, 63, 45]
        // (re|fw):\s*(\w+\s+)?USER$
        let head = s.prefix(3).lowercasedASCIIBytes()
        if head.elementsEqual("re:".utf8) || head.elementsEqual("fw:".utf8) {
            let j = spaces(3)
            if let e = userAt(j, exactCase: false), atEnd(e) { return true }
            var w = j
            while w < n && s[w].isASCIIWordByte { w += 1 }
            if w > j, w < n, s[w].isASCIIWhitespaceByte, let e = userAt(spaces(w), exactCase: false), atEnd(e) { return true }
            // \w+\s+ may also end earlier inside the spaces run.
            if w > j, w < n, s[w].isASCIIWhitespaceByte {
                var k = w + 1
                while k <= spaces(w) {
                    if let e = userAt(k, exactCase: false), atEnd(e) { return true }
                    k += 1
                }
            }
        }
        // USER\s*[,:;!?-](?:$|\s), USER in its own case.
        if let e = userAt(0, exactCase: true) {
            let p = spaces(e)
            if p < n, punctuation.contains(s[p]), atEnd(p + 1) || (p + 1 < n && s[p + 1].isASCIIWhitespaceByte) { return true }
            // \s* may give back spaces, but a punctuation mark must follow it.
        }
        // USER$
        if let e = userAt(0, exactCase: false), atEnd(e) { return true }
        // ,\s*USER[,:;!?-]$
        if n > 0, s[0] == 44 {
            var k = 1
            while true {
                if let e = userAt(k, exactCase: false), e < n, punctuation.contains(s[e]), atEnd(e + 1) { return true }
                guard k < n, s[k].isASCIIWhitespaceByte else { break }
                k += 1
            }
        }
        return false
    }

    // MARK: Addresses

    /// HeaderEval.pm `check_equal_from_domains`: the From address and the
    /// envelope sender in different second-level domains (the last two
    /// labels, lower-cased); nothing to compare is no hit.
    static func fromDomainsDiffer(_ ctx: EvalContext) -> Bool {
        func domain(_ address: [UInt8]) -> [UInt8] {
            guard let at = address.lastIndex(of: 64) else { return [] }
            let d = Array(address[(at + 1)...])
            // s/^.+\.([^.]+\.[^.]+)$/$1/: the last two labels, when more
            // precede them.
            let dots = d.indices.filter { d[$0] == 46 }
            guard dots.count >= 2 else { return d }
            let cut = dots[dots.count - 2]
            guard cut > 0, dots.last! < d.count - 1, dots.last! > cut + 1 else { return d }
            return Array(d[(cut + 1)...])
        }
        let from = domain(firstLine(ctx.headerText(HeaderQuery(name: "From", modifier: .addr))))
        let env = domain(firstLine(ctx.headerText(HeaderQuery(name: "EnvelopeFrom", modifier: .addr))))
        guard !from.isEmpty, !env.isEmpty else { return false }
        return from.lowercasedASCIIBytes() != env.lowercasedASCIIBytes()
    }

    /// HeaderEval.pm `_check_recipients`: whether the To/Cc addresses (7 or
    /// more) come sorted, and how alike they are (pairs sharing the first
    /// two bytes of the local part, or of different hosts' names), over 5
    /// or more.
    static func recipients(_ ctx: EvalContext) -> (sorted: Bool, similar: Double) {
        var inputs: [[UInt8]] = []
        for name in ["ToCc", "Bcc"] {
            inputs += lines(ctx.headerText(HeaderQuery(name: name, modifier: .addr)))
            if inputs.count >= 5 { break }
        }
        var addresses: [[UInt8]] = []
        var previous: [UInt8] = []
        for current in inputs {
            // Perl's `while (my $current = shift @inputs)` stops at "0".
            if current.isEmpty || current == [48] { break }
            if current.lowercasedASCIIBytes() != previous.lowercasedASCIIBytes() {
                addresses.append(current)
                previous = current
            }
            if addresses.count == 256 { break }
        }
        let sorted = addresses.count >= 7 && addresses == addresses.sorted { $0.lexicographicallyPrecedes($1) }
        var similar = 0.0
        if addresses.count >= 5 {
            let users = addresses.map { Array($0.prefix(2)) }
            // Hosts only of the addresses with an @, as Perl's map leaves
            // the others out (so later pairs may line up with other hosts).
            let fqhn = addresses.compactMap { a -> [UInt8]? in a.firstIndex(of: 64).map { Array(a[($0 + 1)...]) } }
            let hosts = fqhn.map { Array($0.prefix(2)) }
            var hits = 0, pairs = 0
            for i in addresses.indices {
                for j in (i + 1)..<addresses.count {
                    if users[i] == users[j] { hits += 1 }
                    let hi = i < hosts.count ? hosts[i] : [], hj = j < hosts.count ? hosts[j] : []
                    let fi = i < fqhn.count ? fqhn[i] : [], fj = j < fqhn.count ? fqhn[j] : []
                    if hi == hj && fi != fj { hits += 1 }
                    pairs += 1
                }
            }
            similar = Double(hits) / Double(pairs)
        }
        return (sorted, similar)
    }

    // MARK: Message-ID

    static let ratwareID = try! Regex(#"<[A-Z]{28}\.([^>]+?)>"#)

    /// HeaderEval.pm `check_ratware_name_id`: a Message-ID of 28 capitals,
    /// a dot and the From address, which appears quoted-name style.
    static func ratwareNameID(_ ctx: EvalContext) -> Bool {
        guard let mid = ctx.headerText(HeaderQuery(name: "MESSAGEID")),
              ctx.memo.matches(ratwareID, mid), let r = ratwareID.capture(1, in: mid),
              let from = ctx.headerText(HeaderQuery(name: "From")) else { return false }
        let pattern = #"\"[^\"]+\"\s*<"# + quote(Array(mid[r])) + ">"
        guard let re = try? Regex(pattern, jit: false) else { return false }
        return re.firstMatch(in: from) != nil
    }

    static let outlookID = try! Regex(#"^<[0-9a-f]{4}([0-9a-f]{8})\$[0-9a-f]{8}\$[0-9a-f]{8}\@"#)

    /// HeaderEval.pm `check_outlook_message_id`: an Outlook-style
    /// Message-ID whose time stamp is far (250 units) from both the Date
    /// header and the Received headers' date.
    static func outlookMessageIDInvalid(_ ctx: EvalContext) -> Bool {
        guard let id = ctx.headerText(HeaderQuery(name: "MESSAGEID")),
              ctx.memo.matches(outlookID, id), let r = outlookID.capture(1, in: id),
              let token = Int(String(decoding: id[r], as: UTF8.self), radix: 16) else { return false }
        let x = 0.0023283064365387, y = 27111902.8329849
        func expected(_ time: Int) -> Int { Int(Double(time) * x + y) }
        let date = ctx.headerText(HeaderQuery(name: "Date")).flatMap(MailDate.parse) ?? 0
        if abs(token - expected(date)) < 250 { return false }
        // SpamAssassin matches the last Received date but then parses the
        // whole Received text, whose first date wins.
        let time = ctx.headerText(HeaderQuery(name: "Received")).flatMap(MailDate.parse) ?? 0
        return abs(token - expected(time)) >= 250
    }

    // MARK: Characters

    /// HeaderEval.pm `check_illegal_chars(HEADER, RATIO, COUNT)`: 8-bit and
    /// control bytes in a raw header (valid UTF-8 without controls is
    /// allowed), at least COUNT of them and RATIO of its length; one
    /// cent, pound or registered sign in a Subject is let go.
    static func illegalChars(_ ctx: EvalContext, _ args: [String]) -> Bool {
        guard args.count >= 3, let ratio = Double(args[1].trimmingASCII(.spaces)),
              let count = Double(args[2].trimmingASCII(.spaces)) else { return false }
        var name = args[0].trimmingASCII(.spaces)
        if name.hasSuffix(":raw") { name.removeLast(4) }
        guard let s = ctx.headerText(HeaderQuery(name: name, modifier: .raw)),
              s.contains(where: { !$0.isASCIIWhitespaceByte }) else { return false }
        func isControl(_ c: UInt8) -> Bool { c <= 8 || c == 11 || c == 12 || (c >= 14 && c <= 31) }
        if s.contains(where: { $0 >= 128 }), String(validating: s, as: UTF8.self) != nil, !s.contains(where: isControl) {
            return false
        }
        var illegal = s.reduce(0) { $0 + (isControl($1) || $1 >= 127 ? 1 : 0) }
        if illegal > 0, name.lowercased() == "subject" {
            let exempt = s.reduce(0) { $0 + ($1 == 0xa2 || $1 == 0xa3 || $1 == 0xae ? 1 : 0) }
            if exempt == 1 { illegal -= 1 }
        }
        return Double(illegal) / Double(s.count) >= ratio && Double(illegal) >= count
    }

    /// HeaderEval.pm `check_header_count_range(HEADER, MIN, MAX)`: how many
    /// different values the header has.
    static func headerCountInRange(_ ctx: EvalContext, _ args: [String]) -> Bool {
        guard args.count >= 3, let low = Double(args[1].trimmingASCII(.spaces)),
              let high = Double(args[2].trimmingASCII(.spaces)) else { return false }
        var seen = Set<[UInt8]>()
        for v in values(ctx, args[0].trimmingASCII(.spaces)) {
            // Unfolded as SpamAssassin's get_header gives it.
            var u: [UInt8] = []
            var i = 0
            while i < v.count {
                if v[i] == 13 || v[i] == 10 { i += 1; continue }
                u.append(v[i]); i += 1
            }
            seen.insert(Array(u.drop { $0 == 32 || $0 == 9 }))
        }
        return Double(seen.count) >= low && Double(seen.count) <= high
    }

    /// Headers where a `%TAG` is no template left over.
    static let templateExempt: Set<String> = [
        "x-vms-to", "x-uidl", "x-face", "to", "cc", "from", "subject", "references", "in-reply-to",
        "message-id", "x-message-id", "resent-message-id", "x-original-message-id",
    ]

    /// HeaderEval.pm `check_unresolved_template`: a `%TAG` (`%[A-Z][A-Z_-]`)
    /// left in a header other than the addressing and ID ones.
    static func unresolvedTemplate(_ ctx: EvalContext) -> Bool {
        guard let text = ctx.headerText(HeaderQuery(name: "ALL")) else { return false }
        func upper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
        var i = 0
        while i + 2 < text.count {
            guard text[i] == 37, upper(text[i + 1]), upper(text[i + 2]) || text[i + 2] == 95 || text[i + 2] == 45 else {
                i += 1
                continue
            }
            // The tag's line (a tag holds no line break): its header's name
            // decides, the text before the line's first colon.
            let start = text[..<i].lastIndex(of: 10).map { $0 + 1 } ?? 0
            let end = text[i...].firstIndex(of: 10) ?? text.count
            guard let colon = text[start..<end].firstIndex(of: 58) else { return true }
            let name = String(decoding: text[start..<colon].lowercasedASCIIBytes(), as: UTF8.self)
            if !templateExempt.contains(name) { return true }
            i = end + 1
        }
        return false
    }

    // MARK: Relays

    /// RelayEval.pm `helo_ip_mismatch`: an untrusted relay that said HELO
    /// with a public IPv4 address outside its own address's /24.
    static func heloIPMismatch(_ relays: Relays) -> Bool {
        func publicIPv4(_ s: String) -> Bool {
            guard !s.isEmpty, s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 }),
                  let a = IPAddress(Substring(s)), a.bytes.count == 4 else { return false }
            return !a.isPrivate
        }
        for relay in relays.untrusted {
            let helo = relay.helo
            guard publicIPv4(helo), publicIPv4(relay.ip), helo != relay.ip else { continue }
            let parts = helo.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { continue }
            let prefix = parts.prefix(3).joined(separator: ".") + "."
            if !relay.ip.hasPrefix(prefix) { return true }
        }
        return false
    }
}
