// The evals of SpamAssassin's HeaderEval and RelayEval plugins that look
// for forged Received trails: mail claiming a big provider (Hotmail, Yahoo,
// Gmail, Juno, Eudoramail, AOL) without the headers that provider writes,
// hops whose `by` does not follow from the previous hop, and envelope
// senders built from the recipient's address.

import SwampMIME
import SwampRegex

extension EvalFunction {
    static let forgeryRegistry: [String: @Sendable (EvalContext, [String]) -> Int] = [
        "check_for_fake_aol_relay_in_rcvd": { ctx, _ in ForgeryEvals.fakeAOLRelay(ctx) ? 1 : 0 },
        "gated_through_received_hdr_remover": { ctx, _ in ForgeryEvals.gatedThroughReceivedRemover(ctx) ? 1 : 0 },
        "check_for_forged_hotmail_received_headers": { ctx, _ in ForgeryEvals.hotmail(ctx).forged ? 1 : 0 },
        "check_for_no_hotmail_received_headers": { ctx, _ in ForgeryEvals.hotmail(ctx).missing ? 1 : 0 },
        "check_for_msn_groups_headers": { ctx, _ in ForgeryEvals.msnGroups(ctx) ? 1 : 0 },
        "check_for_forged_eudoramail_received_headers": { ctx, _ in ForgeryEvals.eudoramail(ctx) ? 1 : 0 },
        "check_for_forged_yahoo_received_headers": { ctx, _ in ForgeryEvals.yahoo(ctx) ? 1 : 0 },
        "check_for_forged_juno_received_headers": { ctx, _ in ForgeryEvals.juno(ctx) ? 1 : 0 },
        "check_for_forged_gmail_received_headers": { ctx, _ in ForgeryEvals.gmail(ctx) ? 1 : 0 },
        "check_for_forged_received_trail": { ctx, _ in ForgeryEvals.forgedTrail(ctx).fromMismatches > 1 ? 1 : 0 },
        "check_for_forged_received_ip_helo": { ctx, _ in ForgeryEvals.forgedTrail(ctx).ipHeloMismatches > 0 ? 1 : 0 },
        "check_for_no_rdns_dotcom_helo": { ctx, _ in ForgeryEvals.noReverseDNSDotcomHelo(ctx) ? 1 : 0 },
        "check_ratware_envelope_from": { ctx, _ in ForgeryEvals.ratwareEnvelopeFrom(ctx) ? 1 : 0 },
    ]
}

enum ForgeryEvals {
    /// A header as SpamAssassin's scalar `get` gives it: every value
    /// unfolded, each ending in a newline, one after the other; nil when
    /// the message has no such header.
    static func get(_ ctx: EvalContext, _ name: String) -> [UInt8]? {
        guard let text = ctx.headerText(HeaderQuery(name: name)) else { return nil }
        var out: [UInt8] = []
        for line in HeaderEvals.lines(text) { out += line; out.append(10) }
        return out.isEmpty ? [10] : out
    }

    /// The first address of a header (`get('Name:addr')` in scalar context).
    static func firstAddress(_ ctx: EvalContext, _ name: String) -> [UInt8] {
        HeaderEvals.lines(ctx.headerText(HeaderQuery(name: name, modifier: .addr))).first ?? []
    }

    /// All Received headers with each run of white space made one space.
    static func receivedSpaced(_ ctx: EvalContext) -> [UInt8] {
        ctx.memo.value("received_spaced") { spaced(get(ctx, "Received") ?? []) }
    }

    static func spaced(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        for c in text {
            if c.isASCIIWhitespaceByte {
                if out.last != 32 { out.append(32) }
            } else {
                out.append(c)
            }
        }
        return out
    }

    static func re(_ pattern: String, _ options: RegexOptions = []) -> Regex {
        try! Regex(pattern, options: options)
    }

    /// An IPv4 address (each part 0–255, no leading zeros) or an IPv6 one
    /// (hex groups and colons, optionally `IPv6:`-tagged and ending in an
    /// IPv4 address): what SpamAssassin's IP_ADDRESS stands for in these
    /// patterns, which read bracketed addresses out of Received headers.
    static let ipv4 = #"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"#
    static let ipAddress = #"(?:\b"# + ipv4 + #"\b|(?i:IPv6:)?(?i:[0-9a-f]{0,4}:){2,7}(?:(?i:[0-9a-f]{1,4})|"# + ipv4 + "))"
    static let anyIPAddress = re(ipAddress)

    // MARK: AOL

    static let aolRelayName = re(#" rly-[a-z][a-z]\d\d\."#, .caseless)
    static let aolVersion = re(#"/AOL-\d+\.\d+\.\d+\)"#)
    static let aolRelayID = re(#"ESMTP id (?:RELAY|MAILRELAY|MAILIN)"#)

    /// HeaderEval.pm `check_for_fake_aol_relay_in_rcvd`: a hop named like
    /// AOL's relays (rly-xx00.) without AOL's own version or id marks.
    static func fakeAOLRelay(_ ctx: EvalContext) -> Bool {
        let rcvd = receivedSpaced(ctx)
        guard ctx.memo.matches(aolRelayName, rcvd) else { return false }
        return !ctx.memo.matches(aolVersion, rcvd) && !ctx.memo.matches(aolRelayID, rcvd)
    }

    // MARK: Mailing lists that drop Received headers

    static let ezmlmList = re(#"^contact \S+\@\S+\; run by ezmlm$"#, .multiline)
    static let ezmlmDeliveredTo = re(#"^mailing list \S+\@\S+"#, .multiline)
    static let qmailInvoked = re(#"qmail \d+ invoked (?:from network|by .{3,20})\); \d+ ... \d+"#)
    static let msnGroupsHop = re(#"from groups\.msn\.com \(\S+\.msn\.com "#)

    /// HeaderEval.pm `gated_through_received_hdr_remover`: an ezmlm list
    /// or MSN Groups, which remove Received headers, or no Received header
    /// at all; the provider checks below cannot judge such mail.
    static func gatedThroughReceivedRemover(_ ctx: EvalContext) -> Bool {
        if let list = get(ctx, "Mailing-List"), ctx.memo.matches(ezmlmList, list),
           ctx.memo.matches(ezmlmDeliveredTo, get(ctx, "Delivered-To") ?? []),
           ctx.memo.matches(qmailInvoked, get(ctx, "Received") ?? []) {
            return true
        }
        guard let rcvd = get(ctx, "Received") else { return true }
        return ctx.memo.matches(msnGroupsHop, rcvd)
    }

    static let msnGroupsTo = re(#"<(\S+)\@groups\.msn\.com>"#, .caseless)
    static let msnPickup = re(#"from mail pickup service by ((?:p\d\d\.)groups\.msn\.com)\b"#)

    /// HeaderEval.pm `check_for_msn_groups_headers`: a message an MSN
    /// group sent, by its To, pickup hop, Message-Id and bounce address.
    static func msnGroups(_ ctx: EvalContext) -> Bool {
        let to = get(ctx, "To") ?? []
        guard let listRange = msnGroupsTo.capture(1, in: to) else { return false }
        let rcvd = get(ctx, "Received") ?? []
        guard let serverRange = msnPickup.capture(1, in: rcvd) else { return false }
        let list = String(decoding: to[listRange], as: UTF8.self)
        let server = String(decoding: rcvd[serverRange], as: UTF8.self)
        let messageID = get(ctx, "Message-Id") ?? []
        // The list name stands for itself (SpamAssassin puts it into its
        // patterns as it is; a name with pattern syntax fails there).
        let quoted = list.replacingOccurrences(of: "\\E", with: "\\E\\\\E\\Q")
        if list == "notifications" {
            // The server name's dots match any character, as they do there.
            guard let r = try? Regex(#"^<\S+\@"# + server + ">"), ctx.memo.matches(r, messageID) else { return false }
            return true
        }
        guard let id = try? Regex(#"^<\Q"# + quoted + #"\E-\S+\@groups\.msn\.com>"#), ctx.memo.matches(id, messageID),
              let bounce = try? Regex(#"\Q"# + quoted + #"\E-bounce\@groups\.msn\.com"#),
              ctx.memo.matches(bounce, firstAddress(ctx, "EnvelopeFrom")) else { return false }
        return true
    }

    // MARK: Hotmail

    static let hotmailPickup = re(#"from mail pickup service by hotmail\.com with Microsoft SMTPSVC;"#)
    static let hotmailOriginator = re(#"hotmail\.com|msonline\-outlook"#)
    static let hotmailHop = re(#"from (?:\S*\.)?hotmail.com \(\S+\.hotmail(?:\.msn)?\.com[ \)]"#)
    static let outlookHop = re(#"from \S*\.outbound\.protection\.outlook\.com \(\S+\.outbound\.protection\.outlook\.com[ \)]"#)
    static let outlookPrdHop = re(#"from \S*\.(?:eur|nam)prd\d+\.prod\.outlook\.com \("# + ipAddress + #"\)"#)
    static let hotmailBracketHop = re(#"from \S*\.hotmail.com \(\["# + ipAddress + #"\][ \):]"#)
    static let hotmailHTTP = re(#"from \S+ by \S+\.hotmail(?:\.msn)?\.com with HTTP\;"#)
    static let yahooRelayOfHotmail = re(#"from \[66\.218.\S+\] by \S+\.yahoo\.com"#)
    static let claimsHotmail = re(#"(?:from |HELO |helo=)\S*hotmail\.com\b"#)
    static let hotmailAddress = re(#"\bhotmail\.com$"#, .caseless)

    /// HeaderEval.pm `_check_for_forged_hotmail_received_headers`: a hop
    /// that says it is Hotmail where Hotmail's own hops are missing
    /// (`forged`), or a From at hotmail.com with no Hotmail hop at all
    /// (`missing`).
    static func hotmail(_ ctx: EvalContext) -> (forged: Bool, missing: Bool) {
        ctx.memo.value("hotmail") { () -> (forged: Bool, missing: Bool) in
            let none = (forged: false, missing: false)
            let rcvd = receivedSpaced(ctx)
            // Either answer needs a hop claiming Hotmail or a Hotmail From
            // address: without both, the many hop patterns below need not
            // run (their outcome is none whatever they say).
            let claims = ctx.memo.matches(claimsHotmail, rcvd)
            let fromHotmail = ctx.memo.matches(hotmailAddress, firstAddress(ctx, "From"))
            guard claims || fromHotmail else { return none }
            if ctx.memo.matches(hotmailPickup, rcvd) || msnGroups(ctx) { return none }
            let ip = get(ctx, "X-Originating-Ip").map { ctx.memo.matches(anyIPAddress, $0) } ?? false
            let orig = get(ctx, "X-OriginatorOrg").map { ctx.memo.matches(hotmailOriginator, $0) } ?? false
            if gatedThroughReceivedRemover(ctx) { return none }
            if ip && (ctx.memo.matches(hotmailHop, rcvd) || ctx.memo.matches(hotmailBracketHop, rcvd)
                      || ctx.memo.matches(hotmailHTTP, rcvd) || ctx.memo.matches(yahooRelayOfHotmail, rcvd)) { return none }
            if orig && (ctx.memo.matches(outlookHop, rcvd) || ctx.memo.matches(outlookPrdHop, rcvd)) { return none }
            if claims { return (forged: true, missing: false) }
            return (forged: false, missing: fromHotmail)
        }
    }

    // MARK: Other providers

    static let eudoramailAddress = re(#"\beudoramail\.com$"#, .caseless)
    static let whowhereHop = re(#"by \S*whowhere.com\;"#)

    /// HeaderEval.pm `check_for_forged_eudoramail_received_headers`.
    static func eudoramail(_ ctx: EvalContext) -> Bool {
        guard ctx.memo.matches(eudoramailAddress, firstAddress(ctx, "From")) else { return false }
        let ip = get(ctx, "X-Sender-Ip").map { ctx.memo.matches(anyIPAddress, $0) } ?? false
        if gatedThroughReceivedRemover(ctx) { return false }
        return !(ip && ctx.memo.matches(whowhereHop, receivedSpaced(ctx)))
    }

    static let yahooAddress = re(#"\byahoo\.com$"#, .caseless)
    static let yahooTrustedRelay = re(#" rdns=\S+\.yahoo\.com "#)
    static let yahooFirstUntrusted = re(#"^[^\]]+ rdns=\S+\.yahoo\.com "#)
    static let yahooOwnHops = [
        re(#"by web\S+\.mail\S*\.yahoo\.com via HTTP"#),
        re(#"by sonic\S+\.consmr\.mail\S*\.yahoo\.com with HTTP"#),
        re(#"by smtp\S+\.yahoo\.com with SMTP"#),
        re(#"from \["# + ipAddress + #"\] by \S+\.(?:groups|scd|dcn)\.yahoo\.com with NNFMP"#),
        re(#"by \w+\.\w+\.yahoo\.com \(\d+\.\d+\.\d+/\d+\.\d+\.\d+\)(?: with ESMTP)? id \w+"#),
    ]
    static let yahooBulkMailer = re(#"\bmailer\d+\.bulk\.scd\.yahoo\.com\b"#)
    static let yahooReplyAddress = re(#"\@reply\.yahoo\.com$"#, .caseless)

    /// HeaderEval.pm `check_for_forged_yahoo_received_headers`: From at
    /// yahoo.com with none of Yahoo's hops (for resent mail, its
    /// X-Received headers), and no trusted relay or first untrusted one
    /// named in yahoo.com.
    static func yahoo(_ ctx: EvalContext) -> Bool {
        let from = firstAddress(ctx, "From")
        guard ctx.memo.matches(yahooAddress, from) else { return false }
        var raw = get(ctx, "Received") ?? []
        if !(get(ctx, "Resent-From") ?? []).isEmpty, !(get(ctx, "Resent-To") ?? []).isEmpty,
           let x = get(ctx, "X-Received"), !x.isEmpty {
            raw = x
        }
        let rcvd = spaced(raw)
        if gatedThroughReceivedRemover(ctx) { return false }
        if ctx.memo.matches(yahooTrustedRelay, ctx.headerText(HeaderQuery(name: "X-Spam-Relays-Trusted")) ?? [])
            || ctx.memo.matches(yahooFirstUntrusted, ctx.headerText(HeaderQuery(name: "X-Spam-Relays-Untrusted")) ?? []) {
            return false
        }
        if yahooOwnHops.contains(where: { ctx.memo.matches($0, rcvd) }) { return false }
        if ctx.memo.matches(yahooBulkMailer, rcvd) && ctx.memo.matches(yahooReplyAddress, from) { return false }
        return true
    }

    static let junoAddress = re(#"\bjuno\.com$"#, .caseless)
    static let junoHop = re(#"from.*\b(?:juno|untd)\.com.*[\[\(]"# + ipAddress + #"[\]\)].*by"#)
    static let junoCookie = re(#" cookie\.(?:juno|untd)\.com "#)

    /// HeaderEval.pm `check_for_forged_juno_received_headers`.
    static func juno(_ ctx: EvalContext) -> Bool {
        guard ctx.memo.matches(junoAddress, firstAddress(ctx, "From")) else { return false }
        if gatedThroughReceivedRemover(ctx) { return false }
        let origin = get(ctx, "X-Originating-IP") ?? []
        // Mail without X-Originating-IP is always counted forged: whatever
        // its hops and mailer, SpamAssassin's last test asks for an address
        // in that (missing) header.
        guard !origin.isEmpty else { return true }
        let rcvd = get(ctx, "Received") ?? []
        if !ctx.memo.matches(junoHop, rcvd) && !ctx.memo.matches(junoCookie, rcvd) { return true }
        return (get(ctx, "X-Mailer") ?? []).firstIndex(of: Array("Juno ".utf8)) == nil
    }

    static let gmailAddress = re(#"\bgmail\.com$"#, .caseless)
    static let gmailInternal = [re(#"by 10\.\S+ with SMTP id \S+"#), re(#"by 2002\:a\d\d\:\w+\:\S+ with SMTP id \S+"#)]
    static let googlemailSubmission = re(#"by smtp\.googlemail\.com with ESMTPSA id \S+"#)

    /// HeaderEval.pm `check_for_forged_gmail_received_headers`: From at
    /// gmail.com without Google's internal X-Received hop, its submission
    /// hop, or long X-Gm-Message-State and X-Google-Smtp-Source headers.
    static func gmail(_ ctx: EvalContext) -> Bool {
        guard ctx.memo.matches(gmailAddress, firstAddress(ctx, "From")) else { return false }
        let xReceived = get(ctx, "X-Received") ?? []
        if gmailInternal.contains(where: { ctx.memo.matches($0, xReceived) }) { return false }
        if ctx.memo.matches(googlemailSubmission, get(ctx, "Received") ?? []) { return false }
        let state = get(ctx, "X-Gm-Message-State") ?? [], source = get(ctx, "X-Google-Smtp-Source") ?? []
        // Lengths in characters, as Perl counts the decoded values.
        func length(_ b: [UInt8]) -> Int { b.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
        return !(length(state) >= 60 && length(source) >= 60)
    }

    // MARK: Relay trails

    /// RelayEval.pm `hostname_to_domain`: an address as it is; else the
    /// last two labels when the last has three letters or more (or is ie,
    /// fr or de), the last three when there are more than two.
    static func hostDomain(_ host: String) -> String {
        let b = Array(host.utf8)
        guard b.contains(where: { ($0 | 0x20) >= 97 && ($0 | 0x20) <= 122 }) else { return host }
        // Perl's split drops trailing empty fields: the trailing dots.
        var end = b.count
        while end > 0, b[end - 1] == 0x2E { end -= 1 }
        func lastDot(before i: Int) -> Int? { b[..<i].lastIndex(of: 0x2E) }
        guard let d1 = lastDot(before: end) else { return host }
        let d2 = lastDot(before: d1)
        if lastLabelIsLong(b[(d1 + 1)..<end]) {
            return String(decoding: b[(d2.map { $0 + 1 } ?? 0)..<end], as: UTF8.self)
        }
        guard let d2 else { return host }
        let start = lastDot(before: d2).map { $0 + 1 } ?? 0
        return String(decoding: b[start..<end], as: UTF8.self)
    }

    /// `/(?:\S{3,}|ie|fr|de)/` anywhere in the label.
    static func lastLabelIsLong(_ label: ArraySlice<UInt8>) -> Bool {
        var run = 0
        var previous: UInt8 = 0
        for c in label {
            run = c.isASCIIWhitespaceByte ? 0 : run + 1
            if run >= 3 { return true }
            if (previous == 0x69 && c == 0x65) || (previous == 0x66 && c == 0x72) || (previous == 0x64 && c == 0x65) {
                return true
            }
            previous = c
        }
        return false
    }

    static let hostShape = re(#"^\w+(?:[\w.-]+\.)+\w+$"#)

    /// RelayEval.pm `_check_for_forged_received`, over the untrusted
    /// relays: how many hops' `by` differs from the domain of the previous
    /// hop's reverse DNS, and how many said HELO with an IPv4 address in
    /// another /16 than the one they came from.
    static func forgedTrail(_ ctx: EvalContext) -> (fromMismatches: Int, ipHeloMismatches: Int) {
        ctx.memo.value("forged_trail") { forgedTrail(ctx.views.relays, ctx.memo) }
    }

    static func forgedTrail(_ relays: Relays, _ memo: EvalMemo) -> (fromMismatches: Int, ipHeloMismatches: Int) {
        let untrusted = relays.untrusted
        func shaped(_ s: String) -> Bool { !s.isEmpty && memo.matches(hostShape, Array(s.utf8)) }
        let by = untrusted.map { hostDomain($0.by.lowercased()) }
        var from: [String?] = untrusted.map { hostDomain($0.rdns.lowercased()) }
        let helo = untrusted.map { hostDomain($0.helo.lowercased()) }
        var fromMismatches = 0, ipHeloMismatches = 0
        for i in untrusted.indices {
            guard shaped(by[i]) else { continue }
            let ip = untrusted[i].ip
            if let f = from[i], f == "localhost" || f == "localhost.localdomain", ip == "127.0.0.1" { from[i] = nil }
            let hlo = helo[i]
            if isDottedQuad(hlo), isDottedQuad(ip), ip != hlo {
                let hb = hlo.split(separator: ".").prefix(2), fb = ip.split(separator: ".").prefix(2)
                if hb != fb, !(IPAddress(Substring(hlo))?.isPrivate ?? false) { ipHeloMismatches += 1 }
            }
            // Perl's $from[$i-1] for i = 0 is the last element; the i > 0
            // test keeps it out.
            if i > 0, let prev = from[i - 1], shaped(prev), by[i] != prev, !(by[i] == "msn.com" && prev == "hotmail.com") {
                fromMismatches += 1
            }
        }
        return (fromMismatches, ipHeloMismatches)
    }

    static let dotcomHelo = re(#"(?:\.|^)(?:lycos\.com|lycos\.co\.uk|hotmail\.com|localhost\.com|excite\.com|caramail\.com|cs\.com|aol\.com|msn\.com|yahoo\.com|drizzle\.com)$"#,
                               .caseless)

    /// RelayEval.pm `_check_received_helos`: the last untrusted hop from a
    /// public address said HELO as one of the big dot-coms and its mailer
    /// found no reverse DNS for it (each such hop decides anew).
    static func noReverseDNSDotcomHelo(_ ctx: EvalContext) -> Bool {
        var found = false
        for relay in ctx.views.relays.untrusted where !(IPAddress(Substring(relay.ip))?.isPrivate ?? false) {
            found = relay.noReverseDNS && ctx.memo.matches(dotcomHelo, Array(relay.helo.utf8))
        }
        return found
    }

    /// `^\d+\.\d+\.\d+\.\d+$`
    static func isDottedQuad(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(\.isASCIIDigitByte) }
    }

    // MARK: Envelope sender

    static let srsAddress = re(#"^SRS\d[=+-]"#, .caseless)

    /// HeaderEval.pm `check_ratware_envelope_from`: an envelope sender that
    /// contains the recipient's domain and user as `domain.user@`.
    static func ratwareEnvelopeFrom(_ ctx: EvalContext) -> Bool {
        let to = firstAddress(ctx, "To"), from = firstAddress(ctx, "EnvelopeFrom")
        guard !to.isEmpty, !from.isEmpty, !ctx.memo.matches(srsAddress, from),
              let at = to.firstIndex(of: 64), at > 0, at + 1 < to.count else { return false }
        let user = Array(to[..<at]).lowercasedASCIIBytes()
        let domain = DomainRegistry.registrableDomain(String(decoding: to[(at + 1)...], as: UTF8.self))
        guard DomainRegistry.isDomainValid(domain) else { return false }
        // /\b\Qdomain\E.\Quser\E@/i, by hand.
        let d = Array(domain.utf8).lowercasedASCIIBytes(), f = from.lowercasedASCIIBytes()
        let needed = d.count + 1 + user.count + 1
        guard !d.isEmpty, f.count >= needed else { return false }
        for start in 0...(f.count - needed) {
            if d[0].isASCIIWordByte, start > 0, f[start - 1].isASCIIWordByte { continue }
            if !d[0].isASCIIWordByte, start > 0 ? !f[start - 1].isASCIIWordByte : true { continue }
            guard f[start..<(start + d.count)].elementsEqual(d), f[start + d.count] != 10 else { continue }
            let u = start + d.count + 1
            if f[u..<(u + user.count)].elementsEqual(user), f[u + user.count] == 64 { return true }
        }
        return false
    }
}
