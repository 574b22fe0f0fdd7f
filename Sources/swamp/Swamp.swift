import ArgumentParser

@main
struct Swamp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swamp",
        abstract: "A spam-scoring daemon that speaks spamd's protocol and runs SpamAssassin rules.",
        version: "0.1.0",
        subcommands: [Check.self, Lint.self, Bench.self, Serve.self, Learn.self, Dump.self, CompileStage.self]
    )
}
