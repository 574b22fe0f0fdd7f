import Foundation
import Testing
@testable import SwampMIME

/// SWAMP_DEBUG_FILE=path prints the HTML chunks of that message's HTML
/// parts (with whitespace/invisible flags) and its views; otherwise a no-op.
@Suite struct DebugTests {
    @Test func dumpDebugFile() {
        guard let path = ProcessInfo.processInfo.environment["SWAMP_DEBUG_FILE"],
              let data = FileManager.default.contents(atPath: path) else { return }
        let m = Message(bytes: Array(data))
        let grep = ProcessInfo.processInfo.environment["SWAMP_DEBUG_GREP"]
        for p in BodyRenderer.leaves(m.root) where BodyRenderer.effectiveType(p) == "text/html" {
            let r = HTMLRenderer.render(Charset.normalize(p.decodedBody, charset: "utf-8", insist: false), maxURIs: 100)
            for (k, c) in r.chunks.enumerated() {
                let t = c.text.s
                if let g = grep, !t.contains(g) { continue }
                print("\(k) [\(c.isWhitespace ? 1 : 0)\(c.invisible ? 1 : 0)] \(t.debugDescription)")
            }
        }
        let v = Views(message: m)
        for l in v.body { print("BODY", l.s.debugDescription) }
        for u in v.uris { print("URI", u.s) }
    }
}
