import Foundation
import SwampDNS

// The SPF record grammar of RFC 7208 §4.6.1, §5, §6 and §7.1. A record is
// parsed completely before it is evaluated: any syntax error anywhere makes
// the result "permerror" (§4.6).

/// Why a record or macro could not be parsed or evaluated.
public struct SPFSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// RFC 7208 §4.6.2.
public enum SPFQualifier: Character, Sendable, Hashable {
    case pass = "+", fail = "-", softfail = "~", neutral = "?"

    var result: SPFResult {
        switch self {
        case .pass: .pass
        case .fail: .fail
        case .softfail: .softfail
        case .neutral: .neutral
        }
    }
}

/// A macro-string (RFC 7208 §7.1): literal text and macro expansions.
public struct SPFMacroString: Sendable, Hashable {
    public enum Piece: Sendable, Hashable {
        case literal(String)
        /// `%{` letter [digits] ["r"] *delimiter `}`.
        case macro(letter: Character, urlEscape: Bool, keep: Int?, reverse: Bool, delimiters: [Character])
    }
    public var pieces: [Piece]

    static let delimiterSet: Set<Character> = [".", "-", "+", ",", "/", "_", "="]

    /// Parses `text`; `allowExpOnly` admits c, r and t, which only the
    /// explanation string may use (§7.2).
    static func parse(_ text: Substring, allowExpOnly: Bool = false) throws(SPFSyntaxError) -> SPFMacroString {
        var pieces: [Piece] = []
        var literal = ""
        var i = text.startIndex
        func flush() { if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" } }
        while i < text.endIndex {
            let c = text[i]
            guard c == "%" else {
                // macro-literal = %x21-24 / %x26-7E; explanation text also allows spaces.
                guard let a = c.asciiValue, (a >= 0x21 && a <= 0x7e) || (allowExpOnly && a == 0x20) else {
                    throw SPFSyntaxError("invalid character in macro-string")
                }
                literal.append(c)
                i = text.index(after: i)
                continue
            }
            let next = text.index(after: i)
            guard next < text.endIndex else { throw SPFSyntaxError("'%' at end of macro-string") }
            switch text[next] {
            case "%": literal.append("%"); i = text.index(after: next)
            case "_": literal.append(" "); i = text.index(after: next)
            case "-": literal.append("%20"); i = text.index(after: next)
            case "{":
                guard let close = text[next...].firstIndex(of: "}") else { throw SPFSyntaxError("unterminated macro") }
                var body = text[text.index(after: next)..<close]
                guard let letter = body.first?.lowercased().first,
                      "slodiphvcrt".contains(letter) else { throw SPFSyntaxError("unknown macro letter") }
                if "crt".contains(letter) && !allowExpOnly { throw SPFSyntaxError("macro %{\(letter)} outside exp") }
                let upper = body.first!.isUppercase
                body = body.dropFirst()
                let digits = body.prefix(while: \.isASCIIDigit)
                body = body.dropFirst(digits.count)
                var keep: Int?
                if !digits.isEmpty {
                    // §7.3: a DIGIT transformer must be nonzero.
                    guard let n = Int(digits.prefix(4)), n > 0 else { throw SPFSyntaxError("zero macro transformer") }
                    keep = n
                }
                var reverse = false
                if body.first == "r" || body.first == "R" { reverse = true; body = body.dropFirst() }
                guard body.allSatisfy({ delimiterSet.contains($0) }) else { throw SPFSyntaxError("bad macro delimiter") }
                flush()
                pieces.append(.macro(letter: letter, urlEscape: upper, keep: keep, reverse: reverse, delimiters: Array(body)))
                i = text.index(after: close)
            default:
                throw SPFSyntaxError("invalid '%' escape")
            }
        }
        flush()
        return SPFMacroString(pieces: pieces)
    }

    /// A domain-spec must end in a macro or in "." toplabel ["."] (§7.1).
    static func parseDomainSpec(_ text: Substring) throws(SPFSyntaxError) -> SPFMacroString {
        let spec = try parse(text)
        guard let last = spec.pieces.last else { throw SPFSyntaxError("empty domain-spec") }
        if case .literal(var tail) = last {
            if tail.hasSuffix(".") { tail.removeLast() }
            guard let dot = tail.lastIndex(of: "."), isTopLabel(tail[tail.index(after: dot)...]) else {
                throw SPFSyntaxError("domain-spec without a valid top label")
            }
        }
        return spec
    }

    /// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    static func isTopLabel(_ label: Substring) -> Bool {
        guard let first = label.first, let last = label.last,
              first.isASCIILetterOrDigit, last.isASCIILetterOrDigit,
              label.allSatisfy({ $0.isASCIILetterOrDigit || $0 == "-" }) else { return false }
        return label.contains(where: { !$0.isASCIIDigit })
    }
}

/// One directive's mechanism (RFC 7208 §5).
public enum SPFMechanism: Sendable, Hashable {
    case all
    case include(SPFMacroString)
    case a(SPFMacroString?, ip4Prefix: Int, ip6Prefix: Int)
    case mx(SPFMacroString?, ip4Prefix: Int, ip6Prefix: Int)
    case ptr(SPFMacroString?)
    case ip4(IPAddress, prefix: Int)
    case ip6(IPAddress, prefix: Int)
    case exists(SPFMacroString)

    /// Mechanisms that cost a DNS lookup against the limit of 10 (§4.6.4).
    var countsAsLookup: Bool {
        switch self {
        case .include, .a, .mx, .ptr, .exists: true
        case .all, .ip4, .ip6: false
        }
    }
}

public struct SPFDirective: Sendable, Hashable {
    public var qualifier: SPFQualifier
    public var mechanism: SPFMechanism
}

/// A parsed "v=spf1" record.
public struct SPFRecord: Sendable, Hashable {
    public var directives: [SPFDirective] = []
    public var redirect: SPFMacroString?
    public var exp: SPFMacroString?

    /// Maximum terms parsed; a record longer than this is a permerror rather
    /// than unbounded work (a TXT answer can hold thousands of terms).
    static let maxTerms = 512

    /// Whether `text` is an SPF record at all: "v=spf1" then a space or the end (§4.5).
    public static func isSPF(_ text: [UInt8]) -> Bool {
        let prefix = Array("v=spf1".utf8)
        guard text.count >= prefix.count,
              zip(text, prefix).allSatisfy({ ($0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0) == $1 }) else { return false }
        return text.count == prefix.count || text[prefix.count] == 0x20
    }

    public init(parsing text: String) throws(SPFSyntaxError) {
        let terms = text.split(separator: " ", omittingEmptySubsequences: true)
        guard let version = terms.first, version.lowercased() == "v=spf1" else { throw SPFSyntaxError("not an SPF record") }
        guard terms.count <= Self.maxTerms else { throw SPFSyntaxError("too many terms") }
        for term in terms.dropFirst() {
            if let eq = term.firstIndex(of: "="), Self.isModifierName(term[..<eq]) {
                let name = term[..<eq].lowercased()
                let value = term[term.index(after: eq)...]
                switch name {
                case "redirect":
                    guard redirect == nil else { throw SPFSyntaxError("duplicate redirect") }
                    redirect = try SPFMacroString.parseDomainSpec(value)
                case "exp":
                    guard exp == nil else { throw SPFSyntaxError("duplicate exp") }
                    exp = try SPFMacroString.parseDomainSpec(value)
                default:
                    // Unknown modifiers are ignored, but must still be well-formed (§6).
                    _ = try SPFMacroString.parse(value)
                }
                continue
            }
            directives.append(try Self.parseDirective(term))
        }
    }

    static func isModifierName(_ s: Substring) -> Bool {
        guard let f = s.first, f.isASCIILetter else { return false }
        return s.allSatisfy { $0.isASCIILetterOrDigit || $0 == "-" || $0 == "_" || $0 == "." }
    }

    static func parseDirective(_ term: Substring) throws(SPFSyntaxError) -> SPFDirective {
        var rest = term
        var qualifier = SPFQualifier.pass
        if let f = rest.first, let q = SPFQualifier(rawValue: f) { qualifier = q; rest = rest.dropFirst() }
        let nameEnd = rest.firstIndex(where: { $0 == ":" || $0 == "/" }) ?? rest.endIndex
        let name = rest[..<nameEnd].lowercased()
        var arg = rest[nameEnd...]
        var target: Substring? = nil
        func requireTarget() throws(SPFSyntaxError) -> SPFMacroString {
            guard arg.first == ":" else { throw SPFSyntaxError("\(name) needs a domain") }
            return try SPFMacroString.parseDomainSpec(arg.dropFirst())
        }
        let mechanism: SPFMechanism
        switch name {
        case "all":
            guard arg.isEmpty else { throw SPFSyntaxError("'all' takes no argument") }
            mechanism = .all
        case "include":
            mechanism = .include(try requireTarget())
        case "exists":
            mechanism = .exists(try requireTarget())
        case "ptr":
            if arg.isEmpty { mechanism = .ptr(nil) } else { mechanism = .ptr(try requireTarget()) }
        case "a", "mx":
            let (v4, v6) = try parseDualCIDR(&arg)
            if !arg.isEmpty { target = arg }
            let spec: SPFMacroString?
            if let t = target {
                guard t.first == ":" else { throw SPFSyntaxError("bad \(name) argument") }
                spec = try SPFMacroString.parseDomainSpec(t.dropFirst())
            } else {
                spec = nil
            }
            mechanism = name == "a" ? .a(spec, ip4Prefix: v4, ip6Prefix: v6) : .mx(spec, ip4Prefix: v4, ip6Prefix: v6)
        case "ip4":
            guard arg.first == ":" else { throw SPFSyntaxError("ip4 needs an address") }
            let body = arg.dropFirst()
            let parts = body.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let ip = IPAddress(String(parts[0])), ip.isIPv4, !parts[0].contains(":") else {
                throw SPFSyntaxError("bad ip4 address")
            }
            let prefix = parts.count == 2 ? try parseCIDR(parts[1], max: 32) : 32
            mechanism = .ip4(ip, prefix: prefix)
        case "ip6":
            guard arg.first == ":" else { throw SPFSyntaxError("ip6 needs an address") }
            let body = arg.dropFirst()
            let parts = body.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0].contains(":"), let ip = IPAddress(String(parts[0])), !ip.isIPv4 else {
                throw SPFSyntaxError("bad ip6 address")
            }
            let prefix = parts.count == 2 ? try parseCIDR(parts[1], max: 128) : 128
            mechanism = .ip6(ip, prefix: prefix)
        default:
            throw SPFSyntaxError("unknown mechanism '\(name)'")
        }
        return SPFDirective(qualifier: qualifier, mechanism: mechanism)
    }

    /// ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); same for ip6 with 3 digits.
    static func parseCIDR(_ s: Substring, max: Int) throws(SPFSyntaxError) -> Int {
        guard !s.isEmpty, s.count <= 3, s.allSatisfy(\.isASCIIDigit), !(s.count > 1 && s.first == "0"),
              let n = Int(s), n <= max else { throw SPFSyntaxError("bad CIDR length /\(s)") }
        return n
    }

    /// Strips a trailing dual-cidr-length ("/24", "//64", "/24//64") from `arg`.
    static func parseDualCIDR(_ arg: inout Substring) throws(SPFSyntaxError) -> (Int, Int) {
        var v4 = 32, v6 = 128
        if let r = arg.range(of: "//", options: .backwards) {
            v6 = try parseCIDR(arg[r.upperBound...], max: 128)
            arg = arg[..<r.lowerBound]
        }
        if let slash = arg.lastIndex(of: "/") {
            let tail = arg[arg.index(after: slash)...]
            // A '/' inside a domain-spec is legal; only a trailing number is a CIDR.
            if !tail.isEmpty && tail.allSatisfy(\.isASCIIDigit) || arg.firstIndex(of: ":") == nil {
                v4 = try parseCIDR(tail, max: 32)
                arg = arg[..<slash]
            }
        }
        return (v4, v6)
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
    var isASCIILetter: Bool { asciiValue.map { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7a } ?? false }
    var isASCIILetterOrDigit: Bool { isASCIIDigit || isASCIILetter }
}
