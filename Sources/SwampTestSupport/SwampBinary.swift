import Foundation

/// The `swamp` executable the tests run, as an administrator would.
public enum SwampBinary {
    /// The binary of the same build as the running test bundle (it sits
    /// beside the bundle, up to a few directories up), else `.build/debug/swamp`
    /// in `repoRoot`; nil when neither is built.
    public static func path(repoRoot: URL) -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("swamp").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = repoRoot.appendingPathComponent(".build/debug/swamp").path
        return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
    }
}
