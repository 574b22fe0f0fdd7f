// Tag lists (RFC 6376 §3.2), used by both DKIM-Signature fields and key
// records, and the message split into header fields and body lines.

/// Why a tag list could not be parsed.
public struct DKIMTagError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A parsed tag list: names are case-sensitive (§3.2), values have their
/// surrounding whitespace removed.
public struct DKIMTagList: Sendable, Hashable {
    public private(set) var tags: [String: [UInt8]] = [:]
    public private(set) var order: [String] = []

    /// Bound on tags per list; real signatures carry about a dozen.
    static let maxTags = 64

    public init<C: BidirectionalCollection>(parsing bytes: C) throws(DKIMTagError) where C.Element == UInt8 {
        let specs = bytes.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        for (index, spec) in specs.enumerated() {
            let trimmed = Self.trim(spec)
            if trimmed.isEmpty {
                // Only a trailing ";" may leave an empty spec.
                if index == specs.count - 1 { continue }
                throw DKIMTagError("empty tag-spec")
            }
            guard let eq = trimmed.firstIndex(of: UInt8(ascii: "=")) else { throw DKIMTagError("tag without '='") }
            let name = Self.trim(trimmed[..<eq])
            guard let first = name.first, Self.isAlpha(first),
                  name.allSatisfy({ Self.isAlpha($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }) else {
                throw DKIMTagError("bad tag name")
            }
            let key = String(decoding: name, as: UTF8.self)
            guard tags[key] == nil else { throw DKIMTagError("duplicate tag \(key)") }
            guard order.count < Self.maxTags else { throw DKIMTagError("too many tags") }
            tags[key] = Array(Self.trim(trimmed[trimmed.index(after: eq)...]))
            order.append(key)
        }
    }

    public subscript(_ name: String) -> [UInt8]? { tags[name] }

    public func string(_ name: String) -> String? {
        tags[name].map { String(decoding: $0, as: UTF8.self) }
    }

    /// A value with all folding whitespace removed (b=, bh=, p=, h=).
    public func compact(_ name: String) -> String? {
        tags[name].map { String(decoding: $0.filter { !DKIMTagList.isWSP($0) }, as: UTF8.self) }
    }

    static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a }
    static func isWSP(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0d || b == 0x0a }

    static func trim<C: BidirectionalCollection>(_ s: C) -> C.SubSequence where C.Element == UInt8 {
        var a = s.startIndex, b = s.endIndex
        while a < b, isWSP(s[a]) { a = s.index(after: a) }
        while b > a, isWSP(s[s.index(before: b)]) { b = s.index(before: b) }
        return s[a..<b]
    }
}

/// A message as DKIM sees it: header fields in order, each with its raw
/// bytes ("Name: value\r\n" with continuation lines), and body lines
/// without line ends. Bare LF line ends count as CRLF, as dkimpy and
/// Mail::DKIM treat them.
struct DKIMMessage: Sendable {
    struct Field: Sendable {
        /// Lower-cased, without surrounding whitespace.
        var name: String
        var raw: [UInt8]
    }
    var fields: [Field] = []
    var bodyLines: [ArraySlice<UInt8>] = []

    /// Bound on header fields looked at: a message with more is treated as
    /// having only these (SECURITY.md: bounded work).
    static let maxFields = 5_000

    init(_ bytes: [UInt8]) {
        var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 0x0d ? line.dropLast() : line
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            i += 1
            if line.isEmpty { break }
            if line.first == 0x20 || line.first == 0x09 {
                if !fields.isEmpty { fields[fields.count - 1].raw += line + [0x0d, 0x0a] }
                continue
            }
            // An mbox "From " line is not a header field.
            if line.starts(with: Array("From ".utf8)) && fields.isEmpty { continue }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            guard fields.count < Self.maxFields else { continue }
            let name = String(decoding: DKIMTagList.trim(line[..<colon]), as: UTF8.self).lowercased()
            fields.append(Field(name: name, raw: Array(line) + [0x0d, 0x0a]))
        }
        bodyLines = Array(lines[min(i, lines.count)...])
    }
}
