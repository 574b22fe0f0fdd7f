import SwampAuth
import SwampDNS
import SwampEngine
import SwampMIME
import SwampRules

/// What the network checks found for one message.
public struct NetworkFindings: Sendable {
    /// Fact keys (`NetworkFactKey`) → 1, for `Facts.externalHits`.
    public var facts: [String: Double] = [:]
    /// What the checks noted about their hits, by the same keys
    /// (`Facts.externalLogs`): the listed address and list of a DNSBL hit.
    public var logs: [String: [String]] = [:]
    public var spf: SPFOutcome?
    public var spfHelo: SPFOutcome?
    public var dkim: [DKIMSignatureOutcome] = []
    /// A `Received-SPF:` field value (RFC 7208 §9.1) for the mail-from check.
    public var receivedSPF: String?
    /// Lines for the report: failures and skipped checks (SECURITY.md: "fail visible").
    public var notes: [String] = []
    public var dnsQueries = 0
    /// Forward-confirmed PTR names of the first untrusted relay, looked up
    /// only when its Received header recorded no rDNS (`lookupRDNS`).
    /// Informational: RDNS_NONE and RDNS_DYNAMIC read the headers, as in
    /// SpamAssassin.
    public var firstUntrustedRDNS: [String]?
}

/// SPF and DKIM for a scan (issue 5), run when `dns_available` allows.
/// One value is shared by every scan: it holds the resolver and its cache;
/// each message gets its own query budget.
public struct NetworkChecks: Sendable {
    public let resolver: any DNSResolver
    /// Per message: DNS queries and wall time for all checks together.
    public var maxQueriesPerMessage = 300
    /// The share of those the URI blocklists may use, so that a message
    /// full of links cannot leave SPF, DKIM and the relay lists without.
    /// Twenty URI hosts (`uridnsbl_max_domains`) under the stock lists need
    /// about 200 in the worst case; most messages need a few dozen.
    public var maxURIBLQueriesPerMessage = 150
    public var timeLimit: Duration = .seconds(10)
    public var receivingHost = "unknown"
    /// Look up the first untrusted relay's PTR when its MTA recorded none.
    public var lookupRDNS = true

    public init(resolver: any DNSResolver) {
        self.resolver = resolver
    }

    /// The resolver `dns_server` names (or the system's), behind `cache`;
    /// nil when `dns_available no`.
    public static func make(configuration: Configuration, cache: DNSCache = DNSCache(),
                            queryTimeout: Duration = .seconds(3)) throws(DNSError) -> NetworkChecks? {
        guard configuration.dnsAvailable else { return nil }
        let base = try LDNSResolver(dnsServers: configuration.dnsServers, timeout: queryTimeout)
        return NetworkChecks(resolver: CachingResolver(base: base, cache: cache))
    }

    /// Runs SPF (mail from and HELO), DKIM and, given the configuration,
    /// its DNSBL and URI blocklist rules concurrently under one budget.
    public func run(views: Views, configuration: Configuration? = nil,
                    deadline: ContinuousClock.Instant? = nil) async -> NetworkFindings {
        var limit = timeLimit
        if let deadline { limit = min(limit, max(.zero, deadline - .now)) }
        let budget = DNSBudget(maxQueries: maxQueriesPerMessage, timeLimit: limit)
        let dns = BudgetedResolver(base: resolver, budget: budget)

        async let spfPair = spf(views: views, configuration: configuration, resolver: dns)
        async let dkimOutcomes = DKIMVerifier(resolver: dns).verify(views.message.bytes)
        let lists = configuration.map(DNSBLChecks.init) ?? DNSBLChecks()
        async let listed = lists.isEmpty ? ([:], [], [:]) : lists.run(views: views, resolver: dns)
        let uriLists = configuration.map(URIBLChecks.init) ?? URIBLChecks()
        let uriDNS = BudgetedResolver(base: dns, budget: DNSBudget(maxQueries: maxURIBLQueriesPerMessage, timeLimit: limit))
        async let uriListed = uriLists.isEmpty ? ([:], [], [:]) : uriLists.run(views: views, resolver: uriDNS)
        let (mfrom, helo, spfNotes) = await spfPair
        let dkim = await dkimOutcomes
        let (rblFacts, rblNotes, rblLogs) = await listed
        let (uriblFacts, uriblNotes, uriblLogs) = await uriListed
        var rdns: [String]?
        if lookupRDNS, let first = views.relays.untrusted.first, first.rdns.isEmpty,
           let ip = SwampDNS.IPAddress(first.ip) {
            rdns = await validatedPTRNames(for: ip, resolver: dns)
        }

        var findings = NetworkFindings(spf: mfrom?.outcome, spfHelo: helo, dkim: dkim, notes: spfNotes)
        if let mfrom {
            findings.facts[NetworkFactKey.spf(mfrom.outcome.result.rawValue)] = 1
            if !mfrom.sender.isEmpty {
                findings.receivedSPF = Self.receivedSPF(mfrom.outcome, ip: mfrom.ip, sender: mfrom.sender, helo: mfrom.helo,
                                                        receiver: receivingHost)
            }
            if let p = mfrom.outcome.problem { findings.notes.append("SPF \(mfrom.outcome.result.rawValue): \(p)") }
        }
        if let helo {
            findings.facts[NetworkFactKey.spfHelo(helo.result.rawValue)] = 1
            if let p = helo.problem { findings.notes.append("SPF HELO \(helo.result.rawValue): \(p)") }
        }
        dkimFacts(dkim, views: views, into: &findings)
        findings.facts.merge(rblFacts) { a, _ in a }
        findings.logs.merge(rblLogs) { a, _ in a }
        findings.notes += rblNotes
        findings.facts.merge(uriblFacts) { a, _ in a }
        findings.logs.merge(uriblLogs) { a, _ in a }
        findings.notes += uriblNotes
        findings.firstUntrustedRDNS = rdns
        findings.dnsQueries = budget.queriesUsed
        return findings
    }

    struct MailFromCheck { var outcome: SPFOutcome; var ip: SwampDNS.IPAddress; var sender: String; var helo: String }

    /// The identities as SpamAssassin's Plugin/SPF.pm finds them: the first
    /// external relay's IP and HELO; its envelope sender, or with no trusted
    /// relay the EnvelopeFrom pseudo-header. As SPF.pm does, a result an
    /// internal host already recorded (Received-SPF, Authentication-Results)
    /// is used instead of asking DNS, unless `ignore_received_spf_header 1`.
    func spf(views: Views, configuration: Configuration?, resolver: any DNSResolver) async -> (MailFromCheck?, SPFOutcome?, [String]) {
        let setting = { (key: String) in configuration?.otherSettings[key]?.last == "1" }
        var recorded: (mfrom: SPFResult?, helo: SPFResult?) = (nil, nil)
        if !setting("ignore_received_spf_header") {
            recorded = Self.recordedSPF(views, newestFirst: setting("use_newest_received_spf_header"))
        }
        guard let relay = views.relays.external.first, let ip = SwampDNS.IPAddress(relay.ip) else {
            if recorded.mfrom != nil || recorded.helo != nil {
                return (recorded.mfrom.map { MailFromCheck(outcome: SPFOutcome(result: $0, problem: "from a Received-SPF header"), ip: SwampDNS.IPAddress("0.0.0.0")!,
                                                           sender: "", helo: "") },
                        recorded.helo.map { SPFOutcome(result: $0, problem: "from a Received-SPF header") }, [])
            }
            return (nil, nil, ["SPF: no external relay to check"])
        }
        let checker = SPFChecker(resolver: resolver, receivingHost: receivingHost)
        var sender = relay.envfrom
        if sender.isEmpty, views.relays.trusted.isEmpty,
           let env = views.header(HeaderQuery(name: "EnvelopeFrom", modifier: .addr)) {
            sender = String(decoding: env.split(separator: UInt8(ascii: "\n")).first ?? [], as: UTF8.self)
        }
        let mailFrom = sender.lowercased()
        let helo = relay.helo
        var notes: [String] = []

        let recordedMfrom = recorded.mfrom.map { SPFOutcome(result: $0, problem: "from a Received-SPF header") }
        let recordedHelo = recorded.helo.map { SPFOutcome(result: $0, problem: "from a Received-SPF header") }
        let askMailFrom = recordedMfrom == nil && !mailFrom.isEmpty
        async let mfromChecked: SPFOutcome? = askMailFrom
            ? checker.checkMailFrom(ip: ip, mailFrom: mailFrom, helo: helo.isEmpty ? "unknown" : helo) : nil
        // SPF.pm skips HELO names that are IP literals ("[1.2.3.4]", or
        // "!1.2.3.4!" as the Received parser marks them) or have no dot.
        let heloUsable = !helo.isEmpty && helo.contains(".") && SwampDNS.IPAddress(helo.trimmingBrackets) == nil
        async let heloChecked: SPFOutcome? = recordedHelo == nil && heloUsable ? checker.checkHelo(ip: ip, helo: helo) : nil
        let m = await mfromChecked ?? recordedMfrom
        let h = await heloChecked ?? recordedHelo
        if m == nil { notes.append("SPF: no envelope sender") }
        return (m.map { MailFromCheck(outcome: $0, ip: ip, sender: mailFrom, helo: helo) }, h, notes)
    }

    /// SPF.pm `_check_spf`: results recorded by internal hosts, oldest
    /// header first unless `newestFirst`. A Received-SPF field names its
    /// identity with `identity=`; an Authentication-Results field with
    /// `smtp.mailfrom`/`smtp.helo`; without one it is the mail-from result.
    static func recordedSPF(_ views: Views, newestFirst: Bool) -> (mfrom: SPFResult?, helo: SPFResult?) {
        guard let text = views.header(HeaderQuery(name: "ALL-INTERNAL")) else { return (nil, nil) }
        var lines = text.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        if !newestFirst { lines.reverse() }
        var mfrom: SPFResult?, helo: SPFResult?
        for line in lines {
            let lower = line.lowercased()
            var result: SPFResult?
            var identity: String?
            if lower.hasPrefix("received-spf:") {
                let rest = lower.dropFirst("received-spf:".count).drop { $0 == " " || $0 == "\t" }
                let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard let r = SPFResult(rawValue: String(word)), r != .none || word == "none" else { continue }
                result = r
                if let range = rest.range(of: "identity="),
                   range.lowerBound == rest.startIndex || !Self.isWordChar(rest[rest.index(before: range.lowerBound)]) {
                    identity = String(rest[range.upperBound...].prefix(while: Self.isWordChar))
                }
            } else if lower.hasPrefix("authentication-results:") || lower.hasPrefix("arc-authentication-results:") {
                // `.*;\s*SPF\s*=\s*([^;]*)`: the last "; spf=" method.
                guard let value = Self.lastSPFMethod(lower) else { continue }
                let candidates: [(String, SPFResult)] = [("pass", .pass), ("neutral", .neutral), ("hardfail", .fail),
                    ("softfail", .softfail), ("fail", .fail), ("temperror", .temperror), ("permerror", .permerror), ("none", .none)]
                guard let (_, r) = candidates.first(where: { value.hasPrefix($0.0) }) else { continue }
                result = r
                if let range = value.range(of: "smtp."),
                   range.lowerBound == value.startIndex || !Self.isWordChar(value[value.index(before: range.lowerBound)]) {
                    let tail = value[range.upperBound...]
                    if let eq = tail.firstIndex(of: "="), !tail[..<eq].contains(where: \.isWhitespace) {
                        identity = String(tail[..<eq])
                    }
                }
            } else {
                continue
            }
            guard let result else { continue }
            switch identity {
            case nil, "mfrom", "mailfrom":
                if mfrom == nil { mfrom = result }
            case "helo":
                if helo == nil { helo = result }
            default:
                continue
            }
            if mfrom != nil && helo != nil { break }
        }
        return (mfrom, helo)
    }

    static func isWordChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }

    static func lastSPFMethod(_ lower: String) -> Substring? {
        var found: Substring?
        var rest = Substring(lower)
        while let semi = rest.firstIndex(of: ";") {
            let after = rest[rest.index(after: semi)...]
            let t = after.drop { $0 == " " || $0 == "\t" }
            if t.hasPrefix("spf") {
                let u = t.dropFirst(3).drop { $0 == " " || $0 == "\t" }
                if u.first == "=" {
                    let v = u.dropFirst().drop { $0 == " " || $0 == "\t" }
                    found = v.prefix { $0 != ";" }
                }
            }
            rest = after
        }
        return found
    }

    /// Plugin/DKIM.pm's findings. Unlike SpamAssassin, a signature whose l=
    /// leaves body content unsigned is not counted as valid, so appended
    /// content never rides on someone else's signature (SECURITY.md).
    func dkimFacts(_ outcomes: [DKIMSignatureOutcome], views: Views, into findings: inout NetworkFindings) {
        let signed = outcomes.isEmpty ? views.header(HeaderQuery(name: "DKIM-Signature")) != nil : true
        guard signed else { return }
        findings.facts[NetworkFactKey.dkimSigned] = 1
        let authors = Set(addresses(views, "From").compactMap(Self.domain))
        let envelope = addresses(views, "EnvelopeFrom").first.flatMap(Self.domain)
        var dependable = true
        for o in outcomes {
            let sdid = o.identityDomain ?? o.domain ?? ""
            if !sdid.isEmpty { findings.facts[NetworkFactKey.dkimSignedBy(sdid)] = 1 }
            if o.result == .fail, o.bodyLengthLimited, o.problem == "body hash mismatch" { dependable = false }
            let valid = o.result == .pass && !o.hasUnsignedBodyContent && (o.keyBits ?? 1024) >= 1024
            if o.result != .pass || !valid {
                findings.notes.append("DKIM \(o.result.rawValue) d=\(o.domain ?? "?"): \(o.problem ?? (o.hasUnsignedBodyContent ? "l= leaves body content unsigned" : "key too short"))")
            } else if o.isWeak {
                findings.notes.append("DKIM pass d=\(sdid) with weak \(o.algorithm?.rawValue ?? "")")
            }
            guard valid, !sdid.isEmpty else { continue }
            findings.facts[NetworkFactKey.dkimValid] = 1
            findings.facts[NetworkFactKey.dkimValidBy(sdid)] = 1
            if authors.contains(sdid) {
                findings.facts[NetworkFactKey.dkimValidAuthor] = 1
                findings.facts[NetworkFactKey.dkimValidAuthorBy(sdid)] = 1
            }
            if sdid == envelope { findings.facts[NetworkFactKey.dkimValidEnvelopeFrom] = 1 }
        }
        if dependable { findings.facts[NetworkFactKey.dkimDependable] = 1 }
    }

    func addresses(_ views: Views, _ name: String) -> [String] {
        guard let v = views.header(HeaderQuery(name: name, modifier: .addr)) else { return [] }
        return v.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self).lowercased() }
    }

    static func domain(_ address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let d = address[address.index(after: at)...]
        return d.isEmpty ? nil : String(d)
    }

    /// RFC 7208 §9.1.
    static func receivedSPF(_ o: SPFOutcome, ip: SwampDNS.IPAddress, sender: String, helo: String, receiver: String) -> String {
        let comment: String
        switch o.result {
        case .pass: comment = "domain of \(sender) designates \(ip) as permitted sender"
        case .fail, .softfail: comment = "domain of \(sender) does not designate \(ip) as permitted sender"
        case .neutral: comment = "\(ip) is neither permitted nor denied by domain of \(sender)"
        case .none: comment = "domain of \(sender) does not publish SPF"
        case .temperror, .permerror: comment = "error in processing during lookup of \(sender): \(o.problem ?? "")"
        }
        return "\(o.result.rawValue) (\(receiver): \(comment)) client-ip=\(ip); envelope-from=\"\(sender)\"; helo=\(helo.isEmpty ? "unknown" : helo);"
    }
}

extension String {
    var trimmingBrackets: String {
        var s = Substring(self)
        if s.first == "[" || s.first == "!" { s.removeFirst() }
        if s.last == "]" || s.last == "!" { s.removeLast() }
        return String(s)
    }
}

extension SpamScanner {
    /// Steps 1 and 2 of a scan (parse, render the views): CPU work for a
    /// thread pool. With `evaluate`, lets a caller run `NetworkChecks.run`
    /// on the views in between without blocking a thread on DNS.
    /// `sideThread`: the body's views are made on a second thread while
    /// the headers are indexed (for a caller with a core to spare).
    public func prepare(_ bytes: [UInt8], sideThread: Bool = false) -> (message: Message, views: Views) {
        let message = Message(bytes: bytes, limits: limits)
        return (message, Views(message: message, trust: ruleSet.trust, alongside: sideThread ? ScanSideThreads.side : nil))
    }

    /// Steps 3 and 4 with the facts gathered (network findings merged in by
    /// the caller): rules, metas, score. `network` is kept in the result
    /// for the report.
    /// `sideThread`: run Bayes and some of the rules on a second thread
    /// (for a caller with a core to spare; see `finish`).
    public func evaluate(message: Message, views: Views, facts: Facts, network: NetworkFindings? = nil,
                         sideThread: Bool = false) -> ScanResult {
        var result = finish(message: message, views: views, facts: facts, sideThread: sideThread)
        result.network = network
        return result
    }

    /// A scan with the network checks (SPF, DKIM) when `network` is given
    /// and `dns_available` allows; their findings reach the rules as facts
    /// and select the network score sets.
    public func scan(_ bytes: [UInt8], facts: Facts = Facts(), timeLimit: Duration? = nil,
                     network: NetworkChecks?) async -> (result: ScanResult, network: NetworkFindings?) {
        var facts = facts
        if facts.deadline == nil {
            let limit = timeLimit ?? .milliseconds(Int64(configuration.timeLimit * 1000))
            facts.deadline = ContinuousClock.now.advanced(by: limit)
        }
        let (message, views) = prepare(bytes)
        var findings: NetworkFindings?
        if let network { findings = await checkNetwork(network, views: views, facts: &facts) }
        var result = finish(message: message, views: views, facts: facts)
        result.network = findings
        return (result, findings)
    }

    /// The network step between `prepare` and `evaluate`: runs the checks
    /// when `dns_available` allows and merges their findings into `facts`.
    /// They get at most half of the time left before `facts.deadline`, so
    /// that the rules still run, and GTUBE still scores, when DNS hangs.
    public func checkNetwork(_ network: NetworkChecks, views: Views, facts: inout Facts) async -> NetworkFindings? {
        guard configuration.dnsAvailable else { return nil }
        var network = network
        // %{r} in SPF explanations and the Received-SPF comment.
        if network.receivingHost == "unknown" { network.receivingHost = hostname }
        let deadline = facts.deadline.map { ContinuousClock.now + ($0 - .now) / 2 }
        let f = await network.run(views: views, configuration: configuration, deadline: deadline)
        facts.useNetwork = true
        facts.externalHits.merge(f.facts) { current, _ in current }
        facts.externalLogs.merge(f.logs) { current, _ in current }
        return f
    }
}
