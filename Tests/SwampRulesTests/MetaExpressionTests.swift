import Testing
@testable import SwampRules

/// A compact rendering: rule names bare, numbers as written, unary
/// operators prefixed, binaries parenthesised.
func render(_ e: MetaExpression) -> String {
    switch e {
    case .rule(let n): return n
    case .number(let d): return d == d.rounded() ? String(Int(d)) : String(d)
    case .not(let x): return "!" + render(x)
    case .negate(let x): return "-" + render(x)
    case .binary(let op, let l, let r): return "(\(render(l)) \(op) \(render(r)))"
    }
}

struct MetaExpressionTests {
    @Test(arguments: [
        ("A", "A"),
        ("A && B", "(A && B)"),
        ("A || B && C", "(A || (B && C))"),
        ("A && B || C", "((A && B) || C)"),
        ("!A && B", "(!A && B)"),
        ("!(A && B)", "!(A && B)"),
        ("A + B + C > 1", "(((A + B) + C) > 1)"),
        ("A + B * 2 >= 3", "((A + (B * 2)) >= 3)"),
        ("A - B - C", "((A - B) - C)"),
        ("A / 2 * B", "((A / 2) * B)"),
        ("-A + 1", "(-A + 1)"),
        ("A > 1 && B < 2", "((A > 1) && (B < 2))"),
        ("A == 1 || B != 0", "((A == 1) || (B != 0))"),
        ("A < B == C > D", "((A < B) == (C > D))"),
        ("A+B>1", "((A + B) > 1)"),
        ("(A||B)&&!C", "((A || B) && !C)"),
        ("!!A", "!!A"),
        ("A ^ B && C", "((A ^ B) && C)"),
        ("__A_1 && T_B", "(__A_1 && T_B)"),
        ("1.5 * A", "(1.5 * A)"),
        ("A <= 2", "(A <= 2)"),
        ("(((A)))", "A"),
        ("()", "0"),
        ("  A  ", "A"),
        ("+A", "A"),
        ("! A", "!A"),
        ("A && -1", "(A && -1)"),
    ])
    func precedence(_ text: String, _ expected: String) throws {
        #expect(render(try MetaExpression.parse(Substring(text))) == expected)
    }

    @Test(arguments: [
        "", "A &&", "&& A", "(A", "A)", "A B", "A & B", "A | B", "A ? B : C",
        "A(B)", "1 < A < 3", "A == B == C", "A ** 2", "A :: B", "1x", "A $ B", "@A",
    ])
    func rejects(_ text: String) {
        #expect(throws: MetaParseError.self) { try MetaExpression.parse(Substring(text)) }
    }

    @Test func ruleNames() throws {
        let e = try MetaExpression.parse("A && (B || !C) + D * 2 > __E")
        #expect(e.ruleNames == ["A", "B", "C", "D", "__E"])
    }
}
