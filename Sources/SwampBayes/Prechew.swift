// The "pre-chewing" of some header values before tokenizing
// (Plugin/Bayes.pm `_pre_chew_*`): fewer hapaxes, more specific tokens.

import Foundation
import SwampRegex

enum Prechew {
    // Received: mail server queue ids and dates are noise.
    static let sendmailSMTPId = try! Regex("\\swith\\sSMTP\\sid\\sg[\\dA-Z]{10,12}\\s", options: [.dotAll])
    static let sendmailESMTPId = try! Regex("\\swith\\sESMTP\\sid\\s[\\dA-F]{10,12}\\s", options: [.dotAll])
    static let queueId = try! Regex("\\bid\\s[a-zA-Z0-9]{7,20}\\b", options: [.dotAll])
    static let eximId = try! Regex("\\bid\\s[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-0[A-Za-z0-9]", options: [.dotAll])
    /// An RFC 2822 date with optional weekday, zone and comment.
    static let date = try! Regex(
        "(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\\s)?[0-3\\s]?[0-9]\\s"
        + "(?:Jan|Feb|Ma[ry]|Apr|Ju[nl]|Aug|Sep|Oct|Nov|Dec)\\s(?:19|20)?[0-9]{2}\\s"
        + "[0-2][0-9](?:\\:[0-5][0-9]){1,2}\\s(?:\\s*\\(|\\)|\\s*(?:[+-][0-9]{4})|\\s*(?:UT|[A-Z]{2,3}T))*")
    static let ipv4 = try! Regex("\\b\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\b")
    static let receivedStop = try! Regex("\\b(?:with|from|for|SMTP|ESMTP)\\b")

    static func received(_ value: [UInt8]) -> [UInt8] {
        var v = value
        v = replaceAll(sendmailSMTPId, in: v, with: [32])
        v = replaceAll(sendmailESMTPId, in: v, with: [32])
        v = replaceAll(queueId, in: v, with: [32])
        v = replaceAll(eximId, in: v, with: [32])
        v = replaceAll(date, in: v, with: [])
        // IPs: to the /24, plus "ip*" and the full address. (SpamAssassin
        // means to keep 10/8 and 192.168/16 whole, but its test compares
        // "10." with "10" and never does; matched here for compatible
        // tokens.)
        v = replaceAll(ipv4, in: v) { ip in
            let parts = ip.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            var out = Array(parts[0]) + [46] + Array(parts[1]) + [46] + Array(parts[2])
            out += Array(" ip*".utf8) + ip + [32]
            return out
        }
        v = replaceAll(receivedStop, in: v, with: [32])
        return v
    }

    static let outlookExpressId = try! Regex(
        "<[0-9a-f]{4}[0-9a-f]{4}[0-9a-f]{4}\\$[0-9a-f]{4}[0-9a-f]{4}\\$[0-9a-f]{8}@\\S+>")
    static let eximMessageId = try! Regex("<[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-0[A-Za-z0-9]@")
    static let sendmailMessageId = try! Regex(
        "<20\\d\\d[01]\\d[0123]\\d[012]\\d[012345]\\d[012345]\\d\\.[A-F0-9]{10,12}@")

    static func messageID(_ value: [UInt8]) -> [UInt8] {
        var v = replaceAll(outlookExpressId, in: value) { m in
            // <AAAAxxxxxxxx$BBBBxxxx$CCCCCCCC@host> → " OEAAAAA OEBBBBB OECCCCCCCCC host "
            let a = m[1..<5], b = m[14..<18], c = m[23..<31], host = m[32..<(m.count - 1)]
            var out: [UInt8] = Array(" OEA".utf8)
            out += a
            out += Array(" OEB".utf8)
            out += b
            out += Array(" OEC".utf8)
            out += c
            out.append(32)
            out += host
            out.append(32)
            return out
        }
        if let r = eximMessageId.firstMatch(in: v) { v.removeSubrange(r) }
        v = replaceAll(sendmailMessageId, in: v, with: [])
        return v.map { isWord($0) ? $0 : 32 }
    }

    static func contentType(_ value: [UInt8]) -> [UInt8] {
        var v = value
        // boundary="..." is replaced by a space; the last boundary's text is
        // appended with hex digits as H and separator runs split out.
        var boundary: [UInt8]? = nil
        var out: [UInt8] = []
        var i = 0
        let key = Array("boundary=".utf8)
        while i < v.count {
            if i + key.count < v.count, v[i..<(i + key.count)].map(asciiLower).elementsEqual(key),
               v[i + key.count] == 34 || v[i + key.count] == 39 {
                let start = i + key.count + 1
                if let close = v[start...].firstIndex(where: { $0 == 34 || $0 == 39 }) {
                    boundary = Array(v[start..<close])
                    out.append(32)
                    i = close + 1
                    continue
                }
            }
            out.append(v[i]); i += 1
        }
        if let b = boundary {
            v = out
            var chewed: [UInt8] = []
            var j = 0
            while j < b.count {
                let c = b[j]
                if c == 45 || c == 95 || c == 46 || c == 61 {
                    chewed.append(32)
                    while j < b.count && (b[j] == 45 || b[j] == 95 || b[j] == 46 || b[j] == 61) { chewed.append(b[j]); j += 1 }
                    chewed.append(32)
                    continue
                }
                let isHex = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
                chewed.append(isHex ? UInt8(ascii: "H") : c)
                j += 1
            }
            v += chewed
        }
        // "text" and "charset" end up exactly grey.
        for word in ["text", "charset"] {
            v = replaceWord(Array(word.utf8), in: v)
        }
        return v
    }

    /// `s/ [a-z]+=/ /g` on the relay pseudo-headers: drop the field names.
    static func relayWords(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.count)
        var i = 0
        while i < value.count {
            if value[i] == 32 {
                var j = i + 1
                while j < value.count && value[j] >= 97 && value[j] <= 122 { j += 1 }
                if j > i + 1 && j < value.count && value[j] == 61 { out.append(32); i = j + 1; continue }
            }
            out.append(value[i]); i += 1
        }
        return out
    }

    /// Address headers become `N*` phrase words and `U*`/`D*` address
    /// parts (Util::parse_header_addresses, simplified: the phrase is the
    /// text before `<addr>`, or a trailing `(comment)`).
    static func addressHeader(_ value: [UInt8]) -> [UInt8] {
        var toks: [[UInt8]] = []
        for entry in splitAddresses(value) {
            var phrase: [UInt8] = []
            var address: [UInt8] = []
            if let lt = entry.lastIndex(of: 60), let gt = entry[lt...].firstIndex(of: 62) {
                phrase = Array(entry[..<lt])
                address = Array(entry[(lt + 1)..<gt])
            } else if let lp = entry.firstIndex(of: 40), let rp = entry.lastIndex(of: 41), lp < rp {
                phrase = Array(entry[(lp + 1)..<rp])
                address = Array(entry[..<lp])
            } else {
                address = entry
            }
            phrase = phrase.filter { $0 != 34 }
            for w in phrase.split(whereSeparator: isPerlSpace) { toks.append(Array("N*".utf8) + w) }
            let trimmed = address.filter { !isPerlSpace($0) }
            if !trimmed.isEmpty {
                var addrToks: [[UInt8]] = []
                LineTokenizer.mailAddressTokens(trimmed, into: &addrToks)
                toks += addrToks
            }
        }
        return Array(toks.joined(separator: [32]))
    }

    /// Splits at commas outside quotes, angle brackets and comments.
    static func splitAddresses(_ v: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var cur: [UInt8] = []
        var quoted = false, angle = 0, paren = 0
        var i = 0
        while i < v.count {
            let c = v[i]
            if c == 92 && i + 1 < v.count { cur.append(v[i + 1]); i += 2; continue }
            if c == 34 { quoted.toggle() }
            else if !quoted {
                if c == 60 { angle += 1 } else if c == 62 { angle = max(0, angle - 1) }
                else if c == 40 { paren += 1 } else if c == 41 { paren = max(0, paren - 1) }
                else if c == 44 && angle == 0 && paren == 0 {
                    if !cur.isEmpty { out.append(cur) }
                    cur = []; i += 1; continue
                }
            }
            cur.append(c); i += 1
        }
        if cur.contains(where: { !isPerlSpace($0) }) { out.append(cur) }
        return out
    }

    // MARK: helpers

    static func replaceAll(_ re: Regex, in v: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        replaceAll(re, in: v) { _ in replacement }
    }

    // Match data comes from the shared pool (`MatchScratch.borrowing`).

    static func matches(_ re: Regex, _ v: [UInt8]) -> Bool {
        MatchScratch.borrowing { scratch in
            v.withUnsafeBufferPointer { buf in
                if case .match = re.search(buf, scratch: scratch) { return true }
                return false
            }
        }
    }

    static func replaceAll(_ re: Regex, in v: [UInt8], _ f: ([UInt8]) -> [UInt8]) -> [UInt8] {
        let scratch = MatchScratch.take()
        defer { MatchScratch.give(scratch) }
        var out: [UInt8] = []
        var copied = 0
        var pos = 0
        var matched = false
        v.withUnsafeBufferPointer { buf in
            while pos <= buf.count {
                guard case .match(let r) = re.search(buf, from: pos, notEmptyAtStart: false, scratch: scratch) else { break }
                matched = true
                out.append(contentsOf: buf[copied..<r.lowerBound])
                out += f(Array(buf[r]))
                copied = r.upperBound
                pos = r.isEmpty ? r.upperBound + 1 : r.upperBound
            }
        }
        if !matched { return v }
        out.append(contentsOf: v[copied...])
        return out
    }

    static func replaceFirst(_ needle: [UInt8], in v: [UInt8]) -> [UInt8] {
        guard needle.count <= v.count else { return v }
        for i in 0...(v.count - needle.count) where v[i..<(i + needle.count)].elementsEqual(needle) {
            var out = v
            out.removeSubrange(i..<(i + needle.count))
            return out
        }
        return v
    }

    /// `s/\bWORD\b/ /g`, case-sensitive.
    static func replaceWord(_ word: [UInt8], in v: [UInt8]) -> [UInt8] {
        guard v.count >= word.count else { return v }
        var out: [UInt8] = []
        var i = 0
        while i < v.count {
            if i + word.count <= v.count, v[i..<(i + word.count)].elementsEqual(word),
               i == 0 || !isWord(v[i - 1]), i + word.count == v.count || !isWord(v[i + word.count]) {
                out.append(32); i += word.count; continue
            }
            out.append(v[i]); i += 1
        }
        return out
    }
}
