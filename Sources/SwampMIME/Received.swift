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

    static func find(_ s: [UInt8], _ needle: String, from: Int = 0) -> Int? {
        firstIndexOf(Array(needle.utf8), in: s, from: from)
    }

    static func findCI(_ s: [UInt8], _ needle: String, from: Int = 0) -> Int? {
        firstIndexOfCI(Array(needle.lowercased().utf8), in: s, from: from)
    }

    /// Parses one unfolded Received value. nil: not a relay.
    static func parse(_ value: [UInt8]) -> RelayParse? {
        // Collapse whitespace, trim, drop trailing `;`s.
        var s: [UInt8] = []
        s.reserveCapacity(value.count)
        var inSpace = false
        for c in value {
            if c.isSpace { if !inSpace { s.append(sp) }; inSpace = true } else { s.append(c); inSpace = false }
        }
        if s.first == sp { s.removeFirst() }
        if s.last == sp { s.removeLast() }
        while s.last == 59 { s.removeLast(); if s.last == sp { s.removeLast() } }
        guard s.count >= 5 else { return nil }
        var start = 0
        if s[0] == 40 { start = 1 }
        guard s.count - start >= 5, s[start..<(start + 5)].equalsLowercase("from ") else { return nil }
        if find(s, "with local for") != nil { return nil }
        // Drop the trailing date after the last ';'.
        if let semi = s.lastIndex(of: 59) {
            let tail = s[(semi + 1)...]
            if tail.contains(where: { $0.isDigit }) && tail.contains(58) {
                s.removeSubrange(semi...)
                while s.last == sp || s.last == 59 { s.removeLast() }
            }
        }
        var id = "", helo = "", by = "", ident = "", auth = "", rdns = "", ip = ""
        var envfrom: String? = nil
        var lookedUp = false
        // id
        if let at = find(s, " id ") {
            var j = at + 4
            if j < s.count && s[j] == 60 { j += 1 }
            let st = j
            while j < s.count && !s[j].isSpace && s[j] != 60 && s[j] != 62 && s[j] != 59 { j += 1 }
            if j - st >= 3 { id = String(decoding: s[st..<j], as: UTF8.self) }
        }
        func heloChar(_ c: UInt8) -> Bool {
            c.isAlnum || "-.^+_&:=?!@%*$\\/".utf8.contains(c)
        }
        if let at = find(s, "helo="), at == 0 || !s[at - 1].isWord {
            var j = at + 5
            while j < s.count && heloChar(s[j]) { j += 1 }
            helo = String(decoding: s[(at + 5)..<j], as: UTF8.self)
        } else {
            for kw in ["HELO ", "EHLO "] {
                if let at = find(s, kw), at == 0 || !s[at - 1].isWord {
                    var j = at + 5
                    while j < s.count && heloChar(s[j]) { j += 1 }
                    if j > at + 5 { helo = String(decoding: s[(at + 5)..<j], as: UTF8.self); break }
                }
            }
        }
        let byAt = find(s, " by ")
        if let at = byAt {
            var j = at + 4
            while j < s.count && s[j] != sp { j += 1 }
            var t = Array(s[(at + 4)..<j])
            if t.last == 59 { t.removeLast() }
            by = String(decoding: t, as: UTF8.self)
        }
        // Authentication.
        if byAt != nil, let w = find(s, " with ") {
            let (proto, _) = token(s, w + 6)
            let p = proto.uppercased().trimmingSuffix(";")
            let authProtos: Set<String> = ["ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "UTF8SMTPA", "UTF8SMTPSA", "UTF8LMTPA", "UTF8LMTPSA", "ASMTP", "HTTP", "HTTPS", "HTTPU"]
            if authProtos.contains(p) { auth = proto.trimmingSuffix(";") }
        }
        if auth.isEmpty {
            if find(s, "authenticated") != nil, let b = byAt, let paren = find(s, "(") , paren < b,
               let a = find(s, "authenticated"), a < b, find(s, "(Authenticated sender:") == nil {
                auth = "Sendmail"
            } else if let a = find(s, ") (Authenticated sender: "), let w = find(s, " with ", from: a) {
                // `) by HOST (Postfix) with`
                if let lp = s[..<w].lastIndex(of: 40), let rp = s[..<w].lastIndex(of: 41), lp < rp {
                    let what = String(decoding: s[(lp + 1)..<rp], as: UTF8.self)
                    auth = what == "Postfix" ? what : "Postfix (\(what))"
                }
            } else if let v = findCI(s, " (via HTTP"), byAt != nil {
                var j = v + 6
                let st = j
                while j < s.count && s[j] != 41 { j += 1 }
                if j - st <= 5 { auth = String(decoding: s[st..<j], as: UTF8.self) }
            }
        }
        // From clause.
        let f = Array(s[(start + 5)...])
        if let rp = findCI(f, "return-path:") ?? findCI(f, "envelope-from ") ?? findCI(f, "envelope-sender ") ?? findCI(f, "envelope-from=") {
            var j = rp
            while j < f.count && f[j] != sp && f[j] != 61 { j += 1 }
            j += 1
            let (t, _) = token(f, min(j, f.count))
            if !t.isEmpty { envfrom = t }
        }
        if find(f, "with POP3") != nil || find(f, "with IMAP") != nil { return nil }
        var afterFirst = 0
        while afterFirst < f.count && f[afterFirst] != sp { afterFirst += 1 }
        let first = Array(f[0..<afterFirst])
        // Comment groups right after the first token, up to " by ".
        var comments: [[UInt8]] = []
        var j = afterFirst
        while j + 1 < f.count && f[j] == sp && f[j + 1] == 40 {
            var depth = 0, k = j + 1
            while k < f.count {
                if f[k] == 40 { depth += 1 } else if f[k] == 41 { depth -= 1; if depth == 0 { break } }
                k += 1
            }
            if k >= f.count { break }
            comments.append(Array(f[(j + 2)..<k]))
            j = k + 1
        }
        func bracketIP(_ c: [UInt8]) -> (String, Int, Int)? {
            // first `[IP]` inside c: returns ip, index of '[', index after ']'
            var k = 0
            while let lb = c[k...].firstIndex(of: 91) {
                if let (ip, e) = ipAt(c, lb + 1), e < c.count, c[e] == 93 { return (ip, lb, e + 1) }
                k = lb + 1
            }
            return nil
        }
        let isExim = find(s, "Exim") != nil
        let isPostfix = find(s, " (Postfix) with") != nil
        let isQmailLike = find(s, "(qmail-") != nil
        let fs = String(decoding: first, as: UTF8.self)
        if let c = comments.first {
            if let (cip, lb, after) = bracketIP(c) {
                let pre = String(decoding: trimSpace(c[0..<lb]), as: UTF8.self)
                let post = String(decoding: trimSpace(c[after...]), as: UTF8.self)
                ip = cip
                if isExim && first.first == 91 {
                    // from [IP] (helo=...)
                } else if pre.isEmpty {
                    // HELO ([IP] ...) — sendmail without rDNS, or Exim
                    if post.hasPrefix("helo=") {
                        rdns = fs; if helo.isEmpty { helo = String(post.dropFirst(5).prefix(while: { $0 != " " })) }
                        if isExim { helo = String(post.dropFirst(5).prefix(while: { $0 != " " })) }
                    } else if isExim {
                        rdns = fs; helo = fs
                        if let r = post.range(of: "helo=") { helo = String(post[r.upperBound...].prefix(while: { $0 != " " })) }
                    } else {
                        helo = fs; lookedUp = true
                    }
                    if let r = post.range(of: "ident=") { ident = String(post[r.upperBound...].prefix(while: { $0 != " " })) }
                } else {
                    // HELO (RDNS [IP]) — sendmail, Postfix
                    helo = fs
                    var r = pre
                    if r.hasPrefix("IDENT:"), let at = r.firstIndex(of: "@") {
                        ident = String(r[r.index(r.startIndex, offsetBy: 6)..<at]); r = String(r[r.index(after: at)...])
                    } else if let at = r.firstIndex(of: "@") {
                        ident = String(r[..<at]); r = String(r[r.index(after: at)...])
                    }
                    if r.hasPrefix("HELO ") || r.hasPrefix("EHLO ") {
                        rdns = fs; helo = String(r.dropFirst(5))
                    } else if r == "softdnserr" {
                        rdns = ""
                    } else {
                        rdns = r; lookedUp = true
                    }
                    if isPostfix && rdns == "unknown" { rdns = "" }
                }
            } else if let (cip, e) = ipAt(c, 0), e == c.count || c[e] == sp || c[e] == 41 {
                // HELO (IP) — also qmail's RDNS (IP)
                ip = cip
                if first.first?.isDigit == true { helo = "" } else { helo = fs }
                if !isQmailLike && !(first.first?.isDigit ?? false) { /* helo */ }
            } else if c.starts(with: Array("HELO ".utf8)) || c.starts(with: Array("EHLO ".utf8)) || c.starts(with: Array("LHLO ".utf8)) {
                // qmail/qpsmtpd: RDNS (HELO h) (ident@[IP]) or [IP]
                helo = String(decoding: c[5...], as: UTF8.self)
                rdns = fs == "unknown" ? "" : fs
                if comments.count > 1 {
                    var c2 = comments[1]
                    if let at = c2.firstIndex(of: 64) { ident = String(decoding: c2[..<at], as: UTF8.self); c2 = Array(c2[(at + 1)...]) }
                    var k = 0
                    if k < c2.count && c2[k] == 91 { k += 1 }
                    if let (cip, _) = ipAt(c2, k) { ip = cip }
                } else if let (cip, _, _) = bracketIP(Array(f[afterFirst...])) { ip = cip }
                lookedUp = !rdns.isEmpty
            } else if let at = c.firstIndex(of: 64) {
                // RDNS (ident@[IP]) or (ident@IP)
                var k = at + 1
                if k < c.count && c[k] == 91 { k += 1 }
                if let (cip, _) = ipAt(c, k) {
                    ip = cip; ident = String(decoding: c[..<at], as: UTF8.self)
                    rdns = fs == "unknown" ? "" : fs; helo = fs
                }
            } else if c.first == 91 || c.first?.isDigit == true {
                var k = 0
                if c.first == 91 { k = 1 }
                if let (cip, _) = ipAt(c, k) { ip = cip; helo = fs }
            } else if isExim {
                rdns = fs
                if helo.isEmpty { helo = String(decoding: c, as: UTF8.self) }
            }
        }
        if ip.isEmpty {
            if first.first == 91, let (cip, e) = ipAt(first, 1), e < first.count, first[e] == 93 {
                ip = cip
                if let c = comments.first {
                    let cs = String(decoding: c, as: UTF8.self)
                    if let r = cs.range(of: "helo=") { helo = String(cs[r.upperBound...].prefix(while: { $0 != " " })) }
                    if let r = cs.range(of: "ident=") { ident = String(cs[r.upperBound...].prefix(while: { $0 != " " })) }
                    else if cs.hasPrefix("HELO ") || cs.hasPrefix("EHLO ") { helo = String(cs.dropFirst(5)) }
                }
            } else if let (cip, e) = ipAt(first, 0), e == first.count {
                ip = cip
            } else if afterFirst < f.count, afterFirst + 2 < f.count, f[afterFirst + 1] == 91,
                      let (cip, e) = ipAt(f, afterFirst + 2), e < f.count, f[e] == 93 {
                // HELO [IP] by ...
                ip = cip; helo = fs
                if isExim { rdns = fs }
            } else if let lp = first.firstIndex(of: 40), let (cip, _) = ipAt(first, lp + 1) {
                // rdns(IP) — smap
                ip = cip; rdns = String(decoding: first[..<lp], as: UTF8.self); lookedUp = true
            } else if fs == "X-Originating-IP:" {
                let (t, _) = token(f, afterFirst + 1)
                if IPAddress(Substring(t)) != nil { ip = t; by = "" }
            }
        }
        if ip.isEmpty {
            // Any bracketed IP anywhere.
            if let (cip, _, _) = bracketIP(s) { ip = cip }
        }
        guard !ip.isEmpty, !by.isEmpty || fs == "X-Originating-IP:" else { return nil }
        if helo.isEmpty, !(first.first == 91) {
            // helo defaults to the first token when it ends before a
            // character outside [-A-Za-z0-9.].
            var k = 0
            while k < first.count && (first[k].isAlnum || first[k] == 45 || first[k] == 46) { k += 1 }
            if k < first.count || afterFirst < f.count { helo = String(decoding: first[..<k], as: UTF8.self) }
            if k == first.count { helo = fs }
        }
        _ = lookedUp
        // Clean-ups.
        while rdns.hasSuffix(".") { rdns.removeLast() }
        if rdns.lowercased() == "unknown" || rdns.hasPrefix("[") { rdns = "" }
        if ip.lowercased().hasPrefix("ipv6:") { ip.removeFirst(5) }
        if ip.hasPrefix("[") { ip.removeFirst() }
        if ip.hasSuffix("]") { ip.removeLast() }
        if let pct = ip.firstIndex(of: "%") { ip = String(ip[..<pct]) }
        if let r = ip.range(of: "ffff:", options: .caseInsensitive), ip[..<r.lowerBound].allSatisfy({ $0 == "0" || $0 == ":" }),
           IPAddress.parseIPv4(ip[r.upperBound...]) != nil {
            ip = String(ip[r.upperBound...])
        }
        if by.hasSuffix(";") { by.removeLast() }
        func strip(_ v: String) -> String {
            String(v.map { "\0 \t\n#[]()<>|".contains($0) ? "!" : $0 })
        }
        var env = envfrom.map { e -> String in
            var t = Substring(e)
            while t.first == "<" || t.first == " " { t = t.dropFirst() }
            while t.last == ">" || t.last == " " { t = t.dropLast() }
            return strip(String(t))
        }
        if env?.isEmpty == true { env = "" }
        let relay = Relay(ip: strip(ip), rdns: strip(rdns), helo: strip(helo), by: strip(by), ident: strip(ident),
                          envfrom: env ?? "", id: id, auth: auth, msa: false, isInternal: false)
        let priv = IPAddress(Substring(ip))?.isPrivate ?? false
        return RelayParse(relay: relay, isPrivate: priv, authenticated: !auth.isEmpty)
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
        var trusted = trust.trusted, internalNets = trust.internal
        let userTrust = !trust.trusted.isEmpty, userInternal = !trust.internal.isEmpty
        if userTrust && !userInternal { internalNets = trusted }
        if !userTrust && userInternal { trusted = internalNets }
        var inTrusted = true, inInternal = true, foundMSA = false
        for value in receivedValues.prefix(maxReceived) {
            guard let p = parse(value) else {
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
            if inTrusted { res.relays.trusted.append(relay); res.lastTrustedIndex += 1 } else { res.relays.untrusted.append(relay) }
            if inInternal { res.relays.internal.append(relay); res.lastInternalIndex += 1 } else { res.relays.external.append(relay) }
        }
        return res
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
