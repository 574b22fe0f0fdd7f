import Testing
@testable import SwampSpamd
import SwampTestSupport

typealias Action = SpamdRequestDecoder.Action


func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Feeds `input` in the given chunks, then the half-close, and collects
/// every action in order.
func decode(_ chunks: [ArraySlice<UInt8>], limits: DecoderLimits = .default, halfClose: Bool = true) -> [Action] {
    var decoder = SpamdRequestDecoder(limits: limits)
    var actions: [Action] = []
    for chunk in chunks { actions += decoder.feed(chunk) }
    if halfClose { actions += decoder.finish() }
    return actions
}

func decode(_ input: [UInt8], limits: DecoderLimits = .default, halfClose: Bool = true) -> [Action] {
    decode([input[...]], limits: limits, halfClose: halfClose)
}

/// The one request `input` decodes to, or a test failure.
func request(_ input: [UInt8], limits: DecoderLimits = .default,
             sourceLocation: SourceLocation = #_sourceLocation) -> SpamdRequest? {
    let actions = decode(input, limits: limits)
    guard actions.count == 1, case .deliver(let request) = actions[0] else {
        Issue.record("expected one request, got \(actions)", sourceLocation: sourceLocation)
        return nil
    }
    return request
}

/// The error `input` ends in, or a test failure.
func rejection(_ input: [UInt8], limits: DecoderLimits = .default, halfClose: Bool = true,
               sourceLocation: SourceLocation = #_sourceLocation) -> SpamdError? {
    guard case .reject(let error)? = decode(input, limits: limits, halfClose: halfClose).last else {
        Issue.record("expected a rejection", sourceLocation: sourceLocation)
        return nil
    }
    return error
}

/// The body after the first blank line of a captured reply.
func replyBody(_ response: [UInt8]) -> [UInt8] {
    let separator = bytes("\r\n\r\n")
    for i in 0...(response.count - separator.count) where response[i..<(i + 4)].elementsEqual(separator) {
        return Array(response[(i + 4)...])
    }
    return []
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
