// The Bayes directives of SpamAssassin's configuration language
// (Conf.pm and Plugin/Bayes.pm), with SpamAssassin's defaults. Built from
// the raw `directive → [values]` table the configuration keeps for
// directives the rule engine does not use, so this module needs no
// configuration parser of its own.

import SwampMIME

/// What the tokenizer, classifier and store are told by the configuration.
public struct BayesSettings: Sendable {
    /// `bayes_min_spam_num`, `bayes_min_ham_num`: no verdict before this
    /// many messages of each class are learned.
    public var minSpam = 200
    public var minHam = 200
    /// `bayes_use_hapaxes`: tokens seen once count.
    public var useHapaxes = true
    /// `bayes_max_token_length` (Plugin/Bayes.pm).
    public var maxTokenLength = 15
    /// `bayes_ignore_header`, lowercased.
    public var ignoredHeaders: Set<String> = []
    /// `bayes_token_sources`: header, visible, invisible, uri; mimepart off.
    public var tokenSources: Set<TokenSource> = [.header, .visible, .invisible, .uri]
    /// `bayes_expiry_max_db_size`: tokens kept after an expiry run.
    public var expiryMaxDBSize = 150_000
    /// `bayes_auto_expire`.
    public var autoExpire = true
    /// `bayes_stopword_languages`; only `en`'s default list is built in.
    public var stopwordLanguages: [String] = ["en"]
    /// `bayes_learn_to_journal` and friends have no meaning here: SQLite
    /// takes each message in its own transaction.

    public enum TokenSource: String, Sendable, Hashable, CaseIterable {
        case header, visible, invisible, uri, mimepart
    }

    public init() {}

    /// Reads the Bayes directives from a configuration's table of
    /// otherwise-unhandled settings (`Configuration.otherSettings`).
    public init(otherSettings: [String: [String]]) {
        func last(_ key: String) -> String? { otherSettings[key]?.last?.trimmingASCII(.spaces) }
        func int(_ key: String) -> Int? { last(key).flatMap { Int($0) } }
        if let v = int("bayes_min_spam_num") { minSpam = max(0, v) }
        if let v = int("bayes_min_ham_num") { minHam = max(0, v) }
        if let v = int("bayes_max_token_length") { maxTokenLength = max(3, v) }
        if let v = int("bayes_expiry_max_db_size") { expiryMaxDBSize = max(1000, v) }
        if let v = last("bayes_use_hapaxes") { useHapaxes = v != "0" }
        if let v = last("bayes_auto_expire") { autoExpire = v != "0" }
        for value in otherSettings["bayes_ignore_header"] ?? [] {
            for name in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                ignoredHeaders.insert(name.lowercased())
            }
        }
        if let v = last("bayes_stopword_languages") {
            stopwordLanguages = v == "disable" ? [] : v.lowercased().split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
        // Conf.pm: keywords processed in order; all / none / no<kw>.
        for value in otherSettings["bayes_token_sources"] ?? [] {
            for word in value.lowercased().split(separator: " ") {
                switch word {
                case "all": tokenSources = Set(TokenSource.allCases)
                case "none", "noall": tokenSources = []
                default:
                    if word.hasPrefix("no"), let s = TokenSource(rawValue: String(word.dropFirst(2))) {
                        tokenSources.remove(s)
                    } else if let s = TokenSource(rawValue: String(word)) {
                        tokenSources.insert(s)
                    }
                }
            }
        }
    }
}

