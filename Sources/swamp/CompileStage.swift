import ArgumentParser
import Foundation
import SwampEngine

/// `swamp compile-stage`: the daemon's helper, not a command for people.
/// Compiles the Hyperscan databases of a multi-pattern stage described by
/// a request file (`MultiStageRequest`, JSON) into a cache directory and
/// exits, so that the daemon loads them from there and the compiler's
/// temporaries die with this process. Exit 0 when every view can be
/// loaded from the directory, 1 when not, 74 when the request cannot be
/// read.
struct CompileStage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile-stage",
        abstract: "Compile a multi-pattern stage into a cache directory (the daemon runs this).",
        shouldDisplay: false
    )

    @Option(help: "The request: the stage's patterns as JSON.")
    var request: String

    @Option(name: .customLong("cache-directory"), help: "Where the databases go.")
    var cacheDirectory: String

    /// A request is the daemon's own file; this bounds what is read anyway.
    static let maximumRequestBytes = 64 << 20

    func run() throws {
        let decoded: MultiStageRequest
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: request))
            guard data.count <= Self.maximumRequestBytes else {
                throw CLIError(code: 74, message: "the request is larger than \(Self.maximumRequestBytes >> 20) MiB")
            }
            decoded = try JSONDecoder().decode(MultiStageRequest.self, from: data)
        } catch let e as CLIError {
            printError("swamp compile-stage: \(e.message)")
            throw ExitCode(e.code)
        } catch {
            printError("swamp compile-stage: cannot read \(request): \(error)")
            throw ExitCode(74)
        }
        guard decoded.compile(cacheDirectory: cacheDirectory) else {
            printError("swamp compile-stage: the stage could not be compiled into \(cacheDirectory)")
            throw ExitCode(1)
        }
    }
}
