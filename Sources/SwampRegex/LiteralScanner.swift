internal import CHyperscan
import Synchronization

/// Hyperscan's literal matcher for `LiteralMatcher`: every string at once,
/// ASCII case ignored, each reported once per text. Much faster than a
/// table-driven automaton over the same strings, and a fraction of its
/// memory.
final class LiteralScanner: @unchecked Sendable {
    private let database: OpaquePointer
    private let scratches: ScratchPool

    /// nil when Hyperscan cannot run here or refuses the strings (an empty
    /// one, say): the caller falls back to its automaton. `ids`: the number
    /// each string is reported as (its position otherwise).
    init?(_ strings: [[UInt8]], ids given: [Int32]? = nil) {
        guard !strings.isEmpty, strings.count < Int(UInt32.max), MultiPattern.isAvailable,
              strings.allSatisfy({ !$0.isEmpty }) else { return nil }
        let total = strings.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: total)
        defer { storage.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        var offset = 0
        for s in strings {
            s.withUnsafeBufferPointer { src in
                src.withMemoryRebound(to: CChar.self) { (storage + offset).update(from: $0.baseAddress!, count: $0.count) }
            }
            pointers.append(UnsafePointer(storage + offset))
            lengths.append(s.count)
            offset += s.count
        }
        let flags = [UInt32](repeating: UInt32(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH), count: strings.count)
        let ids = given.map { $0.map { UInt32($0) } } ?? (0..<strings.count).map { UInt32($0) }
        var db: OpaquePointer? = nil
        var error: UnsafeMutablePointer<hs_compile_error_t>? = nil
        let rc = hs_compile_lit_multi(pointers, flags, ids, lengths, UInt32(strings.count), UInt32(HS_MODE_BLOCK),
                                      nil, &db, &error)
        if let error { hs_free_compile_error(error) }
        guard rc == HS_SUCCESS, let db else { return nil }
        guard let pool = ScratchPool(for: db) else { hs_free_database(db); return nil }
        database = db
        scratches = pool
    }

    deinit { hs_free_database(database) }

    /// Sets `marks[id] = mark` for every string in `text`; false when
    /// Hyperscan could not scan.
    func mark(_ text: UnsafeBufferPointer<UInt8>, with mark: UInt32, in marks: UnsafeMutableBufferPointer<UInt32>) -> Bool {
        guard let length = UInt32(exactly: text.count) else { return false }
        guard let scratch = scratches.take() else { return false }
        defer { scratches.give(scratch) }
        var context = (marks.baseAddress!, mark)
        var empty: UInt8 = 0
        return withUnsafeMutablePointer(to: &empty) { e in
            withUnsafeMutablePointer(to: &context) { c in
                let base = text.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(e)
                return hs_scan(database, base.assumingMemoryBound(to: CChar.self), length, 0, scratch.pointer,
                               { id, _, _, _, context in
                                   let c = context!.assumingMemoryBound(to: (UnsafeMutablePointer<UInt32>, UInt32).self)
                                   c.pointee.0[Int(id)] = c.pointee.1
                                   return 0
                               }, c) == HS_SUCCESS
            }
        }
    }
}

extension LiteralScanner {
    private struct PieceContext {
        let bits: UnsafeMutablePointer<UInt64>
        let words: Int
        let count: Int
        var piece = 0
    }

    /// For every string, sets bit n of `bits[string * words + n / 64]`
    /// when it occurs in piece n of `text` (each piece scanned alone, so
    /// an occurrence across two pieces counts in neither). False when
    /// Hyperscan could not scan.
    func markPieces(_ text: UnsafeBufferPointer<UInt8>, pieces: UnsafeBufferPointer<Range<Int>>, words: Int,
                    into bits: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        guard let base = text.baseAddress, let scratch = scratches.take() else { return pieces.isEmpty }
        defer { scratches.give(scratch) }
        var context = PieceContext(bits: bits.baseAddress!, words: words, count: bits.count)
        return withUnsafeMutablePointer(to: &context) { c in
            for (n, range) in pieces.enumerated() where !range.isEmpty {
                guard let length = UInt32(exactly: range.count) else { return false }
                c.pointee.piece = n
                let start = UnsafeRawPointer(base + range.lowerBound).assumingMemoryBound(to: CChar.self)
                let rc = hs_scan(database, start, length, 0, scratch.pointer, { id, _, _, _, context in
                    let c = context!.assumingMemoryBound(to: PieceContext.self)
                    let word = Int(id) &* c.pointee.words &+ c.pointee.piece >> 6
                    // A database from elsewhere is trusted no further than this.
                    guard word < c.pointee.count else { return 0 }
                    c.pointee.bits[word] |= 1 << UInt64(c.pointee.piece & 63)
                    return 0
                }, c)
                if rc != HS_SUCCESS { return false }
            }
            return true
        }
    }
}

/// Hyperscan scratch spaces for one database: a scan takes one and gives
/// it back (a scratch serves one scan at a time).
final class ScratchPool: @unchecked Sendable {
    struct Scratch: @unchecked Sendable {
        let pointer: OpaquePointer
    }
    private let prototype: OpaquePointer
    private let spares = Mutex<[Scratch]>([])

    convenience init?(for database: OpaquePointer) {
        self.init(for: [database])
    }

    /// One scratch fit for every database given.
    init?(for databases: [OpaquePointer]) {
        var scratch: OpaquePointer? = nil
        for db in databases {
            guard hs_alloc_scratch(db, &scratch) == HS_SUCCESS else {
                if let scratch { hs_free_scratch(scratch) }
                return nil
            }
        }
        guard let scratch else { return nil }
        prototype = scratch
    }

    deinit {
        for s in spares.withLock({ $0 }) { hs_free_scratch(s.pointer) }
        hs_free_scratch(prototype)
    }

    func take() -> Scratch? {
        if let s = spares.withLock({ $0.popLast() }) { return s }
        var copy: OpaquePointer? = nil
        guard hs_clone_scratch(prototype, &copy) == HS_SUCCESS, let copy else { return nil }
        return Scratch(pointer: copy)
    }

    func give(_ s: Scratch) { spares.withLock { $0.append(s) } }
}
