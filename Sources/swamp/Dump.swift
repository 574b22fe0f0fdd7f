import ArgumentParser
import Foundation
import SwampBayes
import SwampRules
import SwampScan

/// `swamp dump`: the Bayes database's figures, as `sa-learn --dump magic`
/// prints them, or the whole database in `sa-learn --backup` format.
struct Dump: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show Bayes database statistics (like sa-learn --dump magic), or back it up.",
        discussion: "Exit 0 on success, 74 when the database cannot be read, 78 on a configuration error."
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Show this user's own database.")
    var user: String?

    @Option(name: .customLong("bayes-path"), help: "The SQLite database file (overrides bayes_path).")
    var bayesPath: String?

    @Flag(name: .long, help: "Write the whole database in sa-learn --backup format.")
    var backup = false

    func run() async throws {
        let bayes: BayesClassifier
        do {
            let config = try options.load()
            bayes = try BayesSetup.open(config, user: user, path: bayesPath, readOnly: true)
        } catch let e as CLIError {
            printError("swamp dump: \(e.message)")
            throw ExitCode(e.code)
        } catch {
            printError("swamp dump: \(error)")
            throw ExitCode(74)
        }
        do {
            if backup {
                var buffer = ""
                try SABackup.write(bayes.store) { line in
                    buffer += line
                    if buffer.utf8.count > 1 << 16 { FileHandle.standardOutput.write(Data(buffer.utf8)); buffer = "" }
                }
                FileHandle.standardOutput.write(Data(buffer.utf8))
                return
            }
            let m = try bayes.store.magic()
            // Plugin/Bayes.pm learner_dump_database: '%3.3f %10u %10u %10u  %s'
            func line(_ value: Int, _ what: String) {
                print(String(format: "%3.3f %10lu %10lu %10lu  %@", 0.0, 0, UInt(max(0, value)), 0, "non-token data: \(what)" as NSString))
            }
            line(m.version, "bayes db version")
            line(m.nspam, "nspam")
            line(m.nham, "nham")
            line(m.ntokens, "ntokens")
            line(m.oldestAtime, "oldest atime")
            line(m.newestAtime, "newest atime")
            line(m.lastJournalSync, "last journal sync atime")
            line(m.lastExpire, "last expiry atime")
            line(m.lastExpireAtimeDelta, "last expire atime delta")
            line(m.lastExpireReduce, "last expire reduction count")
        } catch {
            printError("swamp dump: \(error)")
            throw ExitCode(74)
        }
    }
}
