import Testing
@testable import SwampSpamd

/// Replies encoded byte for byte as spamd 4.0.1 wrote them.
struct ResponseTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var transcript: Transcript
        var version: SpamdVersion
        var response: SpamdResponse
        var testDescription: String { transcript.name }
    }

    static let spam = SpamdVerdict(score: 1000, threshold: 5)
    /// The ham message scored -0.001 (MSGID_SHORT, NO_RECEIVED, NO_RELAYS).
    static let ham = SpamdVerdict(score: -0.001, threshold: 5)
    static let gtubeRules = ["TVD_SPACE_RATIO", "NO_RELAYS", "GTUBE", "NO_RECEIVED"]
    static let hamRules = ["NO_RELAYS", "NO_RECEIVED", "MSGID_SHORT"]
    static func body(_ t: Transcript) -> [UInt8] { replyBody(t.response) }

    static let cases: [Case] = [
        Case(transcript: Transcripts.spamcCheckSpam, version: .v1_5, response: .check(spam)),
        Case(transcript: Transcripts.spamcCheckHam, version: .v1_5, response: .check(ham)),
        Case(transcript: Transcripts.rawCheck12, version: .v1_2, response: .check(ham)),
        Case(transcript: Transcripts.rawCheck10, version: .v1_0, response: .check(ham)),
        Case(transcript: Transcripts.spamcSymbols, version: .v1_5, response: .symbols(spam, ruleNames: gtubeRules)),
        Case(transcript: Transcripts.rawSymbols13, version: .v1_3, response: .symbols(ham, ruleNames: hamRules)),
        Case(transcript: Transcripts.rawSymbols12, version: .v1_2, response: .symbols(ham, ruleNames: hamRules)),
        Case(transcript: Transcripts.spamcReport, version: .v1_5,
             response: .report(spam, report: body(Transcripts.spamcReport))),
        Case(transcript: Transcripts.rawReport12, version: .v1_2,
             response: .report(ham, report: body(Transcripts.rawReport12))),
        Case(transcript: Transcripts.spamcProcess, version: .v1_5,
             response: .process(spam, message: body(Transcripts.spamcProcess))),
        Case(transcript: Transcripts.rawCrlfProcess, version: .v1_5,
             response: .process(ham, message: body(Transcripts.rawCrlfProcess))),
        Case(transcript: Transcripts.rawProcess12, version: .v1_2,
             response: .process(ham, message: replyBody(Transcripts.rawProcess12.response))),
        // Below 1.2 the message follows the status line directly.
        Case(transcript: Transcripts.rawProcess11, version: .v1_1,
             response: .process(ham, message: Array(Transcripts.rawProcess11.response.dropFirst(19)))),
        Case(transcript: Transcripts.rawProcess10, version: .v1_0,
             response: .process(ham, message: Array(Transcripts.rawProcess10.response.dropFirst(19)))),
        // HEADERS gets the whole rewritten message and cuts it.
        Case(transcript: Transcripts.rawCrlfHeaders, version: .v1_5,
             response: .headers(ham, message: body(Transcripts.rawCrlfProcess))),
        Case(transcript: Transcripts.spamcPing, version: .v1_5, response: .pong),
        Case(transcript: Transcripts.rawPing12, version: .v1_2, response: .pong),
        Case(transcript: Transcripts.rawSkip15, version: .v1_5, response: .skip),
        Case(transcript: Transcripts.spamcTellLearnSpam, version: .v1_5, response: .tell(didSet: .local, didRemove: [])),
        Case(transcript: Transcripts.spamcTellAlreadyLearned, version: .v1_5, response: .tell(didSet: [], didRemove: [])),
        Case(transcript: Transcripts.spamcTellForget, version: .v1_5, response: .tell(didSet: [], didRemove: .local)),
        Case(transcript: Transcripts.spamcTellReport, version: .v1_5, response: .tell(didSet: .local, didRemove: [])),
    ]

    @Test(arguments: cases)
    func encodesAsSpamd(_ c: Case) {
        #expect(c.response.encoded(for: c.version).text == c.transcript.response.text)
    }

    @Test func headersCutsTheCapturedProcessReply() {
        // spamc --headers against spamd: the same rewrite as PROCESS (but for
        // its MIME boundary, which differs per run), cut after the headers.
        let process = Self.body(Transcripts.spamcProcess)
            .replacing(bytes("6B0C0312.1F435005"), with: bytes("6B0C0312.BCBD2FA9"))
        #expect(SpamdResponse.headers(Self.spam, message: process).encoded(for: .v1_5)
            == Transcripts.spamcHeaders.response)
    }

    @Test func reportIfSpamSaysTrueOrFalse() {
        // spamd writes Yes/No here, which libspamc ignores (PROTOCOL.md);
        // swamp writes what the other commands write. The rest is spamd's.
        let spamReply = SpamdResponse.reportIfSpam(Self.spam, report: Self.body(Transcripts.spamcReportIfSpamSpam))
        #expect(spamReply.encoded(for: .v1_5) == Transcripts.spamcReportIfSpamSpam.response
            .replacing(bytes("Spam: Yes ;"), with: bytes("Spam: True ;")))
        #expect(SpamdResponse.reportIfSpam(Self.ham, report: bytes("ignored")).encoded(for: .v1_5)
            == Transcripts.spamcReportIfSpamHam.response.replacing(bytes("Spam: No ;"), with: bytes("Spam: False ;")))
    }

    @Test func tellWithBoth() {
        #expect(SpamdResponse.tell(didSet: [.local, .remote], didRemove: .remote).encoded(for: .v1_5).text
            == "SPAMD/1.1 0 EX_OK\r\nDidSet: local,remote\r\nDidRemove: remote\r\n\r\n\r\n")
    }

    @Test func contentLengthCountsBytes() {
        // spamd's Perl `length` counts characters when the string is
        // flagged UTF-8; the header must count bytes.
        let message = bytes("Subject: caf\u{E9} \u{1F600}\r\n\r\n\u{E9}t\u{E9}\r\n")
        let reply = SpamdResponse.process(Self.ham, message: message).encoded(for: .v1_5)
        #expect(reply.text.contains("Content-length: \(message.count)\r\n"))
        #expect(message.count == 30)
        #expect(Array(reply.suffix(message.count)) == message)
    }

    struct Score: Sendable, CustomTestStringConvertible {
        var score: Double
        var threshold: Double
        var isSpam: Bool
        var header: String
        var testDescription: String { header }
    }

    /// Util::get_tag_value_for_score's output, printed by SpamAssassin 4.0.1 itself.
    static let scores: [Score] = [
        Score(score: 1000, threshold: 5, isSpam: true, header: "Spam: True ; 1000.0 / 5.0"),
        Score(score: -0.001, threshold: 5, isSpam: false, header: "Spam: False ; -0.0 / 5.0"),
        Score(score: 4.96, threshold: 5, isSpam: false, header: "Spam: False ; 4.9 / 5.0"),
        Score(score: 4.95, threshold: 5, isSpam: false, header: "Spam: False ; 4.9 / 5.0"),
        Score(score: 4.949999, threshold: 5, isSpam: false, header: "Spam: False ; 4.9 / 5.0"),
        Score(score: 5.04, threshold: 5.1, isSpam: false, header: "Spam: False ; 5.0 / 5.1"),
        Score(score: 5.06, threshold: 5.1, isSpam: false, header: "Spam: False ; 5 / 5.1"),
        Score(score: 0.05, threshold: 0.1, isSpam: false, header: "Spam: False ; 0 / 0.1"),
        Score(score: 0, threshold: 0, isSpam: false, header: "Spam: False ; -0.1 / 0.0"),
        Score(score: -0.06, threshold: 0, isSpam: false, header: "Spam: False ; -0.1 / 0.0"),
        Score(score: 9.95, threshold: 10, isSpam: false, header: "Spam: False ; 9.9 / 10.0"),
        // C's %.1f: the exact binary value, ties to even.
        Score(score: 0.25, threshold: 5, isSpam: false, header: "Spam: False ; 0.2 / 5.0"),
        Score(score: 0.75, threshold: 5, isSpam: false, header: "Spam: False ; 0.8 / 5.0"),
        Score(score: 1.25, threshold: 5, isSpam: false, header: "Spam: False ; 1.2 / 5.0"),
        Score(score: 0.35, threshold: 5, isSpam: false, header: "Spam: False ; 0.3 / 5.0"),
        Score(score: 0.15, threshold: 5, isSpam: false, header: "Spam: False ; 0.1 / 5.0"),
        Score(score: 0.45, threshold: 5, isSpam: false, header: "Spam: False ; 0.5 / 5.0"),
        Score(score: 2.45, threshold: 5, isSpam: false, header: "Spam: False ; 2.5 / 5.0"),
        Score(score: 7.25, threshold: 5, isSpam: true, header: "Spam: True ; 7.2 / 5.0"),
        Score(score: -3.2, threshold: 5, isSpam: false, header: "Spam: False ; -3.2 / 5.0"),
        Score(score: 12.3456, threshold: -2, isSpam: true, header: "Spam: True ; 12.3 / -2.0"),
        Score(score: -5.5, threshold: -5, isSpam: false, header: "Spam: False ; -5.5 / -5.0"),
        Score(score: 1e-300, threshold: 5, isSpam: false, header: "Spam: False ; 0.0 / 5.0"),
        Score(score: 123456.75, threshold: 5, isSpam: true, header: "Spam: True ; 123456.8 / 5.0"),
    ]

    @Test(arguments: scores)
    func scoresPrintAsSpamAssassin(_ s: Score) {
        #expect(SpamdResponse.spamHeader(SpamdVerdict(score: s.score, threshold: s.threshold, isSpam: s.isSpam))
            == s.header)
    }

    @Test(arguments: [
        ("a\n\nb", "a\n\n"), ("a\r\n\r\nb", "a\r\n\r\n"), ("a\n\r\nb", "a\n\r\n"), ("a\r\n\nb", "a\r\n\n"),
        ("abc", "abc"), ("\n\nx", "\n\n"), ("a\n\rb\n\nc", "a\n\rb\n\n"), ("a\nb\r\n\r\n\r\nc", "a\nb\r\n\r\n"),
        ("a\r\n", "a\r\n"), ("", ""),
    ])
    func headerSectionCutsAsSpamd(_ message: String, _ expected: String) {
        // Expected values from spamd's own substitution run in Perl.
        #expect(Array(SpamdResponse.headerSection(of: bytes(message))) == bytes(expected))
    }

    @Test func errorReplies() {
        #expect(SpamdError.tooManyHeaders.reply.text == "SPAMD/1.0 76 Bad header line: (too many headers)\r\n")
        #expect(SpamdError.tellDisabled.reply.text
            == "SPAMD/1.0 69 Service Unavailable: TELL commands are not enabled, set the --allow-tell switch.\r\n")
        #expect(SpamdError.readTimeout(seconds: 30).reply.text
            == "SPAMD/1.0 79 Timeout: (30 second socket timeout reading input from client)\r\n")
        #expect(SpamdError.scanTimeout(seconds: 300, command: .process).reply.text
            == "SPAMD/1.0 79 Timeout: (300 second timeout while trying to PROCESS)\r\n")
        #expect(SpamdError.invalidUserName(reason: "x/y").reply.text == "SPAMD/1.0 67 User unknown: (x/y)\r\n")
        // Any other error is EX_SOFTWARE; text never breaks the line.
        struct Oops: Error {}
        #expect(SpamdResponse.failure(Oops()).encoded(for: .v1_5).text == "SPAMD/1.0 70 Internal error\r\n")
        #expect(SpamdResponse.error(code: .ioError, text: "a\r\nb").encoded(for: .v1_5).text
            == "SPAMD/1.0 74 a  b\r\n")
        #expect(SpamdResponse.failure(SpamdError.messageTooBig(limit: 9)) == .error(code: .tooBig,
            text: "Message too big: (over the limit of 9 bytes)"))
    }

    @Test func everyErrorIsOneLine() {
        let errors: [SpamdError] = [
            .closedBeforeRequest, .unknownRequest(line: Array(0...255)), .unsupportedVersion(bytes("\r\n")),
            .requestLineTooLong(limit: 1), .headerLineTooLong(limit: 1), .tooManyHeaders, .eofDuringHeaders,
            .malformedHeader, .contentLengthNotNumeric, .conflictingContentLength, .contentLengthRequired,
            .userControlCharacters, .userTooLong(limit: 1), .unsupportedCompression(Array(0...255)),
            .compressionNeedsContentLength, .invalidMessageClass, .messageClassRequired, .setAndRemoveLocal,
            .setAndRemoveRemote, .contentLengthMismatch(expected: 2, received: 1), .bytesAfterBody(expected: 1),
            .messageTooBig(limit: 1), .tellDisabled, .readTimeout(seconds: 1),
            .scanTimeout(seconds: 1, command: .check), .invalidUserName(reason: "\r\n"),
        ]
        for error in errors {
            let reply = error.reply
            #expect(reply.starts(with: bytes("SPAMD/1.0 \(error.sysExit.rawValue) ")))
            #expect(reply.suffix(2) == [13, 10])
            #expect(!reply.dropLast(2).contains(13) && !reply.dropLast(2).contains(10))
            #expect(reply.count < 200)
            #expect(error.sysExit != .ok)
        }
    }

    @Test func sysExitNames() {
        #expect(SysExit.allCases.count == 18)
        #expect(SysExit.protocol.rawValue == 76 && SysExit.protocol.name == "EX_PROTOCOL")
        #expect(SysExit.tooBig.rawValue == 98 && SysExit.dataError.rawValue == 65 && SysExit.usage.rawValue == 64)
        #expect(Set(SysExit.allCases.map(\.name)).count == 18)
    }
}
