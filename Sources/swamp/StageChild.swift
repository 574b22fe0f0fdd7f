import Foundation
import SwampEngine

/// Runs `swamp compile-stage` for the daemon (see
/// `Serve.buildMultiPatternStage`).
enum StageChild {
    enum Outcome {
        /// The databases are in `directory`; `cleanUp` removes what was
        /// only for this compile (call it once they are loaded).
        case compiled(directory: String, cleanUp: () -> Void)
        case failed(String)
    }

    /// How long a compile may take before the child is stopped (the stock
    /// rules take ~20 s on a slow machine).
    static let timeLimit: TimeInterval = 600

    static func compile(_ request: MultiStageRequest, cache: String?) -> Outcome {
        let files = FileManager.default
        let work = files.temporaryDirectory.appendingPathComponent("swamp-stage-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        do {
            try files.createDirectory(at: work, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            return .failed("cannot make a folder for compile-stage: \(error)")
        }
        let removeWork: () -> Void = { _ = try? files.removeItem(at: work) }
        let requestFile = work.appendingPathComponent("request.json")
        do {
            try JSONEncoder().encode(request).write(to: requestFile)
        } catch {
            removeWork()
            return .failed("cannot write the compile-stage request: \(error)")
        }
        let target = cache.flatMap { canCreate($0) ? $0 : nil } ?? work.path
        let child = Process()
        child.executableURL = URL(fileURLWithPath: ownExecutable())
        child.arguments = ["compile-stage", "--request", requestFile.path, "--cache-directory", target]
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        // What it says goes to a file (a pipe nobody read would stall it).
        let errorFile = work.appendingPathComponent("errors")
        guard files.createFile(atPath: errorFile.path, contents: nil),
              let errors = try? FileHandle(forWritingTo: errorFile) else {
            removeWork()
            return .failed("cannot make a file for compile-stage's errors")
        }
        child.standardError = errors
        do {
            try child.run()
        } catch {
            try? errors.close()
            removeWork()
            return .failed("cannot start compile-stage: \(error)")
        }
        try? errors.close()
        let deadline = Date().addingTimeInterval(timeLimit)
        while child.isRunning {
            if Date() > deadline { child.terminate() }
            usleep(20_000)
        }
        guard child.terminationReason == .exit, child.terminationStatus == 0 else {
            // Its first 4 KiB: compile-stage says one line.
            let said = (try? FileHandle(forReadingFrom: errorFile)).flatMap { try? $0.read(upToCount: 4096) } ?? Data()
            removeWork()
            let text = String(decoding: said, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .failed("compile-stage ended with status \(child.terminationStatus)\(text.isEmpty ? "" : ": \(text)")")
        }
        return .compiled(directory: target, cleanUp: removeWork)
    }

    /// The running binary: Linux's /proc link itself, which runs this very
    /// file even after a package upgrade replaced (unlinked) it, where its
    /// path would now name another build; else how it was called.
    static func ownExecutable() -> String {
        FileManager.default.isExecutableFile(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
    }

    /// Whether `MultiPattern`'s store can write into `directory`: it
    /// exists and is writable, or it would be made in a writable parent
    /// (the store makes the folder and its parent, `~/.cache/swamp`).
    static func canCreate(_ directory: String) -> Bool {
        let files = FileManager.default
        var path = directory
        for _ in 0..<3 {
            var isDirectory: ObjCBool = false
            if files.fileExists(atPath: path, isDirectory: &isDirectory) {
                return isDirectory.boolValue && files.isWritableFile(atPath: path)
            }
            path = (path as NSString).deletingLastPathComponent
            if path.isEmpty || path == "/" { return false }
        }
        return false
    }
}
