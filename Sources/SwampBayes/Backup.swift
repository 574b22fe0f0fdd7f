// `sa-learn --backup` / `--restore` format (BayesStore/DBM.pm
// backup_database, restore_database), so a site moving from SpamAssassin
// keeps its training:
//   v	3	db_version # this must be the first line!!!
//   v	NSPAM	num_spam
//   v	NHAM	num_nonspam
//   t	SPAM	HAM	ATIME	HEXTOKEN      (5-byte token as 10 hex digits)
//   s	h|s	MSGID

import Foundation

public enum SABackup {
    public struct Counts: Sendable, Equatable {
        public var tokens = 0, nspam = 0, nham = 0, seen = 0
    }

    public struct BackupError: Error, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The store's content in backup format.
    public static func write(_ store: any BayesStore, to out: (String) -> Void) throws {
        let (ns, nn) = try store.messageCounts()
        out("v\t3\tdb_version # this must be the first line!!!\n")
        out("v\t\(ns)\tnum_spam\n")
        out("v\t\(nn)\tnum_nonspam\n")
        for row in try store.allTokens() {
            out("t\t\(row.counts.spam)\t\(row.counts.ham)\t\(row.counts.atime)\t\(row.hash.hex)\n")
        }
        for entry in try store.allSeen() {
            out("s\t\(entry.cls.code)\t\(entry.id)\n")
        }
    }

    /// Parses a backup; tokens with zero counts are skipped and atimes in
    /// the future are set to now, as SpamAssassin's restore does.
    public static func parse(_ text: String, now: Int = Int(Date().timeIntervalSince1970)) throws
        -> (nspam: Int, nham: Int, tokens: [TokenRow], seen: [(id: String, cls: MessageClass)]) {
        var nspam = 0, nham = 0
        var tokens: [TokenRow] = []
        var seen: [(id: String, cls: MessageClass)] = []
        var sawVersion = false
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty { continue }
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
            switch fields.first {
            case "v":
                guard fields.count >= 3, let value = Int(fields[1]) else { throw BackupError(line: n + 1, message: "bad variable line") }
                if fields[2] == "db_version" {
                    guard value == 3 else { throw BackupError(line: n + 1, message: "db_version \(value) not supported (3 is)") }
                    sawVersion = true
                } else if fields[2] == "num_spam" { nspam = value }
                else if fields[2] == "num_nonspam" { nham = value }
            case "t":
                guard sawVersion else { throw BackupError(line: n + 1, message: "no db_version line first") }
                guard fields.count >= 5, let s = Int(fields[1]), let h = Int(fields[2]), let a = Int(fields[3]),
                      let hash = TokenHash(hex: fields[4]) else { throw BackupError(line: n + 1, message: "bad token line") }
                let spam = max(0, s), ham = max(0, h)
                if spam == 0 && ham == 0 { continue }
                tokens.append(TokenRow(hash: hash, counts: TokenCounts(spam: spam, ham: ham, atime: min(a, now))))
            case "s":
                guard fields.count >= 3, let cls = MessageClass(code: fields[1]) else { continue }
                seen.append((fields[2...].joined(separator: " "), cls))
            default:
                continue
            }
        }
        guard sawVersion else { throw BackupError(line: 1, message: "not a sa-learn backup (no db_version line)") }
        return (nspam, nham, tokens, seen)
    }

    /// Replaces the store's content with a backup file's.
    public static func restore(from path: String, into store: any BayesStore) throws -> Counts {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackupError(line: 0, message: "cannot read \(path)")
        }
        let parsed = try parse(String(decoding: data, as: UTF8.self))
        try store.restore(nspam: parsed.nspam, nham: parsed.nham, tokens: parsed.tokens, seen: parsed.seen)
        return Counts(tokens: parsed.tokens.count, nspam: parsed.nspam, nham: parsed.nham, seen: parsed.seen.count)
    }
}
