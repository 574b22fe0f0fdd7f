import Foundation
import SwampDNS
import SwampEngine
import SwampMIME
import SwampRegex
import SwampRules

/// SpamAssassin's DNS blocklist rules (Plugin/DNSEval.pm `check_rbl`,
/// `check_rbl_txt`, `check_rbl_sub`, and the sender forms
/// `check_rbl_from_host`, `check_rbl_from_domain`, `check_rbl_envfrom`,
/// `check_rbl_headers`; Dns.pm `check_subtest`): the relay IPs, or the
/// sender's hosts, are looked up in each list, and each rule's verdict
/// becomes a fact (`NetworkFactKey.rbl`) its eval function reads.
struct DNSBLChecks {
    struct Lookup: Hashable {
        var function: String
        var set: String
        var zone: String
        var subtest: String?
        var arguments: [String]
        /// The calling rule's `tflags`, for `domains_only` and `ips_only`.
        var flags: Set<String> = []
    }

    /// The functions that look up the relay IPs, and those that look up
    /// the hosts of sender addresses and headers (always as A queries).
    static let relayFunctions: Set<String> = ["check_rbl", "check_rbl_txt"]
    static let senderFunctions: Set<String> = ["check_rbl_from_host", "check_rbl_from_domain", "check_rbl_envfrom", "check_rbl_headers"]
    /// DNSEval.pm's `rbl_headers` default.
    static let defaultRBLHeaders = "EnvelopeFrom,Reply-To,Disposition-Notification-To,X-WebmailclientIP,X-Source-IP"

    /// SpamAssassin's `num_check_received` default.
    static let maxIPsPerList = 9

    /// The relay and sender lookups, and check_rbl_sub rules by set.
    var lookups: [Lookup] = []
    var subtests: [String: [(subtest: String, arguments: [String])]] = [:]
    var rblHeaders = DNSBLChecks.defaultRBLHeaders

    init() {}

    init(configuration: Configuration) {
        guard !configuration.skipRBLChecks else { return }
        if let h = configuration.otherSettings["rbl_headers"]?.last { rblHeaders = h }
        var seen = Set<[String]>()
        for rule in configuration.rules.values {
            guard case .eval(let function, let args) = rule.test else { continue }
            switch function {
            case _ where Self.relayFunctions.contains(function) || Self.senderFunctions.contains(function):
                guard args.count >= 2, seen.insert([function] + args).inserted else { continue }
                var zone = args[1]
                while zone.hasSuffix(".") { zone.removeLast() }
                lookups.append(Lookup(function: function, set: args[0], zone: zone.lowercased(),
                                      subtest: args.count > 2 ? args[2] : nil, arguments: args,
                                      flags: Set(configuration.tflags[rule.name] ?? [])))
            case "check_rbl_sub":
                guard args.count >= 2, seen.insert([function] + args).inserted else { continue }
                subtests[args[0], default: []].append((args[1], args))
            default:
                continue
            }
        }
        lookups.sort { ($0.set, $0.zone, $0.function) < ($1.set, $1.zone, $1.function) }
    }

    var isEmpty: Bool { lookups.isEmpty }

    /// The IPs a set looks up (DNSEval.pm `_check_rbl_backend`): by default
    /// every untrusted relay, oldest first; "-lastexternal" only the relay
    /// that handed the message to the internal network; "-notfirsthop" all
    /// external relays but the originating one; "-firsttrusted" the first
    /// untrusted relay; "-untrusted" the others. Private addresses are
    /// never looked up.
    static func ips(for set: String, relays: Relays) -> [SwampMIME.IPAddress] {
        func uniquePublic(_ list: [Relay]) -> [SwampMIME.IPAddress] {
            var seen = Set<SwampMIME.IPAddress>()
            return list.compactMap { SwampMIME.IPAddress(Substring($0.ip)) }
                .filter { !$0.isPrivate && seen.insert($0).inserted }
        }
        var ips: [SwampMIME.IPAddress]
        if set.hasSuffix("-lastexternal") || set.hasSuffix("-notfirsthop") {
            ips = uniquePublic(relays.trusted.filter { !$0.isInternal } + relays.untrusted)
            if set.hasSuffix("-lastexternal") {
                ips = Array(ips.prefix(1))
            } else if ips.count > 1 {
                ips.removeLast()
            }
        } else if set.hasSuffix("-firsttrusted") || set.hasSuffix("-untrusted") {
            ips = uniquePublic(relays.untrusted)
            if set.hasSuffix("-firsttrusted") { ips = Array(ips.prefix(1)) } else if !ips.isEmpty { ips.removeFirst() }
        } else {
            ips = uniquePublic(relays.untrusted).reversed()
        }
        return Array(ips.prefix(maxIPsPerList))
    }

    /// "4.3.2.1" for 1.2.3.4; nibbles for IPv6.
    static func reversed(_ ip: SwampMIME.IPAddress) -> String? {
        SwampDNS.IPAddress(bytes: ip.bytes)?.reversedLabels
    }

    /// Dns.pm `check_subtest`: a regex, a bitmask over 127.x.y.z answers,
    /// or an exact answer.
    static func matches(_ answer: String, subtest: String) -> Bool {
        if subtest.allSatisfy(\.isNumber), let mask = UInt32(subtest) {
            guard answer.hasPrefix("127."), let ip = SwampDNS.IPAddress(answer), ip.isIPv4 else { return false }
            let value = ip.bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return value & mask != 0
        }
        if isAddressSubtest(subtest) { return answer == subtest }
        guard let re = try? Regex(subtest) else { return false }
        return re.matches(answer)
    }

    /// `^\d+(?:\.\d+\.\d+\.\d+)?$` in do_rbl_lookup: not a regex.
    static func isAddressSubtest(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return (parts.count == 1 || parts.count == 4) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    /// Looks every list up concurrently and returns the facts for the rules
    /// that hit, plus notes on lookups that failed.
    func run(views: Views, resolver: any DNSResolver) async
        -> (facts: [String: Double], notes: [String], logs: [String: [String]]) {
        // 1. The distinct questions.
        var questions = Set<DNSQuestion>()
        var perLookup: [[DNSQuestion]] = []
        for l in lookups {
            let type: DNSRecordType = l.function == "check_rbl_txt" ? .txt : .a
            let names = Self.relayFunctions.contains(l.function)
                ? Self.ips(for: l.set, relays: views.relays).compactMap(Self.reversed)
                : senderNames(l, views: views)
            let qs = names.map { DNSQuestion(name: "\($0).\(l.zone)", type: type) }
            perLookup.append(qs)
            questions.formUnion(qs)
        }
        // 2. Ask them all at once.
        let answers: [DNSQuestion: Result<[String], DNSError>] = await withTaskGroup(
            of: (DNSQuestion, Result<[String], DNSError>).self) { group in
            for q in questions {
                group.addTask {
                    do throws(DNSError) {
                        let r = try await resolver.query(q.name, q.type)
                        return (q, .success(r.records.compactMap(Self.answerText)))
                    } catch {
                        return (q, .failure(error))
                    }
                }
            }
            var out: [DNSQuestion: Result<[String], DNSError>] = [:]
            for await (q, r) in group { out[q] = r }
            return out
        }
        // 3. Each rule's verdict; answers by set for check_rbl_sub.
        var facts: [String: Double] = [:]
        var notes: [String] = []
        var logs: [String: [String]] = [:]
        var setAnswers: [String: [(DNSQuestion, String)]] = [:]
        for (l, qs) in zip(lookups, perLookup) {
            let key = NetworkFactKey.rbl(l.function, l.arguments)
            for q in qs {
                switch answers[q] {
                case .success(let texts)?:
                    // Dns.pm: A answers outside 127/8 are not listings.
                    let listed = q.type == .a ? texts.filter { $0.hasPrefix("127.") } : texts
                    setAnswers[l.set, default: []] += listed.map { (q, $0) }
                    for answer in listed where l.subtest == nil || Self.matches(answer, subtest: l.subtest!) {
                        facts[key] = 1
                        logs[key, default: []].append(Self.logText(question: q, answer: answer))
                    }
                case .failure(let e)?:
                    notes.append("DNSBL \(l.zone): \(e)")
                case nil:
                    break
                }
            }
        }
        for (set, subs) in subtests {
            let list = setAnswers[set] ?? []
            for (subtest, args) in subs {
                let key = NetworkFactKey.rbl("check_rbl_sub", args)
                for (q, answer) in list where Self.matches(answer, subtest: subtest) {
                    facts[key] = 1
                    logs[key, default: []].append(Self.logText(question: q, answer: answer))
                }
            }
        }
        return (facts, Array(Set(notes)).sorted(), logs)
    }

    /// What Dns.pm `dnsbl_hit` logs for a listing, shown under the rule in
    /// the report: "192.0.2.1 listed in zen.example" for an address (IPv6
    /// too, from its nibbles), "listed in NAME" for a name looked up, and
    /// a TXT answer's text (web addresses in angle brackets).
    static func logText(question q: DNSQuestion, answer: String) -> String {
        var name = q.name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if q.type == .txt { return bracketingURLs(answer) }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 32, labels.prefix(32).allSatisfy({ $0.count == 1 && $0.first!.isHexDigit }) {
            let nibbles = labels.prefix(32).reversed().map(String.init).joined()
            var groups: [String] = []
            var i = nibbles.startIndex
            while i < nibbles.endIndex {
                let j = nibbles.index(i, offsetBy: 4)
                var group = String(nibbles[i..<j])
                // `s/:0{1,3}/:/g` on the joined form: leading zeros of each
                // group but the first go, up to three.
                if !groups.isEmpty {
                    var zeros = 0
                    while zeros < 3, group.first == "0" { group.removeFirst(); zeros += 1 }
                }
                groups.append(group)
                i = j
            }
            return groups.joined(separator: ":") + " listed in " + labels.dropFirst(32).joined(separator: ".")
        }
        if labels.count > 4, labels.prefix(4).allSatisfy({ !$0.isEmpty && $0.allSatisfy({ $0.isASCII && $0.isNumber }) }) {
            return labels.prefix(4).reversed().joined(separator: ".") + " listed in "
                + labels.dropFirst(4).joined(separator: ".")
        }
        return "listed in " + name
    }

    /// `s{(?<![<(\[])(https?://\S+)}{<$1>}gi`.
    static func bracketingURLs(_ text: String) -> String {
        let b = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        func startsURL(_ i: Int) -> Int? {
            for scheme in ["http://", "https://"] {
                let s = Array(scheme.utf8)
                if i + s.count <= b.count, zip(b[i..<(i + s.count)], s).allSatisfy({ $0 | 0x20 == $1 || $0 == $1 }) {
                    return s.count
                }
            }
            return nil
        }
        while i < b.count {
            let before = i > 0 ? b[i - 1] : 0
            if before != UInt8(ascii: "<"), before != UInt8(ascii: "("), before != UInt8(ascii: "["),
               let n = startsURL(i), i + n < b.count, !(b[i + n] == 32 || (b[i + n] >= 9 && b[i + n] <= 13)) {
                var j = i + n
                while j < b.count, !(b[j] == 32 || (b[j] >= 9 && b[j] <= 13)) { j += 1 }
                out.append(UInt8(ascii: "<")); out += b[i..<j]; out.append(UInt8(ascii: ">"))
                i = j
                continue
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What the sender forms look up, before the zone (DNSEval.pm
    /// `_check_rbl_addresses` and `check_rbl_headers`): the hosts after the
    /// "@" of the addresses — all the From-like ones (`check_rbl_from_host`),
    /// their registrable domains (`check_rbl_from_domain`), the envelope
    /// sender (`check_rbl_envfrom`), or those of the `rbl_headers` fields,
    /// where a field without an address gives its host names or IPs
    /// (`check_rbl_headers`). An IP is reversed unless `tflags domains_only`;
    /// a name must be a valid host under a known TLD, and is skipped with
    /// `tflags ips_only`.
    func senderNames(_ l: Lookup, views: Views) -> [String] {
        var hosts: [String] = []
        switch l.function {
        case "check_rbl_from_host":
            hosts = Self.addressHosts(Self.fromAddresses(views))
        case "check_rbl_from_domain":
            var seen = Set<String>()
            hosts = Self.addressHosts(Self.fromAddresses(views)).map(DomainRegistry.registrableDomain)
                .filter { seen.insert($0).inserted }
        case "check_rbl_envfrom":
            hosts = Self.addressHosts(Self.addresses(views, "EnvelopeFrom").prefix(1))
        case "check_rbl_headers":
            let fields = l.arguments.count > 3 ? l.arguments[3] : rblHeaders
            for field in fields.split(separator: ",").map(String.init) {
                let first = Self.addresses(views, field).first
                if let first, first.contains("@") {
                    hosts += Self.addressHosts([first])
                } else if let text = views.header(HeaderQuery(name: field)) {
                    hosts += text.split(separator: UInt8(ascii: "\n")).map {
                        String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
                    }
                }
            }
        default:
            return []
        }
        var seen = Set<String>()
        return hosts.compactMap { host -> String? in
            guard seen.insert(host).inserted else { return nil }
            if let ip = SwampDNS.IPAddress(host) {
                return l.flags.contains("domains_only") ? nil : ip.reversedLabels
            }
            return l.flags.contains("ips_only") || !DomainRegistry.isValidHostName(host) ? nil : host
        }.prefix(Self.maxIPsPerList).map { $0 }
    }

    /// PerMsgStatus `all_from_addrs`: Resent-From when present, else From,
    /// Envelope-Sender, Resent-Sender, X-Envelope-From and the envelope
    /// sender.
    static func fromAddresses(_ views: Views) -> [String] {
        if let resent = addresses(views, "Resent-From").first { return [resent] }
        return ["From", "Envelope-Sender", "Resent-Sender", "X-Envelope-From", "EnvelopeFrom"].flatMap { addresses(views, $0) }
    }

    static func addresses(_ views: Views, _ field: String) -> [String] {
        guard let v = views.header(HeaderQuery(name: field, modifier: .addr)) else { return [] }
        return v.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self).lowercased() }.filter { !$0.isEmpty }
    }

    /// `_check_rbl_addresses`: the text after the last "@", outer dots
    /// stripped and runs of dots squashed; only names with a dot.
    static func addressHosts<S: Sequence<String>>(_ addresses: S) -> [String] {
        addresses.compactMap { a -> String? in
            guard let at = a.lastIndex(of: "@") else { return nil }
            var host = String(a[a.index(after: at)...].prefix { $0 != " " && $0 != "\t" })
            while host.contains("..") { host = host.replacingOccurrences(of: "..", with: ".") }
            host = String(host.drop { $0 == "." })
            while host.hasSuffix(".") { host.removeLast() }
            return host.contains(".") ? host : nil
        }
    }

    static func answerText(_ r: DNSRecord) -> String? {
        switch r {
        case .a(let b): return b.map(String.init).joined(separator: ".")
        case .txt: return r.joinedText.map { String(decoding: $0, as: UTF8.self) }
        default: return nil
        }
    }
}

struct DNSQuestion: Hashable, Sendable {
    var name: String
    var type: DNSRecordType
}
