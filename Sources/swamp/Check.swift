import ArgumentParser
import Foundation
import SwampEngine
import SwampDNS
import SwampScan

/// `swamp check [FILE|-] [--report]`: score one message.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score one message: print it processed (or the report); exit 0 ham, 1 spam.",
        discussion: "Exit codes: 0 ham, 1 spam, 66 unreadable input, 78 configuration error."
    )

    @OptionGroup var options: ConfigOptions

    @Argument(help: "The message file, or - for standard input.")
    var file: String = "-"

    @Flag(name: .long, help: "Print the report instead of the processed message.")
    var report = false

    @Flag(name: .long, help: "Print only the names of the rules that hit.")
    var symbols = false

    @Flag(name: .long, help: "Run the network checks (SPF, DKIM, DNS blocklists, reverse DNS) through dns_server or the system resolver, unless dns_available is no.")
    var network = false

    func run() async throws {
        do {
            let config = try options.load()
            let bytes = try readMessage()
            // Bayes joins the scan when a database exists (`swamp learn`
            // makes one); with none yet and autolearn on, a message
            // autolearn learns creates it, as in SpamAssassin.
            let (bayes, problem) = BayesSetup.openForScanning(config)
            if let problem { printError("swamp check: \(problem)") }
            let creator = bayes == nil && problem == nil
                ? BayesSetup.creator(config, log: { event in
                    if case .failed(let location, let reason) = event {
                        printError("swamp check: Bayes database \(location) cannot be created, not autolearning: \(reason)")
                    }
                })
                : nil
            let scanner = SpamScanner(configuration: config, bayes: bayes, creator: creator, skipUnseenSubrules: true)
            // One message does not pay for compiling the multi-pattern
            // stage; a copy the daemon or bench left in the cache is used.
            scanner.ruleSet.prepareMultiPattern(cacheDirectory: MultiPatternCache.directory(), compile: false)
            let result: ScanResult
            if network, let checks = try NetworkChecks.make(configuration: config) {
                // A DNS failure never fails the scan: the checks end at their
                // budget and the rules see what was found.
                result = await scanner.scan(bytes, network: checks).result
            } else {
                result = scanner.scan(bytes)
            }
            let out = FileHandle.standardOutput
            if report {
                out.write(Data(String(format: "%.1f/%.1f\n", result.verdict.score, result.verdict.requiredScore).utf8))
                out.write(Data(scanner.report(for: result).utf8))
            } else {
                out.write(Data(symbols ? Array((scanner.symbols(for: result) + "\n").utf8) : scanner.processedMessage(for: result)))
                // The report carries these; without it they go beside the
                // output, so a verdict reached without DNS says so.
                for line in result.network.map(SpamScanner.networkReportLines) ?? [] {
                    printError("swamp check: \(line)")
                }
            }
            throw ExitCode(result.verdict.isSpam ? 1 : 0)
        } catch let e as CLIError {
            printError("swamp check: \(e.message)")
            throw ExitCode(e.code)
        } catch let e as DNSError {
            printError("swamp check: DNS: \(e)")
            throw ExitCode(69)
        }
    }

    func readMessage() throws -> [UInt8] {
        if file == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError(code: 66, message: "cannot read \(file)")
        }
        return Array(data)
    }
}
