import Testing
@testable import SwampRules

/// One directive, and what it must change.
struct DirectiveCase: Sendable, CustomStringConvertible {
    let text: String
    let check: @Sendable (Configuration) -> Bool
    init(_ text: String, _ check: @escaping @Sendable (Configuration) -> Bool) { self.text = text; self.check = check }
    var description: String { text }
}

struct DirectiveTests {
    @Test(arguments: [
        DirectiveCase("required_score 6.5") { $0.requiredScore == 6.5 },
        DirectiveCase("required_hits 3") { $0.requiredScore == 3 },
        DirectiveCase("required_score -2.") { $0.requiredScore == -2 },
        DirectiveCase("rewrite_header Subject *****SPAM*****") { $0.rewriteHeaders == ["Subject": "*****SPAM*****"] },
        DirectiveCase("rewrite_header subject [SPAM] _SCORE_") { $0.rewriteHeaders == ["Subject": "[SPAM] _SCORE_"] },
        DirectiveCase("rewrite_header From (spam)") { $0.rewriteHeaders == ["From": "[spam]"] },
        DirectiveCase("rewrite_header Subject x\nrewrite_header Subject") { $0.rewriteHeaders.isEmpty },
        DirectiveCase("report_safe 0") { $0.reportSafe == 0 && $0.addedHeaders.contains(AddedHeader(audience: .spam, name: "Report", template: "_REPORT_")) },
        DirectiveCase("report_safe 2") { $0.reportSafe == 2 && !$0.addedHeaders.contains { $0.name == "Report" } },
        DirectiveCase("add_header all Foo bar _SCORE_") { $0.addedHeaders.last == AddedHeader(audience: .all, name: "Foo", template: "bar _SCORE_") },
        DirectiveCase("add_header spam Foo \"quoted\\tx\\\\y\\q\"") { $0.addedHeaders.last == AddedHeader(audience: .spam, name: "Foo", template: "quoted\tx\\y") },
        DirectiveCase("add_header ham Status custom") {
            $0.addedHeaders.filter { $0.name == "Status" } == [AddedHeader(audience: .spam, name: "Status", template: Configuration.defaultHeaders[3].template),
                                                              AddedHeader(audience: .ham, name: "Status", template: "custom")]
        },
        DirectiveCase("remove_header all Level") { !$0.addedHeaders.contains { $0.name == "Level" } && $0.removedHeaders.map(\.name) == ["Level"] },
        DirectiveCase("remove_header spam Level") { $0.addedHeaders.filter { $0.name == "Level" }.map(\.audience) == [.ham] },
        DirectiveCase("remove_header all Checker-Version") { $0.addedHeaders.contains { $0.name == "Checker-Version" } },
        DirectiveCase("clear_headers") { $0.addedHeaders.map(\.name) == ["Checker-Version"] },
        DirectiveCase("clear_headers\nadd_header all Checker-Version mine") { $0.addedHeaders == [AddedHeader(audience: .all, name: "Checker-Version", template: "mine")] },
        DirectiveCase("report line one\nreport \"  two  \"\nreport") { $0.reportTemplate == ["line one", "  two  ", ""] },
        DirectiveCase("report x\nclear_report_template\nreport y") { $0.reportTemplate == ["y"] },
        DirectiveCase("unsafe_report a\nclear_unsafe_report_template\nunsafe_report b") { $0.unsafeReportTemplate == ["b"] },
        DirectiveCase("report_contact postmaster@example.com") { $0.reportContact == "postmaster@example.com" },
        DirectiveCase("trusted_networks 10.0.0.0/8 192.168.\ntrusted_networks !10.1.2.3 ::1") { $0.trustedNetworks == ["10.0.0.0/8", "192.168.", "!10.1.2.3", "::1"] },
        DirectiveCase("trusted_networks 10/8\nclear_trusted_networks") { $0.trustedNetworks.isEmpty },
        DirectiveCase("internal_networks 127.0.0.1 [2001:db8::]/32") { $0.internalNetworks == ["127.0.0.1", "[2001:db8::]/32"] },
        DirectiveCase("internal_networks 1.2.3.4\nclear_internal_networks") { $0.internalNetworks.isEmpty },
        DirectiveCase("msa_networks 192.0.2.1") { $0.msaNetworks == ["192.0.2.1"] },
        DirectiveCase("welcomelist_from A@Example.com *@good.org\nwhitelist_from b@x") { $0.welcomelistFrom == ["a@example.com", "*@good.org", "b@x"] },
        DirectiveCase("welcomelist_from a@x b@x\nunwelcomelist_from A@X") { $0.welcomelistFrom == ["b@x"] },
        // Conf.pm: a removal only takes out what was listed before it.
        DirectiveCase("unwhitelist_from a@x\nwelcomelist_from a@x") { $0.welcomelistFrom == ["a@x"] },
        DirectiveCase("blocklist_from *@spam.biz\nblacklist_from x@y") { $0.blocklistFrom == ["*@spam.biz", "x@y"] },
        DirectiveCase("blocklist_from a@x\nunblocklist_from a@x\nunblacklist_from b@x") { $0.blocklistFrom.isEmpty },
        DirectiveCase("welcomelist_auth *@bank.com\nwhitelist_auth a@b") { $0.welcomelistAuth == ["*@bank.com", "a@b"] },
        DirectiveCase("def_welcomelist_auth *@x\ndef_whitelist_auth *@y") { $0.defWelcomelistAuth == ["*@x", "*@y"] },
        DirectiveCase("def_welcomelist_auth *@x\nwelcomelist_auth *@x\nunwelcomelist_auth *@x") { $0.defWelcomelistAuth.isEmpty && $0.welcomelistAuth.isEmpty },
        DirectiveCase("use_bayes 0") { $0.useBayes == false },
        DirectiveCase("use_bayes no\nuse_bayes YES") { $0.useBayes == true },
        DirectiveCase("bayes_auto_learn 0") { $0.bayesAutoLearn == false },
        DirectiveCase("bayes_auto_learn_threshold_spam 9.5") { $0.bayesAutoLearnThresholdSpam == 9.5 },
        DirectiveCase("bayes_auto_learn_threshold_nonspam -1") { $0.bayesAutoLearnThresholdNonspam == -1 },
        DirectiveCase("bayes_path /var/lib/swamp/bayes.sqlite") { $0.bayesPath == "/var/lib/swamp/bayes.sqlite" },
        DirectiveCase("bayes_sql_dsn postgres://u@h/db") { $0.bayesSQLDSN == "postgres://u@h/db" },
        DirectiveCase("bayes_sql_username swamp\nbayes_sql_password s3cret word") {
            $0.bayesSQLUsername == "swamp" && $0.bayesSQLPassword == "s3cret word"
        },
        DirectiveCase("bayes_sql_override_username shared") { $0.bayesSQLOverrideUsername == "shared" },
        DirectiveCase("bayes_store_module Mail::SpamAssassin::BayesStore::PgSQL") { $0.bayesStoreModule == .sql },
        DirectiveCase("bayes_store_module Mail::SpamAssassin::BayesStore::SQL") { $0.bayesStoreModule == .sql },
        DirectiveCase("bayes_store_module Mail::SpamAssassin::BayesStore::DBM") { $0.bayesStoreModule == .file },
        DirectiveCase("dns_server 127.0.0.1:5353\ndns_server 127.0.0.2\ndns_server [::1]:53") { $0.dnsServers == ["127.0.0.1:5353", "127.0.0.2:53", "[::1]:53"] },
        DirectiveCase("dns_server ::1") { $0.dnsServers == ["[::1]:53"] },
        DirectiveCase("dns_server 127.0.0.1\nclear_dns_servers") { $0.dnsServers.isEmpty },
        DirectiveCase("dns_available no") { !$0.dnsAvailable && $0.dnsAvailableTest == nil },
        DirectiveCase("dns_available 0\ndns_available yes") { $0.dnsAvailable },
        DirectiveCase("dns_available test: 1.2.3.4") { $0.dnsAvailable && $0.dnsAvailableTest == "test: 1.2.3.4" },
        DirectiveCase("skip_rbl_checks 1") { $0.skipRBLChecks },
        DirectiveCase("normalize_charset 0") { !$0.normalizeCharset },
        DirectiveCase("body_part_scan_size 100000") { $0.bodyPartScanSize == 100_000 },
        DirectiveCase("rawbody_part_scan_size 0") { $0.rawbodyPartScanSize == 0 },
        DirectiveCase("time_limit 20") { $0.timeLimit == 20 },
        DirectiveCase("time_limit 2m") { $0.timeLimit == 120 },
        DirectiveCase("time_limit 1.5 h") { $0.timeLimit == 5400 },
        DirectiveCase("lock_method flock") { $0.lockMethod == "flock" },
        DirectiveCase("loadplugin Mail::SpamAssassin::Plugin::SPF\ntryplugin My::Plugin /opt/my.pm") {
            $0.plugins == ["Mail::SpamAssassin::Plugin::SPF", "My::Plugin"]
        },
        DirectiveCase("loadplugin Mail::SpamAssassin::Plugin::WhiteListSubject") { $0.plugins == ["Mail::SpamAssassin::Plugin::WelcomeListSubject"] },
        DirectiveCase("replace_tag A (?:a|4)\nreplace_pre P x\nreplace_inter I \\W?\nreplace_post Q {1,2}") {
            $0.replaceTags == ["A": "(?:a|4)"] && $0.replacePre == ["P": "x"] && $0.replaceInter == ["I": "\\W?"] && $0.replacePost == ["Q": "{1,2}"]
        },
        DirectiveCase("replace_rules A B\nreplace_rules C") { $0.replaceRules == ["A", "B", "C"] },
        DirectiveCase("replace_start {\nreplace_end }") { $0.replaceStart == "{" && $0.replaceEnd == "}" },
        DirectiveCase("uridnsbl URIBL_X multi.example. A") {
            $0.uriBlocklists["URIBL_X"] == URIBlocklist(kind: .address, zone: "multi.example", type: "A") && $0.otherSettings.isEmpty
        },
        DirectiveCase("urirhssub URIBL_BLACK multi.uribl.com. A 2") {
            $0.uriBlocklists["URIBL_BLACK"] == URIBlocklist(kind: .domain, zone: "multi.uribl.com", type: "A", subtest: DNSListSubtest("2"))
        },
        DirectiveCase("urirhssub R dbl.example. A   127.0.1.2  ") { $0.uriBlocklists["R"]?.subtest?.test == .range(0x7f00_0102, 0x7f00_0102) },
        DirectiveCase("uridnssub R zen.example. txt 0x10/0x10") { $0.uriBlocklists["R"]?.subtest?.test == .masked(value: 16, mask: 16) && $0.uriBlocklists["R"]?.type == "TXT" },
        DirectiveCase("urirhsbl R rhs.example TXT") { $0.uriBlocklists["R"] == URIBlocklist(kind: .domain, zone: "rhs.example", type: "TXT") },
        DirectiveCase("urinsrhsbl R ns.example. A\nurinsrhssub S ns.example. A 127.0.0.2-127.0.0.9") {
            $0.uriBlocklists["R"]?.kind == .nameServerDomain && $0.uriBlocklists["S"]?.subtest?.test == .range(0x7f00_0002, 0x7f00_0009)
        },
        DirectiveCase("urifullnsrhsbl R ns.example. A\nurifullnsrhssub S ns.example. A 4") {
            $0.uriBlocklists["R"]?.kind == .nameServer && $0.uriBlocklists["S"]?.subtest?.test == .mask(4)
        },
        DirectiveCase("uridnsbl_skip_domain Example.com b.org\nuridnsbl_skip_domain c.net\nclear_uridnsbl_skip_domain b.org") {
            $0.uridnsblSkipDomains == ["example.com", "c.net"]
        },
        DirectiveCase("uridnsbl_skip_domain a.com\nclear_uridnsbl_skip_domain") { $0.uridnsblSkipDomains.isEmpty },
        DirectiveCase("uridnsbl_max_domains 5\nuridnsbl_skip_mailto 0\nskip_uribl_checks 1") {
            $0.uridnsblMaxDomains == 5 && !$0.uridnsblSkipMailto && $0.skipURIBLChecks
        },
        DirectiveCase("util_rb_tld com\nutil_rb_tld net org") { $0.otherSettings["util_rb_tld"] == ["com", "net org"] },
        DirectiveCase("Bayes-Ignore-Header X-Foo") { $0.otherSettings["bayes_ignore_header"] == ["X-Foo"] },
        DirectiveCase("hashbl_acl_freemail gmail.com") { $0.otherSettings["hashbl_acl_freemail"] == ["gmail.com"] },
        DirectiveCase("bayes_stopword_en foo") { $0.otherSettings["bayes_stopword_en"] == ["foo"] },
        DirectiveCase("freemail_domains gmail.com") { $0.otherSettings["freemail_domains"] == ["gmail.com"] },
        DirectiveCase("clear_headers\nadd_header all Status s\nreport_safe 0") { $0.addedHeaders.map(\.name) == ["Checker-Version", "Status", "Report"] },
    ])
    func directive(_ c: DirectiveCase) {
        let conf = load(c.text)
        #expect(conf.diagnostics.isEmpty, "\(conf.diagnostics)")
        #expect(c.check(conf))
    }

    /// A wrong value is an error with file:line, and the setting keeps its
    /// earlier value.
    @Test(arguments: [
        DirectiveCase("required_score five") { $0.requiredScore == 5 },
        DirectiveCase("required_score") { $0.requiredScore == 5 },
        DirectiveCase("required_score 1e3") { $0.requiredScore == 5 },
        DirectiveCase("rewrite_header Reply-To x") { $0.rewriteHeaders.isEmpty },
        DirectiveCase("report_safe 3") { $0.reportSafe == 1 },
        DirectiveCase("report_safe yes") { $0.reportSafe == 1 },
        DirectiveCase("add_header sometimes Foo bar") { $0.addedHeaders == Configuration.defaultHeaders },
        DirectiveCase("add_header all Foo") { $0.addedHeaders == Configuration.defaultHeaders },
        DirectiveCase("add_header all Fo:o bar") { $0.addedHeaders == Configuration.defaultHeaders },
        DirectiveCase("remove_header all") { $0.addedHeaders == Configuration.defaultHeaders },
        DirectiveCase("clear_headers now") { $0.addedHeaders == Configuration.defaultHeaders },
        DirectiveCase("clear_report_template x") { $0.reportTemplate.isEmpty },
        DirectiveCase("report_contact") { $0.reportContact == "the administrator of that system" },
        DirectiveCase("trusted_networks") { $0.trustedNetworks.isEmpty },
        DirectiveCase("trusted_networks example.com") { $0.trustedNetworks.isEmpty },
        DirectiveCase("welcomelist_from") { $0.welcomelistFrom.isEmpty },
        DirectiveCase("use_bayes maybe") { $0.useBayes },
        DirectiveCase("bayes_auto_learn") { $0.bayesAutoLearn },
        DirectiveCase("bayes_auto_learn_threshold_spam high") { $0.bayesAutoLearnThresholdSpam == 12 },
        DirectiveCase("bayes_path") { $0.bayesPath == nil },
        DirectiveCase("bayes_sql_username") { $0.bayesSQLUsername == nil },
        DirectiveCase("bayes_sql_override_username") { $0.bayesSQLOverrideUsername == nil },
        DirectiveCase("bayes_store_module Mail::SpamAssassin::BayesStore::MySQL") { $0.bayesStoreModule == nil },
        DirectiveCase("bayes_store_module Mail::SpamAssassin::BayesStore::Redis") { $0.bayesStoreModule == nil },
        DirectiveCase("dns_server localhost") { $0.dnsServers.isEmpty },
        DirectiveCase("dns_server 127.0.0.1:0") { $0.dnsServers.isEmpty },
        DirectiveCase("dns_server 127.0.0.1:70000") { $0.dnsServers.isEmpty },
        DirectiveCase("dns_server 999.0.0.1") { $0.dnsServers.isEmpty },
        DirectiveCase("dns_available sometimes") { $0.dnsAvailable && $0.dnsAvailableTest == nil },
        DirectiveCase("skip_rbl_checks 2") { !$0.skipRBLChecks },
        DirectiveCase("body_part_scan_size big") { $0.bodyPartScanSize == 50_000 },
        DirectiveCase("time_limit -1") { $0.timeLimit == 300 },
        DirectiveCase("time_limit 5y") { $0.timeLimit == 300 },
        DirectiveCase("lock_method fcntl") { $0.lockMethod == nil },
        DirectiveCase("loadplugin") { $0.plugins.isEmpty },
        DirectiveCase("loadplugin Not A Plugin") { $0.plugins.isEmpty },
        DirectiveCase("loadplugin Bad::::Name") { $0.plugins.isEmpty },
        DirectiveCase("replace_tag A") { $0.replaceTags.isEmpty },
        DirectiveCase("replace_rules") { $0.replaceRules.isEmpty },
        DirectiveCase("enable_compat bad-name") { $0.otherSettings.isEmpty },
        DirectiveCase("urirhssub R zone.example. A") { $0.uriBlocklists.isEmpty },
        DirectiveCase("urirhssub R zone.example. A 127.0.0.2/foo") { $0.uriBlocklists.isEmpty },
        DirectiveCase("urirhssub R zone.example. A 0x123456789") { $0.uriBlocklists.isEmpty },
        DirectiveCase("urirhsbl R zone.example. MX") { $0.uriBlocklists.isEmpty },
        DirectiveCase("urirhsbl R zone.example. A extra") { $0.uriBlocklists.isEmpty },
        DirectiveCase("uridnsbl") { $0.uriBlocklists.isEmpty },
        DirectiveCase("uridnsbl_skip_domain") { $0.uridnsblSkipDomains.isEmpty },
        DirectiveCase("uridnsbl_max_domains many") { $0.uridnsblMaxDomains == 20 },
        DirectiveCase("include") { $0.files == ["/test/local.cf"] },
        DirectiveCase("require_version") { _ in true },
    ])
    func badValue(_ c: DirectiveCase) {
        let conf = load("# comment\n" + c.text)
        #expect(conf.errors.count == 1, "\(conf.diagnostics)")
        #expect(conf.errors.first?.location == SourceLocation(file: "/test/local.cf", line: 2))
        #expect(c.check(conf))
    }

    @Test(arguments: ["frobnicate 1", "whitelist_everything yes", "body_scan_size 1", "file start x", "hashbl_acl_ 1", "bayes_stopword_eng x"])
    func unknownDirectiveIsAWarning(_ line: String) {
        let conf = load("\n" + line + "\nbody AFTER /x/")
        #expect(conf.errors.isEmpty)
        #expect(conf.warnings.count == 1)
        #expect(conf.warnings.first?.location == SourceLocation(file: "/test/local.cf", line: 2))
        #expect(conf.warnings.first?.message.contains("unknown directive") == true)
        #expect(conf.rules["AFTER"] != nil)
        #expect(conf.otherSettings.isEmpty)
    }

    @Test func everyKnownDirectiveIsAccepted() {
        var text = ""
        for name in KnownDirectives.names.sorted() { text += "\(name) 1\n" }
        let conf = load(text)
        #expect(!conf.diagnostics.contains { $0.message.contains("unknown directive") })
    }

    @Test func otherSettingsKeepLocations() {
        let conf = load("util_rb_tld com\n\nutil_rb_tld net")
        #expect(conf.otherSettingLocations["util_rb_tld"]?.map(\.line) == [1, 3])
    }
}

struct LexingTests {
    @Test(arguments: [
        ("body R /a#b/", nil as String?),                 // comment cuts the regex short: error
        ("body R /a\\#b/", "a#b"),
        ("body R /a\\#b/ # trailing comment", "a#b"),
        ("   body   R   /x y/   ", "x y"),
        ("\tbody\tR\t/x/\t", "x"),
        ("body R /x/\r", "x"),
        ("BODY R /x/", "x"),
        ("lang de body R /x/", nil),
    ])
    func lines(_ line: String, _ pattern: String?) {
        let conf = load(line)
        if let pattern {
            #expect(conf.rules["R"]?.test == .regex(PerlRegex(pattern: pattern, flags: "")))
        } else {
            #expect(conf.rules["R"] == nil)
        }
    }

    @Test func commentsBlankLinesAndLineNumbers() {
        let conf = load("# header comment\n\n   \n  # indented comment\nbody A /x/\r\nlang fr describe A traduction\ndescribe A English\nbody B /y/")
        #expect(conf.rules["A"]?.location.line == 5)
        #expect(conf.rules["B"]?.location.line == 8)
        #expect(conf.descriptions["A"] == "English")
        #expect(conf.diagnostics.isEmpty)
    }

    @Test func noLineContinuation() {
        let conf = load("body A /x\\\n/")
        #expect(conf.rules["A"] == nil)
        #expect(conf.errors.count == 1)
        #expect(conf.warnings.count == 1)  // "/" alone is an unknown directive
    }

    @Test func dashesInDirectiveNames() {
        let conf = load("required-score 7")
        #expect(conf.requiredScore == 7)
    }

    @Test func requireVersion() {
        let ok = load("require_version 4.000001\nbody A /x/")
        #expect(ok.diagnostics.isEmpty)
        #expect(ok.rules["A"] != nil)
        let other = load("body A /x/\nrequire_version 3.004006\nbody B /x/")
        #expect(other.warnings.count == 1)
        #expect(other.rules["A"] != nil)
        #expect(other.rules["B"] == nil)
    }

    @Test func nonUTF8BytesBecomeEscapes() {
        let bytes: [UInt8] = Array("body R /gu[e".utf8) + [0xE9, 0xE8] + Array("]i \\".utf8) + [0xE9] + Array("/\n".utf8)
        #expect(ConfigLoader.decode(bytes) == "body R /gu[e\\xe9\\xe8]i \\xe9/\n")
        #expect(ConfigLoader.decode(Array("ok é\n".utf8)) == "ok é\n")
    }
}
