import Foundation
import SwampEngine
import SwampRules
import Testing
@testable import SwampScan

/// The message PROCESS sends back, shaped as SpamAssassin 4.0.1's
/// `rewrite_mail` shapes it (Message.pm, PerMsgStatus.pm): compared with
/// spamd's answers for the corpus, these are the points that differed.
@Suite struct ProcessedMessageTests {
    static let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

    static func scanner(_ extra: String = "") -> SpamScanner {
        var loader = ConfigLoader()
        loader.load(text: """
            body GTUBE /XJS\\*C4JDBQADN1\\.NSBN3\\*2IDNEN\\*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL\\*C\\.34X/
            score GTUBE 1000
            report_safe 1
            clear_report_template
            report Report for _SCORE_ points.
            clear_unsafe_report_template
            unsafe_report Not plain text:
            unsafe_report open with care.
            add_header all Status _YESNO_, score=_SCORE_
            use_bayes 0

            """ + extra, file: "process-test.cf")
        return SpamScanner(ruleSet: RuleSet(configuration: loader.configuration), hostname: "mx.example.org")
    }

    static func process(_ message: [UInt8], _ scanner: SpamScanner = ProcessedMessageTests.scanner()) -> [UInt8] {
        scanner.processedMessage(for: scanner.scan(message))
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test(arguments: [
        ("From alice@example.com  Sat Jul 28 20:47:14 2001\nSubject: x\n", "From alice@example.com  Sat Jul 28 20:47:14 2001\n"),
        ("From - Tue Feb 23 09:38:47 2010\n", "From - Tue Feb 23 09:38:47 2010\n"),
        ("From\nSubject: x\n", "From\n"),
        // The obsolete `From :` header form, and a header proper.
        ("From : alice@example.com\n", ""),
        ("From  : alice@example.com\n", "From  : alice@example.com\n"),
        ("From: alice@example.com\n", ""),
        ("Fromage: yes\n", ""),
    ])
    func mboxSeparators(message: String, separator: String) {
        let (sep, rest) = SpamScanner.mboxSeparator(Array(message.utf8))
        #expect(Self.text(sep) == separator)
        #expect(sep + rest == Array(message.utf8))
    }

    /// The mbox separator goes first, before the wrapper or the added
    /// headers, and not into the attached original.
    @Test func mboxSeparatorLeadsTheRewrittenMessage() {
        let separator = "From alice@example.com  Sat Jul 28 20:47:14 2001\n"
        let spam = Self.text(Self.process(Array((separator + "Return-Path: <a@example.com>\nSubject: hi\n\n\(Self.gtube)\n").utf8)))
        #expect(spam.hasPrefix(separator + "Received: from localhost by mx.example.org\n"))
        #expect(spam.components(separatedBy: "From alice@example.com").count == 2, "\(spam)")
        let ham = Self.text(Self.process(Array((separator + "Return-Path: <a@example.com>\nSubject: hi\n\nhello\n").utf8)))
        #expect(ham.hasPrefix(separator + "Return-Path: <a@example.com>\nX-Spam-Checker-Version: "), "\(ham)")
    }

    /// The wrapper's copies of From, To, Subject ... are the last such
    /// field, after the colon and its blanks, bytes as they came; the
    /// report is followed by a blank line before the boundary.
    @Test func wrapperCopiesPristineFields() {
        let message = Array("From: VIAGRA ".utf8) + [0xAE] + Array(" Reseller <x@example.com>\nSubject:   first\nSubject:\t  Special\n offer\nTo:bob@example.net\n\n\(Self.gtube)\n".utf8)
        let out = Self.process(message)
        let text = Self.text(out)
        #expect(out.starts(with: Array("Received: from localhost by mx.example.org\n".utf8)))
        let head = Array("\nFrom: VIAGRA ".utf8) + [0xAE] + Array(" Reseller <x@example.com>\nTo: bob@example.net\nSubject: Special\n offer\n".utf8)
        #expect(SpamScanner.contains(out, head), "\(text)")
        // The report ends in a blank line; another follows, as in spamd.
        #expect(text.contains("Report for 1000.0 points.\n\n\n\n--"), "\(text)")
        #expect(!text.contains("Not plain text"))
    }

    /// A message that is not plain text gets the `unsafe_report` lines
    /// after the report, and goes as an attachment.
    @Test func unsafeReportForOtherContent() {
        let html = Self.text(Self.process(Array("Subject: hi\nContent-Type: text/html\n\n<p>\(Self.gtube)</p>\n".utf8)))
        #expect(html.contains("Report for 1000.0 points.\n\nNot plain text:\nopen with care.\n\n\n--"), "\(html)")
        #expect(html.contains("Content-Disposition: attachment\n"))
    }

    /// CR LF messages get CR LF in what is added, never CR CR LF.
    @Test func crlfMessages() {
        let out = Self.text(Self.process(Array("Subject: hi\r\nTo: bob@example.net\r\n\r\n\(Self.gtube)\r\n".utf8)))
        #expect(out.contains("Subject: hi\r\nTo: bob@example.net\r\n") || out.contains("To: bob@example.net\r\nSubject: hi\r\n"), "\(out)")
        #expect(!out.contains("\r\r"))
        #expect(!out.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }
}
