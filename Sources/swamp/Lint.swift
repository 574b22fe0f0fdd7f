import ArgumentParser
import Foundation
import SwampEngine
import SwampRules

/// `swamp lint`: load the configuration and compile every rule; print each
/// problem with file:line; exit 1 when any is an error.
struct Lint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration and rules; exit 1 on any error."
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Also list every rule skipped for an eval: function swamp does not implement.")
    var verbose = false

    func run() async throws {
        let config: Configuration
        do { config = try options.load() } catch let e as CLIError {
            printError("swamp lint: \(e.message)")
            throw ExitCode(e.code)
        }
        let ruleSet = RuleSet(configuration: config)
        var errors = 0
        for d in ruleSet.diagnostics {
            if d.severity == .error { errors += 1 }
            if d.severity != .info { printError(d.description) }
        }
        let skipped = ruleSet.skippedEvals.values.reduce(0) { $0 + $1.count }
        if skipped > 0 {
            printError("info: \(skipped) rules skipped: they call \(ruleSet.skippedEvals.count) eval: functions swamp does not implement")
            for (function, rules) in ruleSet.skippedEvals.sorted(by: { $0.key < $1.key }) {
                printError(verbose ? "  \(function): \(rules.sorted().joined(separator: " "))"
                                   : "  \(function) (\(rules.count))")
            }
        }
        print("\(ruleSet.ruleCount) rules loaded from \(config.files.count) files; \(errors) errors")
        if errors > 0 { throw ExitCode(1) }
    }
}
