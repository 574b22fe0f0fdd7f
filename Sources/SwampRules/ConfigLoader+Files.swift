// Files and directories: `load(path:)`, `include`, `rules_dir`.

import Foundation

extension ConfigLoader {
    /// Reads a file, or a directory's `*.pre` then `*.cf` files sorted by
    /// name (SpamAssassin's order for its rules directories).
    mutating func loadPath(_ path: String, from location: SourceLocation?, requireDirectory: Bool = false) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            report(.error, "cannot read \(path): no such file or directory", at: location)
            return
        }
        if isDirectory.boolValue {
            let names: [String]
            do {
                names = try fm.contentsOfDirectory(atPath: path)
            } catch {
                report(.error, "cannot list \(path): \(error)", at: location)
                return
            }
            let base = path.hasSuffix("/") ? path : path + "/"
            for ext in [".pre", ".cf"] {
                for name in names.filter({ $0.hasSuffix(ext) && !$0.hasPrefix(".") }).sorted() {
                    var isDir: ObjCBool = false
                    if fm.fileExists(atPath: base + name, isDirectory: &isDir), !isDir.boolValue {
                        loadFile(base + name, from: location)
                    }
                }
            }
        } else if requireDirectory {
            report(.error, "\(path) is not a directory", at: location)
        } else {
            loadFile(path, from: location)
        }
    }

    private mutating func loadFile(_ path: String, from location: SourceLocation?) {
        if state.fileStack.contains(path) {
            report(.error, "include cycle: \((state.fileStack + [path]).joined(separator: " -> "))", at: location)
            return
        }
        if state.fileStack.count >= maxIncludeDepth {
            report(.error, "includes nested deeper than \(maxIncludeDepth) at \(path)", at: location)
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            report(.error, "cannot read \(path)", at: location)
            return
        }
        parse(text: Self.decode(Array(data)), file: path)
    }

    /// UTF-8 text as is. Lines that are not valid UTF-8 (Latin-1 words in
    /// older rule files) get each stray byte written as `\xHH`: in a regex
    /// — the only place such bytes matter — that is the same byte for
    /// PCRE2 in 8-bit mode, where decoding as Latin-1 would change it.
    static func decode(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        var out = ""
        out.reserveCapacity(bytes.count + 64)
        var lineStart = 0
        while lineStart <= bytes.count {
            let nl = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[lineStart..<nl]
            if let s = String(validating: line, as: UTF8.self) {
                out += s
            } else {
                out += escapeInvalidBytes(line)
            }
            if nl == bytes.count { break }
            out += "\n"
            lineStart = nl + 1
        }
        return out
    }

    private static func escapeInvalidBytes(_ line: ArraySlice<UInt8>) -> String {
        var out = ""
        var i = line.startIndex
        var backslashes = 0
        while i < line.endIndex {
            let b = line[i]
            if b < 0x80 {
                out.unicodeScalars.append(Unicode.Scalar(b))
                backslashes = b == UInt8(ascii: "\\") ? backslashes + 1 : 0
                i += 1
                continue
            }
            // A valid multi-byte sequence stays as it is.
            let len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            if len > 1, i + len <= line.endIndex, let s = String(validating: line[i..<(i + len)], as: UTF8.self) {
                out += s
                i += len
            } else {
                let hex = String(b, radix: 16)
                // After an odd number of backslashes the byte itself was
                // escaped; `\xHH` already is that escape.
                out += (backslashes % 2 == 1 ? "x" : "\\x") + (hex.count == 1 ? "0" + hex : hex)
                i += 1
            }
            backslashes = 0
        }
        return out
    }

    /// A path from a directive: `~/` is the home directory; a relative path
    /// is taken from the directory of the file that names it.
    func resolve(_ path: String, relativeTo file: String) -> String {
        var p = path
        if p == "~" || p.hasPrefix("~/") {
            if let home = ProcessInfo.processInfo.environment["HOME"] {
                p = home + p.dropFirst()
            }
        }
        if p.hasPrefix("/") { return p }
        guard let slash = file.lastIndex(of: "/") else { return p }
        return String(file[...slash]) + p
    }
}
