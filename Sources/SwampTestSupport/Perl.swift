import Foundation

/// Where Debian installs Perl, which runs SpamAssassin's own code for the
/// comparisons.
public let perlPath = "/usr/bin/perl"

/// Whether SpamAssassin's Perl modules are installed.
public var spamAssassinModulesInstalled: Bool {
    FileManager.default.fileExists(atPath: perlPath)
        && FileManager.default.fileExists(atPath: "/usr/share/perl5/Mail/SpamAssassin/Util.pm")
}

/// `perl -e script`, with `input` on its standard input: what it printed
/// (its standard error is dropped). Throws when Perl cannot be started.
public func runPerl(_ script: String, input: String) throws -> String {
    String(decoding: try runPerl(script, bytes: Array(input.utf8)), as: UTF8.self)
}

/// `runPerl` on octets, for inputs and outputs that need not be UTF-8.
public func runPerl(_ script: String, bytes input: [UInt8]) throws -> [UInt8] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: perlPath)
    p.arguments = ["-e", script]
    let stdin = Pipe(), stdout = Pipe()
    p.standardInput = stdin
    p.standardOutput = stdout
    p.standardError = FileHandle.nullDevice
    try p.run()
    // The input is written on a thread of its own while the output is
    // read here: Perl answers as it reads, and once either pipe's buffer
    // (64 KiB) filled, writing all first and reading after would wait on
    // each other for ever.
    let writer = stdin.fileHandleForWriting
    let written = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        writer.write(Data(input))
        try? writer.close()
        written.signal()
    }
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    written.wait()
    p.waitUntilExit()
    return Array(output)
}
