import Foundation
import Testing
@testable import SwampRegex
import SwampTestSupport

/// The Hyperscan stage must never miss: whenever PCRE2 matches a piece,
/// the stage reports the pattern at that piece or an earlier one.
@Suite(.enabled(if: MultiPattern.isAvailable, "Hyperscan cannot run on this machine"))
struct MultiPatternTests {
    @Test func reportsThePiecesWherePatternsMayMatch() throws {
        let m = try #require(MultiPattern([
            (pattern: "viagra", options: [.caseless]),
            (pattern: "^free\\b", options: []),
            (pattern: "(?<!un)subscribe", options: []),
            (pattern: "a(b", options: []),          // does not compile: left out
        ]))
        #expect(m.included == [true, true, true, false])
        let pieces = ["hello there", "Buy VIAGRA now", "free stuff", "unsubscribe here"]
        let found = scan(m, pieces)
        #expect(found[0] == 2)
        #expect(found[1] == 3)
        // Lookbehinds are dropped in prefilter mode: reported, PCRE2 decides.
        #expect(found[2] == 4)
        #expect(found[3] == 0)
        #expect(scan(m, ["nothing", "here"]) == [0, 0, 0, 0])
    }

    /// Small patterns share databases, as few as keep each within twice
    /// its parts' size: every database is a pass over the text. (The
    /// stock rules' 75 small patterns were 75 databases when their one
    /// database outgrew that.)
    @Test func smallPatternsShareDatabases() throws {
        let words = (0..<64).map { "w\($0)" }
        let patterns = words.map { (pattern: "\\b\($0)[a-z]+q\\d", options: RegexOptions.caseless) }
        let m = try #require(MultiPattern(patterns))
        #expect(m.included.allSatisfy { $0 })
        // One here; Hyperscan's merging decides, so allow it a second.
        #expect(m.databaseCount <= 2)
        let found = scan(m, ["nothing", "see W17abcq9 here", "w63zq1"])
        #expect(found.enumerated().filter { $0.element != 0 }.map(\.offset) == [17, 63])
        #expect(found[17] == 2 && found[63] == 3)

        // Groups that outgrow their parts are halved down to single
        // patterns if need be; one that will not compile even alone is
        // named, the others still grouped.
        let texts = (patterns.map { MultiPattern.text($0.pattern, options: $0.options) }) + [Array("a(".utf8CString)]
        let flags = (patterns.map { MultiPattern.flags($0.options) }) + [MultiPattern.flags([])]
        let ids = Array(texts.indices)
        let tiny = Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) })
        let (each, failedEach) = MultiPattern.grouped(texts, flags, ids, alone: tiny)
        #expect(each.count == 64)
        #expect(failedEach == [64])
        MultiPattern.release(each)
        let roomy = Dictionary(uniqueKeysWithValues: ids.map { ($0, 1 << 20) })
        let (few, failedFew) = MultiPattern.grouped(texts, flags, ids, alone: roomy)
        #expect(few.count <= 7 && few.count >= 1)
        #expect(failedFew == [64])
        MultiPattern.release(few)
    }

    @Test func widensBoundedRepeatsOutsideClassesAndEscapes() {
        #expect(MultiPattern.widened("a{0,80}b{1,3}c{2,9}d{3}e{2,2}f{9}g{12,}h{6,20}") == "a*b+c{2,}d{3}e{2,2}f{4,}g{4,}h{4,}")
        #expect(MultiPattern.widened("(?:ab){1,3}x") == "(?:ab)+x")
        #expect(MultiPattern.widened("[a{1,3}]x{0,4}") == "[a{1,3}]x*")
        #expect(MultiPattern.widened("[]{0,4}]") == "[]{0,4}]")
        #expect(MultiPattern.widened("[[:alpha:]{0,2}]{1,5}") == "[[:alpha:]{0,2}]+")
        #expect(MultiPattern.widened(#"\{0,4}a\x{41}{1,2}"#) == #"\{0,4}a\x{41}+"#)
        #expect(MultiPattern.widened(#"\Qa{0,4}\Eb{0,4}"#) == #"\Qa{0,4}\Eb*"#)
        #expect(MultiPattern.widened("a{0,4}?b{1,}") == "a*?b{1,}")
    }

    /// The pieces are scanned as one multi-line text: anchors of the whole
    /// subject become line anchors, and a pattern turning multi-line off
    /// stays out.
    @Test func textAnchorsBecomeLineAnchors() throws {
        #expect(MultiPattern.lineAnchored(#"\Afoo\z|\Gbar\Z"#) == "^foo$|^bar$")
        // Escapes and classes are copied whole: \c\ is one control character.
        #expect(MultiPattern.lineAnchored(#"\c\AAc[\A]\\A\Q\A\E"#) == #"\c\AAc[\A]\\A\Q\A\E"#)
        #expect(MultiPattern.anchorsTheText(Array("(?i-m)^x".utf8CString)))
        #expect(MultiPattern.anchorsTheText(Array("a(?s-im:^b)".utf8CString)))
        #expect(!MultiPattern.anchorsTheText(Array("(?im)^x|\\(?-i:y)".utf8CString)))
        // Where the anchor walk could misread the pattern (review findings):
        // a comment holding \Q, a class it cannot close, # in /x.
        #expect(MultiPattern.anchorsTheText(Array(#"(?#\Q)spam\z"#.utf8CString)))
        #expect(MultiPattern.anchorsTheText(Array(#"[\Q]\E]x\z"#.utf8CString)))
        #expect(MultiPattern.anchorsTheText(Array("(?x) a # \\Q\n b\\z".utf8CString)))
        #expect(!MultiPattern.anchorsTheText(Array("(?x) a \\# b\\z".utf8CString)))
        // Nothing for a misread walk to hide: no anchor escape, no -m.
        #expect(!MultiPattern.anchorsTheText(Array("(?x) a # \\Q\n b".utf8CString)))
        #expect(!MultiPattern.anchorsTheText(Array(#"[\Q]\E]x"#.utf8CString)))
        let commented = try #require(MultiPattern([(pattern: #"(?#\Q)spam\z"#, options: []),
                                                   (pattern: #"(?#\Q)(?-m)^spam"#, options: []),
                                                   (pattern: "spam", options: [])]))
        #expect(commented.included == [false, false, true])
        let m = try #require(MultiPattern([(pattern: #"\Aspam"#, options: []), (pattern: #"ham\z"#, options: []),
                                           (pattern: "(?-m)^eggs", options: [])]))
        #expect(m.included == [true, true, false])
        #expect(scan(m, ["x", "spam here", "the ham"]) == [2, 3, 0])
    }

    @Test func loadsWhatItCompiledFromTheCache() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swamp-hs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let patterns: [(pattern: String, options: RegexOptions)] = [("spam+y", []), ("e(", []), ("ham$", [.multiline])]
        #expect(MultiPattern(patterns, cacheDirectory: dir, compile: false) == nil)
        let compiled = try #require(MultiPattern(patterns, cacheDirectory: dir))
        #expect(!compiled.fromCache)
        let loaded = try #require(MultiPattern(patterns, cacheDirectory: dir, compile: false))
        #expect(loaded.fromCache)
        #expect(loaded.included == compiled.included)
        #expect(scan(loaded, ["x", "spammy\nham"]) == scan(compiled, ["x", "spammy\nham"]))
        #expect(scan(loaded, ["x", "spammy\nham"]) == [2, 0, 2])
        // Other patterns, another file: not confused with this one.
        #expect(MultiPattern([("spam+z", [])], cacheDirectory: dir, compile: false) == nil)
        // A damaged file is ignored (and compiled anew): cut short (one
        // database of two whole), or garbage after the magic.
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            let url = URL(fileURLWithPath: dir + "/" + file)
            let whole = try Data(contentsOf: url)
            try whole.prefix(whole.count - 10).write(to: url)
            #expect(MultiPattern(patterns, cacheDirectory: dir, compile: false) == nil)
            try Data("SWAMPHS2garbage".utf8).write(to: url)
        }
        #expect(MultiPattern(patterns, cacheDirectory: dir, compile: false) == nil)
        #expect(MultiPattern(patterns, cacheDirectory: dir)?.included == compiled.included)
        // Files unused for a month go when another is written; others stay.
        let old = dir + "/multi-0000.hs", recent = dir + "/multi-1111.hs", other = dir + "/notes.txt"
        for file in [old, recent, other] { try Data("x".utf8).write(to: URL(fileURLWithPath: file)) }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -40 * 24 * 3600)], ofItemAtPath: old)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -40 * 24 * 3600)], ofItemAtPath: other)
        #expect(MultiPattern([("fresh+ly", [])], cacheDirectory: dir) != nil)
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(FileManager.default.fileExists(atPath: recent))
        #expect(FileManager.default.fileExists(atPath: other))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".hs") }.count == 3)
    }

    /// Random patterns from the grammar the required-strings fuzz test
    /// uses, in sets of 200, against PCRE2 on each piece alone.
    ///   SWAMP_FUZZ_PATTERNS=200000 SWAMP_FUZZ_SEED=9 swift test --filter MultiPatternTests
    @Test func neverMissesWhatPCRE2Matches() throws {
        let environment = ProcessInfo.processInfo.environment
        fuzzAgainstPCRE2(count: environment["SWAMP_FUZZ_PATTERNS"].flatMap { Int($0) } ?? 12_000,
                         seed: environment["SWAMP_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_129,
                         batchSize: 200, examples: 40) { MultiPattern($0) }
    }

    /// The exact path long patterns take (Hyperscan's own semantics, no
    /// prefilter slack; a leading part when the whole will not compile)
    /// must never miss either: the generated patterns, each taken as long.
    @Test func exactPathNeverMissesWhatPCRE2Matches() throws {
        let environment = ProcessInfo.processInfo.environment
        fuzzAgainstPCRE2(count: environment["SWAMP_FUZZ_PATTERNS"].flatMap { Int($0) }.map { $0 / 4 } ?? 3_000,
                         seed: environment["SWAMP_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_201,
                         batchSize: 100, examples: 30) {
            MultiPattern($0, worthAlone: nil, cacheDirectory: nil, compile: true, longFrom: 0)
        }
    }

    /// Generated patterns in batches, each batch made into a stage by
    /// `make` and scanned over altered examples of its patterns: wherever
    /// PCRE2 matches a piece, the stage must report the pattern at that
    /// piece or an earlier one.
    func fuzzAgainstPCRE2(count: Int, seed: UInt64, batchSize: Int, examples: Int,
                          make: ([(pattern: String, options: RegexOptions)]) -> MultiPattern?) {
        var generator = PatternGenerator(seed: seed)
        var checked = 0, included = 0, failures = 0, done = 0
        while done < count {
            var batch: [(pattern: String, options: RegexOptions, regex: Regex, example: [UInt8])] = []
            while batch.count < batchSize && done < count {
                done += 1
                let (pattern, example) = generator.pattern()
                let options = RegexOptions(perlFlags: generator.flags())
                guard let re = try? Regex(pattern, options: options) else { continue }
                batch.append((pattern, options, re, example))
            }
            guard let m = make(batch.map { (pattern: $0.pattern, options: $0.options) }) else { continue }
            included += m.included.filter { $0 }.count
            // The pieces: the patterns' examples, altered, one view.
            var pieces: [[UInt8]] = []
            for b in batch.prefix(examples) { pieces += generator.subjects(around: b.example) }
            let found = scan(m, pieces.map { String(decoding: $0, as: UTF8.self) }, bytes: pieces)
            for (id, b) in batch.enumerated() where m.included[id] {
                for (n, piece) in pieces.enumerated() where b.regex.firstMatch(in: piece) != nil {
                    checked += 1
                    if found[id] == 0 || Int(found[id]) - 1 > n {
                        failures += 1
                        if failures <= 20 {
                            Issue.record("/\(b.pattern)/ matches \(String(reflecting: String(decoding: piece, as: UTF8.self))) (piece \(n)), stage says \(found[id])")
                        }
                    }
                    break
                }
            }
        }
        #expect(failures == 0)
        #expect(included > count / 8, "\(included) patterns in the stage")
        #expect(checked > count / 20, "\(checked) matches checked")
    }

    /// A pattern longer than `maximumLength` goes in only when worth a
    /// database alone, compiled exactly: whole when Hyperscan takes it,
    /// else by its longest leading part that it takes (here the whole
    /// ends in a lookahead, which only prefilter mode reads).
    @Test func longPatternsGoInWholeOrByALeadingPart() throws {
        let names = (0..<260).map { "fieldname\($0)" }.joined(separator: "|")
        let whole = "(?:" + names + #")\s?[:=]\s*"#
        let ahead = whole + #"(?:age|sex)(?=\d)"#
        #expect(whole.utf8.count > MultiPattern.maximumLength)
        let patterns = [(pattern: whole, options: RegexOptions.caseless), (pattern: ahead, options: .caseless)]
        let m = try #require(MultiPattern(patterns, worthAlone: [true, true]))
        #expect(m.included == [true, true])
        // Exactly: a text with a field name alone is not reported (prefilter
        // mode reported every text for the form patterns).
        #expect(scan(m, ["fieldname7 without a separator", "nothing here"]) == [0, 0])
        #expect(scan(m, ["x", "FieldName12: age5"]) == [2, 2])
        // The leading part without the lookahead: reported, PCRE2 decides.
        #expect(scan(m, ["fieldname12 = agex"]) == [1, 1])
        // Not worth a database alone: left out, as before.
        let left = try #require(MultiPattern(patterns + [(pattern: "short", options: [])], worthAlone: [false, false, true]))
        #expect(left.included == [false, false, true])
    }

    /// Long patterns cost compiles of their own, a leading part one more
    /// each: past the budget the rest stay out, so a rule set of many
    /// cannot hold the stage up for long. (Short patterns taken as long
    /// here: long ones take a second each to compile.)
    @Test func longPatternsHaveACompileBudget() throws {
        let patterns = [#"alpha\s?:\s*(?:age|sex)(?=\d)"#, #"beta\s?:"#, "gamma:", "delta:"]
        let texts = patterns.map { MultiPattern.text($0, options: .caseless) }
        let flags = patterns.map { _ in MultiPattern.flags(.caseless) }
        // One compile each: the first's whole, with a lookahead only
        // prefilter mode reads, is turned away by Hyperscan's reading of
        // it before any compile, and its leading part compiles.
        let (dbs, included) = try #require(MultiPattern.compile(
            texts, flags, worthAlone: [true, true, true, true], longFrom: 0, budget: 2,
            parts: { i in LeadingPart.all(patterns[i], options: .caseless).map { MultiPattern.text($0, options: .caseless) } }))
        MultiPattern.release(dbs)
        #expect(included == [true, true, false, false])
    }

    func scan(_ m: MultiPattern, _ pieces: [String], bytes: [[UInt8]]? = nil) -> [UInt32] {
        let parts = bytes ?? pieces.map { Array($0.utf8) }
        var joined: [UInt8] = []
        var ranges: [Range<Int>] = []
        for p in parts {
            if !ranges.isEmpty { joined.append(10) }
            ranges.append(joined.count..<(joined.count + p.count))
            joined += p
        }
        var found = [UInt32](repeating: 0, count: m.count)
        let ok = joined.withUnsafeBufferPointer { all in
            ranges.withUnsafeBufferPointer { m.scan(all, pieces: $0, into: &found) }
        }
        #expect(ok)
        return found
    }
}

@Suite struct LoosenTests {
    /// Groups of look-alike characters (as SpamAssassin's ReplaceTags
    /// write them) lose their UTF-8 alternatives to one class.
    @Test func mergesUTF8CharacterAlternatives() {
        let group = #"(?:[aA@]|rn|[\xc3][\x80\x81\x82]|[\xce](?:[\x91]|[\xb1])|[\xe1][\xba][\xa0-\xa3])"#
        #expect(MultiPattern.loosened(group + "x", minimumLength: 10) == #"(?:[aA@]|rn|[\xc3\xce\xe1][\x80-\xbf]{1,3})x"#)
        // Short groups, quantified parts and negated classes stay.
        #expect(MultiPattern.loosened(group, minimumLength: 200) == group)
        let quantified = #"(?:a|[\xc3][\x80]+|[\xc4][\x80])"#
        #expect(MultiPattern.loosened(quantified, minimumLength: 5) == #"(?:a|[\xc3][\x80]+|[\xc4][\x80-\xbf]{1,3})"#)
        let negated = #"(?:[^\xc3][\x80]|b)"#
        #expect(MultiPattern.loosened(negated, minimumLength: 5) == negated)
    }

    /// Whatever PCRE2 matches, the loosened pattern matches too.
    @Test func loosenedPatternsMatchAtLeastTheOriginal() throws {
        var rng = SplitMix64(seed: 20_261_129)
        let letters: [[UInt8]] = [[0x61], [0x41], [0x40], [0x72, 0x6e], [0xc3, 0x80], [0xc3, 0x81], [0xce, 0x91],
                                  [0xe1, 0xba, 0xa1], [0xf0, 0x9d, 0x90, 0x80], [0x62], [0x2d]]
        let group = #"(?:[aA@]|rn|[\xc3][\x80\x81]|[\xce](?:[\x91]|[\xb1])|[\xe1][\xba][\xa0-\xa3]|[\xf0][\x9d][\x90][\x80-\x8f])"#
        let pattern = #"\b"# + group + #"\W?"# + group + "b"
        let original = try Regex(pattern, options: [.caseless])
        let loose = try Regex(MultiPattern.loosened(pattern, minimumLength: 20), options: [.caseless])
        #expect(MultiPattern.loosened(pattern, minimumLength: 20) != pattern)
        var matched = 0
        for _ in 0..<20_000 {
            var text: [UInt8] = []
            for _ in 0..<Int(rng.next() % 6) { text += letters[Int(rng.next() % UInt64(letters.count))] }
            if original.firstMatch(in: text) != nil {
                matched += 1
                #expect(loose.firstMatch(in: text) != nil, "\(text)")
            }
        }
        #expect(matched > 300)
    }
}

/// Hyperscan's literal matcher and the automaton report the same strings.
@Suite(.enabled(if: MultiPattern.isAvailable, "Hyperscan cannot run on this machine"))
struct LiteralScannerTests {
    @Test func agreesWithTheAutomaton() {
        var rng = SplitMix64(seed: 1_129)
        let alphabet = Array("abcdeABC .-_/".utf8) + [0x0a, 0x00, 0xc3, 0xa9, 0xff]
        func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
        var compared = 0, reported = 0
        for round in 0..<40 {
            let strings = (0..<(1 + round * 20)).map { _ in random(1 + Int(rng.next() % 6)) }
            let fast = LiteralMatcher(strings)
            let table = LiteralMatcher(strings, engine: .automaton)
            #expect(fast.usesHyperscan)
            #expect(!table.usesHyperscan)
            for _ in 0..<20 {
                let text = random(Int(rng.next() % 400))
                let a = fast.occurring(in: text), b = table.occurring(in: text)
                #expect(a == b, "\(strings.count) strings, text \(text)")
                compared += 1
                reported += a.count
            }
        }
        #expect(compared == 800)
        #expect(reported > 1_000)
        // Strings Hyperscan refuses (an empty one): the automaton serves.
        #expect(!LiteralMatcher([[], Array("ab".utf8)]).usesHyperscan)
    }

    /// `hybrid`: Hyperscan for long texts, the table for short ones, both
    /// reporting the strings under the numbers given (as the header views'
    /// matchers do, marking one shared array).
    @Test func hybridAgreesOnEitherSideOfItsLength() {
        var rng = SplitMix64(seed: 2_026)
        let alphabet = Array("abcdeABC .-_/".utf8) + [0x0a, 0x00, 0xc3, 0xa9, 0xff]
        func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
        var long = 0, short = 0, reported = 0
        for round in 0..<30 {
            let strings = (0..<(1 + round * 10)).map { _ in random(1 + Int(rng.next() % 5)) }
            // Sparse, increasing numbers, as `LiteralFilter.build(byQuery:)` gives.
            var ids: [Int32] = [], next: Int32 = 0
            for _ in strings { next += 1 + Int32(rng.next() % 5); ids.append(next) }
            let hybrid = LiteralMatcher(strings, engine: .hybrid(minimumLength: 100), reporting: ids)
            let table = LiteralMatcher(strings, engine: .automaton, reporting: ids)
            #expect(hybrid.usesHyperscan && !table.usesHyperscan)
            #expect(hybrid.count == table.count && hybrid.count == Int(next) + 1)
            for _ in 0..<20 {
                let text = random(Int(rng.next() % 200))
                let a = hybrid.occurring(in: text), b = table.occurring(in: text)
                #expect(a == b, "\(strings.count) strings, text \(text)")
                #expect(a.isSubset(of: Set(ids.map(Int.init))))
                if text.count >= 100 { long += 1 } else { short += 1 }
                reported += a.count
            }
        }
        #expect(long > 200 && short > 200)
        #expect(reported > 1_000)
    }
}
