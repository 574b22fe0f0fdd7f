// `meta` rule expressions. SpamAssassin lexes them with
// Constants.pm's ARITH_EXPRESSION_LEXER and hands the result to Perl's `eval`
// (Conf/Parser.pm, `is_meta_valid` and `compile_meta_rules`); here they are
// parsed with Perl's operator precedence instead (perlop, "Operator
// Precedence and Associativity"), from tightest to loosest:
//
//     ! and unary -, unary +     right
//     * /                        left
//     + -                        left
//     < > <= >=                  non-associative here
//     == !=                      non-associative here
//     ^                          left (bitwise xor, accepted by SA's lexer)
//     &&                         left
//     ||                         left
//
// Perl 5.32+ chains comparisons (`a < b < c`); no SpamAssassin rule does,
// so a chain is reported rather than given a meaning.

extension MetaExpression {
    func collectRuleNames(into names: inout Set<String>) {
        switch self {
        case .rule(let name): names.insert(name)
        case .number: break
        case .not(let e), .negate(let e): e.collectRuleNames(into: &names)
        case .binary(_, let l, let r):
            l.collectRuleNames(into: &names)
            r.collectRuleNames(into: &names)
        }
    }
}

struct MetaParser {
    enum Token: Equatable {
        case name(String)
        case number(Double)
        case op(String)
        case end
    }

    private var tokens: [(token: Token, offset: Int)] = []
    private var index = 0
    private var lexError: MetaParseError?
    /// Nesting of parentheses and unary operators so far; bounded so that
    /// a hostile expression cannot exhaust the stack here or in the
    /// recursive consumers of the tree.
    private var depth = 0
    static let maxDepth = 200

    init(_ text: Substring) {
        let bytes = Array(text.utf8)
        var i = 0
        func peek(_ k: Int) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }
        while i < bytes.count {
            let b = bytes[i]
            if isPerlSpace(b) { i += 1; continue }
            let start = i
            if isWordByte(b) && !(b >= 0x30 && b <= 0x39) {
                while i < bytes.count, isWordByte(bytes[i]) { i += 1 }
                if i + 1 < bytes.count, bytes[i] == UInt8(ascii: ":"), bytes[i + 1] == UInt8(ascii: ":") {
                    lexError = MetaParseError("'::' not allowed at offset \(start)")
                    return
                }
                tokens.append((.name(String(decoding: bytes[start..<i], as: UTF8.self)), start))
                continue
            }
            if (b >= 0x30 && b <= 0x39) || (b == UInt8(ascii: ".") && (peek(1).map { $0 >= 0x30 && $0 <= 0x39 } ?? false)) {
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                    i += 1
                    while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                }
                if i < bytes.count, isWordByte(bytes[i]) {
                    lexError = MetaParseError("malformed number at offset \(start)")
                    return
                }
                let text = String(decoding: bytes[start..<i], as: UTF8.self)
                guard let value = Double(text) else {
                    lexError = MetaParseError("malformed number '\(text)' at offset \(start)")
                    return
                }
                tokens.append((.number(value), start))
                continue
            }
            let two = peek(1).map { String(decoding: [b, $0], as: UTF8.self) } ?? ""
            if ["&&", "||", "<=", ">=", "==", "!="].contains(two) {
                tokens.append((.op(two), start))
                i += 2
                continue
            }
            let one = String(decoding: [b], as: UTF8.self)
            if ["!", "<", ">", "+", "-", "*", "/", "(", ")", "^"].contains(one) {
                tokens.append((.op(one), start))
                i += 1
                continue
            }
            if one == "?" || one == ":" {
                lexError = MetaParseError("the ?: operator is not supported (offset \(start))")
            } else if b >= 0x80 {
                lexError = MetaParseError("unexpected non-ASCII character at offset \(start)")
            } else {
                lexError = MetaParseError("unexpected '\(one)' at offset \(start)")
            }
            return
        }
        tokens.append((.end, bytes.count))
    }

    private var current: Token { tokens[index].token }
    private var offset: Int { tokens[index].offset }

    mutating func parseAll() throws(MetaParseError) -> MetaExpression {
        if let lexError { throw lexError }
        // `meta NAME ()` declares a rule hit only from outside (SpamAssassin
        // bug 8061); it evaluates to 0.
        if tokens.count == 3, tokens[0].token == .op("("), tokens[1].token == .op(")") {
            return .number(0)
        }
        guard current != .end else { throw MetaParseError("empty expression") }
        let e = try parseBinary(level: 0)
        guard current == .end else { throw MetaParseError("unexpected \(describe(current)) at offset \(offset)") }
        return e
    }

    /// Binary operator levels, loosest first.
    private static let levels: [(ops: Set<String>, chains: Bool)] = [
        (["||"], true),
        (["&&"], true),
        (["^"], true),
        (["==", "!="], false),
        (["<", ">", "<=", ">="], false),
        (["+", "-"], true),
        (["*", "/"], true),
    ]

    private mutating func parseBinary(level: Int) throws(MetaParseError) -> MetaExpression {
        if level == Self.levels.count { return try parseUnary() }
        var lhs = try parseBinary(level: level + 1)
        var seen = false
        while case .op(let op) = current, Self.levels[level].ops.contains(op) {
            if seen && !Self.levels[level].chains {
                throw MetaParseError("chained comparison '\(op)' at offset \(offset)")
            }
            index += 1
            let rhs = try parseBinary(level: level + 1)
            lhs = .binary(op, lhs, rhs)
            seen = true
        }
        return lhs
    }

    private mutating func parseUnary() throws(MetaParseError) -> MetaExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw MetaParseError("expression nested more than \(Self.maxDepth) deep") }
        switch current {
        case .op("!"):
            index += 1
            return .not(try parseUnary())
        case .op("-"):
            index += 1
            return .negate(try parseUnary())
        case .op("+"):
            index += 1
            return try parseUnary()
        default:
            return try parsePrimary()
        }
    }

    private mutating func parsePrimary() throws(MetaParseError) -> MetaExpression {
        switch current {
        case .name(let n):
            index += 1
            if current == .op("(") {
                throw MetaParseError("function call '\(n)(' not supported at offset \(offset)")
            }
            return .rule(n)
        case .number(let v):
            index += 1
            return .number(v)
        case .op("("):
            index += 1
            let e = try parseBinary(level: 0)
            guard current == .op(")") else {
                throw MetaParseError("expected ')' but found \(describe(current)) at offset \(offset)")
            }
            index += 1
            return e
        default:
            throw MetaParseError("expected a rule name, number or '(' but found \(describe(current)) at offset \(offset)")
        }
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .name(let n): return "'\(n)'"
        case .number(let v): return "'\(v)'"
        case .op(let o): return "'\(o)'"
        case .end: return "end of expression"
        }
    }
}
