import Testing
@testable import SwampMIME

/// The Received lines' matcher on each kind of part, groups inside groups
/// (what the flat layout must keep apart), captures, greedy and lazy runs,
/// each against what the equivalent regex gives.
@Suite struct LineMatcherTests {
    func match(_ pattern: [Pat], _ line: String, search: Bool = false) -> [String?]? {
        var m = LineMatcher(Array(line.utf8))
        let p = LinePattern(pattern)
        guard search ? m.search(p) : m.match(p) else { return nil }
        return (1..<6).map { m.cap($0) }
    }

    @Test func runsLiteralsAndAddresses() {
        // (\S+) \((\S+\.\S+)\[(IP)\]\) by (\S+)
        let p: [Pat] = [C(1, S), L(" ("), C(2, S, L("."), S), L("["), C(3, IP), L("]) by "), C(4, S)]
        #expect(match(p, "helo (host.example.org[192.0.2.7]) by mx.example.net")
                == ["helo", "host.example.org", "192.0.2.7", "mx.example.net", nil])
        // The run in group 2 backs off to its last dot.
        #expect(match(p, "h (a.b.c[10.0.0.1]) by x")?[1] == "a.b.c")
        #expect(match(p, "h (abc[10.0.0.1]) by x") == nil)
        #expect(match(p, "h (a.b[10.0.0.256]) by x") == nil)
        #expect(match([C(1, IP), L(" ")], "2001:db8::1 rest")?[0] == "2001:db8::1")
    }

    @Test func groupsInsideGroups() {
        // (\S+)(?: \((?:HELO|EHLO) (\S*)\))? by (\S+)
        let p: [Pat] = [C(1, S), .opt([L(" ("), .alt([[L("HELO")], [L("EHLO")]]), L(" "), C(2, S0), L(")")]),
                        L(" by "), C(3, S)]
        #expect(match(p, "a (EHLO b) by c") == ["a", "b", "c", nil, nil])
        #expect(match(p, "a (HELO ) by c") == ["a", "", "c", nil, nil])
        #expect(match(p, "a by c") == ["a", nil, "c", nil, nil])
        #expect(match(p, "a (XHLO b) by c") == nil)
        // A capture around an alternation of sequences with runs in them:
        // ((?:x(\d+)|y[^;]+)) end
        let q: [Pat] = [C(1, .alt([[L("x"), C(2, .digits(min: 1))], [L("y"), .notIn(ByteSet(";"), min: 1)]])), L(" end")]
        #expect(match(q, "x42 end") == ["x42", "42", nil, nil, nil])
        #expect(match(q, "yab c end") == ["yab c", nil, nil, nil, nil])
        #expect(match(q, "y; end") == nil)
    }

    @Test func greedyAndLazyGaps() {
        // (\S+) .* by (\S+)   and   (\S+) .*? by (\S+)
        let line = "a x by b y by c"
        #expect(match([C(1, S), L(" "), .rest, L(" by "), C(2, S)], line) == ["a", "c", nil, nil, nil])
        #expect(match([C(1, S), L(" "), .gap, L(" by "), C(2, S)], line) == ["a", "b", nil, nil, nil])
        // Anchored at the end, and a word boundary.
        #expect(match([L("a"), .rest, L("c"), .end], line) != nil)
        #expect(match([L("a"), .rest, L("y"), .end], line) == nil)
        // "a x b" ends between two word characters: the run backs off to "a x ".
        #expect(match([C(1, .anyIn(ByteSet("abx "), min: 1)), .wordBoundaryAfter], line)?[0] == "a x ")
    }

    @Test func searchFindsTheFirstPlace() {
        #expect(match([L("by "), C(1, S)], "from a by b by c", search: true)?[0] == "b")
        #expect(match([C(1, .digits(min: 2))], "a1 b22 c333", search: true)?[0] == "22")
        #expect(match([L("zz")], "from a by b", search: true) == nil)
    }

    /// ByteBits holds what the table holds, for every byte.
    @Test func byteBitsAgreeWithByteSet() {
        for chars in ["", ")", " ()", ";", "abcxyz0189", "\u{7f}"] {
            let set = ByteSet(chars, extra: [0, 127, 128, 200, 255])
            let bits = ByteBits(set)
            for c in 0...255 { #expect(bits.contains(UInt8(c)) == set.contains(UInt8(c))) }
        }
    }
}
