import Testing
@testable import SwampSpamd
import SwampTestSupport

/// Requests spamc and older clients really send, decoded field by field.
struct DecoderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var transcript: Transcript
        var expected: SpamdRequest
        var testDescription: String { transcript.name }
    }

    static let root = bytes("root")
    static func headers(_ pairs: (String, String)...) -> [SpamdHeader] { pairs.map { SpamdHeader($0.0, $0.1) } }

    static let spamcCases: [Case] = [
        Case(transcript: Transcripts.spamcCheckSpam, expected: SpamdRequest(
            command: .check, headers: headers(("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcCheckHam, expected: SpamdRequest(
            command: .check, headers: headers(("User", "root"), ("Content-length", "152")),
            contentLength: 152, user: root, body: Messages.ham)),
        Case(transcript: Transcripts.spamcSymbols, expected: SpamdRequest(
            command: .symbols, headers: headers(("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcReport, expected: SpamdRequest(
            command: .report, headers: headers(("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcReportIfSpamSpam, expected: SpamdRequest(
            command: .reportIfSpam, headers: headers(("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcProcess, expected: SpamdRequest(
            command: .process, headers: headers(("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcHeaders, expected: SpamdRequest(
            command: .headers, headers: headers(("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcPing, expected: SpamdRequest(command: .ping)),
        Case(transcript: Transcripts.spamcTellLearnSpam, expected: SpamdRequest(
            command: .tell,
            headers: headers(("Message-class", "spam"), ("Set", "local"), ("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, messageClass: .spam, set: .local, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcTellForget, expected: SpamdRequest(
            command: .tell, headers: headers(("Remove", "local"), ("User", "root"), ("Content-length", "192")),
            contentLength: 192, user: root, remove: .local, body: Messages.gtube)),
        Case(transcript: Transcripts.spamcTellReport, expected: SpamdRequest(
            command: .tell,
            headers: headers(("Message-class", "spam"), ("Set", "local,remote"), ("User", "root"),
                             ("Content-length", "192")),
            contentLength: 192, user: root, messageClass: .spam, set: [.local, .remote], body: Messages.gtube)),
        Case(transcript: Transcripts.spamcCheckUserAlice, expected: SpamdRequest(
            command: .check, headers: headers(("User", "alice"), ("Content-length", "152")),
            contentLength: 152, user: bytes("alice"), body: Messages.ham)),
        // Older protocol versions, written by hand.
        Case(transcript: Transcripts.rawCheck12, expected: SpamdRequest(
            command: .check, version: .v1_2, headers: headers(("Content-length", "152")),
            contentLength: 152, body: Messages.ham)),
        Case(transcript: Transcripts.rawProcess11, expected: SpamdRequest(
            command: .process, version: .v1_1, headers: headers(("Content-length", "152")),
            contentLength: 152, body: Messages.ham)),
        // 1.0 has no headers: the message runs to the half-close.
        Case(transcript: Transcripts.rawProcess10, expected: SpamdRequest(
            command: .process, version: .v1_0, body: Messages.ham)),
        Case(transcript: Transcripts.rawCheck10, expected: SpamdRequest(
            command: .check, version: .v1_0, body: Messages.ham)),
        Case(transcript: Transcripts.rawPing12, expected: SpamdRequest(command: .ping, version: .v1_2)),
        Case(transcript: Transcripts.rawPing15Hdrs, expected: SpamdRequest(
            command: .ping, headers: headers(("Foo", "bar")))),
        Case(transcript: Transcripts.rawSkip15, expected: SpamdRequest(command: .skip)),
        Case(transcript: Transcripts.rawCrlfProcess, expected: SpamdRequest(
            command: .process, headers: headers(("Content-length", "159")),
            contentLength: 159, body: Messages.hamCRLF)),
        Case(transcript: Transcripts.rawCompressOk, expected: SpamdRequest(
            command: .check, headers: headers(("Compress", "zlib"), ("Content-length", "128")),
            contentLength: 128, compression: .zlib, body: Array(Transcripts.rawCompressOk.request.suffix(128)))),
    ]

    @Test(arguments: spamcCases)
    func decodesCapturedRequests(_ c: Case) {
        #expect(request(c.transcript.request) == c.expected)
    }

    /// The property NIO's ByteToMessageDecoderVerifier checks: however the
    /// bytes are split, the same actions come out, in the same order.
    @Test(arguments: spamcCases)
    func everySplitDecodesTheSame(_ c: Case) {
        let input = c.transcript.request
        let whole = decode(input)
        for cut in 0...input.count {
            #expect(decode([input[..<cut], input[cut...]]) == whole, "split at \(cut)")
        }
        #expect(decode(input.map { [$0][...] }) == whole, "one byte at a time")
        var rng = SplitMix64(state: UInt64(input.count))
        for _ in 0..<20 {
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < input.count {
                let end = min(input.count, start + Int.random(in: 0...40, using: &rng))
                chunks.append(input[start..<end])
                start = end
            }
            #expect(decode(chunks) == whole)
        }
    }

    @Test func requestCompletesWithoutHalfClose() {
        // spamc half-closes, but the reply must not wait for it.
        for transcript in [Transcripts.spamcCheckSpam, Transcripts.spamcPing, Transcripts.spamcTellLearnSpam] {
            #expect(decode(transcript.request, halfClose: false).count == 1)
        }
        var decoder = SpamdRequestDecoder()
        #expect(decoder.feed(bytes("PING SPAMC/1.5\r\n")).isEmpty)
        #expect(decoder.feed(bytes("\r\n")) == [.deliver(SpamdRequest(command: .ping))])
        #expect(decoder.isFinished)
        #expect(decoder.finish().isEmpty)
    }

    @Test func everyCommandAndVersionDecodes() {
        for command in SpamdCommand.allCases {
            for version in SpamdVersion.supported {
                var input = bytes("\(command.rawValue) SPAMC/\(version)\r\n")
                let hasHeaders = command == .tell || (command.carriesMessage ? version > .v1_0 : version >= .v1_5)
                if hasHeaders {
                    input += command.carriesMessage ? bytes("Message-class: ham\r\nSet: local\r\nContent-length: 2\r\n\r\n")
                        : bytes("\r\n")
                }
                if command.carriesMessage { input += bytes("hi") }
                let decoded = request(input)
                #expect(decoded?.command == command)
                #expect(decoded?.version == version)
                #expect(decoded?.body == (command.carriesMessage ? bytes("hi") : []))
            }
        }
    }

    @Test func toleratedVariations() {
        // Bare LF everywhere (spamd only tolerates it on the request line).
        #expect(request(bytes("CHECK SPAMC/1.5\nContent-length: 2\n\nhi"))?.body == bytes("hi"))
        #expect(request(Transcripts.rawCheck12.request.replacing([13, 10], with: [10]))?.contentLength == 152)
        // Trailing spaces after the version, as spamd allows.
        #expect(request(bytes("CHECK SPAMC/1.5 \t\r\nContent-length: 2\r\n\r\nhi"))?.command == .check)
        // Header names in any case; spamd would ignore `Content-Length`.
        let mixed = request(bytes("CHECK SPAMC/1.5\r\ncontent-LENGTH: 2\r\nuser: bob\r\ncompress: ZLIB\r\n\r\nhi"))
        #expect(mixed?.contentLength == 2)
        #expect(mixed?.user == bytes("bob"))
        #expect(mixed?.compression == .zlib)
        // Repeating the same length is harmless.
        #expect(request(bytes("CHECK SPAMC/1.5\r\nContent-length: 2\r\nContent-length: 02\r\n\r\nhi")) != nil)
        // Unknown headers are kept, in order; spaces after the colon skipped.
        let kept = request(bytes("CHECK SPAMC/1.5\r\nX-A:   1\r\nX-B:\t2 \r\nContent-length: 0\r\n\r\n"))
        #expect(kept?.values(of: "x-a") == [bytes("1")])
        #expect(kept?.values(of: "X-B") == [bytes("2 ")])
        // An empty message.
        #expect(request(bytes("CHECK SPAMC/1.5\r\nContent-length: 0\r\n\r\n"))?.body == [])
        // The header section may hold 255 lines, as in spamd.
        let many = (0..<254).map { "X-\($0): y\r\n" }.joined()
        #expect(request(bytes("CHECK SPAMC/1.5\r\n\(many)Content-length: 0\r\n\r\n")) != nil)
        // Message-class in any case; Set/Remove by substring, as spamd.
        let tell = request(bytes("TELL SPAMC/1.5\r\nMessage-class: SPAM\r\nSet: Local\r\nRemove: REMOTE\r\nContent-length: 0\r\n\r\n"))
        #expect(tell?.messageClass == .spam)
        #expect(tell?.set == .local)
        #expect(tell?.remove == .remote)
        // An unterminated `PING SPAMC/1.2` at end of input still pongs (spamd's getline).
        #expect(request(bytes("PING SPAMC/1.2")) == SpamdRequest(command: .ping, version: .v1_2))
    }

    @Test func readsToEndOfInputWhenAllowed() {
        var limits = DecoderLimits()
        limits.requiresContentLength = false
        let decoded = request(bytes("CHECK SPAMC/1.5\r\nUser: bob\r\n\r\n") + Messages.ham, limits: limits)
        #expect(decoded?.body == Messages.ham)
        #expect(decoded?.contentLength == nil)
        // Without the half-close nothing is delivered.
        #expect(decode(bytes("CHECK SPAMC/1.5\r\n\r\nhi"), limits: limits, halfClose: false).isEmpty)
    }

    @Test func limitsClampToHardCaps() {
        let huge = DecoderLimits(maxLineLength: .max, maxHeaderCount: .max, maxBodySize: .max, maxUserLength: .max)
        #expect(huge.maxLineLength == DecoderLimits.hardCaps.maxLineLength)
        #expect(huge.maxHeaderCount == DecoderLimits.hardCaps.maxHeaderCount)
        #expect(huge.maxBodySize == DecoderLimits.hardCaps.maxBodySize)
        #expect(huge.maxUserLength == DecoderLimits.hardCaps.maxUserLength)
        var tiny = DecoderLimits()
        tiny.maxLineLength = -5
        tiny.maxBodySize = -1
        #expect(tiny.maxLineLength == DecoderLimits.minimum.maxLineLength)
        #expect(tiny.maxBodySize == 0)
        #expect(DecoderLimits.default.maxHeaderCount == 255)
    }
}
