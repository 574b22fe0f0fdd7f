import Foundation
import Testing
@testable import SwampEngine
import SwampMIME
import SwampRules
import SwampTestSupport

/// A message with the given header lines and a one-line body.
func message(_ headers: [String]) -> String {
    headers.joined(separator: "\n") + "\n\nbody text\n"
}

@Suite struct HeaderEvalTests {
    let dates = """
    header PAST_03_06   eval:check_for_shifted_date('-6', '-3')
    header FUTURE_03_06 eval:check_for_shifted_date('3', '6')
    header PAST_96_XX   eval:check_for_shifted_date('undef', '-96')
    header NO_SHIFT     eval:check_for_shifted_date('-3', '3')
    """

    @Test func dateAgainstTheNearestReceivedTime() {
        let received = "Received: from a.example (a.example [192.0.2.1]) by mx.example.org with ESMTP id 1; Sat, 28 Nov 2026 12:00:00 +0000"
        // Four hours before the hop: in the past by 3 to 6 hours.
        #expect(hits(dates, message([received, "Date: Sat, 28 Nov 2026 08:00:00 +0000", "From: a@example.com"])) == ["PAST_03_06"])
        // Four hours ahead.
        #expect(hits(dates, message([received, "Date: Sat, 28 Nov 2026 16:00:00 +0000", "From: a@example.com"])) == ["FUTURE_03_06"])
        // Zones count: 08:00 -0400 is 12:00 UTC.
        #expect(hits(dates, message([received, "Date: Sat, 28 Nov 2026 08:00:00 EDT", "From: a@example.com"])) == ["NO_SHIFT"])
        // Five days back.
        #expect(hits(dates, message([received, "Date: Mon, 23 Nov 2026 12:00:00 +0000", "From: a@example.com"])) == ["PAST_96_XX"])
        // No Date, or no Received: no difference at all.
        #expect(hits(dates, message([received, "From: a@example.com"])) == ["NO_SHIFT"])
        #expect(hits(dates, message(["Date: Mon, 23 Nov 2026 12:00:00 +0000"])) == ["NO_SHIFT"])
        // The nearest of several hops decides.
        let older = "Received: from b.example (b.example [192.0.2.2]) by a.example with SMTP id 2; Sat, 28 Nov 2026 07:59:00 +0000"
        #expect(hits(dates, message([received, older, "Date: Sat, 28 Nov 2026 08:00:00 +0000"])) == ["NO_SHIFT"])
    }

    @Test func subjectInCapitals() {
        let config = "header CAPS eval:subject_is_all_caps()"
        #expect(hits(config, message(["Subject: BUY CHEAP WATCHES NOW"])) == ["CAPS"])
        #expect(hits(config, message(["Subject: Re: FW: BUY CHEAP WATCHES"])) == ["CAPS"])
        #expect(hits(config, message(["Subject: Buy cheap watches now"])).isEmpty)
        // One word, or short: not shouting.
        #expect(hits(config, message(["Subject: WATCHESWATCHES"])).isEmpty)
        #expect(hits(config, message(["Subject: BUY NOW"])).isEmpty)
        // Encoded in a charset that reads as capitals.
        #expect(hits(config, message(["Subject: =?koi8-r?Q?ABC_DEF_GHI_JKL?="])).isEmpty)
    }

    @Test func localPartInSubject() {
        let config = "header LOCALPART eval:check_for_to_in_subject('user')\nheader ADDRESS eval:check_for_to_in_subject('address')"
        #expect(hits(config, message(["To: bob@example.org", "Subject: bob, your invoice"])) == ["LOCALPART"])
        #expect(hits(config, message(["To: bob@example.org", "Subject: Re: bob"])) == ["LOCALPART"])
        #expect(hits(config, message(["To: bob@example.org", "Subject: for bob@example.org only"])) == ["ADDRESS"])
        #expect(hits(config, message(["To: bob@example.org", "Subject: Bobby wins"])).isEmpty)
        // Characters of the address are not read as a pattern.
        #expect(hits(config, message(["To: a.b+c@example.org", "Subject: axb+c, hello"])).isEmpty)
        #expect(hits(config, message(["To: a.b+c@example.org", "Subject: a.b+c, hello"])) == ["LOCALPART"])
    }

    @Test func envelopeAndFromDomains() {
        let config = "header DIFFERENT eval:check_equal_from_domains()\nheader SAME_ADDR eval:check_for_matching_env_and_hdr_from()"
        let sameSLD = message(["Return-Path: <bounce@mail.example.com>", "From: a@example.com"])
        #expect(hits(config, sameSLD) == [])
        let other = message(["Return-Path: <bounce@sender.example.net>", "From: a@example.com"])
        #expect(hits(config, other) == ["DIFFERENT"])
        #expect(hits(config, message(["Return-Path: <A@Example.com>", "From: a@example.com"])) == ["SAME_ADDR"])
    }

    @Test func recipients() {
        let config = "header SORTED eval:sorted_recipients()\nheader SIMILAR eval:similar_recipients('0.65', 'undef')"
        let sorted = (1...8).map { "user\($0)@host\($0).example" }.joined(separator: ", ")
        #expect(hits(config, message(["To: " + sorted])).contains("SORTED"))
        let unsorted = (1...8).reversed().map { "user\($0)@host\($0).example" }.joined(separator: ", ")
        #expect(!hits(config, message(["To: " + unsorted])).contains("SORTED"))
        // Alike: same two first letters of user and of (different) hosts.
        #expect(hits(config, message(["To: " + unsorted])).contains("SIMILAR"))
        let varied = ["ann@alpha.example", "bob@beta.example", "cy@gamma.example", "dee@delta.example", "eve@eps.example"]
        #expect(hits(config, message(["To: " + varied.joined(separator: ", ")])).isEmpty)
    }

    @Test func illegalCharacters() {
        let config = "header FROM_ILLEGAL eval:check_illegal_chars('From','0.20','2')\nheader SUBJ_ILLEGAL eval:check_illegal_chars('Subject','0.00','2')"
        var bytes = Array("From: ".utf8) + [0xe9, 0xe9, 0xe9, 0xe9, 0xe9, 0xe9] + Array(" <a@b.ex>\nSubject: price ".utf8) + [0xa3, 0x35]
        bytes += Array("\n\nbody\n".utf8)
        var loader = ConfigLoader()
        loader.load(text: config, file: "test.cf")
        let e = RuleSet(configuration: loader.configuration).evaluate(Views(message: Message(bytes: bytes)), facts: Facts())
        // Six 8-bit bytes in a short From; one pound sign alone in a
        // Subject is let go.
        #expect(Set(e.hitNames) == ["FROM_ILLEGAL"])
        // Valid UTF-8 is not illegal.
        #expect(hits(config, message(["From: Élodie Éclair <a@b.example>"])).isEmpty)
    }

    @Test func headerCounts() {
        let config = "header TWO_SUBJECTS eval:check_header_count_range('Subject','2','999')"
        #expect(hits(config, message(["Subject: one", "Subject: two"])) == ["TWO_SUBJECTS"])
        // The same value twice counts once.
        #expect(hits(config, message(["Subject: one", "Subject: one"])).isEmpty)
    }

    @Test func messageIDShapes() {
        let config = "header RATWARE eval:check_ratware_name_id()\nheader TEMPLATE eval:check_unresolved_template()"
        let id = "<" + String(repeating: "A", count: 28) + ".bob@example.com>"
        #expect(hits(config, message(["Message-ID: " + id, "From: \"Bob\" <bob@example.com>"])) == ["RATWARE"])
        #expect(hits(config, message(["Message-ID: " + id, "From: bob@example.com"])).isEmpty)
        #expect(hits(config, message(["X-Mailer: %MAILER_NAME", "From: a@b.example"])) == ["TEMPLATE"])
        #expect(hits(config, message(["Subject: 100%OFF", "From: a@b.example"])).isEmpty)
    }

    @Test func relaysAndTrust() {
        let config = """
        header ALL_TRUSTED eval:check_all_trusted()
        header NO_RELAYS eval:check_no_relays()
        header UNPARSEABLE eval:check_relays_unparseable()
        header HELO_MISMATCH eval:helo_ip_mismatch()
        """
        #expect(hits(config, message(["From: a@b.example"])) == ["NO_RELAYS"])
        let outside = "Received: from [198.51.100.7] (helo=203.0.113.9) by mx.example.org with esmtp id 1; Sat, 28 Nov 2026 12:00:00 +0000"
        #expect(hits(config, message([outside])).contains("HELO_MISMATCH"))
        let local = "Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) with ESMTP id 1; Sat, 28 Nov 2026 12:00:00 +0000"
        #expect(hits(config, message([local])) == ["ALL_TRUSTED"])
        // Hops SpamAssassin 4.0.1 counts as unparseable (checked with its
        // num_relays_unparseable); a hop that is no hop is not one.
        for garbled in ["from foo.example (bar) id 7", "from foo.example by bar.example id 7 with weird",
                        "from foo (HELO bar) (1.2.3.4) by x", "from unknown (HELO x) by mx.example.org"] {
            let line = "Received: \(garbled); Sat, 28 Nov 2026 12:00:00 +0000"
            #expect(hits(config, message([line])) == ["UNPARSEABLE"], "\(garbled)")
        }
        let notAHop = "Received: by mx.example.org (Postfix, from userid 1000) id 1; Sat, 28 Nov 2026 12:00:00 +0000"
        #expect(hits(config, message([notAHop])) == ["NO_RELAYS"])
    }
}

/// MailDate against SpamAssassin's own parse_rfc822_date, date by date.
@Suite struct MailDateTests {
    static let samples = [
        "Sat, 28 Nov 2026 16:42:05 +0000", "28 Nov 2026 16:42 -0500", "Mon, 2 Jan 2006 03:04:05 PST",
        "Tue, 31 Feb 2004 10:00:00 +0100", "Wed Jan  4 10:11:12 2006", "4 Jan 06 10:11:12 GMT",
        "4 Jan 99 10:11:12 GMT", "4 Jan 102 10:11:12", "Thu, 1 Jan 1965 00:00:00 +0000",
        "Fri, 1 Jan 2050 00:00:00 +0000", "Sat, 28 Nov 2026 25:61:61 +0000", "28 Nov 2026 16:42:05 (CEST)",
        "28 Nov 2026 16:42:05 XYZ", "28 Nov 2026 16:42:05 EST-DST", "28,Nov,2026 16:42:05 +0230",
        "1 Jan 1970 00:30:00 +0100", "no date here", "Sat, 28 Nov 2026", "28 nov 2026 1:02:03 +1300",
        "Sun, 29 Nov 2026 01:02:03 +0000 (UTC)", "31 Dec 2026 23:59:59 -1200",
    ]

    @Test(.enabled(if: spamAssassinModulesInstalled, "needs SpamAssassin's Perl modules"))
    func sameSecondsAsSpamAssassin() throws {
        let script = "use Mail::SpamAssassin::Util; while (<STDIN>) { chomp; my $t = Mail::SpamAssassin::Util::parse_rfc822_date($_); print defined $t ? $t : 'undef', \"\\n\"; }"
        let out = try runPerl(script, input: Self.samples.joined(separator: "\n") + "\n")
        let expected = out.split(separator: "\n").map(String.init)
        try #require(expected.count == Self.samples.count)
        for (text, want) in zip(Self.samples, expected) {
            let got = MailDate.parse(Array(text.utf8)).map(String.init) ?? "undef"
            #expect(got == want, "\(text)")
        }
    }
}

@Suite struct FreemailEvalTests {
    let config = """
    freemail_domains mail.example free.example *.webmail.example
    freemail_welcomelist friend@free.example
    header FROM_FREE eval:check_freemail_from()
    header FROM_DIGIT eval:check_freemail_from('\\d@')
    header REPLYTO_FREE eval:check_freemail_header('Reply-To')
    header ENVFROM_DIGIT eval:check_freemail_header('EnvelopeFrom', '\\d@')
    """

    @Test func addressesAtListedProviders() {
        #expect(hits(config, message(["From: Ann <ann@mail.example>"])) == ["FROM_FREE"])
        #expect(hits(config, message(["From: ann7@Free.Example"])) == ["FROM_FREE", "FROM_DIGIT"])
        // Wildcards: one label for *.
        #expect(hits(config, message(["From: x@eu.webmail.example"])) == ["FROM_FREE"])
        #expect(hits(config, message(["From: x@a.b.webmail.example"])).isEmpty)
        // Not listed, welcomelisted, or a role account.
        #expect(hits(config, message(["From: ann@corp.example"])).isEmpty)
        #expect(hits(config, message(["From: friend@free.example"])).isEmpty)
        #expect(hits(config, message(["From: support@free.example"])).isEmpty)
        #expect(hits(config, message(["From: a@corp.example", "Reply-To: b@mail.example"])) == ["REPLYTO_FREE"])
        #expect(hits(config, message(["Return-Path: <b12@mail.example>", "From: a@corp.example"]))
                    == ["FROM_FREE", "FROM_DIGIT", "ENVFROM_DIGIT"])
    }

    @Test func regexArgumentsAsRulesWriteThem() {
        let delimited = "freemail_domains mail.example\nheader ANN eval:check_freemail_from('/^ANN@/i')\nheader BAD eval:check_freemail_from('/(/')"
        #expect(hits(delimited, message(["From: ann@mail.example"])) == ["ANN"])
        #expect(hits(delimited, message(["From: bob@mail.example"])).isEmpty)
    }

    // Body addresses must end in a real top-level domain, so these use
    // the reserved example.com/.net/.org.
    let reply = """
    freemail_domains example.com example.net
    header REPLYTO eval:check_freemail_replyto('replyto')
    header REPLY   eval:check_freemail_replyto('reply')
    """

    func mail(_ headers: [String], _ body: String, html: Bool = false) -> String {
        headers.joined(separator: "\n") + (html ? "\nContent-Type: text/html" : "") + "\n\n" + body + "\n"
    }

    @Test func replyToAgainstFromAndBody() {
        // From and Reply-To at free mail providers, different addresses.
        #expect(hits(reply, mail(["From: a@example.com", "Reply-To: b@example.net"], "hello")) == ["REPLYTO", "REPLY"])
        #expect(hits(reply, mail(["From: a@example.com", "Reply-To: A@Example.com"], "hello")).isEmpty)
        // Reply-To free, the body names another free address.
        #expect(hits(reply, mail(["From: a@example.org", "Reply-To: b@example.net"], "write to c@example.com now"))
                    == ["REPLYTO"])
        // `reply` wants a free From whenever Reply-To is free or missing.
        #expect(hits(reply, mail(["From: a@example.com", "Reply-To: b@example.net"], "write to b@example.net")) == ["REPLYTO", "REPLY"])
        #expect(hits(reply, mail(["From: a@example.org", "Reply-To: b@example.net"], "write to b@example.net now")).isEmpty)
        // No Reply-To: only `reply` compares From with the body.
        #expect(hits(reply, mail(["From: a@example.com"], "write to c@example.net now")) == ["REPLY"])
        #expect(hits(reply, mail(["From: a@example.org"], "write to c@example.net now")).isEmpty)
        // A Reply-To that is not free mail stops `reply` too.
        #expect(hits(reply, mail(["From: a@example.com", "Reply-To: b@example.org"], "write to c@example.net")).isEmpty)
    }

    @Test func bodyAddressesAsThePluginReadsThem() {
        let from = ["From: a@example.com"]
        // A mailto: link's address counts though the text does not show it.
        #expect(hits(reply, mail(from, "<p><a href=\"mailto:c@example.net\">write</a></p>", html: true)) == ["REPLY"])
        // Quoted: in angle brackets, or before "wrote:"; but "fax:" is not.
        #expect(hits(reply, mail(from, "From <c@example.net> today")).isEmpty)
        #expect(hits(reply, mail(from, "c@example.net wrote: hi")).isEmpty)
        #expect(hits(reply, mail(from, "c@example.net fax: 123")) == ["REPLY"])
        // In a link: not an address to write to.
        #expect(hits(reply, mail(from, "see http://x.example.org/?u=c@example.net")).isEmpty)
        // Five different addresses (freemail_max_body_emails): skipped.
        let five = (1...5).map { "u\($0)@example.org" }.joined(separator: " ") + " c@example.net"
        #expect(hits(reply, mail(from, five)).isEmpty)
        #expect(hits(reply + "\nfreemail_skip_when_over_max 0", mail(from, five)) == ["REPLY"])
        // The 40-address bound counts different addresses, not mentions.
        let repeated = String(repeating: "u@example.org ", count: 45) + "c@example.net"
        #expect(hits(reply + "\nfreemail_skip_when_over_max 0", mail(from, repeated)) == ["REPLY"])
        // Three free addresses (freemail_max_body_freemails): skipped.
        #expect(hits(reply, mail(from, "c@example.net d@example.net e@example.net")).isEmpty)
    }

    @Test func bulkEnvelopeSendersAreSkipped() {
        let headers = ["From: a@example.com", "Reply-To: b@example.net"]
        #expect(hits(reply, mail(["Return-Path: <list-request@example.org>"] + headers, "hi")).isEmpty)
        #expect(hits(reply, mail(["Return-Path: <noreply@example.org>"] + headers, "hi")).isEmpty)
        #expect(hits(reply + "\nfreemail_skip_bulk_envfrom 0", mail(["Return-Path: <noreply@example.org>"] + headers, "hi"))
                    == ["REPLYTO", "REPLY"])
        #expect(hits(reply, mail(["Return-Path: <ann@example.org>"] + headers, "hi")) == ["REPLYTO", "REPLY"])
    }

    /// FreeMail.pm's `_test_log` notes, shown under the rule in the
    /// report: the address found, "@" written "(at)" (unless
    /// `freemail_add_describe_email 0`); for Reply-To, the pair compared.
    @Test func hitsNoteTheAddressFound() {
        func notes(_ config: String, _ message: String) -> [String: [String]] {
            Dictionary(uniqueKeysWithValues: evaluate(config, message).hits.map { ($0.name, $0.log) })
        }
        #expect(notes(config, message(["From: Ann <ann7@mail.example>"]))
                == ["FROM_FREE": ["ann7(at)mail.example"], "FROM_DIGIT": ["ann7(at)mail.example"]])
        #expect(notes(config, message(["From: a@corp.example", "Reply-To: x@corp.example, b@Mail.example"]))
                == ["REPLYTO_FREE": ["b(at)mail.example"]])
        #expect(notes(config + "\nfreemail_add_describe_email 0", message(["From: ann7@mail.example"]))["FROM_FREE"] == [])
        #expect(notes(reply, mail(["From: a@example.com", "Reply-To: b@example.net"], "hello"))["REPLYTO"]
                == ["a(at)example.com -> b(at)example.net"])
        #expect(notes(reply, mail(["From: a@example.org", "Reply-To: b@example.net"], "write to c@example.com now"))["REPLYTO"]
                == ["b(at)example.net, c(at)example.com"])
    }

    @Test func noDomainsNoHits() {
        let bare = "header FROM_FREE eval:check_freemail_from()"
        #expect(hits(bare, message(["From: ann@mail.example"])).isEmpty)
    }
}


@Suite struct ParseFlagEvalTests {
    let config = """
    header HEAD_LONG eval:check_msg_parse_flags('truncated_header')
    header MISSING_HB_SEP eval:check_msg_parse_flags('missing_head_body_separator')
    body MIME_EPI eval:check_msg_parse_flags('mime_epilogue_exists')
    body MIME_NO_HEADERS eval:check_msg_parse_flags('missing_mime_headers')
    body MIME_HB_SEP eval:check_msg_parse_flags('missing_mime_head_body_separator')
    """

    @Test func headerFlags() {
        #expect(hits(config, "Subject: x\nX-Long: " + String(repeating: "a", count: 9000) + "\n\nbody\n") == ["HEAD_LONG"])
        // Headers to the end, no blank line.
        #expect(hits(config, "Subject: x\nFrom: a@b.example\n") == ["MISSING_HB_SEP"])
        #expect(hits(config, message(["Subject: x"])).isEmpty)
    }

    @Test func mimeFlags() {
        func multipart(_ parts: String, epilogue: String = "") -> String {
            "Subject: x\nContent-Type: multipart/mixed; boundary=\"b\"\n\n" + parts + "--b--\n" + epilogue
        }
        let good = "--b\nContent-Type: text/plain\n\none\n"
        #expect(hits(config, multipart(good)).isEmpty)
        #expect(hits(config, multipart(good, epilogue: "trailing words\n")) == ["MIME_EPI"])
        #expect(hits(config, multipart(good, epilogue: " . \n\n")).isEmpty)
        // A part with no header after its boundary.
        #expect(hits(config, multipart("--b\n\nno headers\n")) == ["MIME_NO_HEADERS"])
        // A header, then body text with no blank line between.
        #expect(hits(config, multipart("--b\nContent-Type: text/plain\nbody at once\n")) == ["MIME_HB_SEP"])
    }
}
