import SwampRules

/// A meta rule compiled to a small stack program over rule values, so
/// evaluating it walks a flat array instead of a tree. Semantics are Perl's,
/// since SpamAssassin evaluates metas as Perl: `&&`/`||` yield an operand,
/// comparisons and `!` yield 1 or 0, and a division by zero makes the meta
/// not hit.
struct MetaProgram: Sendable {
    enum Op: Sendable {
        case rule(Int32)
        case constant(Double)
        /// SpamAssassin's built-in `local_tests_only`: 1 when network tests
        /// are off.
        case localTestsOnly
        case not
        case negate
        case binary(Operator)
        /// Perl's `&&`: a false left operand is the result (jump over the
        /// right one); otherwise drop it and evaluate the right one.
        case jumpIfFalse(Int32)
        /// Perl's `||`: a true left operand is the result.
        case jumpIfTrue(Int32)
    }

    enum Operator: Sendable {
        case add, subtract, multiply, divide, less, lessEqual, greater, greaterEqual, equal, notEqual

        init?(_ text: String) {
            switch text {
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

    let ops: [Op]
    /// Rules read, as indices. A name no rule defines reads as 0, as in
    /// SpamAssassin.
    let dependencies: [Int]
    let maxStack: Int

    init(expression: MetaExpression, indexByName: [String: Int] = [:]) {
        var ops: [Op] = []
        var deps: Set<Int> = []
        var depth = 0, maxDepth = 0
        func push() { depth += 1; maxDepth = max(maxDepth, depth) }
        func emit(_ e: MetaExpression) {
            switch e {
            case .rule(let name):
                if name == "local_tests_only" { ops.append(.localTestsOnly) }
                else if let i = indexByName[name] { deps.insert(i); ops.append(.rule(Int32(i))) }
                else { ops.append(.constant(0)) }
                push()
            case .number(let n):
                ops.append(.constant(n)); push()
            case .not(let x):
                emit(x); ops.append(.not)
            case .negate(let x):
                emit(x); ops.append(.negate)
            case .binary(let op, let l, let r):
                if op == "&&" || op == "and" || op == "||" || op == "or" {
                    emit(l)
                    let jump = ops.count
                    ops.append(.constant(0))   // patched below
                    depth -= 1
                    emit(r)
                    let target = Int32(ops.count)
                    ops[jump] = (op == "&&" || op == "and") ? .jumpIfFalse(target) : .jumpIfTrue(target)
                } else if let o = Operator(op) {
                    emit(l); emit(r); ops.append(.binary(o)); depth -= 1
                } else {
                    ops.append(.constant(0)); push()
                }
            }
        }
        emit(expression)
        self.ops = ops
        self.dependencies = deps.sorted()
        self.maxStack = max(1, maxDepth)
    }

    /// nil when the expression cannot be evaluated (division by zero).
    func evaluate(_ values: UnsafeBufferPointer<Double>, localTestsOnly: Bool,
                  stack: inout [Double]) -> Double? {
        if stack.count < maxStack + 1 { stack = Array(repeating: 0, count: maxStack + 1) }
        return ops.withUnsafeBufferPointer { ops in
            stack.withUnsafeMutableBufferPointer { s -> Double? in
                var top = -1
                var pc = 0
                while pc < ops.count {
                    switch ops[pc] {
                    case .rule(let i): top += 1; s[top] = values[Int(i)]
                    case .constant(let v): top += 1; s[top] = v
                    case .localTestsOnly: top += 1; s[top] = localTestsOnly ? 1 : 0
                    case .not: s[top] = s[top] == 0 ? 1 : 0
                    case .negate: s[top] = -s[top]
                    case .jumpIfFalse(let target):
                        if s[top] == 0 { pc = Int(target); continue }
                        top -= 1
                    case .jumpIfTrue(let target):
                        if s[top] != 0 { pc = Int(target); continue }
                        top -= 1
                    case .binary(let op):
                        let b = s[top], a = s[top - 1]
                        top -= 1
                        let r: Double
                        switch op {
                        case .add: r = a + b
                        case .subtract: r = a - b
                        case .multiply: r = a * b
                        case .divide:
                            if b == 0 { return nil }
                            r = a / b
                        case .less: r = a < b ? 1 : 0
                        case .lessEqual: r = a <= b ? 1 : 0
                        case .greater: r = a > b ? 1 : 0
                        case .greaterEqual: r = a >= b ? 1 : 0
                        case .equal: r = a == b ? 1 : 0
                        case .notEqual: r = a != b ? 1 : 0
                        }
                        s[top] = r
                    }
                    pc += 1
                }
                return top >= 0 ? s[top] : 0
            }
        }
    }
}
