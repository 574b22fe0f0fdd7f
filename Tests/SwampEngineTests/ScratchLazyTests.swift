import Testing
import Foundation
@testable import SwampEngine
import SwampMIME
import SwampRules

@Suite struct ScratchLazy {
    @Test func lazy() throws {
        guard let out = ProcessInfo.processInfo.environment["SCRATCH_LAZY"] else { return }
        var loader = ConfigLoader()
        loader.load(path: "/tmp/sb/stock.cf")
        let config = loader.configuration
        let rules = RuleSet(configuration: config, skipUnseenSubrules: true)
        let set = 2
        var metas: [String: MetaExpression] = [:]
        for (name, rule) in config.rules { if case .meta(let e) = rule.test { metas[name] = e } }
        let files = try String(contentsOfFile: "/tmp/sb/allfiles.txt", encoding: .utf8).split(separator: "\n").enumerated()
            .filter { $0.offset % 5 == 0 }.map { String($0.element) }
        var notDemanded: [String: Int] = [:]
        var ranCount: [String: Int] = [:]
        var facts = Facts(); facts.useBayes = true
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { continue }
            let views = Views(message: Message(bytes: Array(data)))
            let e = rules.evaluate(views, facts: facts)
            let hit = Set(e.hits.map(\.name) + e.subrules)
            var demanded = Set<String>()
            var cache: [String: Double] = [:]
            func value(_ n: String) -> Double {
                if let c = cache[n] { return c }
                demanded.insert(n)
                var v: Double
                if let m = metas[n] { v = eval(m) } else { v = hit.contains(n) ? 1 : 0 }
                cache[n] = v
                return v
            }
            func eval(_ x: MetaExpression) -> Double {
                switch x {
                case .rule(let n): return value(n)
                case .number(let d): return d
                case .not(let a): return eval(a) == 0 ? 1 : 0
                case .negate(let a): return -eval(a)
                case .binary(let op, let l, let r):
                    if op == "&&" { let a = eval(l); return a == 0 ? a : eval(r) }
                    if op == "||" { let a = eval(l); return a != 0 ? a : eval(r) }
                    let a = eval(l), b = eval(r)
                    switch op {
                    case "+": return a + b
                    case "-": return a - b
                    case "*": return a * b
                    case "/": return b == 0 ? 0 : a / b
                    case "<": return a < b ? 1 : 0
                    case "<=": return a <= b ? 1 : 0
                    case ">": return a > b ? 1 : 0
                    case ">=": return a >= b ? 1 : 0
                    case "==": return a == b ? 1 : 0
                    default: return a != b ? 1 : 0
                    }
                }
            }
            // Visible metas, eagerly.
            for r in rules.rules where r.scores[set] != 0 && !r.name.hasPrefix("__") {
                if metas[r.name] != nil { _ = value(r.name) }
            }
            for r in rules.rules where r.name.hasPrefix("__") && r.scores[set] != 0 {
                ranCount[r.name, default: 0] += 1
                if !demanded.contains(r.name) { notDemanded[r.name, default: 0] += 1 }
            }
        }
        var lines = "files \(files.count)\n"
        for (n, c) in notDemanded.sorted(by: { $0.key < $1.key }) { lines += "\(n) \(c) \(ranCount[n] ?? 0)\n" }
        try lines.write(toFile: out, atomically: true, encoding: .utf8)
    }
}
