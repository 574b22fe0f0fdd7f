import Foundation
import NIOCore
import SwampMIME
import SwampSpamd

/// Everything `swamp serve` can be told on its command line, with spamd's
/// defaults where spamd has the same knob (spamd(1): `--listen`,
/// `--socketpath`, `--max-children`, `--timeout-tcp`, `--timeout-child`,
/// `--allowed-ips`, `--allow-tell`, `--ssl`, `--pidfile`).
public struct ServerConfiguration: Sendable {
    /// TCP listeners. Empty with no `unixSocket` means `defaultListenAddress()`.
    public var listen: [ListenAddress] = []
    /// A Unix-domain socket to listen on as well (spamd `--socketpath`).
    public var unixSocket: String?
    /// File mode for the socket, e.g. 0o660 (spamd `--socketmode`).
    public var unixSocketMode: UInt32?
    /// Owner and group of the socket, names or numbers (spamd
    /// `--socketowner`, `--socketgroup`); set after binding.
    public var unixSocketOwner: String?
    public var unixSocketGroup: String?
    /// `--metrics`: where the Prometheus page is served.
    public var metricsAddress: ListenAddress?
    /// Certificate and key for TLS listeners (`--ssl`, or `ssl:` listeners).
    public var tls: TLSFiles?
    /// `--ssl`: every TCP listener speaks TLS (else only `ssl:` ones).
    public var listenAllTLS = false

    /// Scans running at once (spamd `--max-children`, default 5 there;
    /// swamp's default is one per core, since a scan is CPU-bound).
    public var maxChildren: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Requests that may wait for a free scan slot; beyond that a request is
    /// refused with EX_TEMPFAIL at once rather than queued without bound.
    public var maxQueue: Int = 64
    /// Open connections, each of which may be buffering a request; beyond
    /// this a new connection gets EX_TEMPFAIL and is closed.
    public var maxConnections: Int = 256
    /// Threads that scan (off the event loops). One per core.
    public var scanThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Threads that run TELL's database writes. SQLite takes one writer per
    /// file at a time; two let a second user's database (`--user-dbs`)
    /// learn while the first is busy.
    public var learningThreads = 2

    /// The whole request must arrive within this (spamd `--timeout-tcp`,
    /// 30 s): a client trickling a byte per second is cut off here.
    public var requestTimeout: Duration = .seconds(30)
    /// No byte for this long ends a connection that is still sending.
    public var idleTimeout: Duration = .seconds(10)
    /// A client that will not read its reply is dropped after this.
    public var writeTimeout: Duration = .seconds(30)
    /// The per-message time budget; `nil` takes the configuration's
    /// `time_limit` (SpamAssassin's default 300 s). The engine stops at the
    /// budget and answers with the score so far; past the budget plus a
    /// grace (`scanGrace`, at most the budget again) the server answers
    /// EX_TIMEOUT without waiting further.
    public var timeLimit: Duration?
    public var scanGrace: Duration = .seconds(5)
    /// Longest wait for a scan slot before EX_TEMPFAIL.
    public var queueTimeout: Duration = .seconds(60)

    /// Largest message accepted, as sent (EX_TOOBIG beyond it).
    public var maxMessageSize: Int = 32 * 1024 * 1024
    /// Largest message a `Compress: zlib` body may inflate to; `nil` means
    /// `maxMessageSize`.
    public var maxInflatedSize: Int?
    /// Longest `User:` value accepted as a user name.
    public var maxUserLength: Int = SpamdUserName.defaultMaxLength

    /// Clients allowed to connect over TCP (spamd `--allowed-ips`, whose
    /// default is the loopback addresses). Unix-socket clients are governed
    /// by the socket's file mode instead.
    public var allowedNetworks: [IPNetwork] = ServerConfiguration.loopbackNetworks
    /// Whether TELL (learning) is accepted (spamd `--allow-tell`).
    public var allowTell = false
    /// The user to become once every listener is bound (spamd `--username`).
    public var username: String?
    /// Written with the daemon's process id once every listener is bound,
    /// removed at exit.
    public var pidFile: String?

    /// Called once all listeners are bound, with their addresses as
    /// `tcp 127.0.0.1:7830` / `unix /path`; tests use it to learn ports.
    public var onListening: (@Sendable ([String]) -> Void)?
    /// Called once all listeners are bound and privileges are dropped
    /// (`username`): work that writes files of its own starts here, as the
    /// user the daemon serves as.
    public var onServing: (@Sendable () -> Void)?
    /// Shut down gracefully when standard input reaches end of file, so a
    /// daemon started by a test dies with the test.
    public var exitWhenStdinCloses = false
    /// The log's writer; SIGHUP reopens its file (`--log-file`), as log
    /// rotation expects.
    public var log: LogWriter?
    /// Test hook: every scan sleeps this long first, so that tests can
    /// signal the daemon while a scan is in flight.
    public var scanDelayForTesting: Duration?

    public init() {}

    public static let loopbackNetworks: [IPNetwork] = ["127.0.0.1/32", "::1/128"].compactMap { IPNetwork(Substring($0)) }

    /// spamd's default port 783 is privileged; a daemon started by an
    /// ordinary user listens on 7830 instead.
    public static func defaultListenAddress(isRoot: Bool = geteuid() == 0) -> ListenAddress {
        ListenAddress(host: "127.0.0.1", port: isRoot ? 783 : 7830)
    }

    /// The decoder limits these settings imply.
    public var decoderLimits: DecoderLimits {
        var limits = DecoderLimits()
        limits.maxBodySize = maxMessageSize
        return limits
    }

    var inflatedLimit: Int { maxInflatedSize ?? maxMessageSize }

    /// When the server stops waiting for a scan with this budget.
    func hardDeadline(budget: Duration) -> Duration { budget + min(scanGrace, budget) }

    /// The listeners to open.
    var effectiveListeners: [ListenAddress] {
        if listen.isEmpty && unixSocket == nil { return [Self.defaultListenAddress()] }
        return listen
    }
}

/// PEM files for `--ssl`.
public struct TLSFiles: Sendable, Hashable {
    public var certificate: String
    public var key: String
    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }
}

/// `HOST:PORT` as `--listen` takes it: `127.0.0.1:783`, `[::1]:783`,
/// `localhost:783`, `*:783` (all IPv4 interfaces), a bare host (port 783 as
/// spamd) or a bare `:PORT`; an `ssl:` prefix makes that listener TLS, as
/// spamd's `--listen ssl:...` does.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: Bool

    public init(host: String, port: Int, tls: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    public init?(parsing text: String, defaultPort: Int = 783) {
        var rest = Substring(text)
        var tls = false
        if rest.lowercased().hasPrefix("ssl:") {
            tls = true
            rest = rest.dropFirst(4)
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if rest.filter({ $0 == ":" }).count > 1 {
            host = rest  // a bare IPv6 address
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        if host.isEmpty || host == "*" { host = "0.0.0.0" }
        var port = defaultPort
        if let portText {
            guard let p = Int(portText), (0...65535).contains(p) else { return nil }
            port = p
        }
        self.init(host: String(host), port: port, tls: tls)
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return (tls ? "ssl:" : "") + "\(h):\(port)"
    }
}

extension IPNetwork {
    /// Parses `--allowed-ips` values: comma-separated networks in
    /// `trusted_networks` syntax (`127.0.0.1`, `10.`, `192.168.0.0/16`, `::1`).
    public static func parseList(_ text: String) -> [IPNetwork]? {
        var out: [IPNetwork] = []
        for part in text.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let network = IPNetwork(Substring(trimmed)) else { return nil }
            out.append(network)
        }
        return out
    }
}

/// Whether a peer may talk to the daemon: the first network that contains
/// its address decides (a `!` network refuses), as SpamAssassin's NetSet
/// does for trusted_networks.
struct AccessList: Sendable {
    let networks: [IPNetwork]

    func allows(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket: return true
        case .v4, .v6:
            guard let text = address.ipAddress, let ip = IPAddress(Substring(text)) else { return false }
            for network in networks where network.contains(ip) { return !network.negated }
            return false
        }
    }
}
