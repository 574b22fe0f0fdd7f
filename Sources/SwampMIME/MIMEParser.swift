// Bytes → MIME tree, following Message.pm (`new`, `_parse_multipart`,
// `_parse_normal`) of SpamAssassin 4.0.1 closely, because which bytes end up
// in which part decides what every rule sees: line-based boundary matching,
// headers ended by a `--` line or a fourth malformed line, over-long body
// lines split at 2,048 bytes, runs of blank lines capped, a missing
// boundary parameter inherited from the parent.

/// One line of a (sub)message buffer: `buf[start..<end]`, plus a "\n" when
/// the CRLF of a CRLF message was squashed or a long line was split.
struct Line {
    var start: Int
    var end: Int
    var addLF: Bool
}

/// MAX_BODY_LINE_LENGTH in Constants.pm.
let maxBodyLineLength = 2048
let maxHeaderKeyLength = 256
let maxHeaderValueLength = 8192

final class ParseContext {
    let limits: MessageLimits
    var defects: [String] = []
    var partCount = 0
    /// SpamAssassin's parse flags (Message.pm: `missing_head_body_separator`,
    /// `truncated_header`, `missing_mime_head_body_separator`,
    /// `missing_mime_headers`, `mime_epilogue_exists`). The header ones
    /// come from the top-level message's own header only (`flag`): an
    /// embedded message/rfc822 is a message object of its own there; the
    /// MIME ones from every multipart, embedded ones too, whose parts
    /// SpamAssassin queues on the top-level message.
    var flags: Set<String> = []
    /// 1 while the top-level message is parsed, more inside embedded ones.
    var messageDepth = 0
    init(limits: MessageLimits) { self.limits = limits }
    func defect(_ s: String) { if defects.count < 100 { defects.append(s) } }
    func flag(_ s: String) { if messageDepth == 1 { flags.insert(s) } }
}

/// A node under construction.
final class PNode {
    var headers: [HeaderField] = []
    var type = "text/plain"
    var boundary: [UInt8]? = nil
    var charset: [UInt8]? = nil
    var name: [UInt8]? = nil
    var buffer: [UInt8] = []
    var lines: [Line] = []
    var children: [PNode] = []
    var isMultipartContainer = false
    /// Set on the root of a (sub)message.
    var messageInfo: MessageInfo? = nil
    /// For message/rfc822 parts: the decoded bytes that were re-parsed.
    var consumedBody: [UInt8]? = nil

    /// Last decoded value of a header (Node.pm `header()` in scalar context).
    func lastDecoded(_ lname: String) -> [UInt8]? {
        for h in headers.reversed() where h.isNamed(lname) {
            return HeaderDecoder.decodedValue(raw: h.rawValue, lname: lname)
        }
        return nil
    }

    func body() -> [UInt8] {
        var out: [UInt8] = []
        var total = 0
        for l in lines { total += l.end - l.start + (l.addLF ? 1 : 0) }
        out.reserveCapacity(total)
        buffer.withUnsafeBufferPointer { b in
            for l in lines {
                out.append(contentsOf: b[l.start..<l.end])
                if l.addLF { out.append(lf) }
            }
        }
        return out
    }
}

/// Per-(sub)message facts kept for the views.
struct MessageInfo: Sendable {
    /// The header block as received (`get_pristine_header`).
    var pristineHeaders: [UInt8] = []
    var pristineBodyLength = 0
    var mboxSeparator: [UInt8]? = nil
    var missingHeadBodySeparator = false
    var crlf = false
}

enum MIMEParser {
    @inline(__always) static func isHeaderNameLine(_ b: UnsafeBufferPointer<UInt8>, _ l: Line, allowWSP: Bool) -> Bool {
        // /^[\041-\071\073-\176]+[ \t]*:/
        var i = l.start
        while i < l.end, b[i] >= 0x21, b[i] <= 0x7E, b[i] != 0x3A { i += 1 }
        if i == l.start { return false }
        if allowWSP { while i < l.end, b[i] == sp || b[i] == tab { i += 1 } }
        return i < l.end && b[i] == 0x3A
    }

    /// /^--BOUNDARY(--)?\s*$/ ; returns nil (no match), false (boundary),
    /// true (closing boundary).
    @inline(__always) static func boundaryMatch(_ b: UnsafeBufferPointer<UInt8>, _ l: Line, _ boundary: [UInt8]) -> Bool? {
        let len = l.end - l.start
        guard len >= 2 + boundary.count, b[l.start] == 45, b[l.start + 1] == 45 else { return nil }
        var i = l.start + 2
        for c in boundary { if b[i] != c { return nil }; i += 1 }
        var closing = false
        if i + 1 < l.end && b[i] == 45 && b[i + 1] == 45 {
            var k = i + 2
            while k < l.end && b[k].isSpace { k += 1 }
            if k == l.end { return true }
        }
        while i < l.end && b[i].isSpace { i += 1 }
        if i == l.end { closing = false; return closing }
        return nil
    }

    static func lineIsBlank(_ b: UnsafeBufferPointer<UInt8>, _ l: Line) -> Bool {
        var i = l.start
        while i < l.end { if !b[i].isSpace { return false }; i += 1 }
        return true
    }

    /// Parses a whole message (or an embedded message/rfc822 body).
    static func parseMessage(_ buffer: [UInt8], subparse: Int, ctx: ParseContext) -> PNode {
        ctx.messageDepth += 1
        defer { ctx.messageDepth -= 1 }
        let node = PNode()
        node.buffer = buffer
        var info = MessageInfo()
        let limits = ctx.limits
        var raw = splitLines(buffer[...])
        if raw.isEmpty { raw = [] }
        var idx = 0
        buffer.withUnsafeBufferPointer { b in
            // mbox "From " separator.
            if let first = raw.first, first.count >= 5, b[first.lowerBound] == 70,
               b[first.lowerBound..<(first.lowerBound + 4)].elementsEqual("From".utf8) {
                var k = first.lowerBound + 4
                var sawSpace = false
                while k < first.upperBound && b[k].isSpace { k += 1; sawSpace = true }
                if sawSpace && (k >= first.upperBound || b[k] != 58) {
                    info.mboxSeparator = Array(b[first])
                    idx = 1
                }
            }
            func hasCRLF(_ r: Range<Int>) -> Bool {
                r.count >= 2 && b[r.upperBound - 1] == lf && b[r.upperBound - 2] == cr
            }
            if idx < raw.count && (hasCRLF(raw[idx]) || hasCRLF(raw[raw.count - 1])) { info.crlf = true }
            let squash = info.crlf
            // Header block.
            var hdrErrors = 0
            var current: [Range<Int>] = []  // lines of the field being read
            var fieldCount = 0
            let headerStart = idx < raw.count ? raw[idx].lowerBound : buffer.count
            var headerEnd = headerStart
            var truncated = false
            func finishField() {
                guard !current.isEmpty else { return }
                defer { current.removeAll(keepingCapacity: true) }
                var text: [UInt8] = []
                for r in current {
                    if squash && hasCRLF(r) {
                        text.append(contentsOf: b[r.lowerBound..<(r.upperBound - 2)]); text.append(lf)
                    } else {
                        text.append(contentsOf: b[r])
                    }
                }
                guard let colon = text.firstIndex(of: 0x3A) else { return }
                var key = text[..<colon]
                while let l = key.last, l == sp || l == tab { key = key.dropLast() }
                if key.count > maxHeaderKeyLength {
                    key = key.prefix(maxHeaderKeyLength)
                    ctx.flag("truncated_header")
                }
                var value = Array(text[(colon + 1)...])
                if value.count > maxHeaderValueLength {
                    value = Array(value.prefix(maxHeaderValueLength))
                    ctx.flag("truncated_header")
                }
                if value.last == lf { value.removeLast() }
                if fieldCount >= limits.maxHeaderFields {
                    if !truncated { ctx.defect("too many header fields"); truncated = true }
                    return
                }
                fieldCount += 1
                node.headers.append(HeaderField(name: String(decoding: key, as: UTF8.self), rawValue: value))
            }
            var currentBytes = 0
            while true {
                if idx >= raw.count {
                    finishField()
                    info.missingHeadBodySeparator = true
                    ctx.flag("missing_head_body_separator")
                    break
                }
                let r = raw[idx]
                if headerEnd - headerStart > limits.maxHeaderBlockBytes {
                    finishField()
                    ctx.defect("header block too large")
                    info.missingHeadBodySeparator = true
                    break
                }
                let c0 = b[r.lowerBound]
                if c0 == sp || c0 == tab {
                    // Continuation (or a block starting with one).
                    if currentBytes < maxHeaderValueLength + maxHeaderKeyLength + 2 {
                        current.append(r); currentBytes += r.count
                    }
                    headerEnd = r.upperBound; idx += 1
                    continue
                }
                finishField()
                currentBytes = 0
                let isEnd = (r.count == 1 && c0 == lf) || (r.count == 2 && c0 == cr && b[r.lowerBound + 1] == lf && squash)
                if isEnd {
                    headerEnd = r.upperBound; idx += 1
                    break
                }
                if r.count >= 2 && c0 == 45 && b[r.lowerBound + 1] == 45 {
                    info.missingHeadBodySeparator = true
                    ctx.flag("missing_head_body_separator")
                    break
                }
                let l = Line(start: r.lowerBound, end: r.upperBound, addLF: false)
                if !isHeaderNameLine(b, l, allowWSP: true) {
                    hdrErrors += 1
                    if hdrErrors > 3 {
                        info.missingHeadBodySeparator = true
                        ctx.flag("missing_head_body_separator")
                        break
                    }
                }
                current.append(r); currentBytes = r.count
                headerEnd = r.upperBound; idx += 1
            }
            info.pristineHeaders = Array(b[headerStart..<headerEnd])
            // Message.pm `pristine_body_length`: the bytes after the header
            // block (and its blank line), as received.
            info.pristineBodyLength = max(0, (raw.last?.upperBound ?? headerEnd) - headerEnd)
            if squash {
                // In a CRLF message SpamAssassin makes every header line end in CRLF.
                var fixed: [UInt8] = []
                fixed.reserveCapacity(info.pristineHeaders.count + 64)
                var prev: UInt8 = 0
                for c in info.pristineHeaders {
                    if c == lf && prev != cr { fixed.append(cr) }
                    fixed.append(c); prev = c
                }
                info.pristineHeaders = fixed
            }
            if info.missingHeadBodySeparator { ctx.defect("missing blank line after headers") }

            // Body lines, CRLF squashed.
            var lines: [Line] = []
            lines.reserveCapacity(raw.count - idx)
            for k in idx..<raw.count {
                let r = raw[k]
                if squash && hasCRLF(r) {
                    lines.append(Line(start: r.lowerBound, end: r.upperBound - 2, addLF: true))
                } else {
                    lines.append(Line(start: r.lowerBound, end: r.upperBound, addLF: false))
                }
            }
            // Runs of more than 20 blank lines are cut (Message.pm new()).
            lines = capBlankRuns(b, lines)
            node.lines = lines
        }
        node.messageInfo = info
        let ct = ContentType.saParse(node.lastDecoded("content-type"))
        node.type = ct.type
        var boundary = ct.boundary
        if boundary?.isEmpty == true { boundary = nil }
        if node.type.hasPrefix("multipart/") && node.lines.count > 1 {
            let firstLine = node.lines[0]
            let nonBlank = buffer.withUnsafeBufferPointer { !lineIsBlank($0, firstLine) }
            if nonBlank {
                let startsWithBoundary = boundary.map { bd in
                    buffer.withUnsafeBufferPointer { b -> Bool in
                        let l = firstLine
                        guard l.end - l.start >= bd.count + 2, b[l.start] == 45, b[l.start + 1] == 45 else { return false }
                        return Array(b[(l.start + 2)..<(l.start + 2 + bd.count)]) == bd
                    }
                } ?? false
                if !startsWithBoundary {
                    // An empty first line so the multipart parser sees a preamble.
                    node.lines.insert(Line(start: 0, end: 0, addLF: true), at: 0)
                }
            }
        }
        parseBody(node, boundary: boundary, subparse: subparse, ctx: ctx)
        return node
    }

    static func capBlankRuns(_ b: UnsafeBufferPointer<UInt8>, _ lines: [Line]) -> [Line] {
        var out: [Line] = []
        out.reserveCapacity(lines.count)
        var k = 0
        while k < lines.count {
            if !lineIsBlank(b, lines[k]) { out.append(lines[k]); k += 1; continue }
            var e = k
            while e < lines.count && lineIsBlank(b, lines[e]) { e += 1 }
            let run = e - k
            let keepFront = k == 0 ? 2 : 1
            if run > 20 {
                out.append(contentsOf: lines[k..<(k + keepFront)])
                out.append(contentsOf: lines[(e - 19)..<e])
            } else {
                out.append(contentsOf: lines[k..<e])
            }
            k = e
        }
        return out
    }

    /// `parse_body` for one queued node.
    static func parseBody(_ node: PNode, boundary: [UInt8]?, subparse: Int, ctx: ParseContext) {
        if node.type.hasPrefix("multipart/"), let bd = boundary, subparse > 0 {
            parseMultipart(node, boundary: bd, subparse: subparse, ctx: ctx)
            return
        }
        parseNormal(node, boundary: boundary)
        if node.type.hasPrefix("message/") && node.type != "message/partial" && subparse > 0 {
            if node.type == "message/rfc822" || node.type == "message/global" {
                let decoded = decode(node, limit: ctx.limits.maxDecodedPartBytes)
                if !decoded.isEmpty {
                    guard ctx.partCount < ctx.limits.maxParts else { ctx.defect("too many MIME parts"); return }
                    ctx.partCount += 1
                    let child = parseMessage(decoded, subparse: subparse - 1, ctx: ctx)
                    node.children = [child]
                    node.consumedBody = decoded
                }
            }
        } else if node.type.hasPrefix("multipart/") || node.type.hasPrefix("message/") {
            if subparse <= 0 { ctx.defect("MIME nesting too deep") }
        }
    }

    static func parseNormal(_ node: PNode, boundary: [UInt8]?) {
        let ct = ContentType.saParse(node.lastDecoded("content-type"))
        if !ct.missing {
            node.type = (!ct.type.hasPrefix("multipart/") || boundary != nil) ? ct.type : "text/plain"
        }
        node.charset = ct.charset
        if let disp = node.lastDecoded("content-disposition"), let nm = dispositionName(disp) {
            node.name = nm
        } else if let nm = ct.name, !nm.isEmpty {
            node.name = nm
        }
        node.boundary = boundary
    }

    /// `/name=\s*"?([^";]+)"?/i`
    static func dispositionName(_ d: [UInt8]) -> [UInt8]? {
        guard let at = firstIndexOfCI(Array("name=".utf8), in: d, from: 0) else { return nil }
        var j = at + 5
        while j < d.count && d[j].isSpace { j += 1 }
        if j < d.count && d[j] == 34 { j += 1 }
        var e = j
        while e < d.count && d[e] != 34 && d[e] != 59 { e += 1 }
        return e > j ? Array(d[j..<e]) : nil
    }

    static func splitLong(_ l: Line, into out: inout [Line]) {
        var s = l.start
        while (l.end - s) + (l.addLF ? 1 : 0) > maxBodyLineLength {
            out.append(Line(start: s, end: s + maxBodyLineLength, addLF: true))
            s += maxBodyLineLength
        }
        out.append(Line(start: s, end: l.end, addLF: l.addLF))
    }

    static func parseMultipart(_ msg: PNode, boundary: [UInt8], subparse: Int, ctx: ParseContext) {
        msg.isMultipartContainer = true
        let sub = subparse - 1
        let body = msg.lines
        let buf = msg.buffer
        var queue: [(PNode, [UInt8]?)] = []
        buf.withUnsafeBufferPointer { b in
            var start = 0
            // Skip the preamble up to the first boundary line.
            for (k, l) in body.enumerated() where boundaryMatch(b, l, boundary) == false {
                start = k + 1
                // The line after the opening boundary ought to be a header.
                if k + 1 < body.count, !isHeaderNameLine(b, body[k + 1], allowWSP: false) {
                    ctx.flags.insert("missing_mime_headers")
                }
                break
            }
            var part = PNode()
            part.buffer = buf
            var inBody = false
            var header: [Line] = []
            var partLines: [Line] = []  // SpamAssassin's $part_array (empty = undef)
            var nested = false
            var partCount = 0
            var lineCount = body.count - start
            var closed = false
            func storeHeader() -> (String, [UInt8])? {
                guard !header.isEmpty else { return nil }
                var text: [UInt8] = []
                for l in header { text.append(contentsOf: b[l.start..<l.end]); if l.addLF { text.append(lf) } }
                header.removeAll()
                // split(/:\s*/, $header, 2)
                guard let colon = text.firstIndex(of: 0x3A) else { return nil }
                var v = colon + 1
                while v < text.count && text[v].isSpace { v += 1 }
                var key = Array(text[..<colon])
                if key.count > maxHeaderKeyLength { key = Array(key.prefix(maxHeaderKeyLength)) }
                var value = Array(text[v...])
                if value.count > maxHeaderValueLength { value = Array(value.prefix(maxHeaderValueLength)) }
                if value.last == lf { value.removeLast() }
                if part.headers.count < ctx.limits.maxHeaderFields {
                    part.headers.append(HeaderField(name: String(decoding: key, as: UTF8.self), rawValue: value))
                }
                return (String(decoding: key, as: UTF8.self).lowercased(), value)
            }
            var k = start
            while k < body.count {
                let l = body[k]
                k += 1
                var foundEnd = false, foundLast = false
                if let m = boundaryMatch(b, l, boundary) { foundEnd = true; foundLast = m }
                if foundEnd && nested {
                    foundEnd = false
                    if foundLast { nested = false }
                    foundLast = false
                }
                lineCount -= 1
                if lineCount == 0 || foundEnd {
                    if !foundEnd {
                        splitLong(l, into: &partLines)
                    } else if !partLines.isEmpty {
                        // chomp the line break that belongs to the boundary
                        var last = partLines.removeLast()
                        if last.addLF { last.addLF = false } else if last.end > last.start && b[last.end - 1] == lf { last.end -= 1 }
                        if last.end > last.start || last.addLF { partLines.append(last) }
                    }
                    // A field still pending here is lost, as in SpamAssassin.
                    header.removeAll()
                    let pct = ContentType.saParse(part.lastDecoded("content-type"))
                    part.type = pct.type
                    if pct.missing && msg.type == "multipart/digest" { part.type = "message/rfc822" }
                    var pb = pct.boundary
                    if pb == nil || pb!.isEmpty { pb = boundary }
                    part.lines = partLines
                    if ctx.partCount >= ctx.limits.maxParts {
                        ctx.defect("too many MIME parts")
                        break
                    }
                    ctx.partCount += 1
                    queue.append((part, pb))
                    if foundLast { closed = true; break }
                    // Lines left after a boundary: a part's header ought to
                    // come next.
                    if lineCount > 0, k < body.count, !isHeaderNameLine(b, body[k], allowWSP: false) {
                        ctx.flags.insert("missing_mime_headers")
                    }
                    partCount += 1
                    if partCount == 1000 { ctx.defect("more than 1000 parts in one multipart"); break }
                    inBody = false
                    part = PNode()
                    part.buffer = buf
                    partLines = []
                    header.removeAll()
                    continue
                }
                if !inBody {
                    let c0 = l.end > l.start ? b[l.start] : lf
                    if isHeaderNameLine(b, l, allowWSP: true) {
                        _ = storeHeader()
                        header = [l]
                        continue
                    } else if (c0 == sp || c0 == tab) && !header.isEmpty {
                        header.append(l)
                        continue
                    } else {
                        if let (key, _) = storeHeader(), key == "content-type" {
                            let nct = ContentType.saParse(part.lastDecoded("content-type"))
                            if let nb = nct.boundary, nb == boundary { nested = true }
                        }
                        inBody = true
                        // /^\r?$/ : an empty line (or a lone CR) separates.
                        let len = l.end - l.start
                        if (len == 0 && l.addLF) || (len == 1 && b[l.start] == lf) ||
                            (len == 2 && b[l.start] == cr && b[l.start + 1] == lf) || (len == 1 && b[l.start] == cr && l.addLF) ||
                            (len == 1 && b[l.start] == cr && !l.addLF) {
                            continue
                        }
                        ctx.flags.insert("missing_mime_head_body_separator")
                    }
                }
                splitLong(l, into: &partLines)
            }
            // An epilogue after the closing boundary that says something
            // (more than blanks and dots).
            if closed {
                epilogue: for j in k..<body.count {
                    let l = body[j]
                    for i in l.start..<l.end where !b[i].isSpace && b[i] != 46 {
                        ctx.flags.insert("mime_epilogue_exists")
                        break epilogue
                    }
                }
            }
        }
        for (p, pb) in queue {
            parseBody(p, boundary: pb, subparse: sub, ctx: ctx)
            msg.children.append(p)
        }
    }

    /// Node.pm `decode()`: transfer decoding picked by the last
    /// Content-Transfer-Encoding value.
    static func decode(_ node: PNode, limit: Int) -> [UInt8] {
        let raw = node.body()
        let cte = (node.lastDecoded("content-transfer-encoding") ?? []).lowercasedASCII()
        if cte.elementsEqual("quoted-printable".utf8) {
            return Decoders.squashCRLF(Decoders.quotedPrintable(raw, limit: limit))
        } else if cte.elementsEqual("base64".utf8) {
            let d = Decoders.base64(raw, limit: limit)
            if node.type.hasPrefix("text") || node.type.hasPrefix("message") {
                // m@^(?:text|message)\b/@ — the word boundary then a slash.
                return Decoders.squashCRLF(d)
            }
            return d
        }
        return raw.count > limit ? Array(raw.prefix(limit)) : raw
    }
}

extension MIMEParser {
    /// Turns the working tree into the immutable public one.
    static func freeze(_ node: PNode, ctx: ParseContext) -> MIMEPart {
        let ctValue = node.lastDecoded("content-type")
        let params = ctValue.map { ContentType.parameters($0) } ?? [:]
        let cte = node.lastDecoded("content-transfer-encoding").map { String(decoding: $0.lowercasedASCII(), as: UTF8.self) }
        let children = node.children.map { freeze($0, ctx: ctx) }
        var encoded: [UInt8] = []
        var decoded: [UInt8] = []
        if node.isMultipartContainer {
            // Bodies of containers live in their children.
        } else if let consumed = node.consumedBody {
            encoded = node.body()
            decoded = consumed
        } else {
            encoded = node.body()
            decoded = decode(node, limit: ctx.limits.maxDecodedPartBytes)
        }
        return MIMEPart(headers: node.headers, mediaType: node.type, parameters: params,
                        transferEncoding: (cte?.isEmpty == false ? cte! : "7bit"),
                        encodedBody: encoded, decodedBody: decoded, children: children,
                        charset: node.charset, fileName: node.name, messageInfo: node.messageInfo)
    }
}
