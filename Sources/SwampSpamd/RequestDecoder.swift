/// Turns the bytes a client sends into one `SpamdRequest`, incrementally and
/// without I/O: the server feeds whatever the socket delivered and carries
/// out the actions it gets back (STYLE.md habit 7).
///
/// The wire grammar is spamd 4.0.1's (`spamd.raw`: the main loop's request
/// line match, `parse_headers`, `parse_body`), with these deliberate
/// differences, each because spamd's behaviour lets a client slip something
/// past it:
///
/// - The request line must be exactly `COMMAND SPAMC/1.x` (optionally
///   followed by spaces). spamd searches the line for the pattern anywhere,
///   so `xxCHECK SPAMC/1.5yy` passes, and takes any version: with
///   `SPAMC/x` it skips the headers and scans them as part of the message.
/// - Lines are bounded (`DecoderLimits`); spamd reads lines of any length.
/// - Header names match ASCII case-insensitively, and bare LF ends a header
///   line as CRLF does. spamd wants `Content-length` exactly (it ignores
///   `Content-Length` and reads to end of input) and only strips CRLF, so a
///   bare-LF blank line is "header not in 'Name: value' format" there.
/// - A message needs `Content-length` (unless `requiresContentLength` is
///   off), within `maxBodySize`.
/// - Bytes after the declared body are an error. spamd reads the body by
///   lines and stops at the first line end at or past `Content-length`: a
///   shorter length ending on a line boundary makes it scan only the first
///   lines and silently drop the rest.
/// - TELL needs `Message-class` (spam or ham) to set local; spamd's check
///   of that header never fires and it learns anything but `spam` as ham.
///
/// The request is complete when `Content-length` bytes have arrived; a
/// client that sends fewer and half-closes gets spamd's "Content-Length
/// mismatch". Feeding a request in any split gives the same sequence of
/// actions.
///
///     var decoder = SpamdRequestDecoder(limits: limits)
///     for try await chunk in inbound {           // and on EOF: decoder.finish()
///         for action in decoder.feed(chunk) {
///             switch action {
///             case .deliver(let request): start the scan
///             case .reject(let error): write error.reply (unless a reply
///                                       went out already), then close
///             }
///         }
///     }
public struct SpamdRequestDecoder: Sendable {
    /// What the caller must do next. An empty action list means "read more".
    public enum Action: Sendable, Hashable {
        /// A complete request: serve it, write the reply, close.
        case deliver(SpamdRequest)
        /// Send `error.reply` and close. After a `deliver`, this means the
        /// client kept sending past the body: drop the scan if its reply has
        /// not gone out yet.
        case reject(SpamdError)
    }

    private enum State: Sendable {
        case requestLine
        case headers
        case body(remaining: Int)
        case bodyToEnd
        case delivered(expected: Int)
        case failed
    }

    public let limits: DecoderLimits
    private var state = State.requestLine
    private var line: [UInt8] = []
    private var request = SpamdRequest(command: .ping)
    private var headerCount = 0

    public init(limits: DecoderLimits = .default) {
        self.limits = limits
    }

    /// Whether the decoder has delivered or rejected and wants no more input.
    public var isFinished: Bool {
        switch state {
        case .delivered, .failed: true
        default: false
        }
    }

    /// Bytes held for a request in progress: the partial line plus the body
    /// so far. Never above `maxLineLength + 1` before the body or
    /// `maxBodySize` in it.
    public var bufferedByteCount: Int { line.count + request.body.count }

    /// Consumes `bytes`, all of them, and returns the actions they complete.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Action] {
        var actions: [Action] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch state {
            case .requestLine, .headers:
                let rest = bytes[index...]
                let newline = rest.firstIndex(of: Self.lf)
                let end = newline ?? bytes.endIndex
                if line.count + bytes.distance(from: index, to: end) > limits.maxLineLength + 1 {
                    fail(lineTooLong(), &actions)
                    return actions
                }
                line.append(contentsOf: bytes[index..<end])
                guard let newline else { return actions }
                index = bytes.index(after: newline)
                if line.last == Self.cr { line.removeLast() }
                if line.count > limits.maxLineLength {
                    fail(lineTooLong(), &actions)
                    return actions
                }
                let complete = line
                line.removeAll(keepingCapacity: true)
                if case .requestLine = state {
                    requestLineComplete(complete, &actions)
                } else {
                    headerLineComplete(complete, &actions)
                }
            case .body(let remaining):
                let take = min(remaining, bytes.distance(from: index, to: bytes.endIndex))
                let end = bytes.index(index, offsetBy: take)
                request.body.append(contentsOf: bytes[index..<end])
                index = end
                if take == remaining {
                    deliver(&actions)
                } else {
                    state = .body(remaining: remaining - take)
                }
            case .bodyToEnd:
                let room = limits.maxBodySize - request.body.count
                if bytes.distance(from: index, to: bytes.endIndex) > room {
                    fail(.messageTooBig(limit: limits.maxBodySize), &actions)
                    return actions
                }
                request.body.append(contentsOf: bytes[index...])
                index = bytes.endIndex
            case .delivered(let expected):
                fail(.bytesAfterBody(expected: expected), &actions)
                return actions
            case .failed:
                return actions
            }
        }
        return actions
    }

    /// The client half-closed (end of input).
    public mutating func finish() -> [Action] {
        var actions: [Action] = []
        switch state {
        case .requestLine:
            guard !line.isEmpty else {
                fail(.closedBeforeRequest, &actions)
                return actions
            }
            // spamd's getline returns an unterminated last line, so
            // `PING SPAMC/1.2` without a line end still gets its PONG.
            let partial = line
            line = []
            requestLineComplete(partial.last == Self.cr ? partial.dropLast() : partial[...], &actions)
            if actions.isEmpty { actions += finish() }
        case .headers:
            fail(.eofDuringHeaders, &actions)
        case .body(let remaining):
            let received = request.body.count
            fail(.contentLengthMismatch(expected: received + remaining, received: received), &actions)
        case .bodyToEnd:
            deliver(&actions)
        case .delivered, .failed:
            break
        }
        return actions
    }

    // MARK: - Steps

    private mutating func requestLineComplete(_ line: some Collection<UInt8>, _ actions: inout [Action]) {
        let bytes = Array(line)
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
              let command = SpamdCommand(bytes: bytes[..<space]) else {
            fail(.unknownRequest(line: bytes), &actions)
            return
        }
        var rest = bytes[(space + 1)...]
        guard rest.starts(with: Self.spamcSlash) else {
            fail(.unknownRequest(line: bytes), &actions)
            return
        }
        rest = rest.dropFirst(Self.spamcSlash.count)
        while let last = rest.last, last == UInt8(ascii: " ") || last == Self.tab { rest = rest.dropLast() }
        guard let version = SpamdVersion(rest) else {
            fail(.unsupportedVersion(Array(rest)), &actions)
            return
        }
        request.command = command
        request.version = version

        // Which requests carry headers (spamd: `check` parses them above
        // 1.0, `dotell` always, `doskip_or_ping` from 1.5, bug 6187).
        let hasHeaders = switch command {
        case .ping, .skip: version >= .v1_5
        case .tell: true
        default: version > .v1_0
        }
        if hasHeaders {
            state = .headers
        } else {
            headersComplete(&actions)
        }
    }

    private mutating func headerLineComplete(_ line: [UInt8], _ actions: inout [Action]) {
        if line.isEmpty {
            headersComplete(&actions)
            return
        }
        headerCount += 1
        guard headerCount <= limits.maxHeaderCount else {
            fail(.tooManyHeaders, &actions)
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            fail(.malformedHeader, &actions)
            return
        }
        var valueStart = colon + 1
        while valueStart < line.count, Self.isPerlSpace(line[valueStart]) { valueStart += 1 }
        let header = SpamdHeader(name: Array(line[..<colon]), value: Array(line[valueStart...]))
        if let error = interpret(header) {
            fail(error, &actions)
            return
        }
        request.headers.append(header)
    }

    /// Applies a known header to the request, or says why it is refused.
    private mutating func interpret(_ header: SpamdHeader) -> SpamdError? {
        let value = header.value
        if header.hasName("Content-length") {
            guard !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }) else {
                return .contentLengthNotNumeric
            }
            // Digits past the limit's width cannot fit; stop before overflow.
            var length = 0
            for digit in value {
                length = length * 10 + Int(digit - 0x30)
                if length > limits.maxBodySize { return .messageTooBig(limit: limits.maxBodySize) }
            }
            if let previous = request.contentLength, previous != length { return .conflictingContentLength }
            request.contentLength = length
        } else if header.hasName("User") {
            // spamd: /^([\x20-\xFF]*)$/ (DEL and 8-bit bytes pass).
            if value.contains(where: { $0 < 0x20 }) { return .userControlCharacters }
            if value.count > limits.maxUserLength { return .userTooLong(limit: limits.maxUserLength) }
            request.user = value
        } else if header.hasName("Compress") {
            guard containsASCIICaseInsensitive(value, "zlib") else { return .unsupportedCompression(value) }
            request.compression = .zlib
        } else if header.hasName("Message-class") {
            let lowered = value.map(asciiLower)
            guard let messageClass = SpamdMessageClass(rawValue: String(decoding: lowered, as: UTF8.self)) else {
                return .invalidMessageClass
            }
            request.messageClass = messageClass
        } else if header.hasName("Set") {
            request.set = SpamdTellTargets(headerValue: value)
        } else if header.hasName("Remove") {
            request.remove = SpamdTellTargets(headerValue: value)
        }
        return nil
    }

    private mutating func headersComplete(_ actions: inout [Action]) {
        let command = request.command
        guard command.carriesMessage else {
            deliver(&actions)
            return
        }
        if command == .tell {
            // spamd's `dotell` checks, in its order, before the body.
            if request.set.contains(.local) && request.remove.contains(.local) {
                return fail(.setAndRemoveLocal, &actions)
            }
            if request.set.contains(.remote) && request.remove.contains(.remote) {
                return fail(.setAndRemoveRemote, &actions)
            }
            if request.set.contains(.local) && request.messageClass == nil {
                return fail(.messageClassRequired, &actions)
            }
        }
        guard let length = request.contentLength else {
            if request.compression == .zlib { return fail(.compressionNeedsContentLength, &actions) }
            if limits.requiresContentLength && request.version > .v1_0 {
                return fail(.contentLengthRequired, &actions)
            }
            state = .bodyToEnd
            return
        }
        if length == 0 {
            deliver(&actions)
        } else {
            // Grow with the data rather than trusting the declared size.
            request.body.reserveCapacity(min(length, 1 << 20))
            state = .body(remaining: length)
        }
    }

    private mutating func deliver(_ actions: inout [Action]) {
        actions.append(.deliver(request))
        state = .delivered(expected: request.contentLength ?? request.body.count)
        request = SpamdRequest(command: .ping)
    }

    private mutating func fail(_ error: SpamdError, _ actions: inout [Action]) {
        actions.append(.reject(error))
        state = .failed
        line = []
        request = SpamdRequest(command: .ping)
    }

    private func lineTooLong() -> SpamdError {
        if case .requestLine = state { .requestLineTooLong(limit: limits.maxLineLength) }
        else { .headerLineTooLong(limit: limits.maxLineLength) }
    }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let tab = UInt8(ascii: "\t")
    private static let spamcSlash = Array("SPAMC/".utf8)

    /// Perl's `\s` on bytes: space, \t, \n, \v, \f, \r.
    private static func isPerlSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }
}
