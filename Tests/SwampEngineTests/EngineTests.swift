import Testing
import SwampEngine
import SwampMIME
import SwampRules

/// Loads `config` and scans `message`; returns every rule that hit, scored
/// and `__` sub-rules alike.
func hits(_ config: String, _ message: String, facts: Facts = Facts()) -> Set<String> {
    let e = evaluate(config, message, facts: facts)
    return Set(e.hitNames + e.subrules)
}

func evaluate(_ config: String, _ message: String, facts: Facts = Facts()) -> Evaluation {
    var loader = ConfigLoader()
    loader.load(text: config, file: "test.cf")
    let ruleSet = RuleSet(configuration: loader.configuration)
    let views = Views(message: Message(bytes: Array(message.utf8)))
    return ruleSet.evaluate(views, facts: facts)
}

let plain = """
From: Alice <alice@example.com>
To: bob@example.org
Subject: Hello there
Date: Sat, 28 Nov 2026 16:42:05 +0000

First paragraph talks
about lunch.

Second paragraph mentions money money money.

"""

@Suite struct EngineTests {
    @Test func headerRules() {
        let config = """
        header SUBJ_HELLO   Subject =~ /^Hello/
        header SUBJ_NOT_BYE Subject !~ /bye/
        header NO_CC        Cc =~ /./
        header NEG_ABSENT   Cc !~ /x/
        header UNSET        Cc =~ /^fallback$/ [if-unset: fallback]
        header __UNSET_EACH Cc =~ /a/ [if-unset: a, b, a, a]
        tflags __UNSET_EACH multiple
        meta   UNSET_THRICE __UNSET_EACH == 3
        header NEG_UNSET    Cc !~ /b/ [if-unset: abc]
        header HAS_DATE     exists:Date
        header HAS_CC       exists:Cc
        header FROM_ADDR    From:addr =~ /^alice\\@example\\.com$/
        """
        let h = hits(config, plain)
        #expect(h == ["SUBJ_HELLO", "SUBJ_NOT_BYE", "NEG_ABSENT", "UNSET", "__UNSET_EACH", "UNSET_THRICE", "HAS_DATE", "FROM_ADDR"])
    }

    @Test func bodyRulesRunPerParagraph() {
        let config = """
        body SUBJECT_IN_BODY /^Hello there$/
        body ACROSS_PARAGRAPHS /lunch\\.\\s+Second/
        body WITHIN_PARAGRAPH /talks about lunch/
        body MONEY /money/
        tflags MONEY multiple maxhits=2
        score MONEY 1.5
        """
        let e = evaluate(config, plain)
        #expect(Set(e.hitNames) == ["SUBJECT_IN_BODY", "WITHIN_PARAGRAPH", "MONEY"])
        let money = e.hits.first { $0.name == "MONEY" }
        #expect(money?.count == 2)
        #expect(money?.score == 3.0)
    }

    @Test func metasBooleanAndArithmetic() {
        let config = """
        header __A Subject =~ /Hello/
        header __B From =~ /alice/
        header __C To =~ /nobody/
        meta BOTH __A && __B
        meta EITHER __C || __B
        meta NOT_C !__C
        meta COUNT (__A + __B + __C) >= 2
        meta COUNT3 (__A + __B + __C) >= 3
        meta UNDEFINED __A && !__NO_SUCH_RULE
        meta CHAIN BOTH && COUNT
        """
        #expect(hits(config, plain) == ["__A", "__B", "BOTH", "EITHER", "NOT_C", "COUNT", "UNDEFINED", "CHAIN"])
    }

    @Test func scoreSetsAndDefaults() {
        let config = """
        header A Subject =~ /Hello/
        score A 1 2 3 4
        header T_B Subject =~ /Hello/
        header C Subject =~ /Hello/
        tflags C nice
        header ZERO Subject =~ /Hello/
        score ZERO 0
        meta NEEDS_ZERO ZERO || A
        """
        let e0 = evaluate(config, plain)
        #expect(e0.scoreSet == 0)
        #expect(e0.hits.first { $0.name == "A" }?.score == 1)
        #expect(e0.hits.first { $0.name == "T_B" }?.score == 0.01)
        #expect(e0.hits.first { $0.name == "C" }?.score == -1)
        #expect(!e0.hit("ZERO"))
        #expect(e0.hit("NEEDS_ZERO"))
        let e3 = evaluate(config, plain, facts: Facts(useBayes: true, useNetwork: true))
        #expect(e3.scoreSet == 3)
        #expect(e3.hits.first { $0.name == "A" }?.score == 4)
    }

    /// The one pass over all paragraphs joined (RuleSet.prefilterPattern)
    /// adds /m so that `^` still finds each paragraph's start; a pattern
    /// that turns m off again inline must still hit a later paragraph.
    @Test func paragraphStartWithMultilineTurnedOffInline() {
        let config = """
        body SECOND_START /(?i-m)^second paragraph/
        body SECOND_START_GROUP /(?s-m:^Second) paragraph/
        """
        #expect(hits(config, plain) == ["SECOND_START", "SECOND_START_GROUP"])
    }

    /// An empty last piece (here an empty text part's rawbody chunk) is
    /// matched alone by `^$`; in the joined text it sits after the final
    /// "\n", where PCRE2's /m `^` does not match.
    @Test func emptyLastPieceStillMatches() {
        let message = """
        From: a@example.com
        Subject: parts
        Content-Type: multipart/mixed; boundary="b"

        --b
        Content-Type: text/plain

        hello
        --b
        Content-Type: text/plain

        --b--

        """
        #expect(hits("rawbody EMPTY_CHUNK /^$/\nrawbody HELLO /^hello/\n", message) == ["EMPTY_CHUNK", "HELLO"])
    }

    @Test func gtubeIsBuiltIn() {
        let message = plain + "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n"
        let e = evaluate("", message)
        #expect(e.hitNames == ["GTUBE"])
        #expect(e.score >= 1000)
    }

    @Test func uriAndRawbodyAndFull() {
        let message = """
        From: a@example.com
        Subject: links
        Content-Type: text/html

        <html><body><p>Visit <a href="http://192.0.2.1/x">here</a></p></body></html>

        """
        let config = """
        uri URI_IP m{^https?://\\d+\\.\\d+\\.\\d+\\.\\d+/}
        rawbody RAW_TAG /<a href=/i
        body BODY_TAG /<a href=/i
        full FULL_SUBJECT /^Subject: links$/m
        """
        #expect(hits(config, message) == ["URI_IP", "RAW_TAG", "FULL_SUBJECT"])
    }

    /// SECURITY.md, "Regex engine": a catastrophic rule stops at the match
    /// limit, counts as no hit, and is named.
    @Test func catastrophicRuleIsBounded() {
        let bait = String(repeating: "a", count: 40) + "!"
        let message = "Subject: x\n\n" + bait + "\n"
        let clock = ContinuousClock()
        let start = clock.now
        let e = evaluate("body REDOS /^(a+)+$/\nbody FINE /aaa/\n", message)
        #expect(clock.now - start < .seconds(5))
        #expect(!e.hit("REDOS"))
        #expect(e.hit("FINE"))
        #expect(e.limitExceeded.contains("REDOS"))
    }

    @Test func deadlineStopsEvaluation() {
        let facts = Facts(deadline: ContinuousClock.now - .seconds(1))
        let e = evaluate("header A Subject =~ /Hello/\n", plain, facts: facts)
        #expect(e.timedOut)
        #expect(!e.hit("A"))
    }

    @Test func badRulesAreDiagnosedNotFatal() {
        var loader = ConfigLoader()
        loader.load(text: "body BAD /a(b/\nbody GOOD /b/\nmeta LOOP1 LOOP2\nmeta LOOP2 LOOP1\n", file: "bad.cf")
        let rules = RuleSet(configuration: loader.configuration)
        #expect(rules.diagnostics.contains { $0.severity == .error && $0.message.contains("BAD") })
        #expect(rules.diagnostics.contains { $0.severity == .error && $0.message.contains("LOOP") })
        #expect(rules.ruleNames.contains("GOOD"))
    }

    @Test func mimeheaderRulesReadEveryPart() {
        let message = """
        From: a@example.com
        Subject: parts
        Content-Type: multipart/mixed; boundary="b"

        --b
        Content-Type: text/plain

        hello
        --b
        Content-Type: application/octet-stream; name="invoice.exe"
        Content-Disposition: attachment; filename="invoice.exe"

        AAAA
        --b--

        """
        let config = """
        mimeheader EXE_ATTACHED Content-Type =~ /name="[^"]+\\.exe"/i
        mimeheader PDF_ATTACHED Content-Type =~ /application\\/pdf/
        mimeheader RAW_DISP Content-Disposition:raw =~ /^attachment; filename/
        mimeheader ONLY_ROOT Content-Type =~ /octet-stream/
        tflags ONLY_ROOT range=1
        """
        #expect(hits(config, message) == ["EXE_ATTACHED", "RAW_DISP"])
    }
}

/// A rule's report notes (`RuleHit.log`) come from others' text, a DNS
/// list's TXT answer among them: bounded in number and length, control
/// characters written as spaces, whoever made them.
@Suite struct RuleNoteBoundsTests {
    @Test func notesAreBoundedAndPrintable() {
        let key = NetworkFactKey.rbl("check_rbl_txt", ["txt", "lists.example."])
        var facts = Facts(useNetwork: true, externalHits: [key: 1])
        facts.externalLogs[key] = ["Listed\r\nX-Injected: yes\u{7f}\u{85}end", String(repeating: "x", count: 5_000)]
            + (0..<50).map { "note \($0)" }
        let e = evaluate("header LISTED eval:check_rbl_txt('txt', 'lists.example.')\nscore LISTED 1\n", plain, facts: facts)
        let log = e.hits.first { $0.name == "LISTED" }?.log ?? []
        #expect(log.count == RuleHit.maximumNotes)
        #expect(log.first == "Listed  X-Injected: yes  end")
        #expect(log[1] == String(repeating: "x", count: RuleHit.maximumNoteLength))
        #expect(log.allSatisfy { $0.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f } })
    }
}
