// What `mimeheader` rules read: the headers of every MIME part, as
// SpamAssassin's MIMEHeader plugin gets them from Message::Node.

extension Message {
    /// Every part in SpamAssassin's `find_parts(qr/./)` order: the root
    /// first, then each part before its children, depth first.
    public var allParts: [MIMEPart] {
        var out: [MIMEPart] = []
        var stack: [MIMEPart] = [root]
        while let part = stack.popLast() {
            out.append(part)
            stack.append(contentsOf: part.children.reversed())
        }
        return out
    }
}

extension Message {
    /// The size of the body as received, after the header block
    /// (SpamAssassin's `pristine_body_length`).
    public var pristineBodyLength: Int { root.messageInfo?.pristineBodyLength ?? 0 }
}

extension MIMEPart {
    /// The last field named `name` (case-insensitive): decoded with a final
    /// newline (Node `get_header`), or raw as written (`raw_header`). nil when
    /// the part has no such field.
    public func lastHeaderValue(_ name: String, raw: Bool) -> [UInt8]? {
        let lname = name.lowercased()
        guard let field = headers.last(where: { $0.isNamed(lname) }) else { return nil }
        if raw { return field.rawValue }
        var value = HeaderDecoder.decodedValue(raw: field.rawValue, lname: lname)
        value.append(lf)
        return value
    }

    /// Every field as `Name: value\n` in order (`get_all_headers`), decoded
    /// or raw with folding unfolded.
    public func allHeaderLines(raw: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for field in headers {
            out += Array(field.name.utf8)
            out += [58, 32]
            if raw {
                // `s/\r?\n\s+/ /g` as get_header(name, 1) unfolds.
                var i = 0
                let v = field.rawValue
                while i < v.count {
                    if v[i] == lf || (v[i] == cr && i + 1 < v.count && v[i + 1] == lf) {
                        var j = v[i] == cr ? i + 2 : i + 1
                        if j < v.count, v[j].isSpace {
                            while j < v.count, v[j].isSpace { j += 1 }
                            out.append(sp)
                            i = j
                            continue
                        }
                    }
                    out.append(v[i])
                    i += 1
                }
            } else {
                out += HeaderDecoder.decodedValue(raw: field.rawValue, lname: field.name.lowercased())
            }
            out.append(lf)
        }
        return out
    }
}
