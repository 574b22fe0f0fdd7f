// Header fields → (prefix, text) pairs for the line tokenizer, as
// SpamAssassin's Plugin/Bayes.pm `_tokenize_headers` prepares them: noisy
// and filter-added headers dropped, only the two oldest Received headers
// kept, Message-ID, address, Received and Content-Type values "pre-chewed",
// relay pseudo-headers added, and some names compressed (`From` → `*F`).

import SwampMIME
import SwampRegex

struct HeaderTokenSource {
    /// Headers that give no useful tokens, or were written by a filter
    /// (the names of Plugin/Bayes.pm's `$IGNORED_HDRS`, matched whole and
    /// case-insensitively).
    static let ignored: Regex = try! Regex(
        "^(?:(?:X-)?Sender|Delivered-To|Delivery-Date|(?:X-)?Envelope-To|X-MIME-Auto[Cc]onverted"
        + "|X-Converted-To-Plain-Text|Subject|Date|X-List|(?:X-)?Mailing-List"
        + "|(?:X-)?List-(?:Archive|Help|Id|Owner|Post|Subscribe|Unsubscribe|Host|Manager|Admin|Comment|Name|Url)"
        + "|X-Unsub(?:scribe)?|X-Mailman-Version|X-Been[Tt]here|X-Loop|Mail-Followup-To"
        + "|X-eGroups-(?:Return|From)|X-MDMailing-List|X-XEmacs-List|X-Sympa-To"
        + "|(?:X-)?Resent-(?:From|To|Date)|(?:X-)?Original-(?:From|To|Date)"
        + "|X-MailScanner(?:-SpamCheck)?|X-Spam(?:-(?:Status|Level|Flag|Report|Hits|Score|Checker-Version))?"
        + "|X-Antispam|X-RBL-Warning|X-Mailscanner|X-MDaemon-Deliver-To|X-Virus-Scanned|X-Mass-Check-Id"
        + "|X-Pyzor|X-DCC-\\S{2,25}-Metrics|X-Filtered-B[Yy]|X-Scanned-By|X-Scanner"
        + "|X-AP-Spam-(?:Score|Status)|X-RIPE-Spam-Status|X-SpamCop-[^:]+|X-SMTPD|(?:X-)?Spam-Apparently-To"
        + "|SPAM|X-Perlmx-Spam|X-Bogosity|Content-Class|Thread-(?:Index|Topic)|X-Original[Aa]rrival[Tt]ime"
        + "|(?:X-)?Status|X-Flags|X-Keywords|Replied|Forwarded|Lines|Content-Length|X-UIDL?|X-IMAPbase"
        + "|X-Bugzilla-[^:]+|X-VM-(?:Bookmark|(?:POP|IMAP)-Retrieved|Labels|Last-Modified|Summary-Format|VHeader|v\\d-Data|Message-Order)"
        + "|X-Gnus-Mail-Source|Xref)$", options: [.caseless])

    /// Headers whose presence alone is kept: their values are all hapaxes.
    static let presenceOnly: Regex = try! Regex(
        "^(?:X-Face|X-(?:Gnu-?PG|PGP|GPG)(?:-Key)?-Fingerprint|D(?:KIM|omainKey)-Signature"
        + "|X-Google-DKIM-Signature|ARC-(?:Message-Signature|Seal)|Autocrypt)$", options: [.caseless])

    /// Short names for frequent headers (case-sensitive, as SpamAssassin's
    /// table is).
    static let compressed: [String: String] = [
        "Message-Id": "*m", "Message-ID": "*M", "Received": "*r", "User-Agent": "*u",
        "References": "*f", "In-Reply-To": "*i", "From": "*F", "Reply-To": "*R",
        "Return-Path": "*p", "Return-path": "*rp", "X-Mailer": "*x",
        "X-Authentication-Warning": "*a", "Organization": "*o", "Organisation": "*o",
        "Content-Type": "*ct", "Content-Disposition": "*cd", "Content-Transfer-Encoding": "*ce",
        "x-spam-relays-trusted": "*RT", "x-spam-relays-untrusted": "*RU",
    ]

    static let addressHeaders: Set<String> = [
        "return-path", "from", "to", "cc", "reply-to", "errors-to", "mail-followup-to", "sender",
    ]

    /// (prefix, value) pairs in first-seen order of prefix; values of one
    /// prefix joined with a space.
    static func collect(views: Views, ignoredHeaders: Set<String>) -> [(String, [UInt8])] {
        let fields = decodedFields(views)
        var kept: [(String, [UInt8])] = []
        var received: [(String, [UInt8])] = []
        for f in fields {
            if f.0.lowercased() == "received" { received.append(f); continue }
            if Prechew.matches(ignored, Array(f.0.utf8)) { continue }
            kept.append(f)
        }
        // The relay pseudo-headers SpamAssassin adds as message metadata
        // (sorted by their lowercase names).
        for name in ["x-spam-relays-external", "x-spam-relays-internal",
                     "x-spam-relays-trusted", "x-spam-relays-untrusted"] {
            var v = views.header(HeaderQuery(name: name)) ?? []
            while v.last == 10 { v.removeLast() }
            kept.append((name, v))
        }
        // The two oldest Received headers: spamware and HELO names.
        if let last = received.last { kept.append(last) }
        if received.count >= 2 { kept.append(received[received.count - 2]) }

        var order: [String] = []
        var parsed: [String: [UInt8]] = [:]
        func add(_ key: String, _ val: [UInt8]) {
            if var existing = parsed[key] {
                existing.append(32); existing += val; parsed[key] = existing
            } else {
                parsed[key] = val; order.append(key)
            }
        }
        for (name, rawValue) in kept {
            var val = rawValue
            let lname = name.lowercased()
            if ignoredHeaders.contains(lname) { continue }
            if lname == "message-id" || lname == "x-message-id" || lname == "resent-message-id" {
                val = Prechew.messageID(val)
            } else if addressHeaders.contains(lname) || addressHeaders.contains(lname.droppingPrefix("x-"))
                        || addressHeaders.contains(lname.droppingPrefix("resent-")) {
                val = Prechew.addressHeader(val)
            } else if name == "Received" {
                val = Prechew.received(val)
            } else if name == "Content-Type" {
                val = Prechew.contentType(val)
            } else if name == "MIME-Version" {
                val = Prechew.replaceFirst(Array("1.0".utf8), in: val)
            } else if Prechew.matches(presenceOnly, Array(name.utf8)) {
                val = [49]
            } else if name.hasPrefix("x-spam-relays-") {
                val = Prechew.relayWords(val)
            }
            if lname == "in-reply-to" || lname == "references" || lname == "message-id" { add("*MI", val) }
            if lname == "from" || lname == "to" || lname == "cc" { add("*Ad", val) }
            if lname == "x-mailer" || lname == "user-agent" { add("*UA", val) }
            add(compressed[name] ?? name, val)
        }
        return order.map { ($0, parsed[$0]!) }
    }

    /// Top-level header fields as (name, decoded value), in order:
    /// SpamAssassin's `get_all_headers()` split back into fields.
    static func decodedFields(_ views: Views) -> [(String, [UInt8])] {
        // The fields themselves, when splitting `ALL` would give them back
        // one for one.
        if let fields = views.decodedHeaderFields() {
            return fields.map { ($0.name, [32] + $0.value) }
        }
        let headers = views.message.headers
        guard let all = views.header(HeaderQuery(name: "ALL")) else { return [] }
        var out: [(String, [UInt8])] = []
        out.reserveCapacity(headers.count)
        var pos = 0
        for (i, h) in headers.enumerated() {
            let prefix = Array(h.name.utf8) + [58, 32]
            guard all.count >= pos + prefix.count, all[pos..<(pos + prefix.count)].elementsEqual(prefix) else { break }
            let start = pos + prefix.count
            var end = all.count
            if i + 1 < headers.count {
                let next = [10] + Array(headers[i + 1].name.utf8) + [58, 32]
                var j = start
                end = -1
                while j + next.count <= all.count {
                    if all[j] == 10 && all[j..<(j + next.count)].elementsEqual(next) { end = j; break }
                    j += 1
                }
                if end < 0 { end = all.count }
            } else {
                while end > start && all[end - 1] == 10 { end -= 1 }
            }
            var value = Array(all[start..<end])
            while value.last == 10 { value.removeLast() }
            // get_header() keeps the space after the colon in the value.
            out.append((h.name, [32] + value))
            pos = min(all.count, end + 1)
        }
        return out
    }
}

extension String {
    func droppingPrefix(_ p: String) -> String { hasPrefix(p) ? String(dropFirst(p.count)) : self }
}
