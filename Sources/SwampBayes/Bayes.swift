// Bayes as the rest of swamp uses it: message bytes → a learn item or a
// verdict, over a store. Markup of earlier filters is removed first, for
// learning and scanning alike.

import Foundation
import SwampMIME

/// A message prepared for Bayes: parsed without filter markup, tokenized.
public struct PreparedMessage: Sendable {
    public let item: LearnItem
    public let tokens: TokenizedMessage
}

public final class BayesClassifier: Sendable {
    public let store: any BayesStore
    public let tokenizer: Tokenizer
    public let settings: BayesSettings
    /// `rewrite_header Subject` text, removed from learned subjects.
    public let subjectTag: String?
    public let limits: MessageLimits
    public let trust: TrustPolicy
    /// Token access times waiting to be written: scans would otherwise
    /// each commit a write transaction.
    private let touches = TouchBuffer()

    public init(store: any BayesStore, settings: BayesSettings = BayesSettings(), subjectTag: String? = nil,
                limits: MessageLimits = MessageLimits(), trust: TrustPolicy = TrustPolicy()) {
        self.store = store
        self.settings = settings
        self.tokenizer = Tokenizer(settings: settings)
        self.subjectTag = subjectTag
        self.limits = limits
        self.trust = trust
    }

    /// Parses and tokenizes raw message bytes (CPU only; no store access),
    /// so many messages can be prepared in parallel for one writer.
    public func prepare(_ bytes: [UInt8], keepTexts: Bool = false) -> PreparedMessage {
        let clean = FilterMarkup.strip(bytes, subjectTag: subjectTag)
        let message = Message(bytes: clean, limits: limits)
        let views = Views(message: message, trust: trust)
        return prepare(views: views, keepTexts: keepTexts)
    }

    /// Tokenizes an already parsed message. Its views should come from
    /// bytes without filter markup (`FilterMarkup.strip`).
    public func prepare(views: Views, keepTexts: Bool = false) -> PreparedMessage {
        let tokens = tokenizer.tokenize(views, keepTexts: keepTexts)
        let item = LearnItem(id: MessageIdentity.id(views.message),
                             tokens: tokens.hashes, atime: MessageIdentity.date(views.message))
        return PreparedMessage(item: item, tokens: tokens)
    }

    public func learn(_ bytes: [UInt8], as cls: MessageClass) throws -> LearnOutcome {
        try store.learn(prepare(bytes).item, as: cls)
    }

    public func forget(_ bytes: [UInt8]) throws -> LearnOutcome {
        try store.forget(prepare(bytes).item)
    }

    /// Whether the store holds enough training to classify (SpamAssassin's
    /// `learner_is_scan_available`); the Bayes score sets apply only then.
    public func isAvailable() -> Bool {
        guard let (ns, nn) = try? store.messageCounts() else { return false }
        return ns >= settings.minSpam && nn >= settings.minHam && ns > 0 && nn > 0
    }

    /// Classifies a prepared message, and stamps the tokens that decided
    /// with the message's date, as SpamAssassin does, when `touch` is set.
    public func classify(_ prepared: PreparedMessage, touch: Bool = true) throws -> BayesVerdict {
        let (ns, nn) = try store.messageCounts()
        guard ns >= settings.minSpam, nn >= settings.minHam else {
            return Combiner.classify(tokens: prepared.item.tokens, counts: [:], nspam: ns, nham: nn, settings: settings)
        }
        let counts = try store.tokenCounts(prepared.item.tokens)
        let verdict = Combiner.classify(tokens: prepared.item.tokens, counts: counts, nspam: ns, nham: nn,
                                        settings: settings, texts: prepared.tokens.texts)
        if touch, !store.readOnly, verdict.probability != nil {
            let now = Int(Date().timeIntervalSince1970)
            let atime = min(prepared.item.atime, now)
            let stale = verdict.significant.filter { (counts[$0.hash]?.atime ?? 0) < atime }.map(\.hash)
            if let batch = touches.add(stale, atime: atime, now: now) { try? flush(batch) }
        }
        return verdict
    }

    /// Writes pending token access times now (they are otherwise written
    /// in batches of 10,000 tokens or every 60 seconds).
    public func flushTouches() {
        if let batch = touches.drain() { try? flush(batch) }
    }

    private func flush(_ batch: [Int: [TokenHash]]) throws {
        for (atime, tokens) in batch { try store.touch(tokens, atime: atime) }
    }

    deinit { flushTouches() }

    public func classify(_ bytes: [UInt8]) throws -> BayesVerdict {
        try classify(prepare(bytes))
    }
}

/// Pending token touches, grouped by atime.
final class TouchBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [TokenHash: Int] = [:]
    private var lastFlush = Int(Date().timeIntervalSince1970)

    /// Adds touches; returns a batch to write when it is time to flush.
    func add(_ tokens: [TokenHash], atime: Int, now: Int) -> [Int: [TokenHash]]? {
        lock.lock(); defer { lock.unlock() }
        for t in tokens where (pending[t] ?? 0) < atime { pending[t] = atime }
        guard pending.count >= 10_000 || now - lastFlush >= 60 else { return nil }
        lastFlush = now
        return takeLocked()
    }

    func drain() -> [Int: [TokenHash]]? {
        lock.lock(); defer { lock.unlock() }
        return pending.isEmpty ? nil : takeLocked()
    }

    private func takeLocked() -> [Int: [TokenHash]] {
        var batch: [Int: [TokenHash]] = [:]
        for (t, a) in pending { batch[a, default: []].append(t) }
        pending.removeAll(keepingCapacity: true)
        return batch
    }
}

/// How a message is recognised in the seen table, and its date.
public enum MessageIdentity {
    /// SHA-1 of the Message-ID and the body, so a message is the same
    /// message however many relays or filters added headers to it.
    public static func id(_ message: Message) -> String {
        var input: [UInt8] = []
        if let mid = message.headers.first(where: { $0.isNamed("message-id") }) {
            input += mid.rawValue.filter { !isPerlSpace($0) }
        }
        input.append(0)
        input += bodyBytes(message.bytes)
        return SHA1.hexDigest(input) + "@swamp"
    }

    /// The bytes after the header section.
    static func bodyBytes(_ b: [UInt8]) -> ArraySlice<UInt8> {
        var i = 0
        while i < b.count {
            if b[i] == 10 {
                if i + 1 < b.count && b[i + 1] == 10 { return b[(i + 2)...] }
                if i + 2 < b.count && b[i + 1] == 13 && b[i + 2] == 10 { return b[(i + 3)...] }
            }
            i += 1
        }
        return b[b.count...]
    }

    /// The message's Date header as epoch seconds, or now when absent,
    /// unparseable or in the future (Message.pm `receive_date` falls back
    /// the same way).
    public static func date(_ message: Message) -> Int {
        let now = Int(Date().timeIntervalSince1970)
        guard let h = message.headers.first(where: { $0.isNamed("date") }),
              let t = RFC2822Date.parse(String(decoding: h.rawValue, as: UTF8.self)) else { return now }
        return t > now || t <= 0 ? now : t
    }
}

/// `[Day, ] DD Mon YYYY HH:MM[:SS] [+-ZZZZ|zone]` → epoch seconds.
enum RFC2822Date {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ text: String) -> Int? {
        var words: [String]
        if text.utf8.allSatisfy({ $0 < 0x80 && $0 != 13 }) {
            // ASCII without CR: characters are bytes, and splitting the bytes
            // gives the same words without Foundation's string replacing.
            words = text.utf8.split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 44 })
                .map { String(decoding: $0, as: UTF8.self) }
        } else {
            words = text.replacingOccurrences(of: ",", with: " ").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
        }
        if let f = words.first, Int(f) == nil { words.removeFirst() }
        guard words.count >= 4, let day = Int(words[0]),
              let month = months.firstIndex(of: String(words[1].lowercased().prefix(3))),
              var year = Int(words[2]) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let hms = words[3].split(separator: ":").compactMap { Int($0) }
        guard hms.count >= 2 else { return nil }
        var offset = 0
        if words.count >= 5, let z = words[4].first, z == "+" || z == "-", let v = Int(words[4].dropFirst()) {
            offset = (v / 100 * 3600 + v % 100 * 60) * (z == "-" ? -1 : 1)
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month < 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = month + 1
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hms[0] * 3600 + hms[1] * 60 + (hms.count > 2 ? hms[2] : 0) - offset
    }
}
