import Foundation
import SwampDNS

/// DKIM keys made at test time (dkimpy's dknewkey for RSA-2048 and Ed25519,
/// openssl for RSA-1024) with their public halves in a zone, and signing
/// through dkimpy's dkimsign. Selectors under example.com: s1 (RSA-2048,
/// h=sha256), ed (Ed25519), old (RSA-1024, any hash), revoked (p=),
/// broken (SERVFAIL).
public final class DKIMTestKeys: Sendable {
    public let dir: URL
    public let zone: DNSZone

    public static let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/dkimsign")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/dknewkey")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    /// One set of keys per test process: RSA key generation is slow.
    public static let shared: DKIMTestKeys? = available ? try? DKIMTestKeys() : nil

    @discardableResult
    public static func run(_ tool: String, _ args: [String], in dir: URL, stdin: [UInt8]? = nil) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.currentDirectoryURL = dir
        let out = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardInput = input
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(stdin ?? []))
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return Array(data)
    }

    public init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-dkim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Self.run("/usr/bin/dknewkey", ["rsa2048"], in: dir)
        try Self.run("/usr/bin/dknewkey", ["--ktype", "ed25519", "ed"], in: dir)
        try Self.run("/usr/bin/openssl", ["genrsa", "-traditional", "-out", "rsa1024.key", "1024"], in: dir)
        let der = try Self.run("/usr/bin/openssl", ["rsa", "-in", "rsa1024.key", "-pubout", "-outform", "DER"], in: dir)
        var z = DNSZone()
        func txt(_ s: String) -> DNSRecord { .txt([Array(s.utf8)]) }
        z.add("s1._domainkey.example.com", txt(try String(contentsOf: dir.appendingPathComponent("rsa2048.dns"), encoding: .utf8)))
        z.add("ed._domainkey.example.com", txt(try String(contentsOf: dir.appendingPathComponent("ed.dns"), encoding: .utf8)))
        z.add("old._domainkey.example.com", txt("v=DKIM1; k=rsa; p=" + Data(der).base64EncodedString()))
        z.add("revoked._domainkey.example.com", txt("v=DKIM1; k=rsa; p="))
        z.add("broken._domainkey.example.com", .serverFailure)
        zone = z
    }

    /// The message signed by dkimsign for example.com.
    public func sign(_ message: String, selector: String = "s1", key: String = "rsa2048.key",
                     args: [String] = []) throws -> [UInt8] {
        try Self.run("/usr/bin/dkimsign", args + [selector, "example.com", dir.appendingPathComponent(key).path],
                     in: dir, stdin: Array(message.utf8))
    }

    /// dkimpy's library directly, for what dkimsign cannot ask for (l=).
    public func signWithLength(_ message: String) throws -> [UInt8] {
        let script = """
            import dkim, sys
            msg = sys.stdin.buffer.read()
            key = open('rsa2048.key', 'rb').read()
            sys.stdout.buffer.write(dkim.sign(msg, b's1', b'example.com', key, length=True) + msg)
            """
        return try Self.run("/usr/bin/python3", ["-c", script], in: dir, stdin: Array(message.utf8))
    }

    deinit { try? FileManager.default.removeItem(at: dir) }
}
