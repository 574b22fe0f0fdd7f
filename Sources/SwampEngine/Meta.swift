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
        /// Put before the left operand of `a && b` whose right operand is
        /// a rule (`b`) or its negation (`!b`, `right` is then `-b - 1`):
        /// when the right operand is already known to read 0, so is the
        /// whole (`a && 0` is `a` when `a` is false, else 0), and `a` need
        /// not be evaluated: push 0 and jump to `target`, past the `&&`.
        /// `left` is the left operand's rule when it is a plain rule, else
        /// -1: a lazy right operand that is cheap may be run first to spare
        /// a costly left one (`RuleRun.metaValue`).
        case peekRight(right: Int32, left: Int32, target: Int32)
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
                if name == MetaProgram.localTestsOnly { ops.append(.localTestsOnly) }
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
                    let and = op == "&&" || op == "and"
                    var peek: (at: Int, right: Int32, left: Int32)? = nil
                    if and, !MetaProgram.divides(l), let right = MetaProgram.ruleOperand(r, indexByName) {
                        peek = (ops.count, right, MetaProgram.ruleOperand(l, indexByName).flatMap { $0 >= 0 ? $0 : nil } ?? -1)
                        ops.append(.constant(0))   // patched below
                    }
                    emit(l)
                    let jump = ops.count
                    ops.append(.constant(0))   // patched below
                    depth -= 1
                    emit(r)
                    let target = Int32(ops.count)
                    ops[jump] = and ? .jumpIfFalse(target) : .jumpIfTrue(target)
                    if let peek { ops[peek.at] = .peekRight(right: peek.right, left: peek.left, target: target) }
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

    /// The rule an operand reads when it is a rule (its index) or a
    /// rule's negation (`-index - 1`); nil for anything else (the built-in
    /// `local_tests_only` among them, whatever a rule of that name says).
    static func ruleOperand(_ e: MetaExpression, _ indexByName: [String: Int]) -> Int32? {
        switch e {
        case .rule(let name) where name != localTestsOnly:
            return indexByName[name].map { Int32($0) }
        case .not(.rule(let name)) where name != localTestsOnly:
            return indexByName[name].map { -Int32($0) - 1 }
        default: return nil
        }
    }

    /// The name of the built-in that `Op.localTestsOnly` reads.
    static let localTestsOnly = "local_tests_only"

    /// Whether the expression divides: a division by zero makes the whole
    /// meta read 0, so a left operand that may divide is always evaluated.
    static func divides(_ e: MetaExpression) -> Bool {
        switch e {
        case .rule, .number: return false
        case .not(let x), .negate(let x): return divides(x)
        case .binary(let op, let l, let r): return op == "/" || divides(l) || divides(r)
        }
    }

    /// `a op b`; nil for a division by zero (the meta then reads 0).
    @inline(__always) static func apply(_ op: Operator, _ a: Double, _ b: Double) -> Double? {
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
        }
    }

    /// The program with its jump targets moved by `offset`, to sit at that
    /// place in a larger array (`MetaCode`).
    func ops(at offset: Int) -> [Op] {
        ops.map { op in
            switch op {
            case .jumpIfFalse(let t): return .jumpIfFalse(t + Int32(offset))
            case .jumpIfTrue(let t): return .jumpIfTrue(t + Int32(offset))
            case .peekRight(let r, let l, let t): return .peekRight(right: r, left: l, target: t + Int32(offset))
            default: return op
            }
        }
    }
}

/// Every meta rule's program in one array, in the order they run (a meta
/// after the metas it reads), with the metas each reads in another, which
/// the rule set reads at load to tell which metas run in each score set
/// (`RuleSet.metaRunsInSet`). Read from an array of steps each holding
/// its own program, every meta cost reference counting on them (a
/// thousand metas and more a message, about 1 % of a scan). A class, so
/// the steps and ops can also be kept as buffers of its own (`stepTable`,
/// `opTable`) that a scan reads through plain pointers.
final class MetaCode: @unchecked Sendable {
    struct Step: Sendable {
        let rule: Int32
        let opsStart: Int32, opsEnd: Int32
        let depsStart: Int32, depsEnd: Int32
    }
    /// Read at load (which metas run in each score set, which step is
    /// whose); a scan reads `stepTable`.
    let steps: [Step]
    /// The metas each step reads (they must run for it to run).
    let metaDeps: [Int32]
    /// Room for the deepest program's stack (a lazy meta a program reads
    /// runs on the stack above it: `RuleRun.metaValue`).
    let stackSize: Int
    /// `steps` again, and every program's ops, allocated here and never
    /// written after `init` (hence @unchecked Sendable): the meta loop
    /// reads them with no reference counting and no bounds checks.
    let stepTable: UnsafeMutableBufferPointer<Step>
    let opTable: UnsafeMutableBufferPointer<MetaProgram.Op>

    init(_ metas: [(rule: Int, program: MetaProgram, metaDeps: [Int])]) {
        var steps: [Step] = [], ops: [MetaProgram.Op] = [], deps: [Int32] = []
        var stackSize = 1
        for m in metas {
            let opsStart = ops.count, depsStart = deps.count
            ops += m.program.ops(at: opsStart)
            deps += m.metaDeps.map { Int32($0) }
            steps.append(Step(rule: Int32(m.rule), opsStart: Int32(opsStart), opsEnd: Int32(ops.count),
                              depsStart: Int32(depsStart), depsEnd: Int32(deps.count)))
            stackSize = max(stackSize, m.program.maxStack + 1)
        }
        self.steps = steps
        self.metaDeps = deps
        self.stackSize = stackSize
        stepTable = .allocate(capacity: max(1, steps.count))
        _ = stepTable.initialize(from: steps)
        opTable = .allocate(capacity: max(1, ops.count))
        _ = opTable.initialize(from: ops)
    }

    deinit {
        stepTable.deallocate()
        opTable.deallocate()
    }
}
