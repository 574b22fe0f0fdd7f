// A thin owner of SQLite's C handles: a connection and its prepared
// statements, freed in deinit; result codes become `SQLiteError` in one
// place. Nothing above this file sees a C type.

internal import CSQLite

public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
    /// SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock.
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }

    /// An answer SQLite should have given and did not (SQLITE_ERROR).
    static func unexpected(_ message: String) -> SQLiteError { SQLiteError(code: SQLITE_ERROR, message: message) }
}

/// One connection. Not thread-safe: its owner serialises calls.
final class SQLiteConnection {
    fileprivate let db: OpaquePointer
    private var cache: [String: SQLiteStatement] = [:]

    init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            if let handle { sqlite3_close_v2(handle) }
            throw SQLiteError(code: rc, message: message)
        }
        db = handle
        sqlite3_extended_result_codes(db, 1)
        // Wait for a writer in another process (a learning run beside a
        // daemon) instead of failing at once.
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(db)
    }

    func check(_ rc: Int32) throws(SQLiteError) {
        if rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(db)))
        }
    }

    func execute(_ sql: String) throws(SQLiteError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// A prepared statement, cached by its SQL text and reset for reuse.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let s = cache[sql] { s.reset(); return s }
        let s = try SQLiteStatement(connection: self, sql: sql)
        cache[sql] = s
        return s
    }

    /// A prepared statement that is not cached (SQL built per call).
    func uncachedStatement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    var changes: Int { Int(sqlite3_changes(db)) }
}

final class SQLiteStatement {
    private let stmt: OpaquePointer
    private unowned let connection: SQLiteConnection

    fileprivate init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v2(connection.db, sql, -1, &s, nil)
        guard rc == SQLITE_OK, let s else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(connection.db)))
        }
        self.stmt = s
        self.connection = connection
    }

    deinit { sqlite3_finalize(stmt) }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    func bind(_ index: Int32, _ value: Int64) throws(SQLiteError) {
        try connection.check(sqlite3_bind_int64(stmt, index, value))
    }

    func bind(_ index: Int32, _ value: String) throws(SQLiteError) {
        let count = Int32(value.utf8.count)
        let rc = value.withCString { swamp_sqlite3_bind_text_transient(stmt, index, $0, count) }
        try connection.check(rc)
    }

    /// Steps once: true when a row is available.
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(connection.db)))
    }

    /// Runs a statement that returns no rows.
    func run() throws(SQLiteError) { _ = try step() }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }

    func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, column) else { return nil }
        return String(cString: p)
    }
}
