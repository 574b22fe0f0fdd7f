// Where the shared Bayes database is: `bayes_sql_dsn` in either of the two
// forms administrators have, SpamAssassin's DBI string
// (`DBI:Pg:dbname=NAME;host=HOST;port=PORT`, Conf.pm `bayes_sql_dsn`) or a
// libpq URL (`postgres://user:pass@host:port/db`), plus SpamAssassin's
// `bayes_sql_username` and `bayes_sql_password`. Defaults follow libpq:
// port 5432, the Unix socket in Debian's socket directory when no host is
// given, TLS when the server offers it (`sslmode=prefer`).

import Foundation

public struct PostgresConnectionSettings: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        /// The socket file (`DIR/.s.PGSQL.PORT`, as libpq names it).
        case unixSocket(path: String)
    }

    /// libpq's `sslmode` values. `allow` and `prefer` use TLS when the
    /// server offers it; none but `verify-ca`/`verify-full` check the
    /// certificate, as in libpq.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var database: String?
    public var username: String
    public var password: String?
    public var tls: TLSMode = .prefer
    /// Seconds to wait for a connection (libpq's `connect_timeout`).
    public var connectTimeout = 10

    /// Where the server is, for messages; never the password.
    public var description: String {
        let db = database.map { " database \($0)" } ?? ""
        switch endpoint {
        case .tcp(let host, let port):
            return "PostgreSQL at \(host.contains(":") ? "[\(host)]" : host):\(port)\(db) as \(username)"
        case .unixSocket(let path):
            return "PostgreSQL at \(path)\(db) as \(username)"
        }
    }

    public init(endpoint: Endpoint, database: String?, username: String, password: String? = nil) {
        self.endpoint = endpoint
        self.database = database
        self.username = username
        self.password = password
    }

    /// Longer DSNs are refused: a configuration value, not a document.
    static let maxLength = 4096
    static let defaultSocketDirectory = "/var/run/postgresql"

    /// Parses `bayes_sql_dsn`; `username` and `password` (the directives)
    /// win over a user and password written in the DSN. Without any user
    /// name, the name of the user running swamp is used, as libpq does.
    public init(dsn: String, username: String? = nil, password: String? = nil,
                defaultUser: String = PostgresConnectionSettings.processUserName()) throws(PostgresDSNError) {
        guard dsn.utf8.count <= Self.maxLength else { throw PostgresDSNError("longer than \(Self.maxLength) bytes") }
        guard !dsn.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PostgresDSNError("contains control characters")
        }
        var fields: Fields
        let lower = dsn.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            fields = try Self.parseURL(dsn)
        } else if lower.hasPrefix("dbi:") {
            fields = try Self.parseDBI(dsn)
        } else {
            throw PostgresDSNError("expected DBI:Pg:dbname=NAME;host=HOST;port=PORT or postgres://USER@HOST:PORT/NAME")
        }
        if let username { fields.user = username }
        if let password { fields.password = password }

        let port = try fields.port.map { text throws(PostgresDSNError) -> Int in
            guard let p = Int(text), (1...65535).contains(p) else { throw PostgresDSNError("port \(text) is not 1-65535") }
            return p
        } ?? 5432
        let host = fields.host ?? Self.defaultSocketDirectory
        if host.hasPrefix("/") {
            endpoint = .unixSocket(path: (host as NSString).appendingPathComponent(".s.PGSQL.\(port)"))
        } else {
            guard !host.isEmpty else { throw PostgresDSNError("empty host") }
            endpoint = .tcp(host: host, port: port)
        }
        if let db = fields.database, db.isEmpty { throw PostgresDSNError("empty database name") }
        database = fields.database
        guard let user = fields.user ?? (defaultUser.isEmpty ? nil : defaultUser), !user.isEmpty else {
            throw PostgresDSNError("no user name (set bayes_sql_username)")
        }
        self.username = user
        self.password = fields.password
        if let mode = fields.sslmode {
            guard let m = TLSMode(rawValue: mode) else {
                throw PostgresDSNError("sslmode \(mode) is not one of " + TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            tls = m
        }
        if let t = fields.connectTimeout {
            guard let seconds = Int(t), (1...3600).contains(seconds) else { throw PostgresDSNError("connect_timeout \(t) is not 1-3600 seconds") }
            connectTimeout = seconds
        }
    }

    /// The login name of the effective user, libpq's default user name.
    public static func processUserName() -> String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? ""
    }

    struct Fields {
        var host: String?, port: String?, database: String?, user: String?, password: String?
        var sslmode: String?, connectTimeout: String?

        /// One `key=value` of a DBI string or a URL query (libpq's names;
        /// DBD::Pg's `dbname`/`db`/`database` aliases).
        mutating func set(_ key: String, _ value: String) throws(PostgresDSNError) {
            switch key.lowercased() {
            case "dbname", "db", "database": database = value
            case "host", "hostaddr": host = value
            case "port": port = value
            case "user", "username": user = value
            case "password": password = value
            case "sslmode": sslmode = value
            case "connect_timeout": connectTimeout = value
            default: throw PostgresDSNError("unknown attribute \(key)")
            }
        }
    }

    /// `DBI:Pg:dbname=NAME;host=HOST;port=PORT` (DBD::Pg's data source).
    static func parseDBI(_ dsn: String) throws(PostgresDSNError) -> Fields {
        let parts = dsn.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw PostgresDSNError("expected DBI:Pg:ATTRIBUTES") }
        guard parts[1].lowercased() == "pg" else {
            throw PostgresDSNError("driver \(parts[1]) is not supported; swamp's SQL Bayes store is PostgreSQL (DBI:Pg:...)")
        }
        var fields = Fields()
        for attribute in parts[2].split(separator: ";") {
            let kv = attribute.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = kv[0].trimmingCharacters(in: .whitespaces)
            guard kv.count == 2, !key.isEmpty else { throw PostgresDSNError("attribute \(attribute) is not KEY=VALUE") }
            try fields.set(key, kv[1].trimmingCharacters(in: .whitespaces))
        }
        return fields
    }

    /// `postgres[ql]://[user[:password]@][host][:port][/dbname][?key=value&...]`
    /// (libpq's connection URI); a host in brackets is an IPv6 address.
    static func parseURL(_ dsn: String) throws(PostgresDSNError) -> Fields {
        var rest = Substring(dsn[dsn.range(of: "://")!.upperBound...])
        var fields = Fields()
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") { query = rest[rest.index(after: q)...]; rest = rest[..<q] }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let db = try decode(rest[rest.index(after: slash)...])
            if !db.isEmpty { fields.database = db }
        }
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                fields.user = try decode(credentials[..<colon])
                fields.password = try decode(credentials[credentials.index(after: colon)...])
            } else {
                fields.user = try decode(credentials)
            }
        }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw PostgresDSNError("unclosed [ in host") }
            fields.host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw PostgresDSNError("unexpected \(after) after host") }
                fields.port = String(after.dropFirst())
            }
        } else if let colon = authority.lastIndex(of: ":") {
            fields.host = try decode(authority[..<colon])
            fields.port = String(authority[authority.index(after: colon)...])
        } else if !authority.isEmpty {
            fields.host = try decode(authority)
        }
        if fields.host?.isEmpty == true { fields.host = nil }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { throw PostgresDSNError("query parameter \(pair) is not KEY=VALUE") }
            try fields.set(try decode(kv[0]), try decode(kv[1]))
        }
        return fields
    }

    static func decode(_ s: Substring) throws(PostgresDSNError) -> String {
        guard let d = String(s).removingPercentEncoding else { throw PostgresDSNError("bad percent-encoding") }
        return d
    }
}

/// A `bayes_sql_dsn` that cannot be used; says what is wrong, never the
/// password.
public struct PostgresDSNError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { "bayes_sql_dsn: \(message)" }
}
