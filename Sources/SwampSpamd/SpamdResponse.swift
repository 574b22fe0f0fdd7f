/// The outcome of one scan, as the protocol needs it.
public struct SpamdVerdict: Sendable, Hashable {
    public var score: Double
    public var threshold: Double
    public var isSpam: Bool

    public init(score: Double, threshold: Double, isSpam: Bool) {
        self.score = score
        self.threshold = threshold
        self.isSpam = isSpam
    }

    /// SpamAssassin's rule: spam when the score reaches the threshold.
    public init(score: Double, threshold: Double) {
        self.init(score: score, threshold: threshold, isSpam: score >= threshold)
    }
}

/// One reply, encoded byte for byte as spamd 4.0.1 writes it (`spamd.raw`:
/// `check`, `dotell`, `doskip_or_ping` and the error helpers). The client's
/// protocol version decides the layout, as in spamd; the code deciding the
/// verdict never sees it (STYLE.md habit 6).
public enum SpamdResponse: Sendable, Hashable {
    /// CHECK: the `Spam:` header only, no body, no `Content-length`.
    case check(SpamdVerdict)
    /// SYMBOLS: the names of the rules hit, sorted and comma-separated, as
    /// SpamAssassin's `get_names_of_tests_hit`. Below protocol 1.3 spamd
    /// appends CRLF.
    case symbols(SpamdVerdict, ruleNames: [String])
    /// REPORT: the report text.
    case report(SpamdVerdict, report: [UInt8])
    /// REPORT_IFSPAM: the report when spam, else an empty body. The `Spam:`
    /// header says `True`/`False`, not spamd's `Yes`/`No`, which libspamc
    /// does not recognise (PROTOCOL.md).
    case reportIfSpam(SpamdVerdict, report: [UInt8])
    /// PROCESS: the rewritten message.
    case process(SpamdVerdict, message: [UInt8])
    /// HEADERS: the rewritten message, cut after its first blank line (pass
    /// the whole message; the encoder cuts as spamd does).
    case headers(SpamdVerdict, message: [UInt8])
    /// PING. spamd answers `SPAMD/1.5` whatever version asked.
    case pong
    /// SKIP: spamd closes without writing anything.
    case skip
    /// TELL: which databases learned or forgot the message. Empty sets mean
    /// "already learned", which spamc reports as such with exit 0.
    case tell(didSet: SpamdTellTargets, didRemove: SpamdTellTargets)
    /// An error line: `SPAMD/1.0 <code> <text>`.
    case error(code: SysExit, text: String)

    /// The reply for an error: its own code and text when it knows them,
    /// else `EX_SOFTWARE` (the caller logs the original once).
    public static func failure(_ error: any Error) -> SpamdResponse {
        if let known = error as? any SpamdReplyError {
            return .error(code: known.sysExit, text: known.replyText)
        }
        return .error(code: .software, text: "Internal error")
    }

    /// The exact bytes for a client that spoke `version`.
    public func encoded(for version: SpamdVersion) -> [UInt8] {
        var out: [UInt8] = []
        encode(for: version, into: &out)
        return out
    }

    public func encode(for version: SpamdVersion, into out: inout [UInt8]) {
        let ok = "SPAMD/1.1 0 EX_OK\r\n"
        switch self {
        case .check(let verdict):
            out += ok.utf8
            out += Self.spamHeader(verdict).utf8
            out += "\r\n\r\n".utf8

        case .symbols(let verdict, let names):
            var body = Array(names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
                .joined(separator: [UInt8(ascii: ",")]))
            if version < .v1_3 { body += "\r\n".utf8 }
            Self.encodeWithSpamHeader(verdict, body: body[...], version: version, into: &out)

        case .report(let verdict, let report):
            Self.encodeWithSpamHeader(verdict, body: report[...], version: version, into: &out)

        case .reportIfSpam(let verdict, let report):
            Self.encodeWithSpamHeader(verdict, body: verdict.isSpam ? report[...] : [], version: version,
                                      into: &out)

        case .process(let verdict, let message):
            Self.encodeMessage(verdict, message: message[...], version: version, into: &out)

        case .headers(let verdict, let message):
            Self.encodeMessage(verdict, message: Self.headerSection(of: message), version: version, into: &out)

        case .pong:
            out += "SPAMD/1.5 0 PONG\r\n".utf8

        case .skip:
            break

        case .tell(let didSet, let didRemove):
            out += ok.utf8
            if !didSet.isEmpty { out += "DidSet: \(didSet.wireList)\r\n".utf8 }
            if !didRemove.isEmpty { out += "DidRemove: \(didRemove.wireList)\r\n".utf8 }
            // spamd prints "\r\n\r\n" after the headers: a blank line and
            // one more CRLF, which spamc ignores.
            out += "\r\n\r\n".utf8

        case .error(let code, let text):
            out += "SPAMD/1.0 \(code.rawValue) ".utf8
            out += text.utf8.map { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") ? UInt8(ascii: " ") : $0 }
            out += "\r\n".utf8
        }
    }

    /// SYMBOLS, REPORT, REPORT_IFSPAM: `Content-length` from 1.3 on.
    private static func encodeWithSpamHeader(
        _ verdict: SpamdVerdict, body: ArraySlice<UInt8>, version: SpamdVersion, into out: inout [UInt8]
    ) {
        out += "SPAMD/1.1 0 EX_OK\r\n".utf8
        if version >= .v1_3 { out += "Content-length: \(body.count)\r\n".utf8 }
        out += spamHeader(verdict).utf8
        out += "\r\n\r\n".utf8
        out += body
    }

    /// PROCESS, HEADERS: from 1.3 `Content-length` and `Spam:`; at 1.2
    /// `Content-length` only; below that a `SPAMD/1.0` line and the message.
    private static func encodeMessage(
        _ verdict: SpamdVerdict, message: ArraySlice<UInt8>, version: SpamdVersion, into out: inout [UInt8]
    ) {
        if version >= .v1_3 {
            out += "SPAMD/1.1 0 EX_OK\r\nContent-length: \(message.count)\r\n".utf8
            out += spamHeader(verdict).utf8
            out += "\r\n\r\n".utf8
        } else if version >= .v1_2 {
            out += "SPAMD/1.1 0 EX_OK\r\nContent-length: \(message.count)\r\n\r\n".utf8
        } else {
            out += "SPAMD/1.0 0 EX_OK\r\n".utf8
        }
        out += message
    }

    /// `Spam: True ; 7.2 / 5.0`, without the line end.
    public static func spamHeader(_ verdict: SpamdVerdict) -> String {
        "Spam: \(verdict.isSpam ? "True" : "False") ; \(ScoreFormat.spamdScore(verdict)) / "
            + ScoreFormat.oneDecimal(verdict.threshold).text
    }

    /// The message up to and including its first blank line, as spamd's
    /// `s/(\015?\012\015?\012).*$/$1/gs` leaves it; all of it when it has none.
    public static func headerSection(of message: [UInt8]) -> ArraySlice<UInt8> {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = 0
        while let newline = message[i...].firstIndex(of: lf) {
            var next = newline + 1
            if next < message.count, message[next] == cr { next += 1 }
            if next < message.count, message[next] == lf { return message[..<(next + 1)] }
            i = newline + 1
        }
        return message[...]
    }
}

/// Numbers as spamd prints them: Perl's `sprintf("%2.1f", ...)`, which is C's
/// `%.1f` (exact binary value, ties to even, `-0.0` for small negatives).
enum ScoreFormat {
    struct Fixed: Equatable {
        /// The value in tenths, rounded; its sign (kept for `-0.0`).
        var tenths: Int
        var negative: Bool
        var text: String
    }

    /// `Util::get_tag_value_for_score`: the score with one decimal, except
    /// that a message that is not spam but rounds up to the threshold shows
    /// the threshold minus 0.1, which Perl prints as a plain number (`4.9`,
    /// but `1` rather than `1.0`).
    static func spamdScore(_ verdict: SpamdVerdict) -> String {
        let score = oneDecimal(verdict.score)
        let threshold = oneDecimal(verdict.threshold)
        if verdict.isSpam || score.tenths < threshold.tenths || !verdict.score.isFinite
            || !verdict.threshold.isFinite {
            return score.text
        }
        let lowered = threshold.tenths - 1
        let magnitude = lowered.magnitude
        let sign = lowered < 0 ? "-" : ""
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    static func oneDecimal(_ x: Double) -> Fixed {
        guard x.isFinite else {
            // Perl's spelling; such values never come from a sane rule set.
            return Fixed(tenths: 0, negative: false, text: x.isNaN ? "NaN" : (x < 0 ? "-Inf" : "Inf"))
        }
        let negative = x.sign == .minus
        let m = x.magnitude
        var tenths: UInt64
        if m >= 0x1p52 {
            // Already an integer; saturate beyond what a score can be.
            tenths = m < 0x1p59 ? UInt64(m) * 10 : UInt64(1) << 62
        } else {
            // m = significand / 2^shift exactly; round significand*10 / 2^shift.
            let significand = m.significandBitPattern | (m.isNormal ? UInt64(1) << 52 : 0)
            let shift = m.isNormal ? 52 - Int(m.exponent) : 1074
            if shift >= 60 {
                tenths = 0  // below 2^-7: rounds to 0.0
            } else {
                let scaled = significand * 10  // < 2^57
                tenths = scaled >> UInt64(shift)
                let remainder = scaled & ((UInt64(1) << UInt64(shift)) - 1)
                let half = UInt64(1) << UInt64(shift - 1)
                if remainder > half || (remainder == half && tenths & 1 == 1) { tenths += 1 }
            }
        }
        let text = (negative ? "-" : "") + "\(tenths / 10).\(tenths % 10)"
        let signed = Int(tenths)
        return Fixed(tenths: negative ? -signed : signed, negative: negative, text: text)
    }
}
