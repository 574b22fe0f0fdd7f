import Foundation
import SwampDNS

/// RFC 7208 §2.6 results.
public enum SPFResult: String, Sendable, Hashable, CaseIterable {
    case none, neutral, pass, fail, softfail, temperror, permerror
}

/// The outcome of one check_host() call.
public struct SPFOutcome: Sendable, Hashable {
    public var result: SPFResult
    /// The expanded `exp=` text for a fail (§6.2), when the domain gives one.
    public var explanation: String?
    /// What went wrong for none/temperror/permerror, for the report.
    public var problem: String?
    /// The mechanism that matched, as text, when one did.
    public var mechanism: String?

    public init(result: SPFResult, explanation: String? = nil, problem: String? = nil, mechanism: String? = nil) {
        self.result = result; self.explanation = explanation; self.problem = problem; self.mechanism = mechanism
    }
}

/// check_host() of RFC 7208 §4, over any `DNSResolver`.
public struct SPFChecker: Sendable {
    public let resolver: any DNSResolver
    /// `%{r}` in explanations (§7.2).
    public var receivingHost: String
    /// §4.6.4: at most 10 DNS-querying terms and 2 void lookups.
    public var lookupLimit = 10
    public var voidLookupLimit = 2
    /// At most this many MX or PTR names are looked at (§4.6.4).
    public var nameLimit = 10
    /// Fixed `%{t}` for reproducible tests; nil means now.
    public var timestamp: Int?

    public init(resolver: any DNSResolver, receivingHost: String = "unknown") {
        self.resolver = resolver
        self.receivingHost = receivingHost
    }

    /// The MAIL FROM check: `mailFrom` empty means the HELO identity is
    /// checked instead (§2.4), with "postmaster" as local-part.
    public func checkMailFrom(ip: IPAddress, mailFrom: String, helo: String) async -> SPFOutcome {
        if mailFrom.isEmpty { return await checkHelo(ip: ip, helo: helo) }
        let (local, domain) = Self.split(mailFrom)
        return await checkHost(ip: ip, domain: domain, sender: "\(local)@\(domain)", helo: helo)
    }

    /// The HELO check (§2.3).
    public func checkHelo(ip: IPAddress, helo: String) async -> SPFOutcome {
        await checkHost(ip: ip, domain: helo, sender: "postmaster@\(helo)", helo: helo)
    }

    /// Local-part and domain; an empty local-part becomes "postmaster" (§4.3).
    static func split(_ address: String) -> (String, String) {
        guard let at = address.lastIndex(of: "@") else { return ("postmaster", address) }
        let local = String(address[..<at])
        return (local.isEmpty ? "postmaster" : local, String(address[address.index(after: at)...]))
    }

    public func checkHost(ip: IPAddress, domain: String, sender: String, helo: String) async -> SPFOutcome {
        var state = SPFEvaluation(checker: self, ip: ip.unmapped, sender: sender, helo: helo)
        var domain = domain
        if domain.hasSuffix(".") { domain.removeLast() }
        // §4.3: a malformed or single-label domain yields "none" at once.
        guard Self.isValidDomain(domain) else {
            return SPFOutcome(result: .none, problem: "invalid domain '\(domain)'")
        }
        return await state.run(domain: domain, depth: 0, isTop: true)
    }

    static func isValidDomain(_ d: String) -> Bool {
        let labels = d.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, d.utf8.count <= 253 else { return false }
        return labels.allSatisfy { !$0.isEmpty && $0.utf8.count <= 63 }
    }
}

/// Errors that end evaluation with a result (§4.6, §5).
enum SPFAbort: Error {
    case temp(String)
    case perm(String)
}

/// State shared by one check_host() and its includes and redirects: the
/// lookup counters are global to the whole evaluation (§4.6.4).
struct SPFEvaluation {
    let checker: SPFChecker
    let ip: IPAddress
    let sender: String
    let helo: String
    var lookups = 0
    var voidLookups = 0

    init(checker: SPFChecker, ip: IPAddress, sender: String, helo: String) {
        self.checker = checker; self.ip = ip; self.sender = sender; self.helo = helo
    }

    var resolver: any DNSResolver { checker.resolver }

    mutating func run(domain: String, depth: Int, isTop: Bool) async -> SPFOutcome {
        do {
            return try await evaluate(domain: domain, depth: depth)
        } catch {
            switch error {
            case .temp(let why): return SPFOutcome(result: .temperror, problem: why)
            case .perm(let why): return SPFOutcome(result: .permerror, problem: why)
            }
        }
    }

    /// §4.4 and §4.5: the single SPF record of `domain`, or nil for "none".
    mutating func fetchRecord(_ domain: String) async throws(SPFAbort) -> SPFRecord? {
        let answer: DNSResponse
        do {
            answer = try await resolver.query(domain, .txt)
        } catch .invalidName {
            return nil
        } catch {
            throw .temp("\(error) looking up TXT \(domain)")
        }
        if answer.status == .nxDomain { return nil }
        let texts = answer.records.compactMap(\.joinedText).filter(SPFRecord.isSPF)
        guard !texts.isEmpty else { return nil }
        guard texts.count == 1 else { throw .perm("more than one SPF record for \(domain)") }
        guard let text = String(validating: texts[0], as: UTF8.self), text.allSatisfy(\.isASCII) else {
            throw .perm("non-ASCII SPF record for \(domain)")
        }
        do { return try SPFRecord(parsing: text) } catch { throw .perm("\(error) in SPF record of \(domain)") }
    }

    mutating func evaluate(domain: String, depth: Int) async throws(SPFAbort) -> SPFOutcome {
        guard let record = try await fetchRecord(domain) else {
            return SPFOutcome(result: .none, problem: "no SPF record for \(domain)")
        }
        for directive in record.directives {
            if directive.mechanism.countsAsLookup { try countLookup() }
            if try await matches(directive.mechanism, domain: domain, depth: depth) {
                var outcome = SPFOutcome(result: directive.qualifier.result, mechanism: "\(directive.mechanism)")
                if outcome.result == .fail, let exp = record.exp {
                    outcome.explanation = await explanation(exp, domain: domain)
                }
                return outcome
            }
        }
        if let redirect = record.redirect {
            try countLookup()
            let target = try await expandDomain(redirect, domain: domain)
            guard let target, SPFChecker.isValidDomain(target) else { throw .perm("invalid redirect target") }
            guard depth < 20 else { throw .perm("redirect loop") }
            let outcome = try await evaluate(domain: target, depth: depth + 1)
            // §6.1: a redirect to a domain without a record is a permerror.
            if outcome.result == .none { throw .perm("redirect to \(target), which has no SPF record") }
            return outcome
        }
        return SPFOutcome(result: .neutral)
    }

    mutating func countLookup() throws(SPFAbort) {
        lookups += 1
        if lookups > checker.lookupLimit { throw .perm("more than \(checker.lookupLimit) DNS lookups") }
    }

    mutating func countVoid(_ r: DNSResponse) throws(SPFAbort) {
        guard r.isVoid else { return }
        voidLookups += 1
        if voidLookups > checker.voidLookupLimit { throw .perm("more than \(checker.voidLookupLimit) void lookups") }
    }

    /// A lookup for a mechanism: DNS errors are temperror; a name that cannot
    /// be queried (expanded to an invalid name) is treated as nonexistent.
    mutating func lookup(_ name: String, _ type: DNSRecordType, countVoid: Bool = true) async throws(SPFAbort) -> [DNSRecord] {
        let r: DNSResponse
        do {
            r = try await resolver.query(name, type)
        } catch .invalidName {
            r = DNSResponse(status: .nxDomain)
        } catch {
            throw .temp("\(error) looking up \(type) \(name)")
        }
        if countVoid { try self.countVoid(r) }
        return r.records
    }

    func addresses(in records: [DNSRecord]) -> [IPAddress] {
        records.compactMap { r in
            switch r {
            case .a(let b), .aaaa(let b): IPAddress(bytes: b)
            default: nil
            }
        }
    }

    mutating func matchesHost(_ name: String, v4: Int, v6: Int, countVoid: Bool) async throws(SPFAbort) -> Bool {
        let type: DNSRecordType = ip.isIPv4 ? .a : .aaaa
        let prefix = ip.isIPv4 ? v4 : v6
        let records = try await lookup(name, type, countVoid: countVoid)
        for addr in addresses(in: records) where ip.isIn(addr, prefix: prefix) {
            return true
        }
        return false
    }

    mutating func matches(_ m: SPFMechanism, domain: String, depth: Int) async throws(SPFAbort) -> Bool {
        switch m {
        case .all:
            return true
        case .ip4(let net, let prefix):
            return ip.isIPv4 && ip.isIn(net, prefix: prefix)
        case .ip6(let net, let prefix):
            return !ip.isIPv4 && ip.isIn(net, prefix: prefix)
        case .a(let spec, let v4, let v6):
            guard let target = try await expandDomain(spec, domain: domain) else { return false }
            return try await matchesHost(target, v4: v4, v6: v6, countVoid: true)
        case .mx(let spec, let v4, let v6):
            guard let target = try await expandDomain(spec, domain: domain) else { return false }
            let mxs = try await lookup(target, .mx)
            // §4.6.4: more than 10 MX names is a permerror.
            guard mxs.count <= checker.nameLimit else { throw .perm("more than \(checker.nameLimit) MX records for \(target)") }
            for case .mx(_, let exchange) in mxs {
                if try await matchesHost(exchange, v4: v4, v6: v6, countVoid: false) { return true }
            }
            return false
        case .ptr(let spec):
            guard let target = try await expandDomain(spec, domain: domain) else { return false }
            let names = await validatedNames()
            let t = target.lowercased()
            return names.contains { $0 == t || $0.hasSuffix("." + t) }
        case .exists(let spec):
            guard let target = try await expandDomain(spec, domain: domain) else { return false }
            // §5.7: always an A query, whatever the client's family.
            return !(try await lookup(target, .a)).isEmpty
        case .include(let spec):
            guard let target = try await expandDomain(spec, domain: domain) else { return false }
            guard depth < 20 else { throw .perm("include loop") }
            guard SPFChecker.isValidDomain(target) else { throw .perm("include of invalid domain \(target)") }
            // §5.2: the include's own result decides whether it matches.
            let outcome = try await evaluate(domain: target, depth: depth + 1)
            switch outcome.result {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .temperror: throw .temp(outcome.problem ?? "temperror in include")
            case .permerror: throw .perm(outcome.problem ?? "permerror in include")
            case .none: throw .perm("include of \(target), which has no SPF record")
            }
        }
    }

    /// §5.5: PTR names whose forward lookup gives the client's IP. DNS
    /// errors here only drop names; at most 10 names are tried.
    func validatedNames() async -> [String] {
        await validatedPTRNames(for: ip, resolver: resolver, limit: checker.nameLimit)
    }

    /// Expands a domain-spec (or the current domain when absent), trimming
    /// labels from the left past 253 characters (§7.3).
    mutating func expandDomain(_ spec: SPFMacroString?, domain: String) async throws(SPFAbort) -> String? {
        guard let spec else { return domain }
        var name = try await expand(spec, domain: domain, forExplanation: false)
        if name.hasSuffix(".") { name.removeLast() }
        while name.utf8.count > 253, let dot = name.firstIndex(of: ".") {
            name = String(name[name.index(after: dot)...])
        }
        return name.isEmpty ? nil : name
    }

    /// §6.2: the explanation string, or nil when any step fails.
    mutating func explanation(_ spec: SPFMacroString, domain: String) async -> String? {
        guard let target = try? await expandDomain(spec, domain: domain),
              let answer = try? await resolver.query(target, .txt),
              answer.records.count == 1, let bytes = answer.records[0].joinedText,
              let text = String(validating: bytes, as: UTF8.self), text.allSatisfy(\.isASCII),
              let macro = try? SPFMacroString.parse(Substring(text), allowExpOnly: true),
              let expanded = try? await expand(macro, domain: domain, forExplanation: true) else { return nil }
        return expanded
    }

    /// §7.3 macro expansion.
    mutating func expand(_ s: SPFMacroString, domain: String, forExplanation: Bool) async throws(SPFAbort) -> String {
        var out = ""
        for piece in s.pieces {
            switch piece {
            case .literal(let t):
                out += t
            case .macro(let letter, let urlEscape, let keep, let reverse, let delimiters):
                var value = try await macroValue(letter, domain: domain)
                let delims = delimiters.isEmpty ? ["."] : delimiters
                var parts = value.split(omittingEmptySubsequences: false, whereSeparator: { delims.contains($0) }).map(String.init)
                if reverse { parts.reverse() }
                if let keep, keep < parts.count { parts = Array(parts.suffix(keep)) }
                value = parts.joined(separator: ".")
                if urlEscape { value = Self.urlEscape(value) }
                out += value
            }
        }
        return out
    }

    mutating func macroValue(_ letter: Character, domain: String) async throws(SPFAbort) -> String {
        let (local, senderDomain) = SPFChecker.split(sender)
        switch letter {
        case "s": return sender
        case "l": return local
        case "o": return senderDomain
        case "d": return domain
        case "i": return ip.reversedLabels.split(separator: ".").reversed().joined(separator: ".")
        case "p":
            // §7.3: a validated name, preferring one in the current domain.
            let names = await validatedNames()
            let d = domain.lowercased()
            return names.first { $0 == d || $0.hasSuffix("." + d) } ?? names.first ?? "unknown"
        case "v": return ip.isIPv4 ? "in-addr" : "ip6"
        case "h": return helo
        case "c": return ip.description
        case "r": return checker.receivingHost
        case "t": return String(checker.timestamp ?? Int(Date().timeIntervalSince1970))
        default: throw .perm("unknown macro \(letter)")
        }
    }

    /// RFC 3986 escaping of everything but unreserved characters (§7.3).
    static func urlEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(UnicodeScalar(b))
            if c.isASCIILetterOrDigit || "-._~".contains(c) { out.append(c) } else { out += String(format: "%%%02X", b) }
        }
        return out
    }
}
