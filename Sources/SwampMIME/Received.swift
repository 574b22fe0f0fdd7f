// Received headers → relays, after SpamAssassin's Message/Metadata/
// Received.pm: each header is unfolded, its date and trailing `;` removed,
// `id`, `helo`, `by` and authentication read from anywhere in the line, and
// the "from" clause read in the shapes common MTAs write (sendmail, Postfix,
// Exim, qmail, Exchange, ...). A line that yields no IP address and no `by`
// is not a relay, as in SpamAssassin. This is a hand-written reading of
// those shapes, not a port of the Perl regexes.

struct RelayParse {
    var relay: Relay
    var isPrivate: Bool
    var authenticated: Bool
}

enum ReceivedParser {
    // MARK: token helpers over a normalized ASCII line

    static func isIPChar(_ c: UInt8) -> Bool { c.isHexDigit || c == 58 || c == 46 }

    /// An IP address literal starting at i (IPv4 or IPv6, optional `IPv6:`).
    static func ipAt(_ s: [UInt8], _ i: Int) -> (String, Int)? {
        var j = i
        if s.count - j >= 5, s[j..<(j + 5)].equalsLowercase("ipv6:") { j += 5 }
        let st = j
        while j < s.count && isIPChar(s[j]) { j += 1 }
        guard j > st else { return nil }
        var text = Substring(String(decoding: s[st..<j], as: UTF8.self))
        // Trailing dots or colons never belong to the address.
        while let l = text.last, l == "." || l == ":" {
            text = text.dropLast()
            if IPAddress(text) != nil { j -= 1; break }
            j -= 1
        }
        guard IPAddress(text) != nil else {
            // IPv4 with a `.port` or `:port` suffix
            if let dot = text.lastIndex(where: { $0 == ":" || $0 == "." }), IPAddress(text[..<dot]) != nil,
               text[text.index(after: dot)...].allSatisfy({ $0.isNumber }) {
                let ip = String(text[..<dot])
                return (ip, st + ip.utf8.count)
            }
            return nil
        }
        return (String(decoding: s[i..<j], as: UTF8.self), j)
    }

    static func token(_ s: [UInt8], _ i: Int) -> (String, Int) {
        var j = i
        while j < s.count && s[j] != sp { j += 1 }
        return (String(decoding: s[i..<j], as: UTF8.self), j)
    }

    // The needles are literals: their bytes are read in place (an array
    // made of each, dozens a line, cost more than the searches).
    static func find(_ s: [UInt8], _ needle: String, from: Int = 0) -> Int? {
        var needle = needle
        return needle.withUTF8 { firstIndexOf($0, in: s, from: from) }
    }

    static func findCI(_ s: [UInt8], _ needle: String, from: Int = 0) -> Int? {
        var needle = needle
        return needle.withUTF8 { firstIndexOfCI($0, in: s, from: from) }
    }

    // The shapes, built once.
    static let heloEhlo = Pat.alt([[L("HELO")], [L("EHLO")]])
    static let envSender = Pat.opt([L(" (envelope-sender <"), S, L(">)")])
    static let p1 = LinePattern([L("from "), C(1, S), L(" by "), .notIn(ByteSet(" \t\n\r;"), min: 1), .opt([L(" ")]), L(";")])
    static let p2 = LinePattern([L("from "), .gap, .alt([[L("])")], [L(")]")]]), L(" (AUTH: "),
                            C(1, .alt([[L("LOGIN")], [L("PLAIN")], [L("DIGEST-MD5")], [L("CRAM-MD5")]])), L(" "), S, .opt([L(", "), .gap]), L(") by ")])
    static let p3 = LinePattern([L("from "), .gap, .alt([[L("]"), .opt([L(" ("), .notIn(ByteSet(")"), min: 0), L(")")]), L(")")], [L(")]")]]), L(" "), .gap, L("("), .gap, L("authenticated"), .gap, L(")"), .gap, L(" by")])
    static let p4 = LinePattern([L(") by "), .gap, L(" ("), .digits(min: 1), L("."), .digits(min: 1), L("."), .digits(min: 3),
                             .opt([L("."), .digits(min: 1)]), L(") (authenticated as "), .gap, L(") id ")])
    static let p5 = LinePattern([L(") (Authenticated sender: "), S, L(") by "), S, L(" ("), C(1, .notIn(ByteSet(")"), min: 1)), L(") with ")])
    static let p6 = LinePattern([L("from "), S0, L(" ("), .alt([[L("HELO")], [L("EHLO")]]), L(" "), S0, L(") ["), IP, L("] by "),
                              C(3, L("mail.gmx."), .alt([[L("net")], [L("com")]])), L(" ("), .notIn(ByteSet(")"), min: 1), L(") with "),
                              C(4, .alt([[L("ESMTP")], [L("SMTP")]]))])
    static let p7 = LinePattern([L("by "), C(1, S), L(" with HTTP")])
    static let p8 = LinePattern([C(1, S0), L(" (["), C(2, IP), L("]"), .notIn(ByteSet(")"), min: 0), L(") by "), C(3, S), L(" with Microsoft SMTPSVC")])
    static let p9 = LinePattern([L("mail pickup service by "), S, L(" with Microsoft SMTPSVC"), .end])
    static let p10 = LinePattern([L(" with "), .alt([[L("Microsoft SMTP Server")], [L("mapi id")]]), L(" "), .opt([L("("), .notIn(ByteSet(")"), min: 1), L(") ")]), .digits(min: 1), L("."), .digits(min: 1), L("."), .digits(min: 1), L("."), .digits(min: 1), .alt([[.end], [L(" ")]])])
    static let p11 = LinePattern([C(1, S), L(" ("), .opt([L("[")]), C(2, IP), .opt([L("%"), .anyIn(ByteSet("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-"), min: 0)]), .opt([L("]")]), L(") by "), C(3, S), L(" ")])
    static let p12 = LinePattern([L("(["), C(1, IP), L(":"), .digits(min: 1), L("] helo="), C(2, S), L(") by "), C(3, S), L(" ")])
    static let p13 = LinePattern([S, L(" (["), C(1, IP), L(":"), .digits(min: 1), L("]) by "), C(2, S), L(" ")])
    static let p14 = LinePattern([L("with local-"), S, L(" ")])
    static let p15 = LinePattern([L("["), C(1, IP), L("] ("), C(2, .gap), L(") by "), C(3, S), L(" ")])
    static let p16 = LinePattern([C(1, S), L(" (["), C(2, IP), L("]"), C(3, .gap), L(") by "), C(4, S), L(" ")])
    static let p17 = LinePattern([C(1, S), L(" ["), C(2, IP), L("]"), .opt([L(":"), .digits(min: 1)]), L(" by "), C(4, S), L(" ")])
    static let p18 = LinePattern([C(1, S), L(" ")])
    static let p19 = LinePattern([L(" ("), C(1, S), L(") ")])
    static let p20 = LinePattern([L(" ["), C(1, IP), .opt([L("."), .digits(min: 1)]), L("] ")])
    static let p21 = LinePattern([L("by "), C(1, S), L(" ")])
    static let p22 = LinePattern([C(1, S), L(" ("), C(2, S), L(" ["), C(3, IP), L("]) by "), C(4, S), L(" ")])
    static let p23 = LinePattern([C(1, S), L(" ("), C(2, S), L("["), C(3, IP), L("]) by "), C(4, S), L(" ")])
    static let p24 = LinePattern([C(1, S), L(" ("), .opt([L(" ")]), C(2, IP), L(") by "), C(3, S)])
    static let p25 = LinePattern([C(1, S), L(" (["), C(2, IP), L("]) by "), C(3, S), L(" (Lotus")])
    static let p26 = LinePattern([C(1, S), L(" ("), C(2, S), L(" ["), C(3, IP), L("]) BY "), C(4, S), L(" "),
                        .opt([L("("), .notIn(ByteSet(")"), min: 1), L(") WITH SMTP ")]), L("ID "), .opt([L("<")]),
                        C(5, .nonSpace(min: 1)), .opt([L(">")]), .opt([L(" FOR <"), .notIn(ByteSet(">"), min: 1), L(">")]), .end])
    static let p27 = LinePattern([C(1, S0), L(" ["), C(2, IP), L("]) by "), C(3, S), L(" (NAVGW "), .gap, L(") with ")])
    static let p28 = LinePattern([L("["), C(1, IP), L("]")])
    static let p29 = LinePattern([C(1, IP), L(" (["), IP, L("]) by "), C(2, S)])
    static let p30 = LinePattern([L(" by "), S, L(" (qmail-"), S, L(") with ")])
    static let p31 = LinePattern([C(1, S), L(" ("), C(2, S), L(" ["), C(3, IP), L("]"), .rest, L(") by "), C(4, S), L(" (")])
    static let p32 = LinePattern([C(1, S), L(" ("), C(2, S), L(" ["), C(3, IP), L("]) by "), C(4, S), L(" with "), S, L(" (")])
    static let p33 = LinePattern([C(1, S), L(" (["), C(2, IP), L("] helo="), C(3, S), L(") by "), C(4, S), L(" with ")])
    static let p34 = LinePattern([C(1, S), L(" (<unknown"), S0, L(">["), C(2, IP), L("]) by "), C(3, S), L(" ")])
    static let p35 = LinePattern([C(1, S), L(" ("), C(2, S, L("."), S), L("["), C(3, IP), L("]) by "), C(4, S), L(" ")])
    static let p36 = LinePattern([C(1, S), L(" ("), C(2, S0), L("@["), C(3, IP), L("]"), .rest, L(") by "), C(4, S), L(" (")])
    static let p37 = LinePattern([L("by "), C(1, S, L(".hotmail.msn.com")), L(" ")])
    static let p38 = LinePattern([C(1, IP), L(" ")])
    static let p39 = LinePattern([C(1, S), L(" ("), Self.heloEhlo, L(" "), C(2, S0), L(") ("), C(3, IP), L(") by "), C(4, S), L(" (qpsmtpd/"), S, L(") with "), .alt([[L("ESMTP")], [L("SMTP")]])])
    static let p40 = LinePattern([C(1, S), L(" (LHLO "), C(2, S0), L(") ("), C(3, IP), L(") by "), C(4, S), L(" with LMTP")])
    static let p41 = LinePattern([C(1, S), L(" ("), Self.heloEhlo, L(" "), C(2, S0), L(") ["), C(3, IP), L("] by "), C(4, S), L(" ("), .notIn(ByteSet(")"), min: 1), L(") with "), .alt([[L("ESMTP")], [L("SMTP")]])])
    static let p42 = LinePattern([C(1, S), L(" (["), C(2, IP), L("]) by "), C(3, S), L(" via smtpd (for "), S, L(") with SMTP(")])
    static let p43 = LinePattern([S, .opt([L(" ("), Self.heloEhlo, L(" "), S0, L(")")]), L(" ("), .opt([S, L("@")]), .opt([L("[")]), IP, .opt([L("]")]), L(")"), Self.envSender, L(" by "), S, .opt([L(" ("), .rest, L(")")]), L(" with "), .opt([.rest, L(" ")]), .alt([[L("SMTP")], [L("QMQP")]])])
    static let p44 = LinePattern([C(1, S), L(" ("), Self.heloEhlo, L(" "), C(2, .notIn(ByteSet(" ()"), min: 0)), L(") ("), C(3, S0), L("@"), .opt([L("[")]), C(4, IP), .opt([L("]")]), L(")"), Self.envSender, L(" by "), C(6, S)])
    static let p45 = LinePattern([C(1, S), L(" ("), Self.heloEhlo, L(" "), C(2, .notIn(ByteSet(" ()"), min: 0)), L(") ("), .opt([L("[")]), C(3, IP), .opt([L("]")]), L(")"), Self.envSender, L(" by "), C(5, S)])
    static let p46 = LinePattern([C(1, S), L(" ("), C(2, S0), L("@"), .opt([L("[")]), C(3, IP), .opt([L("]")]), L(")"), Self.envSender, L(" by "), C(5, S)])
    static let p47 = LinePattern([C(1, S), L(" ("), .opt([L("[")]), C(2, IP), .opt([L("]")]), L(")"), Self.envSender, L(" by "), C(4, S)])
    static let p48 = LinePattern([L("["), C(1, IP), L("] by "), C(2, S), L(" via HTTP"), .end])
    static let p49 = LinePattern([C(1, S), L(" ( ["), C(2, IP), L("])"), .gap, L(" by "), C(3, S), L(" ")])
    static let p50 = LinePattern([L("("), C(1, S), L(" ["), C(2, IP), L("]) by "), C(3, S), L(" ")])
    static let p51 = LinePattern([L("["), C(1, IP), L("] by "), C(2, S), L(" ")])
    static let p52 = LinePattern([L("("), .opt([L("[")]), C(1, IP), .opt([L("]")]), L(") by "), C(2, S), L(" ")])
    static let p53 = LinePattern([C(1, S), L(" ["), C(2, IP), L("] by "), C(3, S), L(" ["), IP, L("] with ")])
    static let p54 = LinePattern([C(1, S), L(" [("), C(2, IP), L(")] by "), C(3, S), L(" ("), IP, L(") ")])
    static let p55 = LinePattern([C(1, S), L(" (["), C(2, IP), L("]) by "), C(3, S), L(" (")])
    static let p56 = LinePattern([C(1, S), L(" ("), C(2, S), L(" ["), C(3, IP), L("])"), .gap, L(" by "), C(4, S), .wordBoundaryAfter])
    static let p57 = LinePattern([C(1, S), L(" (["), C(2, IP), .opt([.anyIn(ByteSet(".:"), min: 1), .digits(min: 1)]), L("])"), .gap, L(" by "), C(3, S), L(" ")])
    static let p58 = LinePattern([C(1, S), L(" ("), C(2, S), L(" ["), C(3, IP), L("])"), .opt([L(" (authenticated bits="), .digits(min: 1), L(")")]), L(" by "), C(4, S), L(" (")])
    static let p59 = LinePattern([C(1, S), L(" ("), Self.heloEhlo, L(" "), C(2, .notIn(ByteSet(")"), min: 0)), L(") ("), C(3, .opt([S0, L("@")])), .opt([L("[")]), C(4, IP), .opt([L("]")]), L(")"), .rest, L(" by "), C(5, S), L(" ")])
    static let p60 = LinePattern([C(1, S), L(" ("), C(2, .opt([S0, L("@")])), .opt([L("[")]), C(3, IP), .opt([L("]")]), L(")"), .rest, L(" by "), C(4, S), L(" ")])
    static let p61 = LinePattern([L("["), C(1, IP), L("] by "), C(2, S), L(" with http for ")])
    static let p62 = LinePattern([C(1, S), L("("), C(2, IP), L(") by "), C(3, S), L(" via smap ")])
    static let p63 = LinePattern([C(1, S), L("("), C(2, IP), L(", "), Self.heloEhlo, L(" "), C(3, S0), L(") by "), C(4, S), L(" via smap ")])
    static let p64 = LinePattern([L("["), C(1, IP), L("] by "), C(2, S), L(" (Post")])
    static let p65 = LinePattern([L("["), C(1, IP), L("] by "), C(2, S), L(" (ArGoSoft")])
    static let p66 = LinePattern([C(1, IP), L(" by "), C(2, S), L(" ("), .alt([[L("SMTPL")], [L("InterScan")]]), .wordBoundaryAfter])
    static let p67 = LinePattern([S, L(" by "), S, L(" with BSMTP")])
    static let p68 = LinePattern([C(1, S), L(" ("), C(2, S), L(" ["), C(3, IP), L("]) by "), C(4, S), L(" with ")])
    static let p69 = LinePattern([C(1, S), L(" ("), Self.heloEhlo, L(" "), C(2, S0), L(") ("), .opt([C(3, S), L("@")]), C(4, IP), .gap, L(") by "), C(5, S), L(" with ")])
    static let p70 = LinePattern([L("["), C(1, IP), L("] ("), .opt([L("account "), S, L(" ")]), Self.heloEhlo, L(" "), C(2, S0), L(") by "), C(3, S), L(" (")])
    static let p71 = LinePattern([C(1, S), L(" (["), C(2, IP), L("] verified) by "), C(3, S), L(" (")])
    static let p72 = LinePattern([L("(["), C(1, IP), L("]) by "), C(2, S), L(" with ")])
    static let p73 = LinePattern([C(1, S), L(" ("), C(2, IP), L(") by "), C(3, S), L(" ")])
    static let p74 = LinePattern([S, L(" ("), S, L(") by "), S, L(" (Content Technologies ")])
    static let p75 = LinePattern([C(1, S), L(" (["), C(2, IP), L("] ["), S, L("]) by "), C(4, S), L(" with ")])
    static let p76 = LinePattern([C(1, IP), L(" by "), C(2, S), L(" with ")])
    static let p77 = LinePattern([C(1, S), L(" ("), C(2, S), L("["), C(3, IP), L("]) by "), C(4, S), L(" ")])
    static let p78 = LinePattern([L("["), C(1, IP), L("]"), S, L(" ("), Self.heloEhlo, L(" "), C(2, S0), L(") by "), C(3, S), L(" ")])
    static let p79 = LinePattern([C(1, IP), L(" ("), Self.heloEhlo, L(" "), C(2, S0), L(") by "), C(3, S), L(" ")])
    static let p80 = LinePattern([C(1, S), L(" ["), C(2, IP), L("] by "), C(3, S), L(" ")])
    static let p81 = LinePattern([C(1, S), L("("), C(2, IP), L(") by "), C(3, S), L(" ")])
    static let p82 = LinePattern([L("["), C(1, IP), L("] by "), C(2, S), L(" (MailGate ")])
    static let p83 = LinePattern([C(1, S), L(" (unverified ["), C(2, IP), L("]) by "), C(3, S), L(" ")])
    static let p84 = LinePattern([C(1, IP), L(" ("), .anyIn(ByteSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), min: 1), .notIn(ByteSet(")"), min: 0), L(") by "), C(2, S), L(" with ")])
    static let p85 = LinePattern([L("["), C(1, IP), L("] ("), C(2, .notIn(ByteSet(")"), min: 1)), L(") by "), C(3, S), L(" ")])
    static let p86 = LinePattern([C(1, S), L(" ("), .opt([S, L("@")]), C(2, IP), L(") by "), C(3, S), L(" with ")])
    static let p87 = LinePattern([C(1, S), L("("), C(2, IP), L(")"), .opt([L(", claiming to be \""), C(3, S), L("\"")]), L(" via "), S, L(" by "), C(4, S), L(",")])
    static let p88 = LinePattern([C(1, S), L(" ("), S, L("@"), C(3, IP), L(" with login) by "), C(4, S, L(".yahoo.com")), L(" with SMTP")])
    static let p89 = LinePattern([L("X-Originating-IP: "), C(1, IP), .end])

    /// `skip`: not a hop (SpamAssassin's `return 0`); `unparseable`: a hop
    /// it could not read (its `return undef`, counted as
    /// `num_relays_unparseable`).
    enum Outcome { case relay(RelayParse), skip, unparseable, fetchMarker }

    /// Parses one unfolded Received value. nil: not a relay.
    static func parse(_ value: [UInt8]) -> RelayParse? {
        if case .relay(let r) = parseLine(value) { return r }
        return nil
    }

    static let weekdays: [[UInt8]] = ["Mon", "Tue", "Thu", "Wed", "Fri", "Sat", "Sun"].map { Array($0.utf8) }
    static let months: [[UInt8]] = ["Jan", "Jun", "Jul", "Feb", "Mar", "May", "Apr", "Aug", "Sep", "Oct", "Nov", "Dec"].map { Array($0.utf8) }
    static let fromWord: [UInt8] = Array("from ".utf8), parenFromWord: [UInt8] = Array("(from ".utf8)
    static let stripChars = ByteSet("#[]()<>|", extra: [0, 9, 10, 11, 12, 13, 32])
    static let heloChars = ByteSet("-.^+_&:=?!@%*$\\/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// Length of a trailing `[\s;]+(Day, )?D Mon YYYY HH:MM(:SS)? ZONE` date.
    static func trailingDateStart(_ s: [UInt8]) -> Int? {
        // Walk the candidate positions of the separator run.
        var i = 0
        while i < s.count {
            if s[i] == sp || s[i] == 59 {
                var j = i
                while j < s.count && (s[j] == sp || s[j] == 59) { j += 1 }
                if dateTail(s, j) { return i }
                i = j
            } else { i += 1 }
        }
        return nil
    }

    static func dateTail(_ s: [UInt8], _ p: Int) -> Bool {
        var j = p
        func word(_ list: [[UInt8]]) -> Bool {
            for u in list where s.count - j >= u.count && s[j] == u[0] && s[j + 1] == u[1] && s[j + 2] == u[2] {
                j += u.count; return true
            }
            return false
        }
        guard p < s.count, s[p].isDigit || s[p] == 77 || s[p] == 84 || s[p] == 87 || s[p] == 70 || s[p] == 83 else { return false }
        func num() -> Bool { let st = j; while j < s.count && s[j].isDigit { j += 1 }; return j > st }
        func ch(_ c: UInt8) -> Bool { if j < s.count && s[j] == c { j += 1; return true }; return false }
        let save = j
        if !(word(weekdays) && ch(44) && ch(sp)) { j = save }
        guard num(), ch(sp), word(months), ch(sp), num(), ch(sp), num(), ch(58), num() else { return false }
        let save2 = j
        if !(ch(58) && num()) { j = save2 }
        guard ch(sp) else { return false }
        let st = j
        while j < s.count && !s[j].isSpace { j += 1 }
        return j > st && j == s.count
    }

    static func parseLine(_ value: [UInt8]) -> Outcome {
        // s/\s+/ /g; trim; drop trailing `;`s.
        var s: [UInt8] = []
        s.reserveCapacity(value.count)
        var inSpace = false
        for c in value {
            if c.isSpace { if !inSpace { s.append(sp) }; inSpace = true } else { s.append(c); inSpace = false }
        }
        if s.first == sp { s.removeFirst() }
        if s.last == sp { s.removeLast() }
        while s.last == 59 { s.removeLast(); if s.last == sp { s.removeLast() } }
        // Only lines starting with "from " (optionally after "(") are hops.
        let head = s.prefix(6).lowercasedASCII()
        guard head.starts(with: Self.fromWord) || head.starts(with: Self.parenFromWord) else { return .skip }
        if find(s, " with local for") != nil || s.starts(with: "with local for".utf8) { return .skip }
        // ^from (\S+) by [^\s;]+ ?;  (no IP literal as the name)
        var lmA = LineMatcher(s.lowercasedASCII())
        if lmA.match(Self.p1),
           let name = lmA.cap(1), !(name.hasPrefix("[") && name.hasSuffix("]") && name.dropFirst().dropLast().allSatisfy({ $0.isNumber || $0 == "." }) && name.count > 2) {
            return .skip
        }
        if let d = trailingDateStart(s) { s.removeSubrange(d...) }
        // s/\)by /) by /
        if let r = find(s, ")by ") { s.insert(sp, at: r + 1) }
        var id = "", helo = "", by = "", ident = "", auth = "", rdns = "", ip = ""
        var envfrom: String? = nil
        if let at = find(s, " id ") {
            var j = at + 4
            if j < s.count && s[j] == 60 { j += 1 }
            let st = j
            while j < s.count && !s[j].isSpace && s[j] != 60 && s[j] != 62 && s[j] != 59 { j += 1 }
            if j - st >= 3 { id = String(decoding: s[st..<j], as: UTF8.self) }
        }
        func heloChar(_ c: UInt8) -> Bool { heloChars.contains(c) }
        func heloAfter(_ kw: String) -> String? {
            var from = 0
            while let at = find(s, kw, from: from) {
                from = at + 1
                if at > 0 && s[at - 1].isWord { continue }
                var j = at + kw.utf8.count
                let st = j
                while j < s.count && heloChar(s[j]) { j += 1 }
                if j > st { return String(decoding: s[st..<j], as: UTF8.self) }
            }
            return nil
        }
        if let h = heloAfter("helo=") { helo = h }
        else if let h = heloAfter("HELO ") ?? heloAfter("EHLO ") { helo = h }
        let hasBy = find(s, " by ") != nil
        if let at = find(s, " by ") {
            // (\S+)(?:[^-A-Za-z0-9;.]|$)
            var j = at + 4
            while j < s.count && !s[j].isSpace { j += 1 }
            var e = j
            while e > at + 4 {
                if e == s.count || !(s[e].isAlnum || s[e] == 45 || s[e] == 59 || s[e] == 46) { break }
                e -= 1
            }
            if e > at + 4 { by = String(decoding: s[(at + 4)..<e], as: UTF8.self) }
        }
        // Authentication markers.
        var lm = LineMatcher(s)
        if hasBy, let w = authWith(s) {
            auth = w
        } else if hasBy, find(s, " by mx.google.com with ESMTPS id ") != nil, let v = find(s, "(version="),
                  let c = find(s, " cipher=", from: v), let close = s[c...].firstIndex(of: 41) {
            auth = "GMail - transport=" + String(decoding: s[(v + 9)..<c], as: UTF8.self) + " cipher=" + String(decoding: s[(c + 8)..<close], as: UTF8.self)
        } else if lm.match(Self.p2) {
            auth = lm.cap(1) ?? ""
        } else if find(s, "authenticated") != nil,
                  lm.match(Self.p3) {
            auth = "Sendmail"
        } else if find(s, " (authenticated as ") != nil,
                  lm.search(Self.p4) {
            auth = "CriticalPath"
        } else if lm.search(Self.p5) {
            let w = lm.cap(1) ?? ""
            auth = w == "Postfix" ? w : "Postfix (\(w))"
        } else if lm.search(Self.p6) {
            auth = "GMX (\(lm.cap(4) ?? "") / \(lm.cap(3) ?? ""))"
        } else if find(s, "CommuniGate Pro ") != nil, find(s, " (account ") != nil,
                  ["HTTP", "SMTP", "XIMSS", "IMAP"].contains(where: { find(s, "CommuniGate Pro " + $0) != nil }) {
            auth = "Communigate"
        } else if find(s, " with Microsoft Exchange Server HTTP-DAV") != nil {
            auth = "HTTP-DAV"
        } else if hasBy, let v = findCI(s, " (via HTTP") {
            var j = v + 10
            if j < s.count && s[j] != 41 { j += 1 }
            if j < s.count && s[j] == 41 && (j + 1 == s.count || s[j + 1] == sp || s[j + 1] == 59) {
                auth = String(decoding: s[(v + 6)..<j], as: UTF8.self)
            }
        }
        var enough = false
        var lookedUp = false
        var fetch = false
        let lower5 = s.prefix(5)
        if lower5.elementsEqual("from ".utf8) {
            let f = Array(s[5...])
            var x = LineMatcher(f)
            // envelope sender
            if let (e) = envelopeSender(f) { envfrom = e }
            func set(_ h: Int?, _ r: Int?, _ i: Int?, _ b: Int?) {
                if let h { helo = x.cap(h) ?? "" }
                if let r { rdns = x.cap(r) ?? "" }
                if let i { ip = x.cap(i) ?? "" }
                if let b { by = x.cap(b) ?? "" }
                enough = true
            }
            let has = { (t: String) in find(f, t) != nil }
            if has(" (SquirrelMail authenticated user ") || has(" (NaSMail authenticated user ") {
                // (IP)\b(?![.-]).{10,80}by (\S+) with HTTP
                var st = 0
                while st < f.count && !enough {
                    if f[st].isDigit, st == 0 || !f[st - 1].isWord, let e = HostFinder.matchIP(f, st),
                       e >= f.count || (f[e] != 46 && f[e] != 45) {
                        var y = LineMatcher(Array(f[e...]))
                        for gapLen in 10...80 where e + gapLen < f.count {
                            if y.match(Self.p7, at: gapLen) {
                                ip = String(decoding: f[st..<e], as: UTF8.self); by = y.cap(1)!; enough = true; break
                            }
                        }
                    }
                    st += 1
                }
            }
            if enough {
            } else if has(" SMTPSVC") {
                if x.match(Self.p8) {
                    set(1, nil, 2, 3)
                } else if x.match(Self.p9) { return .skip }
            } else if x.search(Self.p10) {
                if x.match(Self.p11) {
                    set(1, nil, 2, 3); id = ""
                }
            } else if has("(ecelerity") {
                if x.match(Self.p12) {
                    ip = x.cap(1)!; helo = x.cap(2)!; by = x.cap(3)!; enough = true
                } else if x.match(Self.p13) {
                    ip = x.cap(1)!; by = x.cap(2)!; enough = true
                }
            } else if has("Exim") {
                if has(" with local ") || x.search(Self.p14) { return .skip }
                if x.match(Self.p15) {
                    ip = x.cap(1)!; by = x.cap(3)!
                    let sub = x.cap(2)!
                    if let h = sub.valueAfter("helo=") { helo = h }
                    if let i = sub.valueAfter("ident=", allowEmpty: true) { ident = i }
                    enough = true
                } else if x.match(Self.p16) {
                    rdns = x.cap(1)!; ip = x.cap(2)!; by = x.cap(4)!; helo = rdns
                    let sub = x.cap(3)!
                    if let h = sub.valueAfter("helo=") { helo = h }
                    if let i = sub.valueAfter("ident=", allowEmpty: true) { ident = i }
                    enough = true
                } else if x.match(Self.p17) {
                    rdns = x.cap(1)!; ip = x.cap(2)!; helo = rdns; by = x.cap(4)!; enough = true
                } else {
                    if x.match(Self.p18) { rdns = x.cap(1)! }
                    if x.search(Self.p19) { helo = x.cap(1)! }
                    if x.search(Self.p20) { ip = x.cap(1)! }
                    if x.search(Self.p21) { by = x.cap(1)!; if !ip.isEmpty { enough = true } }
                }
            } else if has(" (Postfix) with") {
                if x.match(Self.p22)
                    || x.match(Self.p23) {
                    set(1, 2, 3, 4); lookedUp = true
                    if rdns == "unknown" { rdns = "" }
                }
            } else if has("(Scalix SMTP Relay") {
                if x.match(Self.p24) { set(1, nil, 2, 3) }
            } else if has(" (Lotus Domino ") {
                if x.match(Self.p25) { set(1, nil, 2, 3) }
            }
            // `skip`: a shape SpamAssassin ignores (no hop, not unparseable).
            var skip = false
            if !enough { enough = genericFrom(&x, f, &helo, &rdns, &ip, &by, &ident, &lookedUp, &fetch, &skip) }
            if fetch { return .fetchMarker }
            if skip { return .skip }
            if !enough {
                if localSkip(f) { return .skip }
                if helo.isEmpty {
                    // ^(\S+)[^-A-Za-z0-9.]
                    var k = 0
                    while k < f.count && !f[k].isSpace { k += 1 }
                    var e = k
                    while e > 0 {
                        if e < f.count && !(f[e].isAlnum || f[e] == 45 || f[e] == 46) { break }
                        e -= 1
                    }
                    if e > 0 && e < f.count { helo = String(decoding: f[0..<e], as: UTF8.self) }
                }
            }
        } else if s.starts(with: "FROM ".utf8) {
            var x = LineMatcher(Array(s[5...]))
            if x.match(Self.p26) {
                helo = x.cap(1)!; rdns = x.cap(2)!; ip = x.cap(3)!; by = x.cap(4)!; id = x.cap(5)!
                if id.hasSuffix(">") { id.removeLast() }
                if id.hasPrefix("<") { id.removeFirst() }
                if rdns == "unverified" { rdns = "" }
                enough = true; lookedUp = true
            }
        } else if s.starts(with: "(from ".utf8) {
            var x = LineMatcher(Array(s[6...]))
            if x.match(Self.p27) {
                helo = x.cap(1)!; ip = x.cap(2)!; by = x.cap(3)!; enough = true
            } else if localParenFrom(Array(s[6...])) {
                return .skip
            }
            // Else, as any other line: a hop if an address and `by` are
            // found below, else unparseable.
        }
        if !enough {
            if ip.isEmpty {
                var x = LineMatcher(s)
                if x.search(Self.p28) { ip = x.cap(1)! }
            }
            guard !ip.isEmpty && !by.isEmpty else { return .unparseable }
        }
        // Clean-ups.
        while rdns.hasSuffix(".") { rdns.removeLast() }
        if rdns.lowercased() == "unknown" || rdns.hasPrefix("[") { rdns = "" }
        if ip.lowercased().hasPrefix("ipv6:") { ip.removeFirst(5) }
        if ip.hasPrefix("[") { ip.removeFirst() }
        if ip.hasSuffix("]") { ip.removeLast() }
        if let pct = ip.firstIndex(of: "%") { ip = String(ip[..<pct]) }
        if ip.utf8.contains(UInt8(ascii: ":")), let r = ip.range(of: "ffff:", options: .caseInsensitive), ip[..<r.lowerBound].allSatisfy({ $0 == "0" || $0 == ":" }),
           ip[..<r.lowerBound].filter({ $0 == ":" }).count >= 2, IPAddress.parseIPv4(ip[r.upperBound...]) != nil {
            ip = String(ip[r.upperBound...])
        }
        if by.hasSuffix(";") { by.removeLast() }
        func strip(_ v: String) -> String {
            // [\s\000#\[\]()<>|] -> '!'
            guard v.utf8.contains(where: { stripChars.contains($0) }) else { return v }
            return String(decoding: v.utf8.map { stripChars.contains($0) ? 33 : $0 }, as: UTF8.self)
        }
        let env = envfrom.map { e -> String in
            var t = Substring(e)
            while let f = t.first, f == "<" || f.isWhitespace { t = t.dropFirst() }
            while let l = t.last, l == ">" || l.isWhitespace { t = t.dropLast() }
            return strip(String(t))
        }
        var relay = Relay(ip: strip(ip), rdns: strip(rdns), helo: strip(helo), by: strip(by), ident: strip(ident),
                          envfrom: env ?? "", id: id, auth: auth, msa: false, isInternal: false)
        // SpamAssassin's no_reverse_dns: the hop's mailer looks names up
        // (mta_looked_up_dns: its header shape always shows one) and shows
        // none; other shapes without a name only do not say.
        relay.noReverseDNS = rdns.isEmpty && lookedUp
        let priv = IPAddress(Substring(ip))?.isPrivate ?? false
        return .relay(RelayParse(relay: relay, isPrivate: priv, authenticated: !auth.isEmpty))
    }

    /// ` with ((?:ES|L|UTF8S|UTF8L)MTPS?A|ASMTP|HTTP[SU]?)(?: |;|$)`, case-insensitive.
    static func authWith(_ s: [UInt8]) -> String? {
        var from = 0
        while let w = findCI(s, " with ", from: from) {
            from = w + 1
            var j = w + 6
            let st = j
            while j < s.count && s[j] != sp && s[j] != 59 { j += 1 }
            let tok = String(decoding: s[st..<j], as: UTF8.self)
            let u = tok.uppercased()
            let ok = ["ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "UTF8SMTPA", "UTF8SMTPSA", "UTF8LMTPA", "UTF8LMTPSA",
                      "ASMTP", "HTTP", "HTTPS", "HTTPU"].contains(u)
            if ok { return tok }
        }
        return nil
    }

    /// `(?:return-path:? |envelope-(?:sender|from)[ =])(\S+)\b`, case-insensitive.
    static func envelopeSender(_ f: [UInt8]) -> String? {
        let l = f.lowercasedASCII()
        var best: (Int, Int)? = nil  // (match start, value start)
        for kw in ["return-path: ", "return-path ", "envelope-sender ", "envelope-sender=", "envelope-from ", "envelope-from="] {
            if let at = find(l, kw), best == nil || at < best!.0 { best = (at, at + kw.utf8.count) }
        }
        guard let (_, vs) = best else { return nil }
        var e = vs
        while e < f.count && !f[e].isSpace { e += 1 }
        // \b: back off to the last word character followed by a non-word one
        while e > vs {
            let before = f[e - 1].isWord
            let after = e < f.count ? f[e].isWord : false
            if before != after { break }
            e -= 1
        }
        return e > vs ? String(decoding: f[vs..<e], as: UTF8.self) : nil
    }

    /// The generic shapes, tried in order; true when one matched.
    static func genericFrom(_ x: inout LineMatcher, _ f: [UInt8], _ helo: inout String, _ rdns: inout String, _ ip: inout String,
                            _ by: inout String, _ ident: inout String, _ lookedUp: inout Bool, _ fetch: inout Bool,
                            _ skip: inout Bool) -> Bool {
        func c(_ i: Int) -> String { x.cap(i) ?? "" }
        let has = { (t: String) in find(f, t) != nil }
        if has("with HTTP"), x.match(Self.p29) { ip = c(1); by = c(2); return true }
        if !x.search(Self.p30) {
            if x.match(Self.p31) {
                helo = c(1); rdns = c(2); ip = c(3); by = c(4); lookedUp = true
                if rdns.hasPrefix("IDENT:"), let at = rdns.firstIndex(of: "@") {
                    ident = String(rdns[rdns.index(rdns.startIndex, offsetBy: 6)..<at]); rdns = String(rdns[rdns.index(after: at)...])
                }
                if let at = rdns.firstIndex(of: "@") { ident = String(rdns[..<at]); rdns = String(rdns[rdns.index(after: at)...]) }
                return true
            }
        }
        if x.match(Self.p32) {
            rdns = c(2); ip = c(3); helo = c(1); by = c(4); lookedUp = true; return true
        }
        if x.match(Self.p33) {
            rdns = c(1); ip = c(2); helo = c(3); by = c(4); return true
        }
        if x.match(Self.p34) {
            helo = c(1); ip = c(2); by = c(3); return true
        }
        if x.match(Self.p35) {
            helo = c(1); rdns = c(2); ip = c(3); by = c(4); lookedUp = true; return true
        }
        if x.match(Self.p36) {
            helo = c(1); ip = c(3); by = c(4); ident = c(2); lookedUp = true; return true
        }
        if x.search(Self.p37) {
            by = c(1)
            var y = LineMatcher(f)
            if y.match(Self.p38) { ip = y.cap(1)! }
            return true
        }
        if x.match(Self.p39) {
            rdns = c(1); helo = c(2); ip = c(3); by = c(4); return true
        }
        if x.match(Self.p40) {
            rdns = c(1); helo = c(2); ip = c(3); by = c(4); return true
        }
        if x.match(Self.p41) {
            rdns = c(1); helo = c(2); ip = c(3); by = c(4); return true
        }
        if x.match(Self.p42) {
            helo = c(1); ip = c(2); by = c(3); return true
        }
        // qmail
        if x.match(Self.p43),
           !qmailIdFollows(f) {
            if x.match(Self.p44) {
                rdns = c(1); helo = c(2); ident = c(3); ip = c(4); by = c(6)
            } else if x.match(Self.p45) {
                rdns = c(1); helo = c(2); ip = c(3); by = c(5)
            } else if x.match(Self.p46) {
                helo = c(1); rdns = c(1); ident = c(2); ip = c(3); by = c(5)
            } else if x.match(Self.p47) {
                helo = c(1); rdns = c(1); ip = c(2); by = c(4)
            }
            if rdns == "unknown" { rdns = "" } else { lookedUp = true }
            return true
        }
        if f.hasSuffixBytes(" via HTTP"), x.match(Self.p48) { ip = c(1); by = c(2); return true }
        if x.match(Self.p49) { ip = c(2); by = c(3); return true }
        if x.match(Self.p50) { helo = c(1); ip = c(2); by = c(3); return true }
        if x.match(Self.p51) { ip = c(1); by = c(2); return true }
        if x.match(Self.p52) { ip = c(1); by = c(2); return true }
        if x.match(Self.p53) { helo = c(1); ip = c(2); by = c(3); lookedUp = true; return true }
        if x.match(Self.p54) { helo = c(1); ip = c(2); by = c(3); return true }
        if x.match(Self.p55) { helo = c(1); ip = c(2); by = c(3); lookedUp = true; return true }
        if x.match(Self.p56) {
            if c(2) != "softdnserr" { rdns = c(2); lookedUp = true }
            helo = c(1); ip = c(3); by = c(4); return true
        }
        if x.match(Self.p57) {
            helo = c(1); ip = c(2); by = c(3); lookedUp = true; return true
        }
        if x.match(Self.p58) {
            helo = c(1); rdns = c(2); ip = c(3); by = c(4); lookedUp = true; return true
        }
        if has("with POP3") || has("with IMAP") { fetch = true; return false }
        if x.match(Self.p59) {
            rdns = c(1); helo = c(2); ident = c(3); ip = c(4); by = c(5); lookedUp = true
            if ident.hasSuffix("@") { ident.removeLast() }
            return true
        }
        if x.match(Self.p60) {
            rdns = c(1); helo = rdns; ident = c(2); ip = c(3); by = c(4); lookedUp = true
            if ident.hasSuffix("@") { ident.removeLast() }
            return true
        }
        if has(" with http for "), x.match(Self.p61) { ip = c(1); by = c(2); return true }
        if has(" via smap ") {
            if x.match(Self.p62) { rdns = c(1); ip = c(2); by = c(3); lookedUp = true; return true }
        }
        if x.match(Self.p63) {
            rdns = c(1); ip = c(2); helo = c(3); by = c(4); lookedUp = true; return true
        }
        if has(" (Post"), x.match(Self.p64) { ip = c(1); by = c(2); return true }
        if has(" (ArGoSoft"), x.match(Self.p65) { ip = c(1); by = c(2); return true }
        if x.match(Self.p66) { ip = c(1); by = c(2); return true }
        if has(" with BSMTP"), x.match(Self.p67) { skip = true; return false }
        if x.match(Self.p68) {
            helo = c(1); rdns = c(2); ip = c(3); by = c(4); lookedUp = true; return true
        }
        if x.match(Self.p69) {
            rdns = c(1); helo = c(2); ip = c(4); by = c(5); lookedUp = true
            if x.caps[3] != nil { ident = c(3) }
            return true
        }
        if x.match(Self.p70) {
            ip = c(1); helo = c(2); by = c(3); return true
        }
        if has(" (CommuniGate Pro"), x.match(Self.p71) {
            rdns = c(1); helo = c(1); ip = c(2); by = c(3); lookedUp = true; return true
        }
        if x.match(Self.p72) { ip = c(1); by = c(2); return true }
        if let f0 = f.first, !f0.isDigit, x.match(Self.p73) {
            helo = c(1); ip = c(2); by = c(3); return true
        }
        if x.match(Self.p74) { skip = true; return false }
        if x.match(Self.p75) { helo = c(1); ip = c(2); by = c(4); return true }
        if x.match(Self.p76) { ip = c(1); by = c(2); return true }
        if x.match(Self.p77) {
            helo = c(1); rdns = c(2); ip = c(3); by = c(4); lookedUp = true; return true
        }
        if x.match(Self.p78) { ip = c(1); helo = c(2); by = c(3); return true }
        if x.match(Self.p79) { ip = c(1); helo = c(2); by = c(3); return true }
        if x.match(Self.p80) { helo = c(1); ip = c(2); by = c(3); return true }
        if x.match(Self.p81) { rdns = c(1); ip = c(2); by = c(3); return true }
        if x.match(Self.p82) { ip = c(1); by = c(2); return true }
        if x.match(Self.p83) { helo = c(1); ip = c(2); by = c(3); return true }
        if x.match(Self.p84) {
            ip = c(1); by = c(2); return true
        }
        if x.match(Self.p85) {
            ip = c(1); by = c(3)
            let sub = c(2)
            if let h = sub.valueAfter("helo=") { helo = h }
            if let i = sub.valueAfter("ident=", allowEmpty: true) { ident = i }
            return true
        }
        if x.match(Self.p86) { rdns = c(1); ip = c(2); by = c(3); return true }
        if x.match(Self.p87) {
            rdns = c(1); ip = c(2); helo = c(3); by = c(4); lookedUp = c(1) != "UNKNOWN"; return true
        }
        if x.match(Self.p88) {
            helo = c(1); ip = c(3); by = c(4); return true
        }
        if x.match(Self.p89) { ip = c(1); by = ""; return true }
        return false
    }

    /// qmail's `(SMTP|QMQP)(?! id )` guard, approximated: the protocol word
    /// is the last `with` token and not followed by " id ".
    static func qmailIdFollows(_ f: [UInt8]) -> Bool {
        for proto in [" SMTP id ", " QMQP id "] where find(f, proto) != nil {
            if find(f, " SMTP ") == nil || find(f, proto) == find(f, " SMTP ") { return true }
        }
        return false
    }

    /// Hand-overs SpamAssassin ignores (local delivery, localhost, ...).
    /// More hand-overs that are no hops, each a mailer's own shape: local
    /// submission, filters and gateways on the same host, web mail APIs.
    static func otherLocalShapes(_ s: String, _ w: [Substring]) -> Bool {
        func at(_ i: Int) -> Substring { i < w.count ? w[i] : "" }
        func wordStart(_ t: Substring) -> Bool { t.first.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
        let n = w.count
        // NAME NAME by HOST with local-smtp|local-esmtp ...
        if n >= 7, at(2) == "by", at(4) == "with", at(5) == "local-smtp" || at(5) == "local-esmtp" { return true }
        // 127.0.0.1 (AVG SMTP VERSION [BUILD])
        if at(0) == "127.0.0.1", at(1) == "(AVG", at(2) == "SMTP", at(4).hasPrefix("["), at(4).hasSuffix("])") { return true }
        // (AUTH: NAME) by HOST with ...
        if n >= 6, at(0) == "(AUTH:", at(1).hasSuffix(")"), at(2) == "by", at(4) == "with" { return true }
        if s.hasPrefix("localhost (localhost [[UNIX: localhost]]) by ") { return true }
        // Amazon's internal hops.
        if at(0).hasSuffix(".amazon.com"), at(1) == "by", at(2).hasSuffix(".amazon.com"), at(3) == "with",
           at(4) == "ESMTP", at(5) == "(peer", at(6) == "crosscheck:" { return true }
        // A dotless name (words allowed) by HOST with Novell_GroupWise.
        if let k = w.firstIndex(of: "by"), k >= 1, !w[..<k].contains(where: { $0.contains(".") }),
           at(k + 2) == "with", at(k + 3).hasPrefix("Novell_GroupWise") { return true }
        if at(0) == "no.name.available", at(1) == "by", at(3) == "via", at(4) == "smtpd", at(5) == "(for" { return true }
        // NAME by HOST (... up to 100 ...) with qmail-scanner
        if n >= 4, at(1) == "by", at(3).hasPrefix("(") {
            let rest = w[3...].joined(separator: " ")
            if let r = rest.firstByteRange(of: ") with qmail-scanner"), rest.distance(from: rest.startIndex, to: r.lowerBound) <= 101 {
                return true
            }
        }
        // Cyrus delivering over its own socket.
        if at(1) == "([unix", at(2) == "socket])", at(3) == "by", at(5).hasPrefix("(Cyrus"), at(7) == "with",
           at(8).hasPrefix("LMTPA") { return true }
        if at(1) == "(unknown)", at(2) == "by", at(4) == "(SG)", at(5) == "with", wordStart(at(6)) { return true }
        if at(1).hasPrefix("("), at(2) == "[local])", at(3) == "by", at(5) == "(OpenSMTPD)", at(6) == "with",
           wordStart(at(7)) { return true }
        if ["([localhost])", "([localhost.localdomain])", "([127.0.0.1])", "([::1])"].contains(at(0)), at(1) == "with",
           at(2) == "MailEnable", n >= 4 { return true }
        if s.hasPrefix("facebook.com ("), let r = s.firstByteRange(of: ") by facebook.com with Thrift id ") {
            let tail = s[r.upperBound...]
            if !tail.isEmpty, !tail.contains(" ") { return true }
        }
        if n == 7, at(1) == "named", at(3) == "by", at(4) == "gmailapi.google.com", at(5) == "with", at(6) == "HTTPREST" {
            return true
        }
        return false
    }

    /// A `(from ...)` clause that is a local hand-over, not a hop.
    static func localParenFrom(_ f: [UInt8]) -> Bool {
        let s = String(decoding: f, as: UTF8.self)
        let w = s.split(separator: " ", omittingEmptySubsequences: false)
        guard w.count >= 3 else { return false }
        if w[0].hasSuffix("@localhost)"), w[1] == "by", w.count >= 4 { return true }
        // USER@HOST) by HOST(jqueuemail) id ID
        if let r = s.firstByteRange(of: ") by "), let atSign = s[..<r.lowerBound].firstIndex(of: "@"),
           !s[..<atSign].contains(" "), s.distance(from: s.startIndex, to: atSign) > 0 {
            let after = s[r.upperBound...].split(separator: " ", omittingEmptySubsequences: false)
            if after.count >= 3, after[0].hasSuffix("(jqueuemail)"), after[0].count > "(jqueuemail)".count,
               after[1] == "id", !after[2].isEmpty, !after[2].contains(";") { return true }
        }
        return false
    }

    static func localSkip(_ f: [UInt8]) -> Bool {
        let s = String(decoding: f, as: UTF8.self)
        let words = s.split(separator: " ", omittingEmptySubsequences: false)
        guard let first = words.first else { return true }
        func isLocalhost(_ t: Substring) -> Bool {
            t == "localhost" || t == "localhost.localdomain" || t == "127.0.0.1" || t == "::1" || t.lowercased().hasSuffix("::ffff:127.0.0.1")
        }
        func stripUser(_ t: Substring) -> Substring {
            if let at = t.firstIndex(of: "@") { return t[t.index(after: at)...] }
            return t
        }
        if words.count >= 2 {
            let second = words[1]
            // \S+ \((user@)?LOCALHOST\) followed by a space
            if words.count >= 3, second.hasPrefix("("), second.hasSuffix(")"), isLocalhost(stripUser(second.dropFirst().dropLast())) { return true }
            // LOCALHOST \((user@)?LOCALHOST[)\[]
            if isLocalhost(first), second.hasPrefix("(") {
                let inner = stripUser(second.dropFirst())
                for lh in ["localhost.localdomain", "localhost", "127.0.0.1", "::1"] where inner.hasPrefix(lh) {
                    let after = inner.dropFirst(lh.count).first
                    if after == ")" || after == "[" { return true }
                }
            }
            // \S+ \(\S+@\S+ \[LOCALHOST\]\) followed by a space
            if words.count >= 4, second.hasPrefix("("), second.contains("@"), words[2].hasPrefix("["), words[2].hasSuffix("])"),
               isLocalhost(words[2].dropFirst().dropLast(2)) { return true }
            if second == "by" && words.count >= 4 && (["with", "via", "for"].contains(words[3]) || words[3].hasPrefix("(")) { return true }
            if ["with", "via", "for"].contains(second) && words.count >= 4 && words[3] == "by" { return true }
            if second == "(unverified)" && words.count >= 3 && words[2] == "by" { return true }
            if second == "by" && words.count >= 4 && words[3] == "with" { return true }
        }
        if first.contains("@") && words.count >= 3 && words[1] == "by" { return true }
        if first == "Unknown/Local" { return true }
        if otherLocalShapes(s, words) { return true }
        if s.containsBytes("(LSMTP for") { return true }
        if words.count == 3 && words[1] == "id" { return true }
        if s.hasPrefix("[<") && s.containsBytes(" (Jetsend") { return true }
        return false
    }

    static func asString(_ r: Relay) -> String {
        "[ ip=\(r.ip) rdns=\(r.rdns) helo=\(r.helo) by=\(r.by) ident=\(r.ident) envfrom=\(r.envfrom) intl=\(r.isInternal ? 1 : 0) id=\(r.id) auth=\(r.auth) msa=\(r.msa ? 1 : 0) ]"
    }

    struct Result {
        var relays = Relays()
        var lastTrustedIndex = -1
        var lastInternalIndex = -1
    }

    /// `parse_received_headers`: walks the hops newest first and splits them
    /// by trust.
    static func classify(_ receivedValues: [[UInt8]], trust: TrustPolicy, maxReceived: Int) -> Result {
        var res = Result()
        // Conf.pm new_netset: 127/8 and ::1 always head a configured list.
        let loopback = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!]
        var trusted = trust.trusted.isEmpty ? [] : loopback + trust.trusted
        var internalNets = trust.internal.isEmpty ? [] : loopback + trust.internal
        let userTrust = !trust.trusted.isEmpty, userInternal = !trust.internal.isEmpty
        if userTrust && !userInternal { internalNets = trusted }
        if !userTrust && userInternal { trusted = internalNets }
        var inTrusted = true, inInternal = true, foundMSA = false
        var allowFetchMarkers = true
        for value in receivedValues.prefix(maxReceived) {
            let outcome = parseLine(value)
            guard case .relay(let p) = outcome else {
                if case .unparseable = outcome { res.relays.unparseable += 1 }
                if case .fetchMarker = outcome, allowFetchMarkers {
                    // A mail fetcher's hand-over: what came before was local.
                    res.relays.trusted = []; res.relays.internal = []; res.relays.external = []
                }
                if inTrusted { res.lastTrustedIndex += 1 }
                if inInternal { res.lastInternalIndex += 1 }
                continue
            }
            var relay = p.relay
            let ipAddr = IPAddress(Substring(relay.ip))
            if inTrusted && !foundMSA {
                if !userTrust && !userInternal {
                    if !(p.isPrivate || p.authenticated) { inTrusted = false; inInternal = false }
                } else {
                    let inTrustNet = ipAddr.map { trusted.matches($0) } ?? false
                    if !p.authenticated && !inTrustNet {
                        inTrusted = false; inInternal = false
                    } else {
                        if inInternal && !p.authenticated && !(ipAddr.map { internalNets.matches($0) } ?? false) {
                            inInternal = false
                        }
                        if let a = ipAddr, trust.msa.matches(a) { foundMSA = true; relay.msa = true }
                    }
                }
            }
            relay.isInternal = inInternal
            if inTrusted {
                res.relays.trusted.append(relay); res.lastTrustedIndex += 1; allowFetchMarkers = true
            } else {
                res.relays.untrusted.append(relay); allowFetchMarkers = false
            }
            if inInternal { res.relays.internal.append(relay); res.lastInternalIndex += 1 } else { res.relays.external.append(relay) }
        }
        return res
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }

    /// `s/key(\S+)//` capture (or `\S*` when `allowEmpty`).
    func valueAfter(_ key: String, allowEmpty: Bool = false) -> String? {
        guard let r = firstByteRange(of: key) else { return nil }
        let v = self[r.upperBound...].prefix(while: { !$0.isWhitespace })
        if v.isEmpty && !allowEmpty { return nil }
        return String(v)
    }
}

extension Array where Element == UInt8 {
    func hasSuffixBytes(_ s: String) -> Bool { count >= s.utf8.count && suffix(s.utf8.count).elementsEqual(s.utf8) }
}
