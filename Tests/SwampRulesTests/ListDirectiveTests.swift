import Testing
@testable import SwampRules

/// The welcomelist and blocklist directives (ListDirectives.swift), with
/// SpamAssassin 4.0.1's value rules.
struct ListDirectiveTests {
    @Test(arguments: [
        DirectiveCase("welcomelist_to Joe@Example.COM *@corp.example\nwhitelist_to x@y") {
            $0.addressLists["welcomelist_to"]?.entries == ["joe@example.com", "*@corp.example", "x@y"]
        },
        DirectiveCase("blocklist_to a@b\nblacklist_to c@d") { $0.addressLists["blocklist_to"]?.entries == ["a@b", "c@d"] },
        DirectiveCase("more_spam_to m@x\nall_spam_to a@x a@x") {
            $0.addressLists["more_spam_to"]?.entries == ["m@x"] && $0.addressLists["all_spam_to"]?.entries == ["a@x"]
        },
        DirectiveCase("welcomelist_allows_relays *@x\nwhitelist_allows_relays y@z") {
            $0.addressLists["welcomelist_allows_relays"]?.entries == ["*@x", "y@z"]
        },
        DirectiveCase("welcomelist_bounce_relays Relay*.ISP.example\nwhitelist_bounce_relays mx.example") {
            $0.addressLists["welcomelist_bounce_relays"]?.entries == ["relay*.isp.example", "mx.example"]
        },
        // Perl's lc is ASCII-only on byte strings.
        DirectiveCase("welcomelist_from ÄB@X") { $0.welcomelistFrom == ["Äb@x"] },
        DirectiveCase("welcomelist_from_rcvd Joe@Example.com Example.COM\nwhitelist_from_rcvd joe@example.com [10.1.2.3]") {
            $0.welcomelistFromRcvd == ["joe@example.com": ["example.com", "[10.1.2.3]"]]
        },
        DirectiveCase("def_welcomelist_from_rcvd *@a.example a.example\ndef_whitelist_from_rcvd *@b b") {
            $0.defWelcomelistFromRcvd == ["*@a.example": ["a.example"], "*@b": ["b"]] && $0.welcomelistFromRcvd.isEmpty
        },
        DirectiveCase("welcomelist_from_rcvd a@x x\ndef_welcomelist_from_rcvd a@x x\nwelcomelist_from_rcvd b@x x\nunwelcomelist_from_rcvd A@x") {
            $0.welcomelistFromRcvd == ["b@x": ["x"]] && $0.defWelcomelistFromRcvd.isEmpty
        },
        DirectiveCase("unwhitelist_from_rcvd nobody@x") { $0.welcomelistFromRcvd.isEmpty },
        DirectiveCase("enlist_addrlist (BANKS) *@Bank.example service@pay.example\nenlist_addrlist (BANKS) x@y") {
            $0.addressLists["BANKS"]?.entries == ["*@bank.example", "service@pay.example", "x@y"]
        },
        // A list named after a setting is that setting.
        DirectiveCase("enlist_addrlist (welcomelist_to) a@b\nwelcomelist_to c@d") { $0.addressLists["welcomelist_to"]?.entries == ["a@b", "c@d"] },
        // The shortest name that a space and a value follow.
        DirectiveCase("enlist_addrlist (A)B) c@d") { $0.addressLists["A)B"]?.entries == ["c@d"] },
        DirectiveCase("enlist_uri_host (MYLIST) !Sub1.Example.com example.com") {
            $0.uriHostLists == ["MYLIST": ["sub1.example.com": false, "example.com": true]]
        },
        DirectiveCase("blocklist_uri_host bad.example !ok.bad.example\nblacklist_uri_host worse.example") {
            $0.uriHostLists == ["BLOCK": ["bad.example": true, "ok.bad.example": false, "worse.example": true]]
        },
        DirectiveCase("welcomelist_uri_host good.example\nwhitelist_uri_host fine.example") {
            $0.uriHostLists == ["WELCOME": ["good.example": true, "fine.example": true]]
        },
        // No value check in Conf.pm for the shorthands.
        DirectiveCase("blocklist_uri_host") { $0.uriHostLists.isEmpty },
        DirectiveCase("enlist_uri_host (A) x.example y.example\nenlist_uri_host (B) x.example\ndelist_uri_host (A) !X.example") {
            $0.uriHostLists == ["A": ["y.example": true], "B": ["x.example": true]]
        },
        DirectiveCase("enlist_uri_host (A) x.example\nenlist_uri_host (B) x.example z.example\ndelist_uri_host x.example") {
            $0.uriHostLists == ["A": [:], "B": ["z.example": true]]
        },
        DirectiveCase("delist_uri_host (A) x.example") { $0.uriHostLists.isEmpty },
        DirectiveCase("welcomelist_subject Your Order  No1*\nwhitelist_subject other") {
            $0.welcomelistSubject.entries == ["your order  no1*", "other"]
        },
        DirectiveCase("blocklist_subject Buy NOW\nblacklist_subject x?y") { $0.blocklistSubject.entries == ["buy now", "x?y"] },
        // WelcomeListSubject.pm takes an empty line as an empty pattern.
        DirectiveCase("welcomelist_subject") { $0.welcomelistSubject.entries == [""] },
    ])
    func directive(_ c: DirectiveCase) {
        let conf = load(c.text)
        #expect(conf.diagnostics.isEmpty, "\(conf.diagnostics)")
        #expect(c.check(conf))
    }

    /// Missing or malformed values are errors at the line, and change
    /// nothing.
    @Test(arguments: [
        DirectiveCase("welcomelist_to") { $0.addressLists.isEmpty },
        DirectiveCase("more_spam_to") { $0.addressLists.isEmpty },
        DirectiveCase("unwelcomelist_from") { $0.addressLists.isEmpty },
        DirectiveCase("welcomelist_from_rcvd") { $0.welcomelistFromRcvd.isEmpty },
        DirectiveCase("welcomelist_from_rcvd joe@example.com") { $0.welcomelistFromRcvd.isEmpty },
        DirectiveCase("def_whitelist_from_rcvd a@b c d") { $0.defWelcomelistFromRcvd.isEmpty },
        DirectiveCase("unwelcomelist_from_rcvd") { $0.welcomelistFromRcvd.isEmpty },
        DirectiveCase("enlist_addrlist BANKS a@b") { $0.addressLists.isEmpty },
        DirectiveCase("enlist_addrlist (BANKS)") { $0.addressLists.isEmpty },
        DirectiveCase("enlist_addrlist () a@b") { $0.addressLists.isEmpty },
        DirectiveCase("enlist_uri_host MYLIST example.com") { $0.uriHostLists.isEmpty },
        DirectiveCase("enlist_uri_host (MYLIST)") { $0.uriHostLists.isEmpty },
        DirectiveCase("delist_uri_host") { $0.uriHostLists.isEmpty },
    ])
    func badValue(_ c: DirectiveCase) {
        let conf = load("# comment\n" + c.text)
        #expect(conf.errors.count == 1, "\(conf.diagnostics)")
        #expect(conf.errors.first?.location == SourceLocation(file: "/test/local.cf", line: 2))
        #expect(c.check(conf))
    }

    /// A user's preferences load over the site's through the same loader:
    /// they add to the site's lists and may take entries out.
    @Test func userPreferencesExtendSiteLists() {
        var loader = ConfigLoader()
        loader.load(text: "welcomelist_from *@site.example\nwelcomelist_to postmaster@site.example\n"
                    + "enlist_uri_host (BLOCK) bad.example", file: "/site/local.cf")
        loader.load(text: "unwelcomelist_from *@site.example\nwelcomelist_from friend@x.example\n"
                    + "more_spam_to me@site.example\ndelist_uri_host bad.example", file: "/home/u/user_prefs")
        let conf = loader.configuration
        #expect(conf.errors.isEmpty, "\(conf.diagnostics)")
        #expect(conf.welcomelistFrom == ["friend@x.example"])
        #expect(conf.addressLists["welcomelist_to"]?.entries == ["postmaster@site.example"])
        #expect(conf.addressLists["more_spam_to"]?.entries == ["me@site.example"])
        #expect(conf.uriHostLists["BLOCK"]?.isEmpty == true)
    }

    /// A hostile preferences file: many entries and long lines load in
    /// time linear in their size.
    @Test func largeListsLoadQuickly() {
        var text = ""
        for i in 0..<20_000 { text += "welcomelist_from user\(i)@example.com\n" }
        text += "unwelcomelist_from " + (0..<20_000).map { "nobody\($0)@x" }.joined(separator: " ") + "\n"
        text += "enlist_addrlist (" + String(repeating: ")", count: 50_000) + "\n"
        let clock = ContinuousClock()
        let start = clock.now
        let conf = load(text)
        #expect(clock.now - start < .seconds(10))
        #expect(conf.welcomelistFrom.count == 20_000)
    }
}
