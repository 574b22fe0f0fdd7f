// What a Bayes store keeps and answers, whatever holds it: SQLite here,
// PostgreSQL in SwampBayesPostgres (a separate target, so only what needs
// postgres-nio builds it). Semantics follow SpamAssassin's BayesStore: token counts
// with access times, message counts, a seen-message table, expiry.

public enum MessageClass: String, Sendable, Hashable {
    case spam, ham
    /// The code stored in the seen table (`s`/`h`, as SpamAssassin's).
    public var code: String { self == .spam ? "s" : "h" }
    public init?(code: String) {
        switch code { case "s": self = .spam; case "h": self = .ham; default: return nil }
    }
}

/// A message ready to be learned: its identity and its tokens.
public struct LearnItem: Sendable {
    /// The seen-table key (see `MessageIdentity`).
    public let id: String
    public let tokens: [TokenHash]
    /// Access time to stamp on its tokens (the message's date, epoch s).
    public let atime: Int
    public init(id: String, tokens: [TokenHash], atime: Int) {
        self.id = id; self.tokens = tokens; self.atime = atime
    }
}

public enum LearnOutcome: Sendable, Equatable {
    /// Counted now.
    case learned
    /// Already learned as this class: nothing changed.
    case alreadyLearned
    /// Had been learned as the other class: moved.
    case relearned
    /// `forget` of a message that was never learned.
    case notLearned
    /// `forget` undid an earlier learn.
    case forgotten
}

/// `sa-learn --dump magic`'s figures.
public struct StoreMagic: Sendable, Equatable {
    public var version = 3
    public var nspam = 0
    public var nham = 0
    public var ntokens = 0
    public var oldestAtime = 0
    public var newestAtime = 0
    public var lastJournalSync = 0
    public var lastExpire = 0
    public var lastExpireAtimeDelta = 0
    public var lastExpireReduce = 0
    public init() {}
}

/// One token row as `sa-learn --backup` writes it.
public struct TokenRow: Sendable, Hashable {
    public let hash: TokenHash
    public let counts: TokenCounts
    public init(hash: TokenHash, counts: TokenCounts) { self.hash = hash; self.counts = counts }
}

public struct ExpiryResult: Sendable, Equatable {
    public let removed: Int
    public let kept: Int
    public let atimeCutoff: Int
    public init(removed: Int, kept: Int, atimeCutoff: Int) {
        self.removed = removed; self.kept = kept; self.atimeCutoff = atimeCutoff
    }
}

/// A Bayes database. Implementations are safe to call from any thread but
/// an event loop's: calls block until the database answers (the
/// PostgreSQL store waits for its connection's event loop), so async code
/// calls them from a thread pool or a dispatch queue.
public protocol BayesStore: AnyObject, Sendable {
    /// Opened for reading only: `touch` writes nothing, so a classifier
    /// need not work out which access times to write.
    var readOnly: Bool { get }
    /// Learned message counts.
    func messageCounts() throws -> (nspam: Int, nham: Int)
    /// Counts of the given tokens; tokens never seen are absent.
    func tokenCounts(_ tokens: [TokenHash]) throws -> [TokenHash: TokenCounts]
    /// Learns one message as `cls`, atomically.
    func learn(_ item: LearnItem, as cls: MessageClass) throws -> LearnOutcome
    /// Undoes an earlier learn of the message, atomically.
    func forget(_ item: LearnItem) throws -> LearnOutcome
    /// Whether and how a message id was learned.
    func seen(_ id: String) throws -> MessageClass?
    /// Stamps tokens that took part in a verdict with `atime` (never older).
    func touch(_ tokens: [TokenHash], atime: Int) throws
    /// Removes the least recently used tokens when there are more than
    /// `maxTokens`, down to 75 % of it (SpamAssassin's goal size).
    func expire(maxTokens: Int, now: Int) throws -> ExpiryResult?
    func magic() throws -> StoreMagic
    /// Every token, for `--backup`.
    func allTokens() throws -> [TokenRow]
    /// Every seen-message entry, for `--backup`.
    func allSeen() throws -> [(id: String, cls: MessageClass)]
    /// Replaces the whole content (restoring a backup), atomically.
    func restore(nspam: Int, nham: Int, tokens: [TokenRow], seen: [(id: String, cls: MessageClass)]) throws
}
