// Connections to the shared Bayes database, for a synchronous store.
//
// `BayesStore` is synchronous: scans call it from NIOThreadPool threads,
// `swamp learn` from its writer queue. postgres-nio runs each connection
// on a NIO event loop and answers with futures; a store call blocks its
// own thread until the future completes on the loop's thread. That cannot
// deadlock as long as the waiting thread is not an event loop thread — the
// loop would be waiting for itself — so waiting there is refused with an
// error. Futures rather than postgres-nio's async API, because an async
// bridge would park a thread of the small cooperative pool (2 threads on a
// 2-core machine) while the query it waits for needs that pool to run.

import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Why the shared Bayes database could not be used.
public enum PostgresBayesError: Error, Sendable, CustomStringConvertible {
    /// Connecting failed: the server is down, unreachable, or refused us.
    case unreachable(String, reason: String)
    /// The server answered a statement with an error.
    case server(sqlState: String, message: String)
    /// The connection broke.
    case connectionLost(String)
    /// The server did not answer in time, or every connection stayed busy:
    /// not tried again (that would only double the wait).
    case busy(String)
    /// No swamp Bayes tables there yet (a read-only store never makes them).
    case noSchema(String)
    /// The tables were made by a newer swamp.
    case newerSchema(found: Int, supported: Int)
    /// A write through a store opened read-only.
    case readOnly
    /// A user name with nothing left after sanitising (an empty one).
    case invalidUserName
    /// A store call made on an event loop thread (see the file comment).
    case calledOnEventLoop

    public var description: String {
        switch self {
        case .unreachable(let where_, let reason): return "cannot connect to \(where_): \(reason)"
        case .server(let state, let message): return "PostgreSQL error \(state): \(message)"
        case .connectionLost(let why): return "PostgreSQL connection lost: \(why)"
        case .busy(let why): return "PostgreSQL too slow: \(why)"
        case .noSchema(let where_): return "no swamp Bayes tables in \(where_) (swamp learn makes them)"
        case .newerSchema(let found, let supported):
            return "the Bayes tables are schema version \(found), newer than this swamp's \(supported)"
        case .readOnly: return "the Bayes store was opened read-only"
        case .invalidUserName: return "invalid user name"
        case .calledOnEventLoop: return "the PostgreSQL Bayes store was called on an event loop thread"
        }
    }

    /// SQLSTATE of a server error.
    var sqlState: String? { if case .server(let s, _) = self { s } else { nil } }

    /// postgres-nio's own errors print an opaque text on purpose (they may
    /// carry query data); this keeps what an administrator needs.
    static func from(_ error: any Error) -> PostgresBayesError {
        if let e = error as? PostgresBayesError { return e }
        guard let e = error as? PSQLError else { return .connectionLost(String(describing: error)) }
        if let info = e.serverInfo {
            return .server(sqlState: info[.sqlState] ?? "?????", message: info[.message] ?? "no message")
        }
        if let underlying = e.underlying { return .connectionLost(socketError(underlying) ?? "\(e.code): \(underlying)") }
        return .connectionLost("\(e.code)")
    }

    /// The system's words for a failed connect ("Connection refused"),
    /// from NIO's error for each address tried.
    static func socketError(_ error: any Error) -> String? {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if let c = error as? NIOConnectionError {
            if let last = c.connectionErrors.last { return socketError(last.error) }
            if let dns = c.dnsAError ?? c.dnsAAAAError { return "cannot resolve \(c.host): \(dns)" }
        }
        return nil
    }
}

/// One connection checked out of the pool, used by one thread at a time.
final class PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    let timeout: TimeAmount
    /// Set when the connection must not be used again (it broke, or a
    /// query is still in flight after a timeout).
    private(set) var broken = false

    init(connection: PostgresConnection, logger: Logger, timeout: TimeAmount) {
        self.connection = connection
        self.logger = logger
        self.timeout = timeout
    }

    /// Takes the connection out of use (a ROLLBACK that failed leaves it in
    /// an unknown state).
    func markBroken() {
        guard !broken else { return }
        broken = true
        Self.close(connection)
    }

    @discardableResult
    func query(_ query: PostgresQuery) throws(PostgresBayesError) -> PostgresQueryResult {
        guard !broken else { throw .connectionLost("connection closed") }
        do {
            return try Blocking.wait(connection.query(query, logger: logger), timeout: timeout)
        } catch {
            let e = PostgresBayesError.from(error)
            // A server error leaves the connection usable; anything else,
            // or the server ending the session (classes 08 and 57: a
            // restart, pg_terminate_backend), does not.
            let state = e.sqlState ?? ""
            if state.isEmpty || state.hasPrefix("08") || state.hasPrefix("57") || connection.isClosed {
                broken = true
                Self.close(connection)
                if case .server(_, let message) = e { throw .connectionLost(message) }
            }
            throw e
        }
    }
}

extension PostgresSession {
    /// Closes a connection, keeping it alive until it is closed
    /// (postgres-nio asserts that a connection is closed before it goes).
    static func close(_ connection: PostgresConnection) {
        (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}

enum Blocking {
    /// The future's value, waited for on this (non event loop) thread for
    /// at most `timeout`.
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>, timeout: TimeAmount) throws -> T {
        guard MultiThreadedEventLoopGroup.currentEventLoop == nil else { throw PostgresBayesError.calledOnEventLoop }
        let done = DispatchSemaphore(value: 0)
        let result = NIOLockedValueBox<Result<T, any Error>?>(nil)
        future.whenComplete { r in
            result.withLockedValue { $0 = r }
            done.signal()
        }
        guard done.wait(timeout: .now() + .nanoseconds(Int(timeout.nanoseconds))) == .success else {
            throw PostgresBayesError.busy("no answer in \(timeout.nanoseconds / 1_000_000_000) s")
        }
        return try result.withLockedValue { $0! }.get()
    }
}

/// At most `maxConnections` connections to one database, made when needed
/// and kept for reuse. A broken connection is dropped and a new one made
/// on the next call, so a daemon outlives a restart of the server.
final class PostgresConnectionPool: @unchecked Sendable {
    let settings: PostgresConnectionSettings
    let maxConnections: Int
    /// How long one statement, or a wait for a free connection, may take.
    let timeout: TimeAmount
    private let logger: Logger
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextID = 0
    /// Whether this process has made sure the tables exist.
    var schemaReady: Bool {
        get { condition.lock(); defer { condition.unlock() }; return _schemaReady }
        set { condition.lock(); _schemaReady = newValue; condition.unlock() }
    }
    private var _schemaReady = false

    init(settings: PostgresConnectionSettings, maxConnections: Int = 4, timeout: TimeAmount = .seconds(30), logger: Logger) {
        self.settings = settings
        self.maxConnections = max(1, maxConnections)
        self.timeout = timeout
        self.logger = logger
    }

    deinit {
        for c in idle { PostgresSession.close(c) }
    }

    /// Runs `body` with a connection of its own.
    func withSession<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try checkout()
        let session = PostgresSession(connection: connection, logger: logger, timeout: timeout)
        defer { checkin(connection, broken: session.broken) }
        return try body(session)
    }

    private func checkout() throws(PostgresBayesError) -> PostgresConnection {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.nanoseconds) / 1e9)
        condition.lock()
        while true {
            if let c = idle.popLast() {
                if c.isClosed { open -= 1; continue }
                condition.unlock()
                return c
            }
            if open < maxConnections { break }
            guard condition.wait(until: deadline) else {
                condition.unlock()
                throw .busy("all \(maxConnections) connections stayed busy")
            }
        }
        open += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
            return try connect(id: id)
        } catch {
            condition.lock(); open -= 1; condition.signal(); condition.unlock()
            throw error
        }
    }

    private func checkin(_ connection: PostgresConnection, broken: Bool) {
        condition.lock()
        if broken || connection.isClosed { open -= 1 } else { idle.append(connection) }
        condition.signal()
        condition.unlock()
    }

    private func connect(id: Int) throws(PostgresBayesError) -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        do {
            switch settings.endpoint {
            case .tcp(let host, let port):
                configuration = .init(host: host, port: port, username: settings.username, password: settings.password,
                                      database: settings.database, tls: try Self.tls(settings.tls))
            case .unixSocket(let path):
                configuration = .init(unixSocketPath: path, username: settings.username, password: settings.password,
                                      database: settings.database)
            }
        } catch {
            throw .unreachable(settings.description, reason: "TLS setup failed: \(error)")
        }
        configuration.options.connectTimeout = .seconds(Int64(settings.connectTimeout))
        configuration.options.additionalStartupParameters = [("application_name", "swamp")]
        let future = PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger)
        do {
            return try Blocking.wait(future, timeout: .seconds(Int64(settings.connectTimeout) + 5))
        } catch {
            // Given up on: a connection that still arrives is closed.
            future.whenSuccess { PostgresSession.close($0) }
            let e = PostgresBayesError.from(error)
            switch e {
            case .server(_, let message), .connectionLost(let message), .busy(let message):
                throw .unreachable(settings.description, reason: message)
            default:
                throw e
            }
        }
    }

    /// libpq's sslmode on postgres-nio's TLS settings.
    static func tls(_ mode: PostgresConnectionSettings.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable:
            return .disable
        case .allow, .prefer:
            tls.certificateVerification = .none
            return .prefer(try NIOSSLContext(configuration: tls))
        case .require:
            tls.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: tls))
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return .require(try NIOSSLContext(configuration: tls))
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: tls))
        }
    }
}

extension PostgresConnectionPool {
    /// One pool per database and login in a process: stores are opened per
    /// TELL and per user, and would otherwise each connect anew. Held
    /// weakly, so the connections close when the last store goes.
    private static let registry = NIOLockedValueBox<[PostgresConnectionSettings: WeakPool]>([:])
    private struct WeakPool { weak var pool: PostgresConnectionPool? }

    static func shared(_ settings: PostgresConnectionSettings, logger: Logger) -> PostgresConnectionPool {
        registry.withLockedValue { pools in
            if let p = pools[settings]?.pool { return p }
            pools = pools.filter { $0.value.pool != nil }
            let p = PostgresConnectionPool(settings: settings, logger: logger)
            pools[settings] = WeakPool(pool: p)
            return p
        }
    }
}
