import Foundation
import Testing
@testable import SwampMIME

/// Views made with the body rendered on another thread (`alongside`, a
/// daemon with a core to spare) are the views made on one.
@Suite struct AlongsideViewsTests {
    static let otherThread: SideThreads = { work in DispatchQueue.global().async(execute: work) }

    static func expectSame(_ one: Views, _ two: Views, _ name: String) {
        #expect(one.body == two.body, "\(name): body")
        #expect(one.rawBody == two.rawBody, "\(name): rawbody")
        #expect(one.uris == two.uris, "\(name): uris")
        #expect(one.html == two.html, "\(name): html")
        #expect(one.alternativeDifference == two.alternativeDifference, "\(name): alternatives")
        #expect(one.bodyByVisibility() == two.bodyByVisibility(), "\(name): visibility")
        #expect(one.relays.trusted == two.relays.trusted && one.relays.untrusted == two.relays.untrusted,
                "\(name): relays")
        for query in [HeaderQuery(name: "Subject"), HeaderQuery(name: "From", modifier: .addr),
                      HeaderQuery(name: "ALL"), HeaderQuery(name: "Received")] {
            #expect(one.header(query) == two.header(query), "\(name): \(query)")
        }
    }

    /// The Subject opens the body either way: encoded, repeated (the last
    /// counts), absent.
    @Test func subjectOpensTheBodyEitherWay() {
        let messages = [
            "Subject: =?utf-8?q?caf=C3=A9?= menu\nFrom: a@example.com\n\nhello\n",
            "Subject: first\nsubject: second\n\nbody text\n",
            "From: a@example.com\n\nno subject here\n",
            "Subject: html\nContent-Type: text/html\n\n<p>visible <a href=\"http://example.com/x\">link</a></p>\n",
        ]
        for (n, text) in messages.enumerated() {
            let message = Message(bytes: Array(text.utf8))
            Self.expectSame(Views(message: message), Views(message: message, alongside: Self.otherThread),
                            "message \(n)")
        }
        let absent = Views(message: Message(bytes: Array("From: a@b\n\nx\n".utf8)), alongside: Self.otherThread)
        #expect(absent.body.first == [10])
    }

    /// Every fifth message of the corpus, spam and ham, and the broken MIME.
    @Test(.enabled(if: Corpus.root() != nil)) func corpusViewsAreTheSame() throws {
        let root = try #require(Corpus.root())
        var files = Corpus.files(under: root.appendingPathComponent("spam"))
        files = files.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
        files += Corpus.files(under: root.appendingPathComponent("mime"))
        #expect(files.count > 500)
        for file in files {
            let message = Message(bytes: Array(try Data(contentsOf: file)))
            Self.expectSame(Views(message: message), Views(message: message, alongside: Self.otherThread),
                            file.lastPathComponent)
        }
    }
}
