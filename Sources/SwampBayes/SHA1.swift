// SHA-1 (FIPS 180-4 §6.1), here only because SpamAssassin names a Bayes
// token by the last 40 bits of the SHA-1 of its text (Plugin/Bayes.pm
// `tokenize`), and because pulling in swift-crypto would build BoringSSL
// for one hash. Not for anything security-related. The block function
// runs on the x86 SHA extensions where the processor has them (CSHA1):
// hashing a message's tokens took ~4 % of a scan in Swift.

internal import CSHA1

public enum SHA1 {
    /// Whether blocks go to the processor's SHA instructions.
    static let hardware = swamp_sha1_hardware() != 0

    /// The 20-byte digest.
    public static func digest<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var padded = [UInt8]()
        let n = bytes.count
        padded.reserveCapacity((n + 72) & ~63)
        padded.append(contentsOf: bytes)
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bits = UInt64(n) &* 8
        for i in (0..<8).reversed() { padded.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            padded.withUnsafeBufferPointer { p in
                var block = 0
                while block < p.count {
                    compress(&h, p.baseAddress! + block, w)
                    block += 64
                }
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(20)
        for word in [h.0, h.1, h.2, h.3, h.4] {
            out.append(UInt8(truncatingIfNeeded: word >> 24)); out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8)); out.append(UInt8(truncatingIfNeeded: word))
        }
        return out
    }

    public static func hexDigest<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        hex(digest(bytes))
    }

    /// The last 40 bits of the digest of an input that fits one block
    /// (≤ 55 bytes), without heap allocation: most tokens.
    static func lastFiveBytesOfShortInput<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        lastFiveBytesOfShortInput(bytes, EmptyCollection<UInt8>())
    }

    /// The same for an input given in two pieces, together ≤ 55 bytes.
    static func lastFiveBytesOfShortInput<H: Collection, T: Collection>(_ head: H, _ tail: T) -> UInt64
        where H.Element == UInt8, T.Element == UInt8 {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { block in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
                var n = 0
                for b in head { block[n] = b; n += 1 }
                for b in tail { block[n] = b; n += 1 }
                block[n] = 0x80
                for i in (n + 1)..<56 { block[i] = 0 }
                let bits = UInt64(n) &* 8
                for i in 0..<8 { block[56 + i] = UInt8(truncatingIfNeeded: bits >> (UInt64(7 - i) * 8)) }
                compress(&h, UnsafePointer(block.baseAddress!), w)
            }
        }
        return (UInt64(h.3 & 0xFF) << 32) | UInt64(h.4)
    }

    @inline(__always)
    private static func compress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32),
                                 _ m: UnsafePointer<UInt8>, _ w: UnsafeMutableBufferPointer<UInt32>) {
        if hardware { hardwareCompress(&h, m) } else { softwareCompress(&h, m, w) }
    }

    /// The block function on the SHA instructions (only where `hardware`).
    static func hardwareCompress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32), _ m: UnsafePointer<UInt8>) {
        withUnsafeMutableBytes(of: &h) { swamp_sha1_block($0.baseAddress!.assumingMemoryBound(to: UInt32.self), m) }
    }

    /// The block function in Swift (FIPS 180-4 §6.1.2).
    static func softwareCompress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32),
                                 _ m: UnsafePointer<UInt8>, _ w: UnsafeMutableBufferPointer<UInt32>) {
        for i in 0..<16 {
            w[i] = UInt32(m[i * 4]) << 24 | UInt32(m[i * 4 + 1]) << 16 | UInt32(m[i * 4 + 2]) << 8 | UInt32(m[i * 4 + 3])
        }
        for i in 16..<80 {
            let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w[i] = x << 1 | x >> 31
        }
        var (a, b, c, d, e) = h
        for i in 0..<80 {
            let f: UInt32, k: UInt32
            if i < 20 { f = (b & c) | (~b & d); k = 0x5A82_7999 }
            else if i < 40 { f = b ^ c ^ d; k = 0x6ED9_EBA1 }
            else if i < 60 { f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC }
            else { f = b ^ c ^ d; k = 0xCA62_C1D6 }
            let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
            e = d; d = c; c = b << 30 | b >> 2; b = a; a = t
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
    }
}

/// A Bayes token as SpamAssassin stores it: the last 5 bytes of the SHA-1
/// of the token text, as a big-endian 40-bit integer.
public struct TokenHash: Sendable, Hashable, Comparable {
    public let value: UInt64

    /// Sets and dictionaries of tokens are the Bayes step's busiest
    /// (a message's tokens kept once each, their counts looked up, the
    /// combining): SipHash, which `Hasher` runs for every one, cost a sixth
    /// of the step. A token is already a digest, so a multiply-shift mix
    /// under a key drawn at start-up stands in for it; the key keeps
    /// crafted tokens from landing in one bucket on purpose.
    public func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: mixedHash(value, seed: seed))
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    public init(value: UInt64) { self.value = value & 0xFF_FFFF_FFFF }

    public init<C: Collection>(text: C) where C.Element == UInt8 {
        if text.count <= 55 {
            self.value = SHA1.lastFiveBytesOfShortInput(text)
            return
        }
        let d = SHA1.digest(text)
        var v: UInt64 = 0
        for b in d[15..<20] { v = v << 8 | UInt64(b) }
        self.value = v
    }

    /// The hash of `head` followed by `tail`, without joining them when
    /// they fit one SHA-1 block (most tokens).
    init<H: Collection, T: Collection>(head: H, tail: T) where H.Element == UInt8, T.Element == UInt8 {
        let n = head.count + tail.count
        if n <= 55 {
            self.init(value: SHA1.lastFiveBytesOfShortInput(head, tail))
        } else {
            var joined = [UInt8]()
            joined.reserveCapacity(n)
            joined.append(contentsOf: head)
            joined.append(contentsOf: tail)
            self.init(text: joined)
        }
    }

    /// Ten lowercase hex digits, as `sa-learn --backup` and `--dump data` print it.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 10 - s.count)) + s
    }

    public init?(hex: some StringProtocol) {
        guard hex.count == 10, let v = UInt64(hex, radix: 16) else { return nil }
        self.value = v
    }

    public static func < (a: TokenHash, b: TokenHash) -> Bool { a.value < b.value }
}

func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

/// The key of the token hashes' mix, drawn once a process.
let tokenHashKey = UInt64.random(in: .min ... .max)

/// A keyed multiply-shift mix of 64 bits (the high half folded into the low,
/// which sets, dictionaries and `TokenTable` use as the bucket).
@inline(__always) func mixedHash(_ value: UInt64, seed: Int) -> UInt64 {
    let x = (value ^ tokenHashKey ^ UInt64(UInt(bitPattern: seed))) &* 0x9E37_79B9_7F4A_7C15
    return x ^ (x >> 31)
}
