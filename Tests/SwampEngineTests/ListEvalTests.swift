import Foundation
import Testing
@testable import SwampEngine
import SwampMIME
import SwampRules

/// The welcomelist and blocklist evals (ListEvals.swift) on hand-written
/// messages, each case checked against SpamAssassin 4.0.1's WLBLEval,
/// WelcomeListSubject and VBounce.
@Suite struct ListEvalTests {
    let fromRules = """
    header USER_IN_WELCOMELIST eval:check_from_in_welcomelist()
    header USER_IN_WHITELIST eval:check_from_in_whitelist()
    header USER_IN_BLOCKLIST eval:check_from_in_blocklist()
    header USER_IN_DEF_WELCOMELIST eval:check_from_in_default_welcomelist()
    header FORGED_IN_WELCOMELIST eval:check_forged_in_welcomelist()
    header FORGED_IN_DEF_WELCOMELIST eval:check_forged_in_default_welcomelist()
    """

    /// One hop from a.example [192.0.2.1] into our MX: the last untrusted relay.
    let hop = "Received: from a.example (mail.a.example [192.0.2.1]) by mx.example.org with ESMTP id 1; Sat, 28 Nov 2026 12:00:00 +0000"

    @Test func fromGlobs() {
        let config = fromRules + "\nwelcomelist_from *@Friends.example bob@example.com\nblocklist_from spam?@bad.example"
        #expect(hits(config, message(["From: Ann <ANN@friends.example>"])) == ["USER_IN_WELCOMELIST", "USER_IN_WHITELIST"])
        #expect(hits(config, message(["From: bob@example.com"])) == ["USER_IN_WELCOMELIST", "USER_IN_WHITELIST"])
        #expect(hits(config, message(["From: bobby@example.com"])).isEmpty)
        // `?` is exactly one character; the rest is literal (the dot too).
        #expect(hits(config, message(["From: spam1@bad.example"])) == ["USER_IN_BLOCKLIST"])
        #expect(hits(config, message(["From: spam12@bad.example"])).isEmpty)
        #expect(hits(config, message(["From: spam1@badxexample"])).isEmpty)
        // Not a substring match: anchored at both ends.
        #expect(hits(config, message(["From: x.bob@example.com"])).isEmpty)
    }

    @Test func allFromAddresses() {
        let config = fromRules + "\nwelcomelist_from env@example.com resent@example.com dots@a.example"
        // The other sender headers count, and runs of dots are squeezed.
        #expect(hits(config, message(["From: x@y.example", "X-Envelope-From: env@example.com"])).contains("USER_IN_WELCOMELIST"))
        #expect(hits(config, message(["From: x@y.example", "Resent-Sender: env@example.com"])).contains("USER_IN_WELCOMELIST"))
        #expect(hits(config, message(["From: x@y.example", "Envelope-Sender: env@example.com"])).contains("USER_IN_WELCOMELIST"))
        #expect(hits(config, message(["From: dots@a..example"])).contains("USER_IN_WELCOMELIST"))
        // Resent-From replaces them all.
        #expect(hits(config, message(["From: env@example.com", "Resent-From: other@example.com"])).isEmpty)
        #expect(hits(config, message(["From: x@example.com", "Resent-From: resent@example.com"])).contains("USER_IN_WELCOMELIST"))
    }

    @Test func unwelcomelistOnlyRemovesEarlierEntries() {
        let removed = fromRules + "\nwelcomelist_from a@x.example *@x.example\nunwelcomelist_from *@x.example"
        #expect(hits(removed, message(["From: a@x.example"])).contains("USER_IN_WELCOMELIST"))
        #expect(hits(removed, message(["From: b@x.example"])).isEmpty)
        // Not an exception list: a later entry matches again.
        let readded = fromRules + "\nunwelcomelist_from a@x.example\nwelcomelist_from *@x.example"
        #expect(hits(readded, message(["From: a@x.example"])).contains("USER_IN_WELCOMELIST"))
    }

    @Test func fromReceivedRelays() {
        let byName = fromRules + "\nwelcomelist_from_rcvd *@a.example a.example"
        // mail.a.example ends in .a.example.
        #expect(hits(byName, message([hop, "From: joe@a.example"])) == ["USER_IN_WELCOMELIST", "USER_IN_WHITELIST"])
        // The address matches but the relay does not: a forgery.
        let other = hop.replacingOccurrences(of: "mail.a.example", with: "mail.b.example")
        #expect(hits(byName, message([other, "From: joe@a.example"])) == ["FORGED_IN_WELCOMELIST"])
        // Unless welcomelist_allows_relays lets the address through anywhere.
        #expect(hits(byName + "\nwelcomelist_allows_relays joe@*", message([other, "From: joe@a.example"])).isEmpty)
        #expect(hits(byName + "\nwelcomelist_allows_relays joe@a.example", message([other, "From: joe@a.example"])).isEmpty)
        // A name ending in the domain without a dot before it is no match.
        let glued = hop.replacingOccurrences(of: "mail.a.example", with: "mailxa.example")
        #expect(hits(byName, message([glued, "From: joe@a.example"])) == ["FORGED_IN_WELCOMELIST"])
        // No relays at all: neither.
        #expect(hits(byName, message(["From: joe@a.example"])).isEmpty)

        for entry in ["[192.0.2.1]", "[192.0.2]", "[192.0.2.]", "[192.0.2.0/24]", "[192.0.2.0]/24"] {
            let config = fromRules + "\nwelcomelist_from_rcvd *@a.example \(entry)"
            #expect(hits(config, message([hop, "From: joe@a.example"])).contains("USER_IN_WELCOMELIST"), "\(entry)")
        }
        for entry in ["[192.0.2.10]", "[192.0.20]", "[192.0.3.0/24]", "[2001:db8::/32]"] {
            let config = fromRules + "\nwelcomelist_from_rcvd *@a.example \(entry)"
            #expect(hits(config, message([hop, "From: joe@a.example"])) == ["FORGED_IN_WELCOMELIST"], "\(entry)")
        }
    }

    @Test func defaultWelcomelist() {
        let config = fromRules + "\ndef_welcomelist_from_rcvd *@a.example a.example"
        #expect(hits(config, message([hop, "From: joe@a.example"])) == ["USER_IN_DEF_WELCOMELIST"])
        let other = hop.replacingOccurrences(of: "mail.a.example", with: "mail.b.example")
        #expect(hits(config, message([other, "From: joe@a.example"])) == ["FORGED_IN_DEF_WELCOMELIST"])
        // A plain welcomelist_from match is not forged by the default list's miss.
        #expect(hits(config + "\nwelcomelist_from joe@a.example", message([other, "From: joe@a.example"]))
                == ["USER_IN_WELCOMELIST", "USER_IN_WHITELIST"])
        // unwelcomelist_from_rcvd takes the entry out of both lists.
        #expect(hits(config + "\nunwelcomelist_from_rcvd *@a.example", message([hop, "From: joe@a.example"])).isEmpty)
    }

    let toRules = """
    header USER_IN_WELCOMELIST_TO eval:check_to_in_welcomelist()
    header USER_IN_BLOCKLIST_TO eval:check_to_in_blacklist()
    header USER_IN_MORE_SPAM_TO eval:check_to_in_more_spam()
    header USER_IN_ALL_SPAM_TO eval:check_to_in_all_spam()
    header TO_IN_STAFF eval:check_to_in_list('STAFF')
    """

    @Test func recipients() {
        let config = toRules + """

        welcomelist_to postmaster@example.org
        blocklist_to *@old.example.org
        more_spam_to bob@example.org
        all_spam_to carol@*.example.org
        enlist_addrlist (STAFF) dave@example.org
        """
        #expect(hits(config, message(["To: Postmaster <POSTMASTER@example.org>"])) == ["USER_IN_WELCOMELIST_TO"])
        #expect(hits(config, message(["To: a@x.example", "Cc: x@old.example.org"])) == ["USER_IN_BLOCKLIST_TO"])
        #expect(hits(config, message(["Delivered-To: bob@example.org"])) == ["USER_IN_MORE_SPAM_TO"])
        #expect(hits(config, message(["X-Original-To: carol@mail.example.org"])) == ["USER_IN_ALL_SPAM_TO"])
        #expect(hits(config, message(["Envelope-To: dave@example.org"])) == ["TO_IN_STAFF"])
        // Received `for <addr>;` among the three newest Received headers.
        let forBob = "Received: from a.example (a.example [192.0.2.1]) by mx.example.org with ESMTP id 1 for <bob@example.org>; Sat, 28 Nov 2026 12:00:00 +0000"
        #expect(hits(config, message([forBob, "To: undisclosed-recipients:;"])) == ["USER_IN_MORE_SPAM_TO"])
        // Not with an invalid host name.
        let forBad = forBob.replacingOccurrences(of: "bob@example.org", with: "bob@example_org")
        #expect(hits(config, message([forBad, "To: undisclosed-recipients:;"])).isEmpty)
        // Resent-To and Resent-Cc replace the others.
        #expect(hits(config, message(["To: bob@example.org", "Resent-To: someone@else.example"])).isEmpty)
        #expect(hits(config, message(["To: x@y.example", "Resent-Cc: dave@example.org"])) == ["TO_IN_STAFF"])
        // An unknown list never hits.
        #expect(hits("header T eval:check_to_in_list('NOPE')", message(["To: a@b.example"])).isEmpty)
    }

    /// Plain entries are looked up, not matched one by one: a long list
    /// against a long recipient list stays quick.
    @Test func longListsAgainstManyRecipients() {
        var config = toRules + "\n"
        for i in 0..<5_000 { config += "welcomelist_to user\(i)@example.org\n" }
        config += "welcomelist_to *@wild.example.org\n"
        let to = "To: " + (0..<2_000).map { "r\($0)@example.net" }.joined(separator: ", ")
        let clock = ContinuousClock()
        let start = clock.now
        #expect(hits(config, message([to, "Cc: user4999@example.org"])) == ["USER_IN_WELCOMELIST_TO"])
        #expect(hits(config, message([to, "Cc: x@wild.example.org"])) == ["USER_IN_WELCOMELIST_TO"])
        #expect(hits(config, message([to])).isEmpty)
        #expect(clock.now - start < .seconds(10))
    }

    @Test func receivedForAddress() {
        func address(_ s: String) -> String? { ListEvals.receivedForAddress(Array(s.utf8)).map { String(decoding: $0, as: UTF8.self) } }
        #expect(address("from x by y for <a@b.example>; Sat") == "a@b.example")
        #expect(address("from x by y for a@b.example; Sat") == "a@b.example")
        // The rightmost `@` with a host before `;`.
        #expect(address("from x by y for a@b@c.example; Sat") == "a@b@c.example")
        #expect(address("from x by y for a@b.example Sat") == nil)
        #expect(address("from x by y for <a@b>; Sat") == nil)
        // A hostile run of `@` is read in one pass.
        let long = "from x for " + String(repeating: "@", count: 200_000) + " ;"
        #expect(address(long) == nil)
    }

    @Test func namedFromAndReplyToLists() {
        let config = """
        header FROM_BANK eval:check_from_in_list('BANKS')
        header REPLY_BANK eval:check_replyto_in_list('BANKS')
        header FROM_NONE eval:check_from_in_list('NONE')
        enlist_addrlist (BANKS) *@bank.example
        """
        #expect(hits(config, message(["From: a@bank.example"])) == ["FROM_BANK"])
        #expect(hits(config, message(["From: a@x.example", "Reply-To: b@bank.example"])) == ["REPLY_BANK"])
        // Only the first Reply-To address counts.
        #expect(hits(config, message(["From: a@x.example", "Reply-To: c@x.example, b@bank.example"])).isEmpty)
    }

    @Test func mailFromMatchesRelay() {
        let config = "header RP_MATCHES eval:check_mailfrom_matches_rcvd()"
        let relay = hop.replacingOccurrences(of: "mail.a.example", with: "out.mail.shop.co.uk")
        // Return-Path is the envelope sender only above the Received headers.
        #expect(hits(config, message(["Return-Path: <bounce@news.shop.co.uk>", relay])) == ["RP_MATCHES"])
        #expect(hits(config, message(["Return-Path: <bounce@other.co.uk>", relay])).isEmpty)
        #expect(hits(config, message(["Return-Path: <bounce@shop.co.uk>"])).isEmpty)
    }

    let uriRules = """
    body URI_HOST_IN_BLOCKLIST eval:check_uri_host_in_blocklist()
    body URI_HOST_IN_WELCOMELIST eval:check_uri_host_in_whitelist()
    header MINE eval:check_uri_host_listed('MINE')
    """

    @Test func uriHosts() {
        let config = uriRules + """

        blocklist_uri_host badsite.com !ok.badsite.com
        welcomelist_uri_host 192.0.2.7
        enlist_uri_host (MINE) co-op.net
        """
        func body(_ text: String) -> String { "From: a@b.example\nSubject: s\n\n\(text)\n" }
        #expect(hits(config, body("see http://www.badsite.com/x")) == ["URI_HOST_IN_BLOCKLIST"])
        // The most specific entry decides.
        #expect(hits(config, body("see http://ok.badsite.com/x")).isEmpty)
        #expect(hits(config, body("see http://a.ok.badsite.com/x")).isEmpty)
        #expect(hits(config, body("see http://ok.badsite.com/ and http://badsite.com/")) == ["URI_HOST_IN_BLOCKLIST"])
        #expect(hits(config, body("see http://192.0.2.7/x")) == ["URI_HOST_IN_WELCOMELIST"])
        #expect(hits(config, body("see http://shop.co-op.net/")) == ["MINE"])
        #expect(hits(config, body("see http://notbadsite.com/")).isEmpty)
        // mailto: links are left out.
        #expect(hits(config, body("write to mailto:x@badsite.com")).isEmpty)
        let html = "From: a@b.example\nContent-Type: text/html\n\n<a href=\"https://badsite.com/\">x</a>\n"
        #expect(hits(config, html) == ["URI_HOST_IN_BLOCKLIST"])
    }

    /// DKIM signing domains count as URI hosts (`parse_dkim_uris`, on by
    /// default).
    @Test func dkimSigningDomains() {
        let config = uriRules + "\nblocklist_uri_host signer.com"
        let signed = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n d=mail.Signer.com; s=s1;\n bh=abc=; b=xyz\nFrom: a@b.example"
        #expect(hits(config, signed + "\n\nhi\n") == ["URI_HOST_IN_BLOCKLIST"])
        #expect(hits(config + "\nparse_dkim_uris 0", signed + "\n\nhi\n").isEmpty)
        // The tag must start a word: `add=` is not `d=`.
        let other = "DKIM-Signature: v=1; add=signer.com; s=s1\nFrom: a@b.example"
        #expect(hits(config, other + "\n\nhi\n").isEmpty)
    }

    @Test func queryKeysKeepTheLastEleven() {
        #expect(ListEvals.queryKeys("a.b.example") == ["a.b.example", "b.example", "example"])
        #expect(ListEvals.queryKeys("192.0.2.1") == ["192.0.2.1"])
        #expect(ListEvals.queryKeys("[192.0.2.1]") == ["192.0.2.1"])
        let long = (1...15).map { "l\($0)" }.joined(separator: ".")
        let keys = ListEvals.queryKeys(long)
        #expect(keys.count == 11)
        #expect(keys.first == (5...15).map { "l\($0)" }.joined(separator: "."))
        #expect(keys.last == "l15")
    }

    let subjectRules = """
    header SUBJECT_IN_WELCOMELIST eval:check_subject_in_welcomelist()
    header SUBJECT_IN_BLOCKLIST eval:check_subject_in_blacklist()
    """

    @Test func subjects() {
        let config = subjectRules + "\nwelcomelist_subject Your Order No1?3\nblocklist_subject buy*now"
        #expect(hits(config, message(["Subject: Re: YOUR ORDER NO123 has shipped"])) == ["SUBJECT_IN_WELCOMELIST"])
        #expect(hits(config, message(["Subject: your order no13"])).isEmpty)
        // `#` starts a comment in configuration files, as in SpamAssassin.
        #expect(hits(subjectRules + "\nwelcomelist_subject Your Order #1?3", message(["Subject: your order only"])) == ["SUBJECT_IN_WELCOMELIST"])
        #expect(hits(config, message(["Subject: Please BUY our stuff NOW!"])) == ["SUBJECT_IN_BLOCKLIST"])
        #expect(hits(config, message(["Subject: buy"])).isEmpty)
        #expect(hits(config, message(["From: a@b.example"])).isEmpty)
        // Encoded words are decoded first.
        #expect(hits(config, message(["Subject: =?UTF-8?Q?Your_Order_No1x3?="])) == ["SUBJECT_IN_WELCOMELIST"])
    }

    @Test func bounceRelays() {
        let config = """
        body MY_SERVERS eval:check_welcomelist_bounce_relays()
        body HAVE_RELAYS eval:have_any_bounce_relays()
        welcomelist_bounce_relays out*.example.net
        """
        let bounce = """
        From: MAILER-DAEMON@mx.other.example
        Subject: Undeliverable

        Your message could not be delivered.

        Received: from out3.example.net (out3.example.net [192.0.2.3]) by mx.other.example; Sat, 28 Nov 2026 12:00:00 +0000
        From: me@example.net

        """
        #expect(hits(config, bounce) == ["MY_SERVERS", "HAVE_RELAYS"])
        // Quoted with `>` still counts; another relay does not.
        #expect(hits(config, bounce.replacingOccurrences(of: "\nReceived:", with: "\n> Received:")) == ["MY_SERVERS", "HAVE_RELAYS"])
        #expect(hits(config, bounce.replacingOccurrences(of: "out3.example.net", with: "relay.example.com")) == ["HAVE_RELAYS"])
        // A Received header folded over several lines.
        let folded = bounce.replacingOccurrences(of: "(out3.example.net [192.0.2.3]) by", with: "\n\tby")
            .replacingOccurrences(of: "from out3.example.net", with: "from\n\tout3.example.net")
        #expect(hits(config, folded) == ["MY_SERVERS", "HAVE_RELAYS"])
        // No relays configured: neither rule.
        #expect(hits("body MY_SERVERS eval:check_welcomelist_bounce_relays()\nbody HAVE_RELAYS eval:have_any_bounce_relays()", bounce).isEmpty)
    }

    @Test func globs() {
        func m(_ glob: String, _ text: String) -> Bool { Glob.matchesAddress(glob, Array(text.utf8)) }
        #expect(m("*", ""))
        #expect(m("a*b*c", "aXXbYYc"))
        #expect(!m("a*b*c", "aXXbYY"))
        #expect(m("*@*.example", "joe@mail.example"))
        #expect(m("?@x", "a@x"))
        #expect(!m("?@x", "@x"))
        // SpamAssassin turns NUL, `\` and `(` into `_` in the pattern.
        #expect(m("a(b@x", "a_b@x"))
        #expect(!m("a(b@x", "a(b@x"))
        // Neither wildcard crosses a line break; `$` allows a final one.
        #expect(!m("a*b", "a\nb"))
        #expect(m("a*b", "ab\n"))
        #expect(Glob.occurs("b?d", in: Array("abcde".utf8)))
        #expect(!Glob.occurs("b?d", in: Array("ab\nde".utf8)))
    }

    /// Hostile globs and addresses: many `*` against a long address, and
    /// the near-misses that make backtracking matchers explode, finish in
    /// time proportional to pattern × text at worst.
    @Test func globsStayPolynomial() {
        let text = Array(String(repeating: "a", count: 100_000).utf8)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(!Glob.matchesAddress(String(repeating: "*a", count: 200) + "b", text))
        #expect(!Glob.matchesAddress("*" + String(repeating: "a", count: 50) + "b", text))
        #expect(Glob.matchesAddress(String(repeating: "*", count: 10_000) + "a", text))
        #expect(!Glob.occurs(String(repeating: "a*", count: 100) + "b", in: text))
        // Exponential backtracking would take hours; the polynomial work
        // takes ~4 s in a debug build on a busy 2-core machine (5 s failed
        // there once while CI ran beside it).
        #expect(clock.now - start < .seconds(30))
    }
}
