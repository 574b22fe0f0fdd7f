import Foundation

// Registry boundaries (SpamAssassin RegistryBoundaries.pm): valid TLDs and
// the two- and three-level public suffixes used to cut a host name down to
// its registered domain. The lists are read at run time from SpamAssassin's
// `20_aux_tlds.cf` when it is installed (its `util_rb_tld`, `util_rb_2tld`,
// `util_rb_3tld` lines); otherwise a small built-in list is used.

struct RegistryBoundaries: Sendable {
    var tlds: Set<String>
    var twoLevel: Set<String>
    var threeLevel: Set<String>

    static let shared: RegistryBoundaries = load()

    static let candidatePaths = [
        "/var/lib/spamassassin/4.000001/updates_spamassassin_org/20_aux_tlds.cf",
        "/usr/share/spamassassin/20_aux_tlds.cf",
    ]

    static func load() -> RegistryBoundaries {
        var rb = RegistryBoundaries(tlds: [], twoLevel: [], threeLevel: [])
        for path in candidatePaths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard let first = words.first else { continue }
                let rest = words.dropFirst().map { $0.lowercased() }
                switch first {
                case "util_rb_tld": rb.tlds.formUnion(rest)
                case "util_rb_2tld": rb.twoLevel.formUnion(rest)
                case "util_rb_3tld": rb.threeLevel.formUnion(rest)
                default: break
                }
            }
            if !rb.tlds.isEmpty { return rb }
        }
        rb.tlds = Set(builtinTLDs.split(separator: " ").map(String.init))
        rb.twoLevel = Set(builtin2LD.split(separator: " ").map(String.init))
        return rb
    }

    /// A short list written for this project, for machines without
    /// SpamAssassin's rules: generic TLDs and every ISO 3166 country code.
    static let builtinTLDs = """
    com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat xxx post \
    app dev io co me tv cc ws xyz online site top club shop store tech website space live life world today \
    news email link click help online icu vip win bid loan work party review date stream download racing \
    cloud blog page art design agency company business global group network solutions services systems \
    ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz \
    ca cd cf cg ch ci ck cl cm cn cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm fo \
    fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in iq ir is it \
    je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md mg mh mk ml mm mn \
    mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr \
    ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg \
    th tj tk tl tm tn to tr tt tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
    """
    static let builtin2LD = """
    co.uk org.uk ac.uk gov.uk me.uk net.uk ltd.uk plc.uk com.au net.au org.au edu.au gov.au co.nz org.nz \
    net.nz co.jp ne.jp or.jp ac.jp go.jp com.br net.br org.br com.cn net.cn org.cn gov.cn com.tw com.hk \
    co.kr or.kr co.in net.in org.in co.za com.mx com.ar com.tr com.sg com.my co.il co.id com.ph com.pl com.ru
    """

    static let usStates: Set<String> = Set("""
    ak al ar az ca co ct dc de fl ga gu hi ia id il in ks ky la ma md me mi mn mo ms mt nc nd ne nh nj nm nv \
    ny oh ok or pa pr ri sc sd tn tx ut va vi vt wa wi wv wy
    """.split(separator: " ").map(String.init))

    /// `split_domain`: (host part, registered domain), lowercased.
    func splitDomain(_ input: String) -> (String, String) {
        var d = input.lowercased()
        while d.containsBytes("..") { d = d.replacingOccurrences(of: "..", with: ".") }
        while d.hasPrefix(".") { d.removeFirst() }
        while d.hasSuffix(".") { d.removeLast() }
        if d.isEmpty { return ("", "") }
        var parts = d.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var host: [String] = []
        while parts.count > 1 {
            if parts.count == 2 {
                if twoLevel.contains(parts.joined(separator: ".")) { break }
            } else if parts.count == 3 {
                if parts[2] == "us" {
                    if RegistryBoundaries.usStates.contains(parts[1]) { break }
                } else if threeLevel.contains(parts.joined(separator: ".")) { break }
            } else if parts.count == 4 {
                if parts[3] == "us" && ((parts[0] == "pvt" && parts[1] == "k12") || parts[0] == "ci" || parts[0] == "co") {
                    if RegistryBoundaries.usStates.contains(parts[2]) { break }
                }
            }
            host.append(parts.removeFirst())
        }
        if let last = host.popLast() { parts.insert(last, at: 0) }
        return (host.joined(separator: "."), parts.joined(separator: "."))
    }

    func trimDomain(_ d: String) -> String { splitDomain(d).1 }

    /// `is_domain_valid`: the last label is a known TLD.
    func isDomainValid(_ d: String) -> Bool {
        let l = d.lowercased()
        if l.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) { return false }
        guard let dot = l.lastIndex(of: ".") else { return false }
        let tld = l[l.index(after: dot)...]
        return !tld.isEmpty && tlds.contains(String(tld))
    }
}

/// Util.pm `is_fqdn_valid($host, 1)`.
func isFQDNValid(_ input: String) -> Bool {
    var h = Array(input.lowercased().utf8)
    while h.last == 46 { h.removeLast() }
    if h.count > 253 { return false }
    let labels = h.split(separator: 46, omittingEmptySubsequences: false)
    var cnt = labels.count
    if cnt <= 1 { return false }
    for label in labels {
        if label.isEmpty || label.count > 63 { return false }
        for (k, c) in label.enumerated() {
            let ok = c.isDigit || (c >= 97 && c <= 122) || c == 95 || (c == 45 && k != 0 && k != label.count - 1)
            if !ok { return false }
        }
        if cnt <= 2 && label.contains(95) { return false }
        cnt -= 1
    }
    return true
}

