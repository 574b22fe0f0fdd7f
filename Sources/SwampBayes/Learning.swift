// A learning run over many messages: reading, parsing and tokenizing on
// every core, writing from one thread, one transaction per message.

import Foundation

public enum LearnMode: Sendable, Equatable {
    case learn(MessageClass)
    case forget
}

public struct LearnSummary: Sendable, Equatable {
    /// Learned (or relearned), or forgotten.
    public var changed = 0
    /// Of `changed`, moved from the other class.
    public var relearned = 0
    /// Already learned as this class (or, forgetting, never learned).
    public var skipped = 0
    /// Unreadable, empty, or with no token at all.
    public var unparseable = 0
    public init() {}
}

public struct LearnRun: Sendable {
    public let bayes: BayesClassifier
    public let mode: LearnMode
    /// Messages prepared in parallel per batch.
    public var batchSize = 256

    public init(bayes: BayesClassifier, mode: LearnMode) {
        self.bayes = bayes
        self.mode = mode
    }

    /// Learns every source; `progress` gets the number done after each batch.
    public func run(_ sources: [MessageSource], progress: (Int) -> Void = { _ in }) throws -> LearnSummary {
        try run(count: sources.count, read: { sources[$0].read() }, progress: progress)
    }

    /// Learns messages given as bytes.
    public func run(messages: [[UInt8]]) throws -> LearnSummary {
        try run(count: messages.count, read: { messages[$0] }, progress: { _ in })
    }

    func run(count: Int, read: @Sendable (Int) -> [UInt8]?, progress: (Int) -> Void) throws -> LearnSummary {
        // Batches are prepared on all cores while the previous batch is
        // written by one writer (a serial queue); at most two batches are
        // in memory.
        let writer = BatchWriter(bayes: bayes, mode: mode)
        let queue = DispatchQueue(label: "swamp.bayes.writer")
        let inFlight = DispatchSemaphore(value: 2)
        var start = 0
        while start < count {
            let end = min(count, start + batchSize)
            let prepared = Self.prepareInParallel(start..<end, read: read, bayes: bayes)
            inFlight.wait()
            queue.async {
                writer.write(prepared)
                inFlight.signal()
            }
            if let error = writer.error { queue.sync {}; throw error }
            progress(end)
            start = end
        }
        queue.sync {}
        if let error = writer.error { throw error }
        return writer.summary
    }

    /// Prepares a batch on all cores; results keep the input order.
    static func prepareInParallel(_ range: Range<Int>, read: @Sendable (Int) -> [UInt8]?,
                                  bayes: BayesClassifier) -> [PreparedMessage?] {
        let results = ResultSlots<PreparedMessage>(count: range.count)
        DispatchQueue.concurrentPerform(iterations: range.count) { k in
            guard let bytes = read(range.lowerBound + k), !bytes.isEmpty else { return }
            results.set(k, bayes.prepare(bytes))
        }
        return results.values
    }
}

/// The single writer of a learning run; used from its serial queue only.
final class BatchWriter: @unchecked Sendable {
    let bayes: BayesClassifier
    let mode: LearnMode
    private let lock = NSLock()
    private var _summary = LearnSummary()
    private var _error: Error?

    init(bayes: BayesClassifier, mode: LearnMode) { self.bayes = bayes; self.mode = mode }

    var summary: LearnSummary { lock.lock(); defer { lock.unlock() }; return _summary }
    var error: Error? { lock.lock(); defer { lock.unlock() }; return _error }

    func write(_ batch: [PreparedMessage?]) {
        guard error == nil else { return }
        var s = LearnSummary()
        do {
            for p in batch {
                guard let p, !p.item.tokens.isEmpty else { s.unparseable += 1; continue }
                let outcome: LearnOutcome
                switch mode {
                case .learn(let cls): outcome = try bayes.store.learn(p.item, as: cls)
                case .forget: outcome = try bayes.store.forget(p.item)
                }
                switch outcome {
                case .learned, .forgotten: s.changed += 1
                case .relearned: s.changed += 1; s.relearned += 1
                case .alreadyLearned, .notLearned: s.skipped += 1
                }
            }
        } catch {
            lock.lock(); _error = error; lock.unlock()
        }
        lock.lock()
        _summary.changed += s.changed; _summary.relearned += s.relearned
        _summary.skipped += s.skipped; _summary.unparseable += s.unparseable
        lock.unlock()
    }
}

/// Slots written once each from concurrent iterations.
final class ResultSlots<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); storage[i] = v; lock.unlock() }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return storage }
}
