import ArgumentParser
import Foundation
import SwampBayes
import SwampRules
import SwampScan

/// `swamp learn (--spam|--ham|--forget) PATH...`: train the Bayes database
/// from files, directories, Maildirs and mbox files.
struct Learn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Learn messages as spam or ham (or forget them) into the Bayes database.",
        discussion: """
            PATH may be a message file, an mbox file, a Maildir (its cur/ and new/) or a directory \
            (every file below it is a message). Messages are tokenized on all cores and written by \
            one writer, one transaction per message. A message learned twice is counted once; \
            learning it as the other class moves it. Exit 0 on success, 66 when a PATH cannot be \
            read, 74 on a database error, 78 on a configuration error.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Learn the messages as spam.") var spam = false
    @Flag(name: .long, help: "Learn the messages as ham (non-spam).") var ham = false
    @Flag(name: .long, help: "Forget messages learned before.") var forget = false

    @Option(name: .long, help: "Use this user's own database (beside bayes_path).")
    var user: String?

    @Option(name: .customLong("bayes-path"), help: "The SQLite database file (overrides bayes_path).")
    var bayesPath: String?

    @Option(name: .customLong("import-sa-backup"), help: "Restore a `sa-learn --backup` file into the database (replaces its content).")
    var importBackup: String?

    @Flag(name: .long, help: "No progress line, even on a terminal.") var quiet = false

    @Argument(help: "Message files, directories, Maildirs or mbox files.")
    var paths: [String] = []

    func validate() throws {
        let modes = [spam, ham, forget].filter { $0 }.count
        if importBackup != nil {
            guard modes == 0 && paths.isEmpty else { throw ValidationError("--import-sa-backup takes no other mode or PATH") }
            return
        }
        guard modes == 1 else { throw ValidationError("give exactly one of --spam, --ham or --forget") }
        guard !paths.isEmpty else { throw ValidationError("give at least one PATH") }
    }

    func run() async throws {
        let config: SwampRules.Configuration
        let bayes: BayesClassifier
        do {
            config = try options.load()
            bayes = try BayesSetup.open(config, user: user, path: bayesPath)
        } catch let e as CLIError {
            printError("swamp learn: \(e.message)")
            throw ExitCode(e.code)
        } catch let e as BayesSetupError {
            printError("swamp learn: \(e.message)")
            throw ExitCode(78)
        } catch {
            printError("swamp learn: cannot open the Bayes database: \(error)")
            throw ExitCode(74)
        }

        if let importBackup {
            do {
                let n = try SABackup.restore(from: importBackup, into: bayes.store)
                print("imported \(n.tokens) tokens, \(n.nspam) spam and \(n.nham) ham messages, \(n.seen) seen entries")
            } catch {
                printError("swamp learn: \(importBackup): \(error)")
                throw ExitCode(65)
            }
            return
        }

        var sources: [MessageSource] = []
        for path in paths {
            guard let found = MessageSource.find(path) else {
                printError("swamp learn: cannot read \(path)")
                throw ExitCode(66)
            }
            sources += found
        }

        let mode: LearnMode = forget ? .forget : (spam ? .learn(.spam) : .learn(.ham))
        let progress = !quiet && isatty(STDERR_FILENO) != 0
        let summary: LearnSummary
        do {
            summary = try LearnRun(bayes: bayes, mode: mode).run(sources) { done in
                if progress { FileHandle.standardError.write(Data("\r\(done)/\(sources.count) messages".utf8)) }
            }
        } catch {
            if progress { FileHandle.standardError.write(Data("\n".utf8)) }
            printError("swamp learn: database error: \(error)")
            throw ExitCode(74)
        }
        if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if case .forget = mode {
            print("forgot \(summary.changed), skipped \(summary.skipped) not learned, \(summary.unparseable) unparseable")
        } else {
            print("learned \(summary.changed), skipped \(summary.skipped) already learned, \(summary.unparseable) unparseable"
                  + (summary.relearned > 0 ? " (\(summary.relearned) moved from the other class)" : ""))
        }
        if bayes.settings.autoExpire, let r = try? bayes.store.expire(maxTokens: bayes.settings.expiryMaxDBSize,
                                                                      now: Int(Date().timeIntervalSince1970)) {
            print("expired \(r.removed) tokens not used since \(r.atimeCutoff), \(r.kept) kept")
        }
    }
}
