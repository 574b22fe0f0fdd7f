// Where messages to learn come from: single files, directories, Maildirs
// and mbox files, as `sa-learn` accepts them.

import Foundation

/// One message to read: a whole file, or a byte range of an mbox file.
public struct MessageSource: Sendable, Hashable {
    public let path: String
    /// Byte range within an mbox file; nil for a whole file.
    public let range: Range<Int>?

    /// The messages under `path`, or nil when it cannot be read.
    public static func find(_ path: String) -> [MessageSource]? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return nil }
        if !isDir.boolValue {
            return isMbox(path) ? mboxMessages(path) : [MessageSource(path: path, range: nil)]
        }
        // A Maildir: cur/ and new/ (tmp/ holds deliveries in progress).
        let cur = (path as NSString).appendingPathComponent("cur")
        let new = (path as NSString).appendingPathComponent("new")
        if fm.fileExists(atPath: cur) || fm.fileExists(atPath: new) {
            return [cur, new].flatMap { files(in: $0, recursive: false) }.map { MessageSource(path: $0, range: nil) }
        }
        var out: [MessageSource] = []
        for file in files(in: path, recursive: true) {
            if isMbox(file) { out += mboxMessages(file) } else { out.append(MessageSource(path: file, range: nil)) }
        }
        return out
    }

    /// Reads the message's bytes.
    public func read() -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let range else { return (try? handle.readToEnd()).map { Array($0) } }
        do {
            try handle.seek(toOffset: UInt64(range.lowerBound))
            guard let data = try handle.read(upToCount: range.count) else { return [] }
            var bytes = Array(data)
            // Drop the "From " separator line.
            if let nl = bytes.firstIndex(of: 10) { bytes.removeSubrange(0...nl) }
            return bytes
        } catch { return nil }
    }

    static func files(in dir: String, recursive: Bool) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let p = (dir as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                if recursive { out += files(in: p, recursive: true) }
            } else {
                out.append(p)
            }
        }
        return out
    }

    /// An mbox file starts with a "From " separator line that has more
    /// after the sender (a date), unlike a header.
    static func isMbox(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        guard let head = try? h.read(upToCount: 5) else { return false }
        return Array(head) == Array("From ".utf8)
    }

    /// "From sender Thu Oct  3 12:23:28 2002": a separator carries a time,
    /// which a body line starting with "From " rarely does.
    static func looksLikeSeparator(_ line: ArraySlice<UInt8>) -> Bool {
        let l = Array(line)
        guard l.count >= 12 else { return false }
        for i in 0..<(l.count - 4) where l[i + 2] == 58 {
            if isDigit(l[i]) && isDigit(l[i + 1]) && isDigit(l[i + 3]) && isDigit(l[i + 4]) { return true }
        }
        return false
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// Splits an mbox file at "From " lines that follow a blank line (or
    /// start the file).
    static func mboxMessages(_ path: String) -> [MessageSource] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let b = Array(data)
        var starts: [Int] = []
        let from = Array("From ".utf8)
        var i = 0
        var previousBlank = true
        while i < b.count {
            var end = i
            while end < b.count && b[end] != 10 { end += 1 }
            let line = b[i..<end]
            if previousBlank && line.starts(with: from) && looksLikeSeparator(line) { starts.append(i) }
            previousBlank = line.isEmpty || (line.count == 1 && line.first == 13)
            i = end + 1
        }
        if starts.isEmpty { return [MessageSource(path: path, range: nil)] }
        return starts.enumerated().map { k, s in
            MessageSource(path: path, range: s..<(k + 1 < starts.count ? starts[k + 1] : b.count))
        }
    }
}
