import Testing
@testable import SwampSpamd

struct UserNameTests {
    @Test(arguments: [
        "root", "alice", "spamd", "first.last", "user+tag@example.org", "UPPER_case-1", "a", "x@y.z",
        "j\u{FC}rgen", "www-data", "user=name", String(repeating: "u", count: 128),
    ])
    func accepts(_ name: String) throws {
        let user = try SpamdUserName(validating: bytes(name))
        #expect(user.string == name)
        #expect(user.bytes == bytes(name))
    }

    @Test(arguments: [
        ([], SpamdUserName.Problem.empty),
        (bytes(String(repeating: "u", count: 129)), .tooLong(limit: 128)),
        ([0x61, 0xFF, 0x62], .invalidUTF8),
        ([0x61, 0xC0, 0xAF], .invalidUTF8),  // overlong "/"
        (bytes("a\u{0}b"), .controlOrSpace),
        (bytes("a\tb"), .controlOrSpace),
        (bytes("a b"), .controlOrSpace),
        (bytes("a\u{7F}"), .controlOrSpace),
        (bytes("a\u{85}b"), .controlOrSpace),
        (bytes("../../etc/passwd"), .pathSeparator),
        (bytes("a/b"), .pathSeparator),
        (bytes("a\\b"), .pathSeparator),
        (bytes(".."), .dots),
        (bytes("."), .dots),
        (bytes(".hidden"), .dots),
        (bytes("a..b"), .dots),
        (bytes("-rf"), .leadingSymbol),
        (bytes("~root"), .leadingSymbol),
    ])
    func rejects(_ raw: [UInt8], _ problem: SpamdUserName.Problem) {
        #expect(throws: problem) { try SpamdUserName(validating: raw) }
    }

    @Test func fromRequest() throws {
        var request = SpamdRequest(command: .check, user: bytes("alice"))
        #expect(try request.validatedUser()?.string == "alice")
        request.user = nil
        #expect(try request.validatedUser() == nil)
        request.user = bytes("../x")
        #expect(throws: SpamdUserName.Problem.pathSeparator) { try request.validatedUser() }
        #expect(SpamdResponse.failure(SpamdUserName.Problem.dots).encoded(for: .v1_5).text
            == "SPAMD/1.0 67 User unknown: (user name starts with '.' or contains '..')\r\n")
    }

    @Test func decoderPassesWhatSpamdPasses() {
        // spamd refuses only bytes below 0x20; the validator is stricter.
        let request = request(bytes("CHECK SPAMC/1.5\r\nUser: ../../etc\r\nContent-length: 0\r\n\r\n"))
        #expect(request?.user == bytes("../../etc"))
    }
}
