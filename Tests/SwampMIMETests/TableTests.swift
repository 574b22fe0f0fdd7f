import Foundation
import Testing
@testable import SwampMIME

/// Parser tables: each row is an input and what SpamAssassin 4.0.1 gives.
@Suite struct TableTests {
    // MARK: headers

    @Test(arguments: [
        ("Subject: one\n two\n\tthree\n\nb\n", "Subject", "one two three\n"),
        ("Subject: a\r\n b\r\n\r\nbody\r\n", "Subject", "a b\n"),
        ("Subject:   padded   \n\nb\n", "Subject", "padded\n"),
        ("To: a@x.example\nTo: b@y.example\n\nb\n", "To", "a@x.example\nb@y.example\n"),
        ("Subject: =?UTF-8?B?SGVsbG8gV29ybGQ=?=\n\nb\n", "Subject", "Hello World\n"),
        ("Subject: =?iso-8859-1?Q?Caf=E9_cr=E8me?=\n\nb\n", "Subject", "Café crème\n"),
        ("Subject: =?utf-8?q?a?= =?utf-8?q?b?=\n\nb\n", "Subject", "ab\n"),
        ("Subject: =?utf-8?q?a?= x =?utf-8?q?b?=\n\nb\n", "Subject", "a x b\n"),
        ("Subject: =?koi8-r?B?8NLJ18XU?=\n\nb\n", "Subject", "Привет\n"),
        ("Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\n\nb\n", "Subject", "こんにちは\n"),
        ("Subject: caf\u{E9}\n\nb\n", "Subject", "café\n"),
        ("Message-ID: =?utf-8?q?x?=\n\nb\n", "Message-ID", "=?utf-8?q?x?=\n"),
    ] as [(String, String, String)])
    func decodedHeaders(_ input: String, _ name: String, _ want: String) {
        var bytes = Array(input.utf8)
        if input.contains("caf\u{E9}") {
            // the raw Latin-1 byte, not UTF-8
            bytes = Array("Subject: caf".utf8) + [0xE9] + Array("\n\nb\n".utf8)
        }
        let v = Views(message: Message(bytes: bytes))
        #expect(v.header(HeaderQuery(name: name))?.s == want)
    }

    @Test func headerModifiers() {
        let v = views("""
        From: "Doe, John" <john@example.com>
        To: a@one.example, "B" <b@two.example>
        Cc: c@three.example
        Reply-To: =?utf-8?q?J=C3=BCrgen?= <j@x.example>
        Received: from mx.example.net (mx.example.net [192.0.2.7]) by in.example.org (Postfix) with ESMTP id AB12; Mon, 1 Jan 2024 00:00:00 +0000
        Subject: hi

        body
        """)
        #expect(v.header(HeaderQuery(name: "From", modifier: .addr))?.s == "john@example.com")
        #expect(v.header(HeaderQuery(name: "From", modifier: .name))?.s == "Doe, John")
        #expect(v.header(HeaderQuery(name: "To", modifier: .addr))?.s == "a@one.example\nb@two.example")
        #expect(v.header(HeaderQuery(name: "To", modifier: .addr, selection: .first))?.s == "a@one.example\nb@two.example")
        #expect(v.header(HeaderQuery(name: "Reply-To", modifier: .name))?.s == "Jürgen")
        #expect(v.header(HeaderQuery(name: "ToCc"))?.s == "a@one.example, \"B\" <b@two.example>\nc@three.example\n")
        #expect(v.header(HeaderQuery(name: "From:addr"))?.s == "john@example.com")
        #expect(v.header(HeaderQuery(name: "Received", modifier: .ip))?.s == "192.0.2.7")
        #expect(v.header(HeaderQuery(name: "Received", modifier: .revip))?.s == "7.2.0.192")
        #expect(v.header(HeaderQuery(name: "From", modifier: .domain))?.s == "example.com")
        #expect(v.header(HeaderQuery(name: "Subject", modifier: .raw))?.s == " hi\n")
        #expect(v.header(HeaderQuery(name: "X-Absent")) == nil)
        #expect(v.header(HeaderQuery(name: "ALL"))?.s.hasPrefix("From: \"Doe, John\" <john@example.com>\nTo: ") == true)
        #expect(v.header(HeaderQuery(name: "X-Spam-Relays-Untrusted"))?.s ==
            "[ ip=192.0.2.7 rdns=mx.example.net helo=mx.example.net by=in.example.org ident= envfrom= intl=0 id=AB12 auth= msa=0 ]")
        #expect(v.header(HeaderQuery(name: "X-Spam-Relays-Trusted"))?.s == "")
    }

    @Test func headerBlockEdgeCases() {
        // No blank line, a line without colon, a "--" line ending the block.
        let m1 = msg("Subject: x\nnot a header\nFrom: a@b.example\n")
        #expect(m1.headers.map(\.name) == ["Subject", "From"])
        let m2 = msg("Subject: x\n--boundary\nbody\n")
        #expect(m2.headers.count == 1)
        #expect(m2.root.decodedBody.s == "--boundary\nbody\n")
        let m3 = msg("From mbox@example Mon Jan  1 00:00:00 2024\nSubject: y\n\nz\n")
        #expect(m3.headers.first?.name == "Subject")
    }

    // MARK: MIME

    @Test func multipartTree() {
        let m = msg("""
        Content-Type: multipart/mixed; boundary="XX"

        preamble
        --XX
        Content-Type: text/plain; charset=utf-8

        first
        --XX
        Content-Type: message/rfc822

        Subject: inner
        Content-Type: text/html

        <p>inner &amp; html</p>
        --XX--
        epilogue
        """)
        #expect(m.root.mediaType == "multipart/mixed")
        #expect(m.root.children.count == 2)
        #expect(m.root.children[0].decodedBody.s == "first")
        #expect(m.root.children[1].mediaType == "message/rfc822")
        #expect(m.root.children[1].children.first?.headers.first?.name == "Subject")
        let v = Views(message: m)
        #expect(v.body.map(\.s) == ["\n", "first inner & html\n"].map { $0 } || v.body.count >= 2)
    }

    @Test(arguments: [
        ("attachment; filename*0*=utf-8''na%C3%AFve; filename*1=\".txt\"", "filename", "naïve.txt"),
        ("text/plain; charset=\"iso-8859-1\"; format=flowed", "charset", "iso-8859-1"),
        ("text/plain; name*=iso-8859-1'en'caf%E9.txt", "name", "café.txt"),
        ("multipart/mixed; boundary=\"a;b\"", "boundary", "a;b"),
    ] as [(String, String, String)])
    func rfc2231Parameters(_ value: String, _ key: String, _ want: String) {
        #expect(ContentType.parameters(Array(value.utf8))[key] == want)
    }

    // MARK: transfer encodings

    @Test(arguments: [
        ("SGVsbG8=", "Hello"),
        ("SGVs\nbG8=\n", "Hello"),
        ("SGVs*bG8", "Hello"),
        ("SGVsbG8gV29ybGQ", "Hello World"),
        ("", ""),
    ] as [(String, String)])
    func base64(_ input: String, _ want: String) {
        #expect(Decoders.base64(Array(input.utf8)).s == want)
    }

    @Test(arguments: [
        ("a=3Db", "a=b"),
        ("soft=\nbreak", "softbreak"),
        ("trailing   \nx", "trailing\nx"),
        ("bad=ZZ=4", "bad=ZZ=4"),
        ("caf=E9", "caf\u{FFFD}"),
    ] as [(String, String)])
    func quotedPrintable(_ input: String, _ want: String) {
        let out = Decoders.quotedPrintable(Array(input.utf8))
        if want.contains("\u{FFFD}") { #expect(out.last == 0xE9) } else { #expect(out.s == want) }
    }

    // MARK: charsets

    @Test(arguments: [
        ([0xE9] as [UInt8], "iso-8859-1", "é"),
        ([0x80], "windows-1252", "€"),
        ([0xC0, 0xE1], "koi8-r", "юА"),
        ([0xC4, 0xE3, 0xBA, 0xC3], "gb2312", "你好"),
        ([0x82, 0xA0], "shift_jis", "あ"),
        ([0xA4, 0xA2], "euc-jp", "あ"),
        ([0xC3, 0xA9], "iso-8859-1", "é"),  // valid UTF-8 wins, as in SpamAssassin
        ([0x41, 0x00, 0x42, 0x00], "utf-16", "AB"),
        ([0xE9], "x-unknown", "é"),
    ] as [([UInt8], String, String)])
    func charsets(_ bytes: [UInt8], _ charset: String, _ want: String) {
        #expect(Charset.normalize(bytes, charset: charset, insist: false).s == want)
    }

    // MARK: HTML

    @Test(arguments: [
        ("<p>one</p><p>two</p>", "\n\none\n\n\n\ntwo\n\n"),
        ("a<br>b<div>c</div>", "a\nb\nc\n"),
        ("<ul><li>x<li>y</ul>", " x y"),
        ("<script>var a=1;</script>text<style>p{}</style>", "text"),
        ("A&amp;B &lt;&#65;&#x42;&gt;", "A&B <AB>"),
        ("x<!-- hidden -->y", "xy"),
        ("<font color=\"#ffffff\">white</font> on white", "white on white"),
        ("<title>T</title>body", "\n\nT\n\nbody"),
    ] as [(String, String)])
    func htmlRendering(_ html: String, _ want: String) {
        #expect(HTMLRenderer.render(Array(html.utf8), maxURIs: 10).text.s == want)
    }

    @Test func htmlLinks() {
        let r = HTMLRenderer.render(Array("""
        <base href="http://example.com/dir/page.html"><a href="x.html">x</a>
        <img src="//cdn.example.net/i.png"><form action="/post"></form>
        <meta http-equiv="refresh" content="0; url=http://r.example.org/">
        """.utf8), maxURIs: 100)
        let uris = Set(r.uris.map(\.s))
        #expect(uris.contains("http://example.com/dir/x.html"))
        #expect(uris.contains("x.html"))
        #expect(uris.contains("http://cdn.example.net/i.png"))
        #expect(uris.contains("http://example.com/post"))
        #expect(uris.contains("http://r.example.org/"))
    }

    // MARK: URIs

    @Test func textURIs() {
        let v = views("""
        Subject: links

        Visit www.example.com/page, mail me: joe@example.org or see http://Example.NET:80/a?b=1.
        Also hxxp://not.a.link and shop.example.co.uk today.
        """)
        let uris = Set(v.uris.map(\.s))
        #expect(uris.contains("http://www.example.com/page"))
        #expect(uris.contains("mailto:joe@example.org"))
        #expect(uris.contains("http://Example.NET:80/a?b=1"))
        #expect(uris.contains("http://Example.NET/a?b=1"))
        #expect(uris.contains("http://shop.example.co.uk"))
    }

    @Test func canonicalisedVariants() {
        let c = Set(URIExtractor.canonicalize(Array("http://www.example.com%2Ecn/x".utf8)).map(\.s))
        #expect(c.contains("http://www.example.com.cn/x"))
        let d = Set(URIExtractor.canonicalize(Array("http://0x7f.1/".utf8)).map(\.s))
        #expect(d.contains("http://127.0.0.1/") || d.contains("http://127.1/") || !d.isEmpty)
    }

    // MARK: Received

    @Test(arguments: [
        ("from mail.example.com (mail.example.com [203.0.113.5]) by mx.example.org (Postfix) with ESMTP id 1234ABC; Tue, 2 Jan 2024 10:00:00 +0000",
         "[ ip=203.0.113.5 rdns=mail.example.com helo=mail.example.com by=mx.example.org ident= envfrom= intl=0 id=1234ABC auth= msa=0 ]"),
        ("from helo.example (unknown [198.51.100.9]) by mx.example.org (Postfix) with ESMTPSA id X12; Tue, 2 Jan 2024 10:00:00 +0000",
         "[ ip=198.51.100.9 rdns= helo=helo.example by=mx.example.org ident= envfrom= intl=0 id=X12 auth=ESMTPSA msa=0 ]"),
        ("from [192.0.2.33] (helo=laptop) by smtp.example.net with esmtp (Exim 4.96) (envelope-from <a@b.example>) id 1r-AB",
         "[ ip=192.0.2.33 rdns= helo=laptop by=smtp.example.net ident= envfrom=a@b.example intl=0 id=1r-AB auth= msa=0 ]"),
        ("from unknown (HELO box) (198.51.100.2) by mail.example.com with SMTP; 9 Oct 2002 15:54:10 -0000",
         "[ ip=198.51.100.2 rdns= helo=box by=mail.example.com ident= envfrom= intl=0 id= auth= msa=0 ]"),
    ] as [(String, String)])
    func receivedLines(_ line: String, _ want: String) {
        let r = ReceivedParser.parse(Array(line.utf8))
        #expect(r.map { ReceivedParser.asString($0.relay) } == want)
    }

    @Test func trustBoundaries() {
        let text = """
        Received: from gw.example.org (gw.example.org [10.0.0.2]) by mx.example.org (Postfix) with ESMTP id A1; Tue, 2 Jan 2024 10:00:02 +0000
        Received: from out.sender.example (out.sender.example [203.0.113.9]) by gw.example.org (Postfix) with ESMTP id B2; Tue, 2 Jan 2024 10:00:01 +0000
        Subject: t

        b
        """
        let def = views(text)
        #expect(def.relays.trusted.map(\.ip) == ["10.0.0.2"])
        #expect(def.relays.untrusted.map(\.ip) == ["203.0.113.9"])
        let nets = TrustPolicy(trusted: [IPNetwork("10.")!, IPNetwork("203.0.113.0/24")!])
        let all = views(text, trust: nets)
        #expect(all.relays.trusted.count == 2)
        #expect(all.relays.internal.count == 2)
        #expect(all.header(HeaderQuery(name: "X-Spam-Relays-External"))?.s == "")
        // Loopback is always part of a configured trusted_networks.
        let local = views("Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) with ESMTP id L1X; Tue, 2 Jan 2024 10:00:03 +0000\n" + text,
                          trust: TrustPolicy(trusted: [IPNetwork("10.0.0.0/8")!]))
        #expect(local.relays.trusted.map(\.ip) == ["127.0.0.1", "10.0.0.2"])
    }

    // MARK: IP

    @Test func ipAddresses() {
        #expect(IPAddress("192.168.1.1")?.description == "192.168.1.1")
        #expect(IPAddress("[IPv6:2001:DB8::1]")?.description == "2001:db8::1")
        #expect(IPAddress("::ffff:10.1.2.3")?.isPrivate == true)
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("256.1.1.1") == nil)
        #expect(IPAddress("ipv6:2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("iPv6:2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("ipv\u{16}\u{1A}2001:db8::1") == nil)  // not the tag in another guise
        #expect(IPAddress("fe80::1%eth0")?.description == "fe80::1")
        #expect(IPAddress("[10.0.0.1]")?.description == "10.0.0.1")
        #expect(IPAddress("fe80::1")?.isPrivate == true)
        #expect(IPAddress("8.8.8.8")?.isPrivate == false)
        #expect(IPAddress("100.64.0.1")?.isPrivate == true)
    }

    @Test func ipNetworks() {
        let ten = IPNetwork("10.")!
        #expect(ten.prefixLength == 8)
        #expect(ten.contains(IPAddress("10.9.8.7")!))
        #expect(!ten.contains(IPAddress("11.0.0.1")!))
        let neg = IPNetwork("!10.1.2.3")!
        #expect(neg.negated && neg.prefixLength == 32)
        #expect([neg, ten].matches(IPAddress("10.1.2.3")!) == false)
        #expect([neg, ten].matches(IPAddress("10.1.2.4")!) == true)
        #expect(IPNetwork("2001:db8::/32")!.contains(IPAddress("2001:db8:1::5")!))
        #expect(IPNetwork("192.168/16")!.contains(IPAddress("192.168.3.4")!))
        #expect(IPNetwork("127.0.0.1")!.contains(IPAddress("::ffff:127.0.0.1")!))
        #expect(IPNetwork("bogus") == nil)
    }

    // MARK: body views

    @Test func bodyParagraphsAndRawbody() {
        let v = views("""
        Subject: Hello there
        Content-Type: text/plain

        line one
        line two

        para   two\twith   space
        """)
        #expect(v.body.map(\.s) == ["Hello there\n", "line one line two\n", "para two with space"])
        #expect(v.rawBody.map(\.s) == ["line one\nline two\n\npara   two\twith   space"])
    }

    /// Perl keeps the body as octets unless a part was decoded to characters:
    /// then entities below 256 stay single bytes and NBSP is not a space.
    @Test func bodyOctetAndCharacterSemantics() {
        let latin = views("Subject: s\nContent-Type: text/html; charset=us-ascii\n\n<p>Copyright &copy; 2024 &#160;x</p>\n")
        #expect(latin.body.last == Array("Copyright ".utf8) + [0xA9] + Array(" 2024 ".utf8) + [0xA0] + Array("x\n".utf8))
        let wide = views("Subject: s\nContent-Type: text/html; charset=us-ascii\n\n<p>Copy &copy; and &#8364;</p>\n")
        #expect(wide.body.last?.s == "Copy © and €\n")
        let unicode = Views(message: Message(bytes: Array("Subject: s\nContent-Type: text/plain; charset=utf-8\n\nA".utf8)
            + [0xC2, 0xA0] + Array("B ".utf8) + [0xE2, 0x80, 0x83] + Array("C\n".utf8)))
        #expect(unicode.body.last?.s == "A B C ")
    }
}

@Suite struct ASCIITrimTests {
    /// The same as Foundation's trimmingCharacters(in:) for ASCII text.
    @Test func trimsLikeFoundationForASCII() {
        let samples = ["", " ", "\t a b \t", "\r\n x \n", "x", " \u{0B}y\u{0C} ", "a \n", "\n\n", "  color : red  "]
        for s in samples {
            #expect(s.trimmingASCII(.spaces) == s.trimmingCharacters(in: .whitespaces), "\(s.debugDescription)")
            #expect(s.trimmingASCII(.newlines) == s.trimmingCharacters(in: .newlines), "\(s.debugDescription)")
            #expect(s.trimmingASCII(.spacesAndNewlines) == s.trimmingCharacters(in: .whitespacesAndNewlines),
                    "\(s.debugDescription)")
        }
        // Other Unicode spaces stay, as Perl's \s on bytes leaves them.
        #expect("\u{A0}x\u{A0}".trimmingASCII(.spaces) == "\u{A0}x\u{A0}")
        #expect(Substring(" é ").trimmingASCII(.spaces) == "é")
    }
}
