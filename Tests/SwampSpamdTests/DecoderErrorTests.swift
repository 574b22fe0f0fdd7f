import Testing
@testable import SwampSpamd

/// SECURITY.md "Protocol": every malformed request ends in one error reply.
struct DecoderErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var input: [UInt8]
        var error: SpamdError
        /// The exact reply; for cases spamd shares, its captured bytes.
        var reply: [UInt8]
        var limits = DecoderLimits.default
        var testDescription: String { name }
    }

    static func line(_ text: String) -> [UInt8] { bytes(text + "\r\n") }
    static let check = "CHECK SPAMC/1.5\r\n"

    /// Errors where swamp answers exactly as spamd 4.0.1 did.
    static let sameAsSpamd: [Case] = [
        Case(name: "unknown command", input: Transcripts.rawUnknown.request,
             error: .unknownRequest(line: bytes("FOO SPAMC/1.5")), reply: Transcripts.rawUnknown.response),
        Case(name: "empty request line", input: Transcripts.rawEmptyLine.request,
             error: .unknownRequest(line: []), reply: Transcripts.rawEmptyLine.response),
        Case(name: "nothing sent", input: [], error: .closedBeforeRequest, reply: Transcripts.rawClosed.response),
        Case(name: "lowercase command", input: bytes("check SPAMC/1.5\r\n\r\n"),
             error: .unknownRequest(line: bytes("check SPAMC/1.5")),
             reply: line("SPAMD/1.0 76 Bad header line: check SPAMC/1.5")),
        Case(name: "negative Content-length", input: Transcripts.rawNegative.request,
             error: .contentLengthNotNumeric, reply: Transcripts.rawNegative.response),
        Case(name: "space after Content-length", input: bytes(check + "Content-length: 2 \r\n\r\nhi"),
             error: .contentLengthNotNumeric,
             reply: line("SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric bytes)")),
        Case(name: "Content-length longer than the body", input: Transcripts.rawClenLong.request,
             error: .contentLengthMismatch(expected: 202, received: 152), reply: Transcripts.rawClenLong.response),
        Case(name: "header without colon", input: Transcripts.rawNoColon.request,
             error: .malformedHeader, reply: Transcripts.rawNoColon.response),
        Case(name: "User with control characters", input: Transcripts.rawUserCtrl.request,
             error: .userControlCharacters, reply: Transcripts.rawUserCtrl.response),
        Case(name: "Compress: gzip", input: Transcripts.rawCompressGzip.request,
             error: .unsupportedCompression(bytes("gzip")), reply: Transcripts.rawCompressGzip.response),
        Case(name: "Compress without Content-length", input: Transcripts.rawCompressNoclen.request,
             error: .compressionNeedsContentLength, reply: Transcripts.rawCompressNoclen.response),
        Case(name: "TELL set and remove local", input: Transcripts.rawTellSetRemove.request,
             error: .setAndRemoveLocal, reply: Transcripts.rawTellSetRemove.response),
        Case(name: "end of input in headers", input: Transcripts.rawEofInHeaders.request,
             error: .eofDuringHeaders, reply: Transcripts.rawEofInHeaders.response),
        Case(name: "PING 1.5 without the blank line", input: Transcripts.rawPing15Noblank.request,
             error: .eofDuringHeaders, reply: Transcripts.rawPing15Noblank.response),
        Case(name: "256 headers", input: bytes(check + (0..<256).map { "X-\($0): y\r\n" }.joined() + "\r\n"),
             error: .tooManyHeaders, reply: line("SPAMD/1.0 76 Bad header line: (too many headers)")),
    ]

    /// Errors where spamd lets the request through or says something else.
    static let swampOnly: [Case] = [
        Case(name: "version 2.0 (spamd: scans)", input: bytes("CHECK SPAMC/2.0\r\n\r\n"),
             error: .unsupportedVersion(bytes("2.0")),
             reply: line("SPAMD/1.0 76 Bad header line: (unsupported protocol version 2.0)")),
        Case(name: "version junk (spamd: scans the headers as the message)",
             input: bytes("CHECK SPAMC/x\r\nContent-length: 2\r\n\r\nhi"),
             error: .unsupportedVersion(bytes("x")),
             reply: line("SPAMD/1.0 76 Bad header line: (unsupported protocol version x)")),
        Case(name: "version 1.6", input: bytes("CHECK SPAMC/1.6\r\n\r\n"), error: .unsupportedVersion(bytes("1.6")),
             reply: line("SPAMD/1.0 76 Bad header line: (unsupported protocol version 1.6)")),
        Case(name: "garbage before the command (spamd: scans)", input: bytes("xxCHECK SPAMC/1.5\r\n\r\n"),
             error: .unknownRequest(line: bytes("xxCHECK SPAMC/1.5")),
             reply: line("SPAMD/1.0 76 Bad header line: xxCHECK SPAMC/1.5")),
        Case(name: "two spaces", input: bytes("CHECK  SPAMC/1.5\r\n\r\n"),
             error: .unknownRequest(line: bytes("CHECK  SPAMC/1.5")),
             reply: line("SPAMD/1.0 76 Bad header line: CHECK  SPAMC/1.5")),
        Case(name: "no protocol", input: bytes("CHECK\r\n"), error: .unknownRequest(line: bytes("CHECK")),
             reply: line("SPAMD/1.0 76 Bad header line: CHECK")),
        Case(name: "HTTP", input: bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
             error: .unknownRequest(line: bytes("GET / HTTP/1.1")),
             reply: line("SPAMD/1.0 76 Bad header line: GET / HTTP/1.1")),
        Case(name: "control bytes echoed as ?", input: bytes("\u{1B}[31mCHECK\u{0} SPAMC/1.5\r\n"),
             error: .unknownRequest(line: bytes("\u{1B}[31mCHECK\u{0} SPAMC/1.5")),
             reply: line("SPAMD/1.0 76 Bad header line: ?[31mCHECK? SPAMC/1.5")),
        Case(name: "long junk line echoed in part", input: bytes(String(repeating: "A", count: 100) + "\r\n"),
             error: .unknownRequest(line: bytes(String(repeating: "A", count: 100))),
             reply: line("SPAMD/1.0 76 Bad header line: " + String(repeating: "A", count: 64) + "...")),
        Case(name: "Content-length shorter than the body (spamd: \"got 20 bytes\", or silently scans a prefix)",
             input: Transcripts.rawClenShortMidline.request, error: .bytesAfterBody(expected: 10),
             reply: line("SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected 10 bytes, got more than 10 bytes)")),
        Case(name: "bytes after PING", input: bytes("PING SPAMC/1.5\r\n\r\nPING SPAMC/1.5\r\n\r\n"),
             error: .bytesAfterBody(expected: 0),
             reply: line("SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected 0 bytes, got more than 0 bytes)")),
        Case(name: "empty Content-length (spamd: \"Expected  bytes\")", input: Transcripts.rawEmptyClen.request,
             error: .contentLengthNotNumeric,
             reply: line("SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric bytes)")),
        Case(name: "no Content-length (spamd: reads to end of input)", input: bytes(check + "\r\nhi"),
             error: .contentLengthRequired, reply: line("SPAMD/1.0 76 Bad header line: (Content-length header required)")),
        Case(name: "conflicting Content-length", input: bytes(check + "Content-length: 2\r\nContent-length: 3\r\n\r\nhi"),
             error: .conflictingContentLength,
             reply: line("SPAMD/1.0 76 Bad header line: (conflicting Content-length headers)")),
        Case(name: "huge Content-length (spamd: reads to end of input)",
             input: bytes(check + "Content-length: 99999999999999999999999999999\r\n\r\n"),
             error: .messageTooBig(limit: 32 * 1024 * 1024),
             reply: line("SPAMD/1.0 98 Message too big: (over the limit of 33554432 bytes)")),
        Case(name: "Content-length over a small limit", input: bytes(check + "Content-length: 101\r\n\r\n"),
             error: .messageTooBig(limit: 100),
             reply: line("SPAMD/1.0 98 Message too big: (over the limit of 100 bytes)"),
             limits: DecoderLimits(maxBodySize: 100)),
        Case(name: "SPAMC/1.0 body over the limit", input: bytes("CHECK SPAMC/1.0\r\n") + [UInt8](repeating: 65, count: 101),
             error: .messageTooBig(limit: 100),
             reply: line("SPAMD/1.0 98 Message too big: (over the limit of 100 bytes)"),
             limits: DecoderLimits(maxBodySize: 100)),
        Case(name: "overlong request line", input: bytes("CHECK SPAMC/1.5" + String(repeating: " ", count: 8192)),
             error: .requestLineTooLong(limit: 8192),
             reply: line("SPAMD/1.0 76 Bad header line: (request line longer than 8192 bytes)")),
        Case(name: "overlong header line", input: bytes(check + "X: " + String(repeating: "a", count: 8190) + "\r\n"),
             error: .headerLineTooLong(limit: 8192),
             reply: line("SPAMD/1.0 76 Bad header line: (header line longer than 8192 bytes)")),
        Case(name: "header flood under a small limit",
             input: bytes(check + String(repeating: "X: y\r\n", count: 9)), error: .tooManyHeaders,
             reply: line("SPAMD/1.0 76 Bad header line: (too many headers)"), limits: DecoderLimits(maxHeaderCount: 8)),
        Case(name: "huge User", input: bytes(check + "User: " + String(repeating: "u", count: 257) + "\r\n"),
             error: .userTooLong(limit: 256), reply: line("SPAMD/1.0 76 Bad header line: (User header longer than 256 bytes)")),
        Case(name: "User with NUL", input: bytes(check + "User: a\u{0}b\r\n"), error: .userControlCharacters,
             reply: line("SPAMD/1.0 76 Bad header line: (User header contains control chars)")),
        Case(name: "Message-class bogus (spamd: learns as ham)", input: Transcripts.rawTellSetRemove.request
                .replacing(bytes("Message-class: spam"), with: bytes("Message-class: bogus")),
             error: .invalidMessageClass,
             reply: line("SPAMD/1.0 76 Bad header line: (Message-class header contains invalid class)")),
        Case(name: "TELL set local without a class (spamd: learns as ham)",
             input: bytes("TELL SPAMC/1.5\r\nSet: local\r\nContent-length: 2\r\n\r\nhi"), error: .messageClassRequired,
             reply: line("SPAMD/1.0 76 Bad header line: (Message-class header required to set local)")),
        Case(name: "TELL set and remove remote",
             input: bytes("TELL SPAMC/1.5\r\nSet: remote\r\nRemove: remote\r\nContent-length: 2\r\n\r\nhi"),
             error: .setAndRemoveRemote,
             reply: line("SPAMD/1.0 76 Bad header line: Unable to set remote and remove remote in the same operation.")),
    ]

    @Test(arguments: sameAsSpamd + swampOnly)
    func rejects(_ c: Case) {
        let error = rejection(c.input, limits: c.limits)
        #expect(error == c.error)
        #expect(error?.reply.text == c.reply.text)
    }

    @Test(arguments: sameAsSpamd + swampOnly)
    func everySplitRejectsTheSame(_ c: Case) {
        let whole = decode(c.input, limits: c.limits)
        let step = max(1, c.input.count / 300)  // keep the 8 KB lines quick
        for cut in stride(from: 0, through: c.input.count, by: step) {
            #expect(decode([c.input[..<cut], c.input[cut...]], limits: c.limits) == whole, "split at \(cut)")
        }
    }

    @Test func errorsComeWithoutWaitingForTheHalfClose() {
        // A client that keeps the connection open still gets its answer.
        for c in Self.swampOnly {
            #expect(!decode(c.input, limits: c.limits, halfClose: false).isEmpty, "\(c.name)")
        }
    }

    @Test func bytesAfterTheBodyFollowTheRequest() {
        // In one read or two, the request comes first and the error second,
        // so the server can drop the scan if its reply has not gone out.
        let input = bytes(Self.check + "Content-length: 2\r\n\r\nhi") + bytes("JUNK")
        let expected: [Action] = [
            .deliver(SpamdRequest(command: .check, headers: [SpamdHeader("Content-length", "2")],
                                  contentLength: 2, body: bytes("hi"))),
            .reject(.bytesAfterBody(expected: 2)),
        ]
        #expect(decode(input) == expected)
        for cut in 0...input.count {
            #expect(decode([input[..<cut], input[cut...]]) == expected)
        }
        // Nothing more after an error, whatever follows.
        var decoder = SpamdRequestDecoder()
        #expect(decoder.feed(bytes("NOPE\r\n")).count == 1)
        #expect(decoder.feed(bytes("CHECK SPAMC/1.5\r\n")).isEmpty)
        #expect(decoder.finish().isEmpty)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func neverBuffersPastTheLineLimit() {
        var decoder = SpamdRequestDecoder(limits: DecoderLimits(maxLineLength: 100))
        for _ in 0..<100 {
            let actions = decoder.feed([UInt8](repeating: UInt8(ascii: "A"), count: 1))
            #expect(actions.isEmpty)
            #expect(decoder.bufferedByteCount <= 101)
        }
        #expect(decoder.feed([UInt8(ascii: "A")]).isEmpty)  // 101: might still be "...\r"
        #expect(decoder.feed([UInt8(ascii: "A")]) == [.reject(.requestLineTooLong(limit: 100))])
        #expect(decoder.bufferedByteCount == 0)
        // Exactly at the limit, with CRLF, is fine.
        let atLimit = bytes("CHECK SPAMC/1.5\r\nX: " + String(repeating: "a", count: 97) + "\r\nContent-length: 0\r\n\r\n")
        #expect(request(atLimit, limits: DecoderLimits(maxLineLength: 100)) != nil)
    }
}

extension Array where Element == UInt8 {
    func replacing(_ old: [UInt8], with new: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < count {
            if i + old.count <= count, self[i..<(i + old.count)].elementsEqual(old) {
                out += new
                i += old.count
            } else {
                out.append(self[i])
                i += 1
            }
        }
        return out
    }
}
