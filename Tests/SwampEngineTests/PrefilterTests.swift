import Testing
@testable import SwampEngine
import SwampRegex

/// RuleSet.hasLineAnchor decides whether a rule's prefilter needs /m (and so
/// a second compiled copy of the pattern): wrong "no" answers would lose
/// paragraph-start matches, so every unclear case must say yes.
@Suite struct PrefilterTests {
    @Test(arguments: [
        ("^foo", true), ("foo$", true), ("a|^b", true), ("(?:x|$)", true),
        ("[^a-z]+", false), ("[$%]", false), ("\\^\\$", false), ("[]^]", false), ("[^]$]", false),
        ("[[:alpha:]^]", false), ("[[:^digit:]]$", true), ("[a\\]^]x", false), ("\\Q^$\\E", false),
        ("\\Q^", false), ("[\\Q]\\E]^", true), ("[abc", true), ("(?x) [^a] ", true), ("(?ix:a)", true),
        ("(?#[)^", true), ("\\", true), ("free [^<]+ \\$\\d+", false),
    ])
    func anchors(pattern: String, expected: Bool) {
        #expect(RuleSet.hasLineAnchor(Array(pattern.utf8), extended: false) == expected)
    }

    @Test func extendedPatternsAlwaysCount() {
        #expect(RuleSet.hasLineAnchor(Array("[^a]".utf8), extended: true))
    }

    @Test func prefilterAddsMultilineOnlyForAnchors() {
        #expect(RuleSet.prefilterPattern("[^a-z]foo", flags: [.caseless])?.1 == [.caseless])
        #expect(RuleSet.prefilterPattern("^foo", flags: [.caseless])?.1 == [.caseless, .multiline])
    }
}
