// HTML → text and links, as SpamAssassin's HTML.pm (on HTML::Parser)
// renders a text/html part for body rules: tags dropped, entities decoded,
// script and style content dropped, `br`/`div` give a newline, `li td th dt
// dd h1-h6 embed` a space, `p hr blockquote pre title listing plaintext xmp`
// a blank line; runs of blanks inside text become one space. Invisible text
// (same colour as the background, tiny fonts) stays in the text, as it does
// for SpamAssassin's body rules; each piece is marked, so Bayes can read the
// visible and the invisible text apart.

struct HTMLResult: Sendable {
    var text: [UInt8]
    /// (raw URI as it will be listed, from an anchor's own href) in document order.
    var uris: [[UInt8]]
    /// The rendered pieces, each marked visible or not.
    var chunks: [HTMLRenderer.Chunk] = []
    /// What HTML.pm records for the HTMLEval rules.
    var stats = HTMLStats()

    /// Only the visible or only the invisible pieces, joined (HTML.pm
    /// `get_rendered_text(invisible => 0|1)`). Blanks between pieces are
    /// visible, so invisible pieces run together.
    func text(invisible: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for c in chunks where c.invisible == invisible { out += c.text }
        return out
    }
}

enum HTMLRenderer {
    static let elements: Set<String> = Set("""
    a abbr acronym address area b base bdo big blockquote body br button caption cite code col colgroup dd del \
    dfn div dl dt em fieldset form h1 h2 h3 h4 h5 h6 head hr html i img input ins kbd label legend li link map \
    meta noscript object ol optgroup option p param pre q samp script select small span strong style sub sup \
    table tbody td textarea tfoot th thead title tr tt ul var applet basefont center dir font frame frameset \
    iframe isindex menu noframes s strike u nobr x-sigsep x-tab bgsound embed listing plaintext xmp
    """.split(separator: " ").map(String.init))

    enum Space { case none, newline, space, paragraph }
    static func whitespace(for tag: String) -> Space {
        switch tag {
        case "br", "div": return .newline
        case "li", "th", "td", "dt", "dd", "embed", "h1", "h2", "h3", "h4", "h5", "h6": return .space
        case "p", "hr", "blockquote", "pre", "listing", "plaintext", "xmp", "title": return .paragraph
        default: return .none
        }
    }

    struct Chunk: Sendable { var text: [UInt8]; var isWhitespace: Bool; var invisible: Bool }

    static func render(_ input: [UInt8], maxURIs: Int) -> HTMLResult {
        let src = preprocess(input)
        var chunks: [Chunk] = []
        var uris: [[UInt8]] = []
        var inside: [String: Int] = [:]
        var baseHref: [UInt8]? = nil
        var style = StyleStack()
        var stats = HTMLStats()

        func displayText(_ t: [UInt8]) {
            // Invisibility is only judged for text with something visible in it.
            let hasInk = t.contains(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 || $0 == 12 || $0 == 11) })
            // A word cut in two by markup ("V<b></b>iagra"): HTML.pm's
            // obfuscation count, on the text as it arrives.
            if let prev = chunks.last?.text.last, let first = t.first,
               HTMLStats.isWordByte(first), HTMLStats.isWordByte(prev) {
                stats.obfuscation += 1
            }
            var invisible = false
            if hasInk, let why = style.invisibility {
                invisible = true
                if why == .lowContrast { stats.fontLowContrast = true }
                if why == .invalidColor { stats.fontInvalidColor = true }
            }
            // [ \t\n\r\f\x0b]+ -> ' '
            var out: [UInt8] = []
            out.reserveCapacity(t.count)
            var inWS = false
            for c in t {
                if c == 32 || c == 9 || c == 10 || c == 13 || c == 12 || c == 11 {
                    if !inWS { out.append(sp) }; inWS = true
                } else { out.append(c); inWS = false }
            }
            if !invisible, let last = chunks.last, last.isWhitespace, out.first == sp { out.removeFirst() }
            chunks.append(Chunk(text: out, isWhitespace: false, invisible: invisible))
        }
        func displayWhitespace(_ t: [UInt8]) {
            if let last = chunks.last, !last.isWhitespace, !last.invisible, last.text.last == sp {
                chunks[chunks.count - 1].text.removeLast()
            }
            chunks.append(Chunk(text: t, isWhitespace: true, invisible: false))
        }
        func pushURI(_ v: [UInt8], resolve: Bool = true) {
            guard uris.count < maxURIs else { return }
            var u = canon(v)
            if u.isEmpty { return }
            let lower = u.prefix(5).lowercasedASCII()
            if lower.starts(with: "data:".utf8) || lower.starts(with: Array("mailto".utf8).prefix(5)) && u.hasPrefixLowercase("mailto:")
                || lower.starts(with: "file:".utf8) || lower.starts(with: "cid:".utf8) || lower.starts(with: "tel:".utf8) || !resolve {
                uris.append(u); return
            }
            u = URIResolver.target(base: baseHref ?? [], relative: u)
            if !u.isEmpty { uris.append(u) }
        }
        func handleTag(_ name: String, _ attrs: [(String, [UInt8])], start: Bool) {
            let known = elements.contains(name)
            stats.tag(seen: inside[name] != nil, element: known || HTMLStats.isNamespaceTag(name))
            inside[name, default: 0] += start ? 1 : -1
            if inside[name]! < 0 { inside[name] = 0; stats.closedExtra += 1 }
            guard known else { return }
            if StyleStack.styleTags.contains(name) {
                if start { style.start(name, attrs) } else { style.end(name) }
            }
            switch whitespace(for: name) {
            case .newline: displayWhitespace([lf])
            case .space: displayWhitespace([sp])
            case .paragraph: displayWhitespace([lf, lf])
            case .none: break
            }
            guard start else { return }
            func attr(_ n: String) -> [UInt8]? { attrs.first(where: { $0.0 == n })?.1 }
            switch name {
            case "img":
                if (inside["a"] ?? 0) > 0, stats.recordingAnchor, let last = stats.anchors?.indices.last {
                    stats.anchors![last] += Array("<img>\n".utf8)
                }
                stats.image(width: attr("width"), height: attr("height"))
            case "a":
                // Appended in place (a copy per anchor was quadratic), and
                // at most maximumTexts of them kept.
                if stats.anchors == nil { stats.anchors = [] }
                stats.recordingAnchor = stats.anchors!.count < HTMLStats.maximumTexts
                if stats.recordingAnchor { stats.anchors!.append([]) }
            case "title":
                stats.recordingTitle = stats.titles.count < HTMLStats.maximumTexts
                if stats.recordingTitle { stats.titles.append([]) }
            case "form":
                if let a = attr("action"), firstIndexOfCI(Array("mailto:".utf8), in: a, from: 0) != nil {
                    stats.formActionMailto = true
                }
            case "object", "embed": stats.embeds = true
            case "font":
                if let face = attr("face"), HTMLStats.fontFacePattern?.firstMatch(in: face) == nil { stats.fontFaceBad = true }
            case "iframe": if attr("src") != nil { stats.iframeSource = true }
            default: break
            }
            switch name {
            case "body", "table", "tr", "td":
                if let v = attr("background") { pushURI(v) }
            case "a", "area", "link":
                var href = attr("href")
                if href == nil, let alt = attrs.first(where: { $0.0.hasSuffix("/href") && $0.0.count <= 13 }) { href = alt.1 }
                if var h = href {
                    // drop BOMs
                    while let r = firstIndexOf([0xEF, 0xBB, 0xBF], in: h, from: 0) { h.removeSubrange(r..<(r + 3)) }
                    pushURI(h)
                }
                if let v = attr("data-saferedirecturl") { pushURI(v) }
                if name == "a" {
                    // The anchor's own href is also listed as is (HTML.pm keys
                    // anchor text by it).
                    let raw = canon(attr("href") ?? [])
                    if uris.count < maxURIs { uris.append(raw) }
                    if raw.hasPrefixLowercase("mailto:"),
                       stats.mailtoAnchors.count < HTMLStats.maximumMailtoAnchors {
                        stats.mailtoAnchors.append(raw)
                    }
                }
            case "img", "frame", "iframe", "embed", "script", "bgsound":
                var src = attr("src")
                if src == nil, let alt = attrs.first(where: { $0.0.hasSuffix("/src") && $0.0.count <= 12 }) { src = alt.1 }
                if let v = src { pushURI(v) }
            case "form":
                if let v = attr("action") { pushURI(v) }
            case "base":
                if let v = attr("href"), !v.isEmpty {
                    let u = canon(v)
                    pushURI(u)
                    baseHref = URIResolver.baseFrom(u) ?? baseHref
                }
            case "meta":
                if let he = attr("http-equiv"), let content = attr("content"),
                   firstIndexOfCI(Array("refresh".utf8), in: he, from: 0) != nil,
                   let u = URIResolver.refreshURL(content) {
                    pushURI(u)
                }
            default: break
            }
        }

        var i = 0
        let n = src.count
        var textStart = 0
        func flushText(_ end: Int) {
            if end > textStart {
                let t = Array(src[textStart..<end])
                if (inside["script"] ?? 0) > 0 || (inside["style"] ?? 0) > 0 {
                    // script text is kept aside by SpamAssassin; style dropped
                } else {
                    let decoded = Entities.decode(t)
                    if (inside["a"] ?? 0) > 0, stats.recordingAnchor, let last = stats.anchors?.indices.last {
                        stats.anchors![last] += decoded
                    }
                    if (inside["title"] ?? 0) > 0, stats.recordingTitle, let last = stats.titles.indices.last {
                        stats.titles[last] += decoded
                    }
                    displayText(decoded)
                }
            }
        }
        var literal: String? = nil
        while i < n {
            // Literal elements (HTML::Parser's script, style, iframe, title,
            // textarea, xmp, plaintext): everything up to the end tag is text.
            if let lit = literal {
                if lit == "plaintext" { i = n; break }
                let closeTag = Array("</\(lit)".utf8)
                var from = i
                var close: Int? = nil
                while let c = firstIndexOfCI(closeTag, in: src, from: from) {
                    let after = c + closeTag.count
                    if after >= n || src[after].isSpace || src[after] == 62 || src[after] == 47 { close = c; break }
                    from = c + 1
                }
                guard let c = close else { i = n; break }
                i = c
                literal = nil
            }
            guard src[i] == 60 else { i += 1; continue }  // '<'
            if i + 1 >= n { i += 1; continue }
            let c1 = src[i + 1]
            if c1.isAlpha {
                guard let (name, attrs, end) = parseStartTag(src, i) else {
                    // An unterminated tag at the end is dropped with the rest.
                    flushText(i); textStart = n; i = n; break
                }
                flushText(i)
                handleTag(name, attrs, start: true)
                i = end; textStart = i
                if literalElements.contains(name) { literal = name }
            } else if c1 == 47, i + 2 < n, src[i + 2].isAlpha {
                var j = i + 2
                while j < n && !src[j].isSpace && src[j] != 62 && src[j] != 47 { j += 1 }
                let name = String(decoding: src[(i + 2)..<j].lowercasedASCII(), as: UTF8.self)
                guard let gt = src[j...].firstIndex(of: 62) else { flushText(i); textStart = n; i = n; break }
                flushText(i)
                handleTag(name, [], start: false)
                i = gt + 1; textStart = i
            } else if c1 == 47 {
                // "</" not followed by a name ("</>", "</ foo>") is markup too.
                guard let gt = src[(i + 2)...].firstIndex(of: 62) else { flushText(i); textStart = n; i = n; break }
                flushText(i)
                i = gt + 1; textStart = i
            } else if c1 == 33 {  // '!'
                flushText(i)
                let open = i
                if i + 3 < n && src[i + 2] == 45 && src[i + 3] == 45 {
                    // A comment ends at "-->"; without one, at the next '>'.
                    if let e = firstIndexOf([45, 45, 62], in: src, from: i + 4) { i = e + 3 }
                    else if let gt = src[(i + 4)...].firstIndex(of: 62) { i = gt + 1 } else { i = n }
                } else {
                    if let gt = src[(i + 2)...].firstIndex(of: 62) { i = gt + 1 } else { i = n }
                }
                // A doctype is a declaration (an element of its own to
                // HTML.pm); marked sections are neither; the rest comments.
                if open + 9 <= n, src[(open + 2)..<(open + 9)].lowercasedASCII().elementsEqual("doctype".utf8) {
                    stats.elements += 1
                    stats.tags += 1
                    inside["!doctype"] = 0
                } else if !(open + 2 < n && src[open + 2] == 91), stats.comments.count < HTMLStats.maximumTexts {
                    stats.comments.append(Array(src[open..<i]))
                }
                textStart = i
            } else if c1 == 63 {  // '?'
                flushText(i)
                if let gt = src[(i + 2)...].firstIndex(of: 62) { i = gt + 1 } else { i = n }
                textStart = i
            } else {
                i += 1
            }
        }
        // HTML::Parser holds back the text after the last run of blanks in
        // case more follows, and reports it as its own piece at the end of
        // the document: a blank tail after hidden text is then visible.
        if literal == nil, i >= n, textStart < n {
            var cut = n
            while cut > textStart && !isBlank(src[cut - 1]) { cut -= 1 }
            while cut > textStart && isBlank(src[cut - 1]) { cut -= 1 }
            if cut > textStart && cut < n { flushText(cut); textStart = cut }
        }
        flushText(min(i, n))
        var text: [UInt8] = []
        text.reserveCapacity(src.count)
        for c in chunks { text += c.text }
        stats.inside = inside
        stats.maxSize = style.maxSize
        return HTMLResult(text: text, uris: uris, chunks: chunks, stats: stats)
    }

    /// HTML::Parser's blanks: space, tab, CR, LF, FF, VT.
    static func isBlank(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

    static let literalElements: Set<String> = ["script", "style", "iframe", "title", "textarea", "xmp", "plaintext"]

    static func literalElement(_ inside: [String: Int]) -> String? {
        if (inside["script"] ?? 0) > 0 { return "script" }
        if (inside["style"] ?? 0) > 0 { return "style" }
        return nil
    }

    /// `s/&nbsp;/ /g`, `<br/>` → `<br>`, curly double quotes → `"`.
    static func preprocess(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c == 38, i + 5 < n, b[i + 1] == 110, b[i + 2] == 98, b[i + 3] == 115, b[i + 4] == 112, b[i + 5] == 59 {
                out.append(sp); i += 6; continue
            }
            if c == 0xE2, i + 2 < n, b[i + 1] == 0x80, b[i + 2] == 0x9C || b[i + 2] == 0x9D {
                out.append(34); i += 3; continue
            }
            if c == 60, i + 1 < n, b[i + 1].isWord {
                var j = i + 1
                while j < n && b[j].isWord { j += 1 }
                var k = j
                while k < n && b[k].isSpace { k += 1 }
                if k + 1 < n && b[k] == 47 && b[k + 1] == 62 {
                    out.append(contentsOf: b[i..<j]); out.append(62); i = k + 2; continue
                }
                out.append(contentsOf: b[i..<j]); i = j; continue
            }
            out.append(c); i += 1
        }
        return out
    }

    /// `<name attr=value ...>`; nil when there is no closing `>`.
    static func parseStartTag(_ s: [UInt8], _ lt: Int) -> (String, [(String, [UInt8])], Int)? {
        let n = s.count
        var j = lt + 1
        while j < n && !s[j].isSpace && s[j] != 62 && s[j] != 47 { j += 1 }
        let name = String(decoding: s[(lt + 1)..<j].lowercasedASCII(), as: UTF8.self)
        var attrs: [(String, [UInt8])] = []
        while j < n {
            while j < n && (s[j].isSpace || s[j] == 47) { j += 1 }
            guard j < n else { return nil }
            if s[j] == 62 { return (name, attrs, j + 1) }
            let an = j
            while j < n && !s[j].isSpace && s[j] != 61 && s[j] != 62 { j += 1 }
            let aname = String(decoding: s[an..<j].lowercasedASCII(), as: UTF8.self)
            var k = j
            while k < n && s[k].isSpace { k += 1 }
            var value: [UInt8] = []
            if k < n && s[k] == 61 {
                k += 1
                while k < n && s[k].isSpace { k += 1 }
                if k < n && (s[k] == 34 || s[k] == 39) {
                    let q = s[k]
                    guard let close = s[(k + 1)...].firstIndex(of: q) else { return nil }
                    value = Array(s[(k + 1)..<close])
                    j = close + 1
                } else {
                    let vs = k
                    while k < n && !s[k].isSpace && s[k] != 62 { k += 1 }
                    value = Array(s[vs..<k])
                    j = k
                }
                value = Entities.decode(value)
            } else {
                value = Array(aname.utf8)
            }
            if attrs.count < 100 && !attrs.contains(where: { $0.0 == aname }) { attrs.append((aname, value)) }
        }
        return nil
    }

    /// HTML.pm canon_uri: trim whitespace and NBSP, cap at 8,192 bytes.
    static func canon(_ v: [UInt8]) -> [UInt8] {
        var lo = 0, hi = v.count
        func nbspAt(_ i: Int) -> Bool { i + 1 < v.count && v[i] == 0xC2 && v[i + 1] == 0xA0 }
        while lo < hi {
            if v[lo].isSpace { lo += 1 } else if nbspAt(lo) && lo + 2 <= hi { lo += 2 } else { break }
        }
        while hi > lo {
            if v[hi - 1].isSpace { hi -= 1 } else if hi - 2 >= lo && nbspAt(hi - 2) { hi -= 2 } else { break }
        }
        var out = Array(v[lo..<hi])
        if out.count > 8192 { out = Array(out.prefix(8192)) }
        return out
    }
}

/// HTML.pm `target_uri` and friends (RFC 3986 §5.2, not strict).
enum URIResolver {
    struct Parts { var scheme: [UInt8]?; var authority: [UInt8]?; var path: [UInt8]; var query: [UInt8]?; var fragment: [UInt8]? }

    static func parse(_ u: [UInt8]) -> Parts {
        var p = Parts(scheme: nil, authority: nil, path: [], query: nil, fragment: nil)
        var i = 0
        // scheme: [^:/?#]+ followed by ':'
        var j = 0
        while j < u.count && u[j] != 58 && u[j] != 47 && u[j] != 63 && u[j] != 35 { j += 1 }
        if j > 0 && j < u.count && u[j] == 58 { p.scheme = Array(u[0..<j]); i = j + 1 }
        if i + 1 < u.count && u[i] == 47 && u[i + 1] == 47 {
            var k = i + 2
            while k < u.count && u[k] != 47 && u[k] != 63 && u[k] != 35 { k += 1 }
            p.authority = Array(u[(i + 2)..<k]); i = k
        }
        var k = i
        while k < u.count && u[k] != 63 && u[k] != 35 { k += 1 }
        p.path = Array(u[i..<k]); i = k
        if i < u.count && u[i] == 63 {
            var e = i + 1
            while e < u.count && u[e] != 35 { e += 1 }
            p.query = Array(u[(i + 1)..<e]); i = e
        }
        if i < u.count && u[i] == 35 { p.fragment = Array(u[(i + 1)...]) }
        return p
    }

    static func removeDotSegments(_ inp: [UInt8]) -> [UInt8] {
        var input = inp
        if input.starts(with: [46, 47]) { input = [47] + input.dropFirst(2) }
        else if input.starts(with: [46, 46, 47]) { input = [47] + input.dropFirst(3) }
        var output: [UInt8] = []
        var guardCount = 0
        while !input.isEmpty && guardCount < 100_000 {
            guardCount += 1
            if input == [47, 46] || input.starts(with: [47, 46, 47]) {
                input = [47] + input.dropFirst(input.count == 2 ? 2 : 3)
            } else if input == [47, 46, 46] || input.starts(with: [47, 46, 46, 47]) {
                input = [47] + input.dropFirst(input.count == 3 ? 3 : 4)
                // s@/?[^/]*$@@
                if let slash = output.lastIndex(of: 47) { output.removeSubrange(slash...) } else { output.removeAll() }
            } else {
                var e = input.first == 47 ? 1 : 0
                while e < input.count && input[e] != 47 { e += 1 }
                if e == 0 { break }
                output += input[0..<e]
                input.removeFirst(e)
            }
        }
        return output
    }

    static func target(base: [UInt8], relative: [UInt8]) -> [UInt8] {
        var r = parse(relative)
        let b = parse(base)
        if let rs = r.scheme, let bs = b.scheme, rs == bs { r.scheme = nil }
        var t = Parts(scheme: nil, authority: nil, path: [], query: nil, fragment: nil)
        if r.scheme != nil {
            t.scheme = r.scheme; t.authority = r.authority; t.path = removeDotSegments(r.path); t.query = r.query
        } else {
            if r.authority != nil {
                t.authority = r.authority; t.path = removeDotSegments(r.path); t.query = r.query
            } else {
                if r.path.isEmpty {
                    t.path = b.path
                    t.query = r.query ?? b.query
                } else {
                    if r.path.first == 47 {
                        t.path = removeDotSegments(r.path)
                    } else {
                        var merged: [UInt8]
                        if b.authority != nil && b.path.isEmpty { merged = [47] + r.path } else {
                            var bp = b.path
                            if let slash = bp.lastIndex(of: 47) { bp.removeSubrange((slash + 1)...) } else { bp = [] }
                            merged = bp + r.path
                        }
                        t.path = removeDotSegments(merged)
                    }
                    t.query = r.query
                }
                t.authority = b.authority
            }
            t.scheme = b.scheme
        }
        t.fragment = r.fragment
        var out: [UInt8] = []
        if let s = t.scheme, !s.isEmpty && !(s.count == 1 && s[0] == 48) {
            out += s; out.append(58)
        } else if let a = t.authority {
            if a.hasPrefixLowercase("www") && isNumberedPrefix(a, "www") { out += Array("http:".utf8) }
            else if a.hasPrefixLowercase("ftp") && isNumberedPrefix(a, "ftp") { out += Array("ftp:".utf8) }
        }
        if let a = t.authority { out += [47, 47]; out += a }
        out += t.path
        if let q = t.query { out.append(63); out += q }
        if let f = t.fragment { out.append(35); out += f }
        return out
    }

    /// `^www\d*\.`
    static func isNumberedPrefix(_ a: [UInt8], _ p: String) -> Bool {
        var i = p.utf8.count
        while i < a.count && a[i].isDigit { i += 1 }
        return i < a.count && a[i] == 46
    }

    /// HTML.pm <base href>: strip a trailing file name, end with `/`.
    static func baseFrom(_ u: [UInt8]) -> [UInt8]? {
        let lower = u.lowercasedASCII()
        guard lower.starts(with: "http".utf8) || lower.starts(with: "ftp".utf8) else { return nil }
        var j = 0
        while j < u.count && u[j].isAlpha { j += 1 }
        guard j < u.count, u[j] == 58 else { return nil }
        let scheme = String(decoding: lower[0..<j], as: UTF8.self)
        guard scheme == "http" || scheme == "https" || scheme == "ftp" else { return nil }
        var v = u
        // ^([a-z]+:/{0,2}[^/]+/.*?)[^/\.]+\.[^/\.]{2,4}$ -> $1
        if let lastSlash = v.lastIndex(of: 47), lastSlash > j + 3 {
            let file = v[(lastSlash + 1)...]
            if let dot = file.lastIndex(of: 46), dot > file.startIndex {
                let ext = file[(dot + 1)...]
                let stem = file[file.startIndex..<dot]
                if ext.count >= 2 && ext.count <= 4 && !ext.contains(46) && !stem.contains(46) {
                    v.removeSubrange((lastSlash + 1)...)
                }
            }
        }
        if v.last != 47 { v.append(47) }
        return v
    }

    /// `<meta http-equiv=refresh content="0; url=...">`.
    static func refreshURL(_ content: [UInt8]) -> [UInt8]? {
        guard let at = lastURLAssign(content) else { return nil }
        var v = Array(content[at...])
        while let f = v.first, f.isSpace { v.removeFirst() }
        if let semi = v.firstIndex(of: 59) {
            var e = semi
            while e > 0 && v[e - 1].isSpace { e -= 1 }
            v.removeSubrange(e...)
        }
        return v
    }

    static func lastURLAssign(_ c: [UInt8]) -> Int? {
        // The target follows the last "url=" of the content attribute.
        var found: Int? = nil
        var i = 0
        while let at = firstIndexOfCI(Array("url".utf8), in: c, from: i) {
            i = at + 1
            if at > 0 && c[at - 1].isWord { continue }
            var j = at + 3
            while j < c.count && c[j].isSpace { j += 1 }
            if j < c.count && c[j] == 61 { found = j + 1 }
        }
        return found
    }
}
