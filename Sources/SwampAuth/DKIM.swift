import Crypto
import Foundation
import SwampDNS
import _CryptoExtras

/// The outcome for one DKIM-Signature field (RFC 6376 §6.1, RFC 8601's
/// result names).
public enum DKIMResult: String, Sendable, Hashable {
    case pass, fail, neutral, temperror, permerror
}

public enum DKIMAlgorithm: String, Sendable, Hashable {
    case rsaSHA256 = "rsa-sha256"
    /// RFC 8301 §3.1 forbids signing with it; verifiers still meet it.
    case rsaSHA1 = "rsa-sha1"
    case ed25519SHA256 = "ed25519-sha256"
}

public struct DKIMSignatureOutcome: Sendable, Hashable {
    public var result: DKIMResult
    /// d=, lower-cased, when the field had one.
    public var domain: String?
    /// The domain of i= (or d= when i= is absent): what SpamAssassin
    /// compares with the author and envelope domains.
    public var identityDomain: String?
    public var selector: String?
    public var algorithm: DKIMAlgorithm?
    public var keyBits: Int?
    /// l= was used and the body has content past it that is not signed.
    public var hasUnsignedBodyContent = false
    /// The signature had an l= tag.
    public var bodyLengthLimited = false
    /// rsa-sha1, or an RSA key under 1024 bits: valid, but weak.
    public var isWeak = false
    public var problem: String?

    public init(result: DKIMResult) { self.result = result }
}

/// DKIM verification (RFC 6376, RFC 8463) over any `DNSResolver`.
public struct DKIMVerifier: Sendable {
    public let resolver: any DNSResolver
    /// Signatures verified per message; others count as signed but unchecked.
    public var maxSignatures = 5
    /// Seconds since the epoch, for x= checks; nil means now.
    public var now: Int?

    public init(resolver: any DNSResolver) { self.resolver = resolver }

    /// Verifies up to `maxSignatures` DKIM-Signature fields, top first.
    public func verify(_ bytes: [UInt8]) async -> [DKIMSignatureOutcome] {
        let message = DKIMMessage(bytes)
        let indices = Array(message.fields.indices.filter { message.fields[$0].name == "dkim-signature" }.prefix(maxSignatures))
        // Key lookups dominate: verify the signatures concurrently, report in order.
        return await withTaskGroup(of: (Int, DKIMSignatureOutcome).self) { group in
            for (n, index) in indices.enumerated() {
                group.addTask { (n, await self.verify(fieldAt: index, in: message)) }
            }
            var out = [DKIMSignatureOutcome?](repeating: nil, count: indices.count)
            for await (n, outcome) in group { out[n] = outcome }
            return out.compactMap { $0 }
        }
    }

    func verify(fieldAt index: Int, in message: DKIMMessage) async -> DKIMSignatureOutcome {
        var outcome = DKIMSignatureOutcome(result: .permerror)
        do {
            try await verify(fieldAt: index, in: message, into: &outcome)
            outcome.result = .pass
        } catch {
            outcome.result = error.result
            outcome.problem = error.reason
        }
        return outcome
    }

    struct Failure: Error {
        var result: DKIMResult
        var reason: String
        static func perm(_ r: String) -> Failure { Failure(result: .permerror, reason: r) }
        static func fail(_ r: String) -> Failure { Failure(result: .fail, reason: r) }
    }

    func verify(fieldAt index: Int, in message: DKIMMessage, into outcome: inout DKIMSignatureOutcome) async throws(Failure) {
        let field = message.fields[index]
        guard let colon = field.raw.firstIndex(of: UInt8(ascii: ":")) else { throw .perm("no colon") }
        let tags: DKIMTagList
        do { tags = try DKIMTagList(parsing: field.raw[(colon + 1)...]) } catch { throw .perm("\(error)") }

        // §3.5 required tags.
        guard let v = tags.string("v"), v == "1" else { throw .perm("missing or unknown v=") }
        guard let d = tags.string("d")?.lowercased(), !d.isEmpty else { throw .perm("missing d=") }
        outcome.domain = d
        outcome.identityDomain = d
        guard let s = tags.string("s"), !s.isEmpty else { throw .perm("missing s=") }
        outcome.selector = s
        guard let a = tags.string("a")?.lowercased() else { throw .perm("missing a=") }
        guard let algorithm = DKIMAlgorithm(rawValue: a) else { throw .perm("unsupported algorithm \(a)") }
        outcome.algorithm = algorithm
        guard let b64 = tags.compact("b"), let signature = Data(base64Encoded: b64), !signature.isEmpty else {
            throw .perm("missing or bad b=")
        }
        guard let bhText = tags.compact("bh"), let bodyHash = Data(base64Encoded: bhText) else {
            throw .perm("missing or bad bh=")
        }
        guard let hText = tags.compact("h") else { throw .perm("missing h=") }
        let signedNames = hText.split(separator: ":", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard signedNames.contains("from") else { throw .perm("From is not signed") }
        guard signedNames.count <= 256 else { throw .perm("too many signed header names") }

        if let i = tags.string("i") {
            guard let at = i.lastIndex(of: "@") else { throw .perm("bad i=") }
            let idDomain = i[i.index(after: at)...].lowercased()
            guard idDomain == d || idDomain.hasSuffix("." + d) else { throw .perm("i= not within d=") }
            outcome.identityDomain = idDomain
        }
        let (headerCanon, bodyCanon) = try Self.canonicalization(tags.string("c"))
        var bodyLength: Int?
        if let l = tags.string("l") {
            guard !l.isEmpty, l.count <= 76, l.allSatisfy(\.isASCIIDigit) else { throw .perm("bad l=") }
            bodyLength = Int(l) ?? Int.max
            outcome.bodyLengthLimited = true
        }
        if let q = tags.string("q"), !q.split(separator: ":").contains(where: { $0.lowercased() == "dns/txt" }) {
            throw .perm("unsupported q=")
        }
        if let x = tags.string("x") {
            guard let expiry = Int(x) else { throw .perm("bad x=") }
            if expiry < (now ?? Int(Date().timeIntervalSince1970)) { throw .fail("signature expired") }
        }

        // §6.1.3 body hash, then the header hash, before any DNS.
        var body = Self.canonicalBody(message.bodyLines, relaxed: bodyCanon)
        if let limit = bodyLength {
            // l= longer than the body: the signature cannot verify (§3.4.5).
            guard limit <= body.count else { throw .fail("l= exceeds body length") }
            outcome.hasUnsignedBodyContent = limit < body.count
            body = Array(body.prefix(limit))
        }
        let computed: [UInt8] = algorithm == .rsaSHA1 ? Array(Insecure.SHA1.hash(data: body)) : Array(SHA256.hash(data: body))
        guard computed == Array(bodyHash) else { throw .fail("body hash mismatch") }

        let signedData = Self.signedHeaderData(message: message, signatureIndex: index,
                                               names: signedNames, relaxed: headerCanon)

        // §6.1.2 key lookup.
        let key = try await fetchKey(selector: s, domain: d, algorithm: algorithm,
                                     identityDomain: outcome.identityDomain ?? d)
        switch key {
        case .rsa(let publicKey):
            outcome.keyBits = publicKey.keySizeInBits
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let ok: Bool
            if algorithm == .rsaSHA1 {
                ok = publicKey.isValidSignature(sig, for: Insecure.SHA1.hash(data: signedData), padding: .insecurePKCS1v1_5)
            } else {
                ok = publicKey.isValidSignature(sig, for: SHA256.hash(data: signedData), padding: .insecurePKCS1v1_5)
            }
            guard ok else { throw .fail("signature does not verify") }
            outcome.isWeak = algorithm == .rsaSHA1 || publicKey.keySizeInBits < 1024
        case .ed25519(let publicKey):
            // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the header data.
            guard publicKey.isValidSignature(signature, for: Data(SHA256.hash(data: signedData))) else {
                throw .fail("signature does not verify")
            }
        }
    }

    enum Key {
        case rsa(_RSA.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    /// §3.6: the key record at selector._domainkey.domain.
    func fetchKey(selector: String, domain: String, algorithm: DKIMAlgorithm, identityDomain: String) async throws(Failure) -> Key {
        let name = "\(selector)._domainkey.\(domain)"
        let answer: DNSResponse
        do {
            answer = try await resolver.query(name, .txt)
        } catch .invalidName {
            throw .perm("invalid key name \(name)")
        } catch {
            throw Failure(result: .temperror, reason: "\(error) looking up \(name)")
        }
        guard let text = answer.records.compactMap(\.joinedText).first else { throw .perm("no key at \(name)") }
        let tags: DKIMTagList
        do { tags = try DKIMTagList(parsing: text) } catch { throw .perm("bad key record: \(error)") }
        if let v = tags.string("v"), v != "DKIM1" { throw .perm("bad key v=") }
        let hashName = algorithm == .rsaSHA1 ? "sha1" : "sha256"
        if let h = tags.compact("h"), !h.split(separator: ":").contains(where: { $0.lowercased() == hashName }) {
            throw .perm("key does not allow \(hashName)")
        }
        if let s = tags.compact("s"), !s.split(separator: ":").contains(where: { $0 == "*" || $0.lowercased() == "email" }) {
            throw .perm("key not for email")
        }
        if let t = tags.compact("t"), t.split(separator: ":").contains("s"), identityDomain != domain {
            throw .perm("key requires i= domain to equal d=")
        }
        guard let p = tags.compact("p") else { throw .perm("key without p=") }
        guard !p.isEmpty else { throw .fail("key revoked") }
        guard let der = Data(base64Encoded: p) else { throw .perm("bad key base64") }
        let k = tags.string("k")?.lowercased() ?? "rsa"
        switch (k, algorithm) {
        case ("rsa", .rsaSHA256), ("rsa", .rsaSHA1):
            // Keys under 2048 bits are still common in DKIM; swift-crypto's
            // checked initialiser refuses them (BUILDING.md).
            let key: _RSA.Signing.PublicKey
            do { key = try _RSA.Signing.PublicKey(unsafeDERRepresentation: der) } catch { throw .perm("bad RSA key") }
            // A huge key makes every verification slow: refuse past 8192 bits.
            guard key.keySizeInBits <= 8192 else { throw .perm("RSA key over 8192 bits") }
            return .rsa(key)
        case ("ed25519", .ed25519SHA256):
            do { return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: der)) } catch {
                throw .perm("bad Ed25519 key")
            }
        default:
            throw .perm("key type \(k) does not match \(algorithm.rawValue)")
        }
    }

    /// c= → (header relaxed?, body relaxed?) (§3.5).
    static func canonicalization(_ c: String?) throws(Failure) -> (Bool, Bool) {
        guard let c = c?.lowercased() else { return (false, false) }
        let parts = c.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw .perm("bad c=") }
        func relaxed(_ s: Substring) throws(Failure) -> Bool {
            switch s {
            case "simple": return false
            case "relaxed": return true
            default: throw .perm("bad c=")
            }
        }
        return (try relaxed(parts[0]), parts.count == 2 ? try relaxed(parts[1]) : false)
    }

    /// §3.4.3 and §3.4.4.
    static func canonicalBody(_ lines: [ArraySlice<UInt8>], relaxed: Bool) -> [UInt8] {
        var canon: [[UInt8]] = lines.map { line in
            guard relaxed else { return Array(line) }
            var out: [UInt8] = []
            var pendingSpace = false
            for b in line {
                if b == 0x20 || b == 0x09 { pendingSpace = true; continue }
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(b)
            }
            return out
        }
        while canon.last?.isEmpty == true { canon.removeLast() }
        if canon.isEmpty { return relaxed ? [] : [0x0d, 0x0a] }
        var out: [UInt8] = []
        out.reserveCapacity(canon.reduce(0) { $0 + $1.count + 2 })
        for line in canon { out += line; out += [0x0d, 0x0a] }
        return out
    }

    /// §3.4.2 relaxed header canonicalisation of one raw field.
    static func relaxedHeader(_ raw: [UInt8]) -> [UInt8] {
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return raw }
        let name = DKIMTagList.trim(raw[..<colon]).map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }
        var value: [UInt8] = []
        var pendingSpace = false
        for b in raw[(colon + 1)...] {
            if b == 0x0d || b == 0x0a { continue }
            if b == 0x20 || b == 0x09 { pendingSpace = true; continue }
            if pendingSpace && !value.isEmpty { value.append(0x20) }
            pendingSpace = false
            value.append(b)
        }
        return name + [UInt8(ascii: ":")] + value + [0x0d, 0x0a]
    }

    /// §3.7: the signed header fields, each occurrence taken from the
    /// bottom up, then the signature field itself with b= emptied and no
    /// final CRLF.
    static func signedHeaderData(message: DKIMMessage, signatureIndex: Int, names: [String], relaxed: Bool) -> [UInt8] {
        var used = Set<Int>()
        var out: [UInt8] = []
        for name in names {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let i = message.fields.indices.last(where: { message.fields[$0].name == trimmed && !used.contains($0) }) else {
                continue  // a name with no (more) fields signs its absence
            }
            used.insert(i)
            out += relaxed ? relaxedHeader(message.fields[i].raw) : message.fields[i].raw
        }
        var sig = removingSignatureValue(message.fields[signatureIndex].raw)
        sig = relaxed ? relaxedHeader(sig) : sig
        if sig.suffix(2) == [0x0d, 0x0a] { sig.removeLast(2) }
        return out + sig
    }

    /// The field with the value of its b= tag (not bh=) removed, all else
    /// byte for byte (§3.5 "b=", §3.7).
    static func removingSignatureValue(_ raw: [UInt8]) -> [UInt8] {
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return raw }
        var out = Array(raw[...colon])
        var specStart = colon + 1
        while specStart <= raw.count {
            let end = raw[specStart...].firstIndex(of: UInt8(ascii: ";")) ?? raw.count
            let spec = raw[specStart..<end]
            if let eq = spec.firstIndex(of: UInt8(ascii: "=")), Array(DKIMTagList.trim(spec[..<eq])) == [UInt8(ascii: "b")] {
                out += raw[specStart...eq]
                // Keep a line end after the value so the field stays terminated.
                if end == raw.count, raw.suffix(2) == [0x0d, 0x0a] { out += [0x0d, 0x0a] }
            } else {
                out += spec
            }
            if end < raw.count { out.append(UInt8(ascii: ";")) }
            specStart = end + 1
        }
        return out
    }
}
