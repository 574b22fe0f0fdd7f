import Testing
@testable import SwampSpamd
import SwampTestSupport

/// Random and mutated requests, in random chunks: the decoder never crashes,
/// never holds more than its limits allow, and ends every conversation with
/// at most one request and at most one error, in that order.
struct FuzzTests {
    static let limits = DecoderLimits(maxLineLength: 64, maxHeaderCount: 8, maxBodySize: 512, maxUserLength: 32)

    static let seeds: [Transcript] = [
        Transcripts.spamcCheckSpam, Transcripts.spamcPing, Transcripts.spamcTellLearnSpam,
        Transcripts.spamcTellForget, Transcripts.rawProcess10, Transcripts.rawCompressOk,
        Transcripts.rawPing12, Transcripts.rawSkip15, Transcripts.rawTellSetRemove,
    ]

    static let fragments: [[UInt8]] = [
        "CHECK", "PROCESS", "PING", "SKIP", "TELL", "REPORT_IFSPAM", " SPAMC/", "1.5", "1.0", "1.", "\r\n",
        "\n", "\r", ":", ": ", "Content-length", "User", "Compress", "zlib", "Message-class", "spam", "Set",
        "Remove", "local", "remote", "-1", "0", "99999999999999999999", "\u{0}", "\u{FF}", " ", "\t",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let at = Int.random(in: 0...bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where at < bytes.count: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 1 where at < bytes.count: bytes.remove(at: at)
            case 2: bytes.insert(contentsOf: fragments.randomElement(using: &rng)!, at: at)
            case 3: bytes.insert(contentsOf: [UInt8](repeating: UInt8.random(in: 0...255, using: &rng),
                                                     count: Int.random(in: 1...200, using: &rng)), at: at)
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    static func randomInput(using rng: inout SplitMix64) -> [UInt8] {
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return (0..<Int.random(in: 0...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 1: return (0..<Int.random(in: 1...40, using: &rng)).flatMap { _ in fragments.randomElement(using: &rng)! }
        default: return mutate(seeds.randomElement(using: &rng)!.request, using: &rng)
        }
    }

    @Test(arguments: 0..<6)
    func hostileInputIsContained(_ seed: Int) {
        var rng = SplitMix64(state: UInt64(seed) &* 0x2545_F491_4F6C_DD1D)
        let lineBound = Self.limits.maxLineLength + 1
        var outcomes = (delivered: 0, rejected: 0)
        for _ in 0..<600 {
            let input = Self.randomInput(using: &rng)
            var decoder = SpamdRequestDecoder(limits: Self.limits)
            var actions: [Action] = []
            var start = 0
            while start < input.count {
                let end = min(input.count, start + Int.random(in: 1...64, using: &rng))
                actions += decoder.feed(input[start..<end])
                #expect(decoder.bufferedByteCount <= max(lineBound, Self.limits.maxBodySize))
                start = end
            }
            if Bool.random(using: &rng) { actions += decoder.finish() }
            check(actions, input: input)
            for action in actions {
                if case .deliver = action { outcomes.delivered += 1 } else { outcomes.rejected += 1 }
            }
            // The split must not matter.
            if !actions.isEmpty, decoder.isFinished {
                #expect(decode(input, limits: Self.limits, halfClose: true).prefix(actions.count) == actions[...])
            }
        }
        // The mix reaches both ends of the decoder.
        #expect(outcomes.delivered > 20 && outcomes.rejected > 200, "\(outcomes)")
    }

    func check(_ actions: [Action], input: [UInt8]) {
        #expect(actions.count <= 2, "\(actions) for \(input)")
        var delivered = false
        for (i, action) in actions.enumerated() {
            switch action {
            case .deliver(let request):
                #expect(i == 0, "a request after an error")
                delivered = true
                #expect(request.body.count <= Self.limits.maxBodySize)
                #expect(request.headers.count <= Self.limits.maxHeaderCount)
                #expect((request.user?.count ?? 0) <= Self.limits.maxUserLength)
                if let length = request.contentLength { #expect(request.body.count == length) }
            case .reject(let error):
                #expect(i == actions.count - 1)
                if delivered { #expect(error == .bytesAfterBody(expected: error.expectedBodyLength)) }
                let reply = error.reply
                #expect(reply.count < 200 && reply.suffix(2) == [13, 10])
            }
        }
    }

    /// A body sent in any chunking arrives whole, even when large.
    @Test func largeBodyInRandomChunks() {
        var rng = SplitMix64(state: 42)
        let message = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let input = bytes("PROCESS SPAMC/1.5\r\nContent-length: \(message.count)\r\n\r\n") + message
        var decoder = SpamdRequestDecoder()
        var actions: [Action] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + Int.random(in: 1...9_000, using: &rng))
            actions += decoder.feed(input[start..<end])
            start = end
        }
        #expect(actions.count == 1)
        guard case .deliver(let request)? = actions.first else { return }
        #expect(request.body == message)
    }
}

extension SpamdError {
    fileprivate var expectedBodyLength: Int {
        if case .bytesAfterBody(let n) = self { n } else { -1 }
    }
}
