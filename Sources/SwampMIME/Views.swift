// What header rules read: SpamAssassin's PerMsgStatus `get()` / `_get()`
// over the top-level header fields, with the pseudo-headers, and the
// Received-derived relay strings.

struct HeaderIndex: Sendable {
    struct Field: Sendable {
        var name: String
        var lname: String
        var raw: [UInt8]      // value with its final "\n"
        var decoded: [UInt8]  // Node.pm decoded value (no newline)
    }
    let fields: [Field]
    /// How many top-level fields the message has (`fields` drops some).
    let headerCount: Int
    /// Lowercased name → positions in `fields`: most of the hundreds of
    /// names rules ask for are absent, and this answers that at once.
    let positions: [String: [Int]]
    let pristine: [UInt8]
    let relays: Relays
    let relayStrings: [String: [UInt8]]  // lowercased pseudo-header -> value
    let lastTrustedIndex: Int
    let lastInternalIndex: Int
    let subjectForBody: [UInt8]

    init(message: Message, trust: TrustPolicy) {
        var fields: [Field] = []
        fields.reserveCapacity(message.headers.count)
        for h in message.headers {
            let l = h.name.lowercased()
            // SpamAssassin drops any X-Spam-Relays-* fields and serves its own.
            if l.hasPrefix("x-spam-relays-") && ["x-spam-relays-trusted", "x-spam-relays-untrusted",
                                                 "x-spam-relays-internal", "x-spam-relays-external"].contains(l) { continue }
            var raw = h.rawValue
            raw.append(lf)
            fields.append(Field(name: h.name, lname: l, raw: raw, decoded: HeaderDecoder.decodedValue(raw: h.rawValue, lname: l)))
        }
        self.fields = fields
        self.headerCount = message.headers.count
        var positions: [String: [Int]] = [:]
        for (i, f) in fields.enumerated() { positions[f.lname, default: []].append(i) }
        self.positions = positions
        self.pristine = message.root.messageInfo?.pristineHeaders ?? []
        var received = fields.filter { $0.lname == "received" }.map { f -> [UInt8] in
            var v = f.decoded; v.append(lf); return v
        }
        // originating_ip_headers become the oldest hops.
        for name in trust.originatingIPHeaders {
            let l = name.lowercased()
            guard let f = fields.last(where: { $0.lname == l }), let ip = HostFinder.findIPv4OrV6(f.decoded) else { continue }
            received.append(Array("from X-Originating-IP: \(ip)\n".utf8))
        }
        let cls = ReceivedParser.classify(received, trust: trust, maxReceived: message.limits.maxReceived)
        self.relays = cls.relays
        self.lastTrustedIndex = cls.lastTrustedIndex
        self.lastInternalIndex = cls.lastInternalIndex
        func str(_ r: [Relay]) -> [UInt8] { Array(r.map(ReceivedParser.asString).joined(separator: " ").utf8) }
        self.relayStrings = [
            "x-spam-relays-trusted": str(cls.relays.trusted),
            "x-spam-relays-untrusted": str(cls.relays.untrusted),
            "x-spam-relays-internal": str(cls.relays.internal),
            "x-spam-relays-external": str(cls.relays.external),
        ]
        self.subjectForBody = Self.subjectForBody(decoded: fields.last(where: { $0.lname == "subject" })?.decoded)
        self.envelopeFromStorage = HeaderIndex.computeEnvelopeFrom(fields: fields, relays: cls.relays)
    }
    private let envelopeFromStorage: [UInt8]?

    /// Subject as get_header('subject') gives it (the last Subject field,
    /// decoded), or "\n", for the body's first line.
    static func subjectForBody(decoded: [UInt8]?) -> [UInt8] {
        guard var v = decoded else { return [lf] }
        v.append(lf)
        return v
    }

    /// The same, from the message without indexing its headers.
    static func subjectForBody(_ message: Message) -> [UInt8] {
        let last = message.headers.last { $0.name.lowercased() == "subject" }
        return subjectForBody(decoded: last.map { HeaderDecoder.decodedValue(raw: $0.rawValue, lname: "subject") })
    }

    // MARK: basic accessors

    func decodedValues(_ lname: String) -> [[UInt8]] {
        (positions[lname] ?? []).map { var v = fields[$0].decoded; v.append(lf); return v }
    }
    func rawValues(_ lname: String) -> [[UInt8]] {
        (positions[lname] ?? []).map { fields[$0].raw }
    }
    /// get_header(name, 1): raw with `\r?\n\s+` unfolded to a space.
    func rawUnfolded(_ lname: String) -> [[UInt8]] {
        rawValues(lname).map { v in
            var out: [UInt8] = []
            var i = 0
            while i < v.count {
                if (v[i] == lf || (v[i] == cr && i + 1 < v.count && v[i + 1] == lf)) {
                    var j = v[i] == cr ? i + 2 : i + 1
                    if j < v.count && v[j].isSpace {
                        while j < v.count && v[j].isSpace { j += 1 }
                        out.append(sp); i = j; continue
                    }
                }
                out.append(v[i]); i += 1
            }
            return out
        }
    }

    /// `get_all_headers(0)` as lines "Name: value\n", original order.
    func allDecodedLines() -> [[UInt8]] {
        var size = 0
        var out: [[UInt8]] = []
        out.reserveCapacity(fields.count)
        for f in fields {
            var line = Array(f.name.utf8)
            line += [58, 32]
            line += f.decoded
            line.append(lf)
            size += f.lname.utf8.count + f.decoded.count + 3
            if size > 65536 { break }
            out.append(line)
        }
        return out
    }

    /// `allDecodedLines` as (name, value) pairs, when no field was dropped
    /// and no decoded value holds a line break (so the lines split back
    /// into exactly these fields); else nil.
    func decodedFieldsIfSplittable() -> [(name: String, value: [UInt8])]? {
        guard fields.count == headerCount else { return nil }
        var size = 0
        var out: [(name: String, value: [UInt8])] = []
        out.reserveCapacity(fields.count)
        for f in fields {
            if f.decoded.contains(lf) { return nil }
            size += f.lname.utf8.count + f.decoded.count + 3
            if size > 65536 { break }
            out.append((f.name, f.decoded))
        }
        return out
    }

    /// Every field of the pristine header block, with its continuation lines,
    /// as one "Name: value\n" line each (what `ALL:raw` joins).
    func allRawLines() -> [[UInt8]] {
        var out: [[UInt8]] = []
        let p = pristine
        var i = 0
        while i < p.count {
            if p[i] == sp || p[i] == tab {
                // skip to next line
                while i < p.count && p[i] != lf { i += 1 }
                i += 1; continue
            }
            let st = i
            var j = i + 1
            var found = false
            while j < p.count {
                if p[j] == lf {
                    if j + 1 >= p.count || !(p[j + 1] == sp || p[j + 1] == tab) { found = true; break }
                }
                j += 1
            }
            if !found { break }
            out.append(Array(p[st...j]))
            i = j + 1
        }
        return out
    }

    func hdrsInRcvdRange(start: Int?, end: Int?, raw: Bool) -> [[UInt8]] {
        let hdrs: [[UInt8]]
        if raw { hdrs = allRawLines() } else {
            // split(/^/m, join) — decoded values may hold newlines.
            var lines: [[UInt8]] = []
            for l in allDecodedLines() {
                var s = 0
                for (k, c) in l.enumerated() where c == lf { lines.append(Array(l[s...k])); s = k + 1 }
                if s < l.count { lines.append(Array(l[s...])) }
            }
            hdrs = lines
        }
        if let e = end, e < 0 { return [] }
        var cur = -1
        var out: [[UInt8]] = []
        for h in hdrs {
            if h.count >= 9 && h[0..<9].equalsLowercase("received:") { cur += 1 }
            if (start == nil || start! <= cur) && (end == nil || cur < end!) {
                out.append(h)
            } else if let e = end, cur == e {
                out.append(h); break
            }
        }
        return out
    }

    static func computeEnvelopeFrom(fields: [Field], relays: Relays) -> [UInt8]? {
        // PerMsgStatus get_envelope_from (no envelope_sender_header set).
        let lasthop = relays.untrusted.first ?? relays.trusted.last
        if let hop = lasthop {
            let e = hop.envfrom
            if let at = e.firstIndex(of: "@"), at > e.startIndex { return Array(e.utf8) }
        }
        func firstAddr(_ lname: String) -> [UInt8]? {
            guard let f = fields.first(where: { $0.lname == lname }) else { return nil }
            return AddressParser.parse(f.raw).compactMap { $0.address }.first
        }
        /// `ALL =~ /^Received:.*?^Name:/smi`: a Received field before any Name field.
        func receivedBefore(_ lname: String) -> Bool {
            guard let firstReceived = fields.firstIndex(where: { $0.lname == "received" }),
                  let lastField = fields.lastIndex(where: { $0.lname == lname }) else { return false }
            return firstReceived < lastField
        }
        if let xs = firstAddr("x-sender"), xs.contains(64) {
            for f in fields where f.lname == "received" && firstIndexOf(Array("(fetchmail".utf8), in: f.decoded, from: 0) != nil {
                return nil
            }
        }
        if let e = firstAddr("x-envelope-from") { return receivedBefore("x-envelope-from") ? nil : e }
        if let e = firstAddr("envelope-sender"), !receivedBefore("envelope-sender") { return e }
        if let e = firstAddr("return-path"), !receivedBefore("return-path") { return e }
        return nil
    }

    // MARK: the query

    func value(for q: HeaderQuery) -> [UInt8]? { value(for: ResolvedHeaderQuery(q)) }

    func value(for q: ResolvedHeaderQuery) -> [UInt8]? {
        let lname = q.lname, modifier = q.modifier, selection = q.selection, getRaw = q.getRaw
        let getAddr = modifier == .addr, getName = modifier == .name
        let needRaw = getAddr || getName
        var results: [[UInt8]] = []
        switch q.kind {
        case .all:
            results = getRaw ? allRawLines() : allDecodedLines()
            return join(results)
        case .allTrusted:
            return join(hdrsInRcvdRange(start: nil, end: lastTrustedIndex + 1, raw: getRaw))
        case .allInternal:
            return join(hdrsInRcvdRange(start: nil, end: lastInternalIndex + 1, raw: getRaw))
        case .allUntrusted:
            return join(hdrsInRcvdRange(start: lastTrustedIndex + 1, end: nil, raw: getRaw))
        case .allExternal:
            return join(hdrsInRcvdRange(start: lastInternalIndex + 1, end: nil, raw: getRaw))
        case .messageID:
            for n in ["x-message-id", "resent-message-id", "x-original-message-id", "message-id"] {
                results += (getRaw ? rawUnfolded(n) : decodedValues(n)).filter { !$0.isEmpty }
            }
        case .envelopeFrom:
            if let e = envelopeFromStorage { results = [e] }
        case .other:
            if let rs = relayStrings[lname] {
                results = [rs]
            } else if lname == "tocc" {
                results = getRaw ? rawUnfolded("to") + rawUnfolded("cc") : decodedValues("to") + decodedValues("cc")
            } else {
                results = (getRaw || needRaw) ? rawValues(lname) : decodedValues(lname)
            }
        }
        if results.isEmpty { return nil }
        switch selection {
        case .first: results = [results[0]]
        case .last: results = [results[results.count - 1]]
        case .all: break
        }
        if getAddr || getName {
            var res: [[UInt8]] = []
            for line in results {
                for a in AddressParser.parse(line) {
                    if getAddr {
                        if let addr = a.address { res.append(addr) }
                    } else if let ph = a.phrase {
                        if getRaw { res.append(ph) } else {
                            var d = HeaderDecoder.decodeFieldBody(ph, lname: "pms:get:\(lname)")
                            if d.contains(where: { !$0.isSpace }) {
                                d = collapseSpaces(d)
                                if d.count >= 2 && d.first == 39 && d.last == 39 { d = Array(d[1..<(d.count - 1)]) }
                            }
                            res.append(d)
                        }
                    }
                }
            }
            results = res
        }
        switch modifier {
        case .host, .domain:
            var res: [[UInt8]] = []
            for line in results {
                var host: String? = nil
                let ls = String(decoding: line, as: UTF8.self)
                if getAddr {
                    if let at = line.lastIndex(of: 64) {
                        let rest = line[(at + 1)...].prefix(while: { !$0.isSpace })
                        if !rest.isEmpty { host = String(decoding: rest, as: UTF8.self) }
                    }
                } else {
                    host = HostFinder.findHost(ls)
                }
                if var h = host {
                    if modifier == .domain { h = RegistryBoundaries.shared.trimDomain(h) }
                    res.append(Array(h.utf8))
                }
            }
            results = res
        case .ip, .revip:
            var res: [[UInt8]] = []
            for line in results {
                if let ip = HostFinder.findIPv4OrV6(line) {
                    if modifier == .revip {
                        if let r = HostFinder.reverse(ip) { res.append(Array(r.utf8)) }
                    } else { res.append(Array(ip.utf8)) }
                }
            }
            results = res
        default: break
        }
        if results.isEmpty { return nil }
        return join(results)
    }

    func collapseSpaces(_ d: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var inSpace = false
        for c in d {
            if c.isSpace { if !inSpace { out.append(sp) }; inSpace = true } else { out.append(c); inSpace = false }
        }
        return Array(trimSpace(out))
    }

    /// Check.pm: `join($harr[0] =~ /\n\z/ ? "" : "\n", @harr)`.
    func join(_ parts: [[UInt8]]) -> [UInt8]? {
        guard let first = parts.first else { return nil }
        let sep: [UInt8] = first.last == lf ? [] : [lf]
        var out: [UInt8] = []
        for (k, p) in parts.enumerated() {
            if k > 0 { out += sep }
            out += p
        }
        return out
    }
}

/// `:host` / `:ip` extraction from a header line.
enum HostFinder {
    /// `(?<![._-])(\S{1,251}\.TLD)(?![._-])`: the first valid host name,
    /// preferring one after the last `@`.
    static func findHost(_ line: String) -> String? {
        let rb = RegistryBoundaries.shared
        let b = Array(line.utf8)
        func candidates(from start: Int) -> [String] {
            // Split into \S runs and try to end each at a known TLD.
            var out: [String] = []
            var i = start
            while i < b.count {
                while i < b.count && b[i].isSpace { i += 1 }
                let st = i
                while i < b.count && !b[i].isSpace { i += 1 }
                if i > st {
                    var tok = Array(b[st..<i])
                    // trim characters a host cannot end with for the lookahead
                    while let l = tok.last, !(l.isAlnum) { tok.removeLast() }
                    while let f = tok.first, f == 46 || f == 95 || f == 45 || f == 60 || f == 40 || f == 34 || f == 91 { tok.removeFirst() }
                    if let at = tok.lastIndex(of: 64) { tok = Array(tok[(at + 1)...]) }
                    let s = String(decoding: tok, as: UTF8.self)
                    if rb.isDomainValid(s) && isFQDNValid(s) { out.append(s) }
                }
            }
            return out
        }
        if let at = b.lastIndex(of: 64), let h = candidates(from: at + 1).first { return h }
        return candidates(from: 0).first
    }

    /// `(?<!\.)\b(IP_ADDRESS)\b(?!\.)`: the first address in the line,
    /// with its `IPv6:` tag when written.
    static func findIPv4OrV6(_ line: [UInt8]) -> String? {
        let n = line.count
        var st = 0
        while st < n {
            let prev: UInt8 = st > 0 ? line[st - 1] : 32
            // \b with a word character first, and no '.' before.
            guard line[st].isWord, !prev.isWord, prev != 46 else { st += 1; continue }
            if let e = matchIP(line, st) { return String(decoding: line[st..<e], as: UTF8.self) }
            st += 1
        }
        return nil
    }

    /// End of an IP_ADDRESS match at `st` that also satisfies `\b(?!\.)`.
    static func matchIP(_ line: [UInt8], _ st: Int) -> Int? {
        let n = line.count
        let prev: UInt8 = st > 0 ? line[st - 1] : 32
        func tailOK(_ e: Int) -> Bool {
            let next: UInt8 = e < n ? line[e] : 32
            return line[e - 1].isWord != next.isWord && next != 46
        }
        // IPv4 first (not after ':').
        if line[st].isDigit && prev != 58 {
            var e = st
            while e < n && (line[e].isDigit || line[e] == 46) { e += 1 }
            while e > st {
                let t = line[st..<e]
                if isStrictIPv4(t) {
                    let next: UInt8 = e < n ? line[e] : 32
                    if !next.isWord && tailOK(e) { return e }
                }
                e -= 1
            }
        }
        // IPv6, optionally tagged.
        var v6 = st
        if n - st >= 5 && line[st..<(st + 5)].equalsLowercase("ipv6:") { v6 = st + 5 }
        else if prev.isHexDigit || prev == 58 { return nil }
        var e = v6
        while e < n && (line[e].isHexDigit || line[e] == 58 || line[e] == 46) { e += 1 }
        while e > v6 {
            let t = Substring(String(decoding: line[v6..<e], as: UTF8.self))
            let next: UInt8 = e < n ? line[e] : 32
            if t.contains(":"), IPAddress.parseIPv6(t) != nil, !(next.isHexDigit || next == 58), tailOK(e) { return e }
            e -= 1
        }
        return nil
    }

    /// Four dot-separated decimal numbers of 0-255, without leading zeros.
    /// One pass over the bytes (the Received parser asks this of every
    /// candidate end of every address it tries).
    static func isStrictIPv4(_ t: ArraySlice<UInt8>) -> Bool {
        var parts = 0, value = 0, digits = 0, leadingZero = false
        for c in t {
            if c == 46 {
                guard digits > 0 else { return false }
                parts += 1
                guard parts < 4 else { return false }
                value = 0; digits = 0
            } else if c.isDigit {
                if digits == 0 { leadingZero = c == 48 } else if leadingZero { return false }
                value = value * 10 + Int(c - 48); digits += 1
                guard digits <= 3, value <= 255 else { return false }
            } else {
                return false
            }
        }
        return parts == 3 && digits > 0
    }

    static func reverse(_ ip: String) -> String? {
        // Util.pm reverse_ip_address: a tagged `IPv6:` address is left alone.
        guard !ip.lowercased().hasPrefix("ipv6:"), let a = IPAddress(Substring(ip)) else { return nil }
        if a.bytes.count == 4 { return a.bytes.reversed().map(String.init).joined(separator: ".") }
        var nibbles: [String] = []
        for b in a.bytes { nibbles.append(String(b >> 4, radix: 16)); nibbles.append(String(b & 15, radix: 16)) }
        return nibbles.reversed().joined(separator: ".")
    }
}

extension Views {
    /// One leaf part's rendered text (Node.pm `rendered`) cut into short
    /// paragraphs (`split_into_array_of_short_paragraphs`); nil when the
    /// part is not a text/plain or text/html leaf of this message.
    public func renderedParagraphs(of part: MIMEPart) -> [[UInt8]]? {
        guard let parts = renderedParts,
              let i = BodyRenderer.leaves(message.root).firstIndex(where: { $0 === part }),
              i < parts.leaves.count else { return nil }
        switch parts.leaves[i] {
        case .other: return nil
        case .plain(let t, _): return BodyRenderer.shortParagraphs(t)
        case .html(let r, _): return BodyRenderer.shortParagraphs(r.text)
        }
    }
}
