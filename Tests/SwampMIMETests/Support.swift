import Foundation
@testable import SwampMIME
import SwampTestSupport

/// Locates ../shared/corpora relative to the repository root (three levels
/// above this file), resolving symlinked checkouts too.
enum Corpus {
    static func root(_ file: String = #filePath) -> URL? {
        var candidates: [URL] = []
        let here = URL(fileURLWithPath: file)
        let repo = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(repo.appendingPathComponent("../shared/corpora").standardized)
        let resolvedDir = here.deletingLastPathComponent().resolvingSymlinksInPath()
        candidates.append(resolvedDir.appendingPathComponent("../../../shared/corpora").standardized)
        for c in candidates where FileManager.default.fileExists(atPath: c.path) { return c }
        return nil
    }

    static var perlHelper: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent("sa-views.pl")
    }

    /// All regular files under `dir`, sorted.
    static func files(under dir: URL, suffix: String? = nil) -> [URL] {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var out: [URL] = []
        for case let u as URL in e {
            if (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                if let s = suffix, !u.lastPathComponent.hasSuffix(s) { continue }
                out.append(u)
            }
        }
        return out.sorted { $0.path < $1.path }
    }
}


extension Array where Element == UInt8 {
    var s: String { String(decoding: self, as: UTF8.self) }
}

func msg(_ text: String) -> Message { Message(bytes: Array(text.utf8)) }
func views(_ text: String, trust: TrustPolicy = TrustPolicy()) -> Views { Views(message: msg(text), trust: trust) }
