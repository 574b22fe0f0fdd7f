// The welcomelist and blocklist directives of SpamAssassin 4.0.1 (Conf.pm's
// "WELCOMELIST AND BLOCKLIST OPTIONS", Conf/Parser.pm `add_to_addrlist`,
// Plugin/WelcomeListSubject.pm, Plugin/VBounce.pm), read into the lists
// the WLBLEval functions consult (SwampEngine/ListEvals.swift).

/// An address list as SpamAssassin keeps one: a hash keyed by the
/// lower-cased glob, so each entry once. swamp keeps the order entries were
/// first added, which only reports show; matching does not depend on it.
public struct AddressList: Sendable, Hashable {
    public private(set) var entries: [String] = []
    /// The entries a text can match other than by being equal to them:
    /// those with `*` or `?`, or with a byte SpamAssassin's pattern reads as
    /// `_` (NUL, `\`, `(`). Matching tries only these after a set lookup,
    /// so a long list of plain addresses costs one lookup per address.
    public private(set) var patterns: [String] = []
    private var members: Set<String> = []

    public init(_ entries: [String] = []) {
        for e in entries { add(e) }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public func contains(_ entry: String) -> Bool { members.contains(entry) }

    public mutating func add(_ entry: String) {
        guard members.insert(entry).inserted else { return }
        entries.append(entry)
        if Self.isPattern(entry) { patterns.append(entry) }
    }

    public mutating func remove(_ entry: String) {
        guard members.remove(entry) != nil else { return }
        entries.removeAll { $0 == entry }
        if Self.isPattern(entry) { patterns.removeAll { $0 == entry } }
    }

    public static func isPattern(_ entry: String) -> Bool {
        entry.utf8.contains { $0 == 0x2A || $0 == 0x3F || $0 == 0 || $0 == 0x5C || $0 == 0x28 }
    }
}

extension Configuration {
    /// `welcomelist_from` / `whitelist_from` globs.
    public var welcomelistFrom: [String] {
        get { addressLists["welcomelist_from"]?.entries ?? [] }
        set { addressLists["welcomelist_from"] = AddressList(newValue) }
    }

    /// `blocklist_from` / `blacklist_from` globs.
    public var blocklistFrom: [String] {
        get { addressLists["blocklist_from"]?.entries ?? [] }
        set { addressLists["blocklist_from"] = AddressList(newValue) }
    }
}

extension ConfigLoader {
    /// The address-list settings (`$CONF_TYPE_ADDRLIST` in Conf.pm) by
    /// every name they are written under, with the list each fills.
    static let addressListSettings: [String: String] = [
        "welcomelist_from": "welcomelist_from", "whitelist_from": "welcomelist_from",
        "blocklist_from": "blocklist_from", "blacklist_from": "blocklist_from",
        "welcomelist_to": "welcomelist_to", "whitelist_to": "welcomelist_to",
        "blocklist_to": "blocklist_to", "blacklist_to": "blocklist_to",
        "more_spam_to": "more_spam_to", "all_spam_to": "all_spam_to",
        "welcomelist_allows_relays": "welcomelist_allows_relays",
        "whitelist_allows_relays": "welcomelist_allows_relays",
        "welcomelist_bounce_relays": "welcomelist_bounce_relays",
        "whitelist_bounce_relays": "welcomelist_bounce_relays",
    ]

    /// The removal commands: each takes entries, as written, out of a list.
    static let addressListRemovals: [String: String] = [
        "unwelcomelist_from": "welcomelist_from", "unwhitelist_from": "welcomelist_from",
        "unblocklist_from": "blocklist_from", "unblacklist_from": "blocklist_from",
    ]

    /// Handles the list directives; false for any other key.
    mutating func applyListDirective(key: String, value: String, at loc: SourceLocation) -> Bool {
        if let list = Self.addressListSettings[key] {
            // Parser.pm `set_addrlist_value`.
            guard !value.isEmpty else { missing(key, at: loc); return true }
            for glob in Self.perlWords(value) { configuration.addressLists[list, default: AddressList()].add(Self.asciiLowercased(glob)) }
            return true
        }
        if let list = Self.addressListRemovals[key] {
            // Parser.pm `remove_addrlist_value`: only an entry written the
            // same way goes; later entries are not affected.
            guard !value.isEmpty else { missing(key, at: loc); return true }
            for glob in Self.perlWords(value) { configuration.addressLists[list]?.remove(Self.asciiLowercased(glob)) }
            return true
        }
        switch key {
        case "welcomelist_from_rcvd", "whitelist_from_rcvd", "def_welcomelist_from_rcvd", "def_whitelist_from_rcvd":
            // ADDRESS RELAY: exactly two words.
            guard !value.isEmpty else { missing(key, at: loc); return true }
            let words = Self.perlWords(value)
            guard words.count == 2 else { invalid(key, value, at: loc); return true }
            let glob = Self.asciiLowercased(words[0]), relay = Self.asciiLowercased(words[1])
            if key.hasPrefix("def_") {
                configuration.defWelcomelistFromRcvd[glob, default: []].append(relay)
            } else {
                configuration.welcomelistFromRcvd[glob, default: []].append(relay)
            }
        case "unwelcomelist_from_rcvd", "unwhitelist_from_rcvd":
            // Removes the address from both the site and the default list.
            guard !value.isEmpty else { missing(key, at: loc); return true }
            for glob in Self.perlWords(value) {
                let lower = Self.asciiLowercased(glob)
                configuration.welcomelistFromRcvd[lower] = nil
                configuration.defWelcomelistFromRcvd[lower] = nil
            }
        case "enlist_addrlist":
            // `(NAME) addr...`; the name is kept as written, so
            // `enlist_addrlist (welcomelist_to) ...` is `welcomelist_to`.
            guard let (name, rest) = Self.listName(value) else { missing(key, at: loc); return true }
            for glob in Self.perlWords(rest) { configuration.addressLists[name, default: AddressList()].add(Self.asciiLowercased(glob)) }
        case "enlist_uri_host":
            guard let (name, rest) = Self.listName(value) else { missing(key, at: loc); return true }
            enlistURIHosts(rest, in: name)
        case "blocklist_uri_host", "blacklist_uri_host":
            // No value check in Conf.pm: an empty line lists nothing.
            enlistURIHosts(value, in: "BLOCK")
        case "welcomelist_uri_host", "whitelist_uri_host":
            enlistURIHosts(value, in: "WELCOME")
        case "delist_uri_host":
            // `[(NAME)] host...`: from that list, or from every list so far.
            guard !value.isEmpty else { missing(key, at: loc); return true }
            let (name, rest) = Self.listName(value).map { ($0.0 as String?, $0.1) } ?? (nil, value)
            let names = name.map { [$0] } ?? Array(configuration.uriHostLists.keys)
            for host in Self.perlWords(Self.asciiLowercased(rest)) {
                let bare = host.hasPrefix("!") ? String(host.dropFirst()) : host
                for n in names { configuration.uriHostLists[n]?[bare] = nil }
            }
        case "welcomelist_subject", "whitelist_subject":
            // The whole line is one glob, matched anywhere in the Subject.
            // Like WelcomeListSubject.pm, an empty line is taken as it is
            // (an empty pattern, which matches every Subject).
            configuration.welcomelistSubject.add(Self.asciiLowercased(value))
        case "blocklist_subject", "blacklist_subject":
            configuration.blocklistSubject.add(Self.asciiLowercased(value))
        default:
            return false
        }
        return true
    }

    private mutating func enlistURIHosts(_ text: String, in list: String) {
        for host in Self.perlWords(Self.asciiLowercased(text)) {
            if host.hasPrefix("!") {
                configuration.uriHostLists[list, default: [:]][String(host.dropFirst())] = false
            } else {
                configuration.uriHostLists[list, default: [:]][host] = true
            }
        }
    }

    /// `^\((.+?)\)\s+(.+)\z`: the list name and what follows it.
    static func listName(_ value: String) -> (String, String)? {
        let u = Array(value.utf8)
        guard u.first == UInt8(ascii: "(") else { return nil }
        // The shortest name: the first `)` (after at least one byte) that
        // is followed by white space and then something else.
        var i = 2
        while i < u.count {
            if u[i] == UInt8(ascii: ")") {
                var j = i + 1
                while j < u.count, isPerlSpace(u[j]) { j += 1 }
                if j > i + 1, j < u.count {
                    return (String(decoding: u[1..<i], as: UTF8.self), String(decoding: u[j...], as: UTF8.self))
                }
            }
            i += 1
        }
        return nil
    }

    /// Perl's `split(/\s+/, ...)` on a value with no leading white space.
    static func perlWords(_ s: String) -> [String] {
        s.utf8.split(whereSeparator: isPerlSpace).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Perl's `lc` on a byte string: ASCII letters only.
    static func asciiLowercased(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return s }
        return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
