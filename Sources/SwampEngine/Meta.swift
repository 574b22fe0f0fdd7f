import SwampRules

/// A meta rule's expression with rule names resolved to rule indices.
/// Evaluated with Perl's semantics, since SpamAssassin evaluates metas as
/// Perl: `&&`/`||` yield an operand, comparisons and `!` yield 1 or 0, and
/// a division by zero makes the meta not hit.
struct MetaProgram: Sendable {
    indirect enum Node: Sendable {
        case rule(Int)
        /// A name no rule defines: SpamAssassin reads it as 0.
        case undefined
        /// SpamAssassin's built-in `local_tests_only`: 1 when network tests
        /// are off.
        case localTestsOnly
        case number(Double)
        case not(Node)
        case negate(Node)
        case binary(Operator, Node, Node)
    }

    enum Operator: Sendable {
        case and, or, add, subtract, multiply, divide, less, lessEqual, greater, greaterEqual, equal, notEqual

        init?(_ text: String) {
            switch text {
            case "&&", "and": self = .and
            case "||", "or": self = .or
            case "+": self = .add
            case "-": self = .subtract
            case "*": self = .multiply
            case "/": self = .divide
            case "<": self = .less
            case "<=": self = .lessEqual
            case ">": self = .greater
            case ">=": self = .greaterEqual
            case "==": self = .equal
            case "!=": self = .notEqual
            default: return nil
            }
        }
    }

    let root: Node
    /// Rules read, as indices.
    let dependencies: [Int]

    init(expression: MetaExpression, indexByName: [String: Int] = [:]) {
        var deps: Set<Int> = []
        func build(_ e: MetaExpression) -> Node {
            switch e {
            case .rule(let name):
                if name == "local_tests_only" { return .localTestsOnly }
                guard let i = indexByName[name] else { return .undefined }
                deps.insert(i)
                return .rule(i)
            case .number(let n): return .number(n)
            case .not(let x): return .not(build(x))
            case .negate(let x): return .negate(build(x))
            case .binary(let op, let l, let r):
                guard let o = Operator(op) else { return .undefined }
                return .binary(o, build(l), build(r))
            }
        }
        root = build(expression)
        dependencies = deps.sorted()
    }

    /// nil when the expression cannot be evaluated (division by zero).
    func evaluate(_ values: UnsafeBufferPointer<Double>, localTestsOnly: Bool) -> Double? {
        func eval(_ n: Node) -> Double? {
            switch n {
            case .rule(let i): return values[i]
            case .undefined: return 0
            case .localTestsOnly: return localTestsOnly ? 1 : 0
            case .number(let v): return v
            case .not(let x): return eval(x).map { $0 == 0 ? 1 : 0 }
            case .negate(let x): return eval(x).map { -$0 }
            case .binary(let op, let l, let r):
                guard let a = eval(l) else { return nil }
                switch op {
                case .and: return a == 0 ? a : eval(r)
                case .or: return a != 0 ? a : eval(r)
                default: break
                }
                guard let b = eval(r) else { return nil }
                switch op {
                case .add: return a + b
                case .subtract: return a - b
                case .multiply: return a * b
                case .divide: return b == 0 ? nil : a / b
                case .less: return a < b ? 1 : 0
                case .lessEqual: return a <= b ? 1 : 0
                case .greater: return a > b ? 1 : 0
                case .greaterEqual: return a >= b ? 1 : 0
                case .equal: return a == b ? 1 : 0
                case .notEqual: return a != b ? 1 : 0
                case .and, .or: return nil
                }
            }
        }
        return eval(root)
    }
}
