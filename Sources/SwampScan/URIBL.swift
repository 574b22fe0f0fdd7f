import SwampDNS
import SwampEngine
import SwampMIME
import SwampRules

/// SpamAssassin's URIDNSBL plugin (Plugin/URIDNSBL.pm): the hosts of the
/// message's URIs are looked up in the blocklists the `urirhssub`,
/// `uridnsbl` ... directives name, and each listed rule becomes a fact
/// (`NetworkFactKey.uribl`) that `check_uridnsbl` reads.
///
/// The lookups run in three rounds, each question once and every question
/// of a round concurrently: (1) the blocklists for URI domains and
/// addresses, and the NS and A records of the URI hosts; (2) the lists for
/// name servers and for host addresses, and the name servers' addresses;
/// (3) the lists for those addresses.
struct URIBLChecks {
    struct Rule {
        var name: String
        var list: URIBlocklist
        var flags: Set<String>

        /// `tflags a`: the host's own addresses; `ns` (the default without
        /// either): its domain's name servers' addresses.
        var usesHostAddress: Bool { list.kind == .address && flags.contains("a") }
        var usesNameServerAddress: Bool { list.kind == .address && (flags.contains("ns") || !flags.contains("a")) }
    }

    var rules: [Rule] = []
    var skipDomains: Set<String> = []
    var maxDomains = 20
    var skipMailto = true

    init() {}

    init(configuration c: Configuration) {
        guard !c.skipURIBLChecks else { return }
        skipDomains = c.uridnsblSkipDomains
        maxDomains = c.uridnsblMaxDomains
        skipMailto = c.uridnsblSkipMailto
        for (name, list) in c.uriBlocklists.sorted(by: { $0.key < $1.key }) where Self.isScored(name, c) {
            rules.append(Rule(name: name, list: list, flags: Set(c.tflags[name] ?? [])))
        }
    }

    /// URIDNSBL.pm `check_dnsbl` skips rules without a score: no rule line,
    /// or a zero score in the network score sets (1 and 3).
    static func isScored(_ name: String, _ c: Configuration) -> Bool {
        guard c.rules[name] != nil else { return false }
        guard let s = c.scores[name] else { return true }
        let sets = s.count == 4 ? [s[1], s[3]] : s
        return sets.contains { $0 != 0 }
    }

    var isEmpty: Bool { rules.isEmpty }

    /// The URI hosts to look up: those not in `uridnsbl_skip_domain` (by
    /// host or by domain), at most `uridnsbl_max_domains`. SpamAssassin
    /// picks at random among the surplus, ranked by link type; swamp takes
    /// them in message order, so a scan is repeatable.
    func hosts(_ views: Views) -> (hosts: [URIHost], dropped: Int) {
        let all = views.uriHosts(skipMailto: skipMailto).filter {
            !skipDomains.contains($0.host) && !skipDomains.contains($0.domain)
        }
        return (Array(all.prefix(maxDomains)), max(0, all.count - maxDomains))
    }

    /// Looks the hosts up; returns the facts for the rules that hit and
    /// notes on lookups that failed or were skipped.
    func run(views: Views, resolver: any DNSResolver) async
        -> (facts: [String: Double], notes: [String], logs: [String: [String]]) {
        let (hosts, dropped) = hosts(views)
        var notes: Set<String> = []
        if dropped > 0 { notes.insert("URIBL: \(dropped) more URI hosts not looked up (uridnsbl_max_domains \(maxDomains))") }
        guard !hosts.isEmpty else { return ([:], notes.sorted(), [:]) }

        let domainRules = rules.indices.filter { rules[$0].list.kind == .domain }
        let nsNameRules = rules.indices.filter { rules[$0].list.kind == .nameServerDomain || rules[$0].list.kind == .nameServer }
        let hostAddressRules = rules.indices.filter { rules[$0].usesHostAddress }
        let nsAddressRules = rules.indices.filter { rules[$0].usesNameServerAddress }
        // URIDNSBL.pm `complete_ns_lookup` also sends the name servers'
        // addresses to the `tflags a` rules; URIBL_SBL_A and URIBL_CSS_A
        // count on it.
        let nsAddressTargets = nsAddressRules + hostAddressRules.filter { !nsAddressRules.contains($0) }
        let wantNS = !nsNameRules.isEmpty || !nsAddressRules.isEmpty

        // 1. Blocklists for the URI domains; NS and A records of the hosts.
        var lists = ListQueries()
        var lookups = Set<DNSQuestion>()
        for h in hosts {
            if let ip = SwampMIME.IPAddress(Substring(h.host)), ip.bytes.count == 4 {
                guard !ip.isPrivate else { continue }
                for i in domainRules where !rules[i].flags.contains("domains_only") {
                    lists.add(h.host, rule: i, rules)
                }
                continue
            }
            let domain = h.domain
            for i in domainRules where !rules[i].flags.contains("ips_only") {
                lists.add(rules[i].flags.contains("notrim") ? h.host : domain, rule: i, rules)
            }
            if wantNS { lookups.insert(DNSQuestion(name: domain, type: .ns)) }
            if !hostAddressRules.isEmpty { lookups.insert(DNSQuestion(name: h.host, type: .a)) }
        }
        var answers = await Self.ask(lookups.union(lists.questions), resolver: resolver)

        // 2. Name servers: their names in the NS lists, their addresses
        // looked up; host addresses in the address lists.
        var lists2 = ListQueries()
        var nsAddressLookups = Set<DNSQuestion>()
        for q in lookups {
            guard case .success(let records)? = answers[q] else { continue }
            if q.type == .ns {
                for case .ns(let target) in records.prefix(Self.maxRecordsPerAnswer) {
                    var name = target.lowercased()
                    while name.hasSuffix(".") { name.removeLast() }
                    if let ip = SwampMIME.IPAddress(Substring(name)) {
                        // An address where a name belongs: used as is when
                        // public IPv4, like SpamAssassin.
                        guard ip.bytes.count == 4, !ip.isPrivate else { continue }
                        for i in nsNameRules { lists2.add(name, rule: i, rules) }
                        continue
                    }
                    guard !name.isEmpty else { continue }
                    for i in nsNameRules {
                        lists2.add(rules[i].list.kind == .nameServer ? name : DomainRegistry.registrableDomain(name), rule: i, rules)
                    }
                    if !nsAddressTargets.isEmpty { nsAddressLookups.insert(DNSQuestion(name: name, type: .a)) }
                }
            } else {
                for address in Self.addresses(records) {
                    for i in hostAddressRules { lists2.add(address, rule: i, rules, from: q.name) }
                }
            }
        }
        // A question an earlier round asked (a URI host that is also a name
        // server) is not asked again.
        let round2 = await Self.ask(lists2.questions.union(nsAddressLookups).subtracting(answers.keys), resolver: resolver)
        answers.merge(round2) { a, _ in a }

        // 3. The name servers' addresses in the address lists.
        var lists3 = ListQueries()
        for q in nsAddressLookups {
            guard case .success(let records)? = answers[q] else { continue }
            for address in Self.addresses(records) {
                for i in nsAddressTargets { lists3.add(address, rule: i, rules, from: q.name) }
            }
        }
        let round3 = await Self.ask(lists3.questions.subtracting(answers.keys), resolver: resolver)
        answers.merge(round3) { a, _ in a }

        // Verdicts with what was listed (URIDNSBL.pm `got_dnsbl_hit` logs
        // "URI: NAME", or "URI: HOST/ADDRESS" for an address found by
        // looking a name up), and notes on what failed.
        var facts: [String: Double] = [:]
        var logs: [String: Set<String>] = [:]
        for l in [lists, lists2, lists3] {
            for (q, ruleIndices) in l.rulesByQuestion {
                guard case .success(let records)? = answers[q] else { continue }
                for i in ruleIndices where Self.listed(records, rule: rules[i]) {
                    let key = NetworkFactKey.uribl(rules[i].name)
                    facts[key] = 1
                    if let item = l.itemByQuestion[q] { logs[key, default: []].insert("URI: " + item) }
                }
            }
        }
        for (q, answer) in answers {
            guard case .failure(let e) = answer else { continue }
            let zone = [lists, lists2, lists3].lazy.compactMap { $0.zoneByQuestion[q] }.first
            notes.insert("URIBL \(zone ?? "\(q.type) lookup"): \(Self.noteText(e))")
        }
        return (facts, notes.sorted(), logs.mapValues { $0.sorted() })
    }

    /// Records per NS or A answer that are followed, so one hostile answer
    /// cannot fan out into hundreds of questions (the budget would stop
    /// them too, at the expense of the other lists).
    static let maxRecordsPerAnswer = 8

    static func addresses(_ records: [DNSRecord]) -> [String] {
        records.prefix(maxRecordsPerAnswer).compactMap {
            if case .a(let b) = $0 { return b.map(String.init).joined(separator: ".") }
            return nil
        }
    }

    /// URIDNSBL.pm `complete_dnsbl_lookup`: with no sub-test any TXT answer
    /// and any A answer inside 127.0.0.0/8 lists the name.
    static func listed(_ records: [DNSRecord], rule: Rule) -> Bool {
        for r in records {
            let answer: String
            let isAddress: Bool
            switch r {
            case .a(let b) where rule.list.type == "A":
                answer = b.map(String.init).joined(separator: "."); isAddress = true
            case .txt where rule.list.type == "TXT":
                answer = String(decoding: r.joinedText ?? [], as: UTF8.self); isAddress = false
            default:
                continue
            }
            if let subtest = rule.list.subtest {
                if subtest.matches(answer, isAddress: isAddress) { return true }
            } else if !isAddress || answer.hasPrefix("127.") {
                return true
            }
        }
        return false
    }

    /// A note names the zone and the kind of failure, never the name asked,
    /// so a message with many URIs adds one line per list, not per URI.
    static func noteText(_ e: DNSError) -> String {
        if case .invalidName = e { return "name too long for DNS" }
        return e.description
    }

    /// Asks every question concurrently.
    static func ask(_ questions: Set<DNSQuestion>, resolver: any DNSResolver) async -> [DNSQuestion: Result<[DNSRecord], DNSError>] {
        guard !questions.isEmpty else { return [:] }
        return await withTaskGroup(of: (DNSQuestion, Result<[DNSRecord], DNSError>).self) { group in
            for q in questions {
                group.addTask {
                    // The answer is bound before the pair is built: for
                    // `(q, .success(try await ...))` in an async closure,
                    // Swift 6.3's optimised code mishandled `q` when the
                    // query threw, and the daemon crashed on freed memory
                    // under load (URIBLConcurrencyTests; the load of
                    // bench/daemon.py --swamp-network).
                    let answer: Result<[DNSRecord], DNSError>
                    do throws(DNSError) {
                        answer = .success(try await resolver.query(q.name, q.type).records)
                    } catch {
                        answer = .failure(error)
                    }
                    return (q, answer)
                }
            }
            var out: [DNSQuestion: Result<[DNSRecord], DNSError>] = [:]
            for await (q, r) in group { out[q] = r }
            return out
        }
    }
}

/// Blocklist questions of one round, each asked once for all the rules
/// that need it.
struct ListQueries {
    var rulesByQuestion: [DNSQuestion: [Int]] = [:]
    var zoneByQuestion: [DNSQuestion: String] = [:]
    /// What each question looks up, for the report: the name or address,
    /// after the name it was found by (`from`) when there is one.
    var itemByQuestion: [DNSQuestion: String] = [:]

    var questions: Set<DNSQuestion> { Set(rulesByQuestion.keys) }

    /// URIDNSBL.pm `lookup_single_dnsbl`: a dotted quad is reversed, a name
    /// is asked as it is, under the rule's zone.
    mutating func add(_ item: String, rule i: Int, _ rules: [URIBLChecks.Rule], from origin: String? = nil) {
        let list = rules[i].list
        var name = item
        if let ip = SwampDNS.IPAddress(item), ip.isIPv4 { name = ip.reversedLabels }
        let q = DNSQuestion(name: "\(name).\(list.zone)", type: list.type == "TXT" ? .txt : .a)
        if !(rulesByQuestion[q]?.contains(i) ?? false) { rulesByQuestion[q, default: []].append(i) }
        zoneByQuestion[q] = list.zone
        // The first name an address was found by, as URIDNSBL.pm asks each
        // list once per address.
        if itemByQuestion[q] == nil { itemByQuestion[q] = origin.map { "\($0)/\(item)" } ?? item }
    }
}
