import ArgumentParser
import Foundation
import Logging
import SwampEngine
import SwampMIME
import SwampRules
import SwampScan
import SwampServer

/// `swamp serve`: the spamd-compatible daemon. Option names follow spamd's
/// where spamd has the same knob, so an existing setup reads naturally.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the spamd-compatible daemon (spamc and maildrop work unchanged).",
        discussion: """
            With no --listen and no --socket, listens on 127.0.0.1:783 when started as root, \
            else on 127.0.0.1:7830. SIGTERM or SIGINT: stop accepting, finish the scans in \
            flight, exit. SIGHUP: reload the configuration and rules; a configuration that \
            fails to load keeps the running one (the log says why); it also reopens --log-file. \
            One log line per scan goes to standard error (or --log-file), as spamd's "result:" lines.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: ArgumentHelp(
        "TCP address to listen on, HOST:PORT or [IPv6]:PORT; repeatable; an ssl: prefix makes it TLS (default: 127.0.0.1:783 as root, else 127.0.0.1:7830).",
        valueName: "host:port"))
    var listen: [String] = []

    @Option(name: .long, help: ArgumentHelp("Unix-domain socket to listen on (as well as any --listen).", valueName: "path"))
    var socket: String?

    @Option(name: [.customLong("socket-mode"), .customLong("socketmode")],
            help: ArgumentHelp("File mode of the Unix socket, in octal (e.g. 660).", valueName: "mode"))
    var socketMode: String?

    @Option(name: [.customLong("socket-owner"), .customLong("socketowner")],
            help: ArgumentHelp("Owner of the Unix socket, a user name or uid (set as root, before --username).", valueName: "user"))
    var socketOwner: String?

    @Option(name: [.customLong("socket-group"), .customLong("socketgroup")],
            help: ArgumentHelp("Group of the Unix socket, a group name or gid.", valueName: "group"))
    var socketGroup: String?

    @Option(name: .customLong("max-children"), help: "Scans running at once; more wait in a bounded queue (default: one per core).")
    var maxChildren: Int?

    @Option(name: .customLong("max-queue"), help: "Requests that may wait for a scan slot before new ones are refused with EX_TEMPFAIL.")
    var maxQueue: Int = 64

    @Option(name: .customLong("max-connections"), help: "Open connections before new ones are refused with EX_TEMPFAIL.")
    var maxConnections: Int = 256

    @Option(name: .customLong("timeout-tcp"), help: "Seconds a client has to send its whole request (spamd's --timeout-tcp).")
    var timeoutTCP: Double = 30

    @Option(name: .customLong("idle-timeout"), help: "Seconds without a byte from a client still sending before it is cut off.")
    var idleTimeout: Double = 10

    @Option(name: .customLong("timeout-child"), help: "Per-message scan budget in seconds (default: the configuration's time_limit, 300).")
    var timeoutChild: Double?

    @Option(name: .customLong("max-size"), help: "Largest message accepted, in bytes; larger ones get EX_TOOBIG.")
    var maxSize: Int = 32 * 1024 * 1024

    @Option(name: .customLong("max-inflated-size"), help: "Largest size a Compress: zlib body may inflate to (default: --max-size).")
    var maxInflatedSize: Int?

    @Option(name: [.customShort("A"), .customLong("allowed-ips")], help: ArgumentHelp(
        "Networks allowed to connect over TCP, comma-separated, repeatable (default: 127.0.0.1, ::1).",
        valueName: "networks"))
    var allowedIPs: [String] = []

    @Flag(name: .customLong("allow-tell"), help: "Accept TELL (spamc -L/-C): learn into the Bayes database.")
    var allowTell = false

    @Flag(name: .customLong("user-dbs"), help: "Each User: gets an own Bayes database: TELL and autolearn learn into it (autolearn creating it), scans read it.")
    var userDBs = false

    @Option(name: .customLong("max-open-user-dbs"), help: "Per-user Bayes databases kept open for scanning; the least recently used is closed beyond this.")
    var maxOpenUserDBs = 64

    @Flag(name: [.customShort("L"), .long], help: "Local tests only: no DNS (SPF, DKIM, blocklists, reverse DNS), as dns_available no.")
    var local = false

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics over HTTP at http://HOST:PORT/metrics.", valueName: "host:port"))
    var metrics: String?

    @Flag(name: .long, help: "Speak TLS on every TCP listener (spamc -S); needs --ssl-cert and --ssl-key.")
    var ssl = false

    @Option(name: .customLong("ssl-cert"), help: ArgumentHelp("TLS certificate chain, PEM.", valueName: "file"))
    var sslCert: String?

    @Option(name: .customLong("ssl-key"), help: ArgumentHelp("TLS private key, PEM.", valueName: "file"))
    var sslKey: String?

    @Option(name: .long, help: ArgumentHelp("Write the daemon's process id here once listening; removed at exit.", valueName: "file"))
    var pidfile: String?

    @Option(name: .long, help: ArgumentHelp("Become this user once the listeners are bound (start as root to use port 783).", valueName: "user"))
    var username: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-file"), help: ArgumentHelp(
        "Append the log to this file (created mode 0640) instead of standard error; SIGHUP reopens it, for log rotation.",
        valueName: "path"))
    var logFile: String?

    /// Test hook: every scan first sleeps this many milliseconds.
    @Option(name: .customLong("scan-delay-for-testing"), help: .hidden)
    var scanDelayForTesting: Int?

    /// For test harnesses: shut down when standard input closes.
    @Flag(name: .customLong("exit-on-stdin-eof"), help: .hidden)
    var exitOnStdinEOF = false

    func validate() throws {
        if ssl || listen.contains(where: { $0.lowercased().hasPrefix("ssl:") }) {
            guard sslCert != nil, sslKey != nil else { throw ValidationError("--ssl needs --ssl-cert and --ssl-key") }
        }
        if let socketMode, UInt32(socketMode, radix: 8) == nil { throw ValidationError("--socket-mode: not an octal mode: \(socketMode)") }
        if let metrics, ListenAddress(parsing: metrics) == nil { throw ValidationError("--metrics: not HOST:PORT: \(metrics)") }
        if maxOpenUserDBs < 1 { throw ValidationError("--max-open-user-dbs must be at least 1") }
        for text in listen where ListenAddress(parsing: text) == nil {
            throw ValidationError("--listen: not HOST:PORT: \(text)")
        }
        for text in allowedIPs where IPNetwork.parseList(text) == nil {
            throw ValidationError("--allowed-ips: not a list of networks: \(text)")
        }
        if let maxChildren, maxChildren < 1 { throw ValidationError("--max-children must be at least 1") }
        if maxSize < 1 { throw ValidationError("--max-size must be positive") }
        if timeoutTCP <= 0 || idleTimeout <= 0 { throw ValidationError("timeouts must be positive") }
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw ValidationError("--log-level: unknown level \(logLevel)")
        }
        // Lines go through one writer thread (DaemonLog.swift): a stalled
        // reader of the log never blocks an event loop.
        let log: LogWriter
        do {
            log = try LogWriter(logFile.map { .file($0) } ?? .standardError)
        } catch {
            printError("swamp serve: \(error)")
            throw ExitCode(78)
        }
        // Whatever is queued is written before exit, unless the sink is stuck.
        defer { log.shutdown(timeout: .seconds(3)) }
        LoggingSystem.bootstrap { label in
            var handler = DaemonLogHandler(label: label, writer: log)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "swamp")
        // One malloc arena per core rather than glibc's eight: each thread
        // that allocates (event loops, scan threads, the concurrency pool)
        // would otherwise keep freed memory in an arena of its own.
        Heap.limitArenas(Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))

        let path: String
        let scanners: ScannerStore
        // Builds each loaded rule set's multi-pattern stage, one at a time;
        // started once the server runs as --username.
        let stages = SupersedingWorker()
        do {
            path = try options.configPath()
            let options = self.options
            let network = !local
            let userDBs = self.userDBs ? maxOpenUserDBs : nil
            scanners = try ScannerStore(loader: {
                try Serve.loadSetup(options: options, network: network, userDatabases: userDBs, stages: stages)
            })
            // Compiling the rules leaves the parser's temporaries free in the
            // heap: about 5 MiB handed back before the first scan.
            Heap.releaseFreeMemory()
        } catch {
            printError("swamp serve: \(error)")
            throw ExitCode(78)
        }
        let setup = scanners.current.setup
        logger.notice("configuration \(path): \(setup.scanner.ruleSet.ruleCount) rules, network checks \(setup.network == nil ? "off" : "on")")
        // TELL learns into the Bayes store (site or per-user database).
        let learner: (any MessageLearner)? = allowTell
            ? BayesTellLearner(configuration: scanners.current.scanner.configuration, perUser: userDBs) : nil

        var server = ServerConfiguration()
        server.listen = listen.compactMap { ListenAddress(parsing: $0) }
        server.unixSocket = socket
        server.unixSocketMode = socketMode.flatMap { UInt32($0, radix: 8) }
        server.unixSocketOwner = socketOwner
        server.unixSocketGroup = socketGroup
        server.metricsAddress = metrics.flatMap { ListenAddress(parsing: $0) }
        if let sslCert, let sslKey { server.tls = TLSFiles(certificate: sslCert, key: sslKey) }
        server.listenAllTLS = ssl
        if let maxChildren { server.maxChildren = maxChildren }
        server.maxQueue = maxQueue
        server.maxConnections = maxConnections
        server.requestTimeout = .milliseconds(Int64(timeoutTCP * 1000))
        server.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        server.timeLimit = timeoutChild.map { .milliseconds(Int64($0 * 1000)) }
        server.maxMessageSize = maxSize
        server.maxInflatedSize = maxInflatedSize
        if !allowedIPs.isEmpty { server.allowedNetworks = allowedIPs.flatMap { IPNetwork.parseList($0) ?? [] } }
        server.allowTell = allowTell
        server.pidFile = pidfile
        server.username = username
        server.exitWhenStdinCloses = exitOnStdinEOF
        server.log = log
        server.onServing = { stages.start() }
        server.scanDelayForTesting = scanDelayForTesting.map { .milliseconds($0) }

        do {
            try await SwampDaemon.run(configuration: server, scanners: scanners, learner: learner, logger: logger)
        } catch let error as ServerStartError {
            printError("swamp serve: \(error)")
            throw ExitCode(78)
        } catch {
            printError("swamp serve: \(error)")
            throw ExitCode(71)
        }
    }

    /// Loads the configuration and compiles the rules; makes the resolver
    /// for the network checks (`network`, unless `dns_available no`) and,
    /// given `userDatabases` (how many to keep open), the per-user Bayes
    /// databases; hands the rule set to `stages` for its multi-pattern
    /// stage. A configuration with errors (an unreadable file, a directive
    /// that does not parse, a `dns_server` that is no address) is refused,
    /// at start and on SIGHUP alike.
    static func loadSetup(options: ConfigOptions, network: Bool, userDatabases: Int?,
                          stages: SupersedingWorker) throws -> ScanSetup {
        let path = (try? options.configPath()) ?? "?"
        let configuration: Configuration
        do { configuration = try options.load() } catch let e as CLIError {
            throw ConfigurationRefused(path: path, problems: [e.message])
        }
        let errors = configuration.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else {
            throw ConfigurationRefused(path: path, problems: errors.prefix(5).map(\.description))
        }
        // Scans read the site Bayes database when one exists; with none
        // yet, autolearn creates it (once, for all scans) on the first
        // message it learns.
        let (bayes, problem) = BayesSetup.openForScanning(configuration, snapshot: true)
        // Through the daemon's log, in order with its other lines (and to
        // --log-file), not straight to standard error.
        let logger = Logger(label: "swamp")
        if let problem { logger.warning("\(problem)") }
        let creator = bayes == nil && problem == nil
            ? BayesSetup.creator(configuration, snapshot: true, log: { event in
                switch event {
                case .created(let location):
                    logger.notice("Bayes database \(location) created by autolearn")
                case .failed(let location, let reason):
                    logger.warning("Bayes database \(location) cannot be created, scoring without autolearn: \(reason)")
                }
            })
            : nil
        let checks: NetworkChecks?
        do {
            checks = network ? try NetworkChecks.make(configuration: configuration) : nil
        } catch {
            throw ConfigurationRefused(path: path, problems: ["dns_server: \(error)"])
        }
        let scanner = SpamScanner(configuration: configuration, bayes: bayes, creator: creator,
                                  skipUnseenSubrules: true)
        // The multi-pattern stage takes seconds to compile for the stock
        // rules (milliseconds from the cache): scans start without it and
        // pick it up once it is in place. Nothing fails past this point, so
        // this rule set is the one scans get next.
        let ruleSet = scanner.ruleSet
        stages.submit { buildMultiPatternStage(ruleSet) }
        // No site database yet (use_bayes on, nothing wrong, nothing
        // trained): scans look for it again as spamd would find it, and
        // take over the one their autolearn created at once.
        let late = configuration.useBayes && bayes == nil && problem == nil
            ? LateSiteBayes(base: scanner, open: { BayesSetup.openForScanning(configuration, snapshot: true) },
                            report: { logger.warning("\($0)") })
            : nil
        return ScanSetup(scanner: scanner, network: checks,
                         userBayes: userDatabases.map {
                             UserBayesDatabases(configuration: configuration, capacity: $0, report: { line, isProblem in
                                 if isProblem { logger.warning("\(line)") } else { logger.notice("\(line)") }
                             })
                         },
                         lateSiteBayes: late)
    }

    /// Builds the rule set's multi-pattern stage (on the stage worker, so
    /// after `--username` has taken effect: a cache folder it makes is not
    /// root's); says so when it is in place (tests and bench/daemon.py wait
    /// for the line).
    ///
    /// What the cache does not hold is compiled by a child process
    /// (`swamp compile-stage`) into the cache, or into a private temporary
    /// folder when there is no cache it could write, and loaded from there:
    /// Hyperscan's compiler leaves tens of megabytes in the heap it ran in
    /// (~28 MiB for the stock rules, which `malloc_trim` did not give back).
    /// Should the child fail, the daemon compiles the stage itself.
    static func buildMultiPatternStage(_ ruleSet: RuleSet) {
        let logger = Logger(label: "swamp")
        let cache = MultiPatternCache.directory()
        let clock = ContinuousClock()
        let started = clock.now
        var how = "from the cache"
        var info = ruleSet.prepareMultiPattern(cacheDirectory: cache, compile: false, whole: true)
        if info == nil {
            switch StageChild.compile(ruleSet.multiStageRequest, cache: cache) {
            case .compiled(let directory, let cleanUp):
                info = ruleSet.prepareMultiPattern(cacheDirectory: directory, compile: false, whole: true)
                cleanUp()
                how = "compiled by swamp compile-stage"
                if info == nil {
                    logger.warning("multi-pattern stage: what compile-stage wrote to \(directory) does not load; compiling it in the daemon")
                }
            case .failed(let why):
                logger.warning("multi-pattern stage: \(why); compiling it in the daemon")
            }
        }
        if info == nil {
            info = ruleSet.prepareMultiPattern(cacheDirectory: cache)
            how = "compiled in the daemon"
        }
        guard let info else { return }
        // Building the stage leaves its temporaries free in the heap.
        Heap.releaseFreeMemory()
        logger.notice("multi-pattern stage ready: \(info.patterns) of \(info.candidates) rules, \(info.bytes / 1024) KiB, \(how) in \(clock.now - started)")
    }
}

struct ConfigurationRefused: Error, CustomStringConvertible {
    let path: String
    let problems: [String]
    var description: String { "configuration \(path) has errors: " + problems.joined(separator: "; ") }
}
