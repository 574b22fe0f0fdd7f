// Punycode (RFC 3492) for internationalised host names, as
// SpamAssassin's `idn_to_ascii` produces them for URI canonicalisation.

enum IDNA {
    /// Lowercased ASCII form of a UTF-8 host name; nil when it is not valid UTF-8.
    static func toASCII(_ host: [UInt8]) -> [UInt8]? {
        guard Charset.isValidUTF8(host) else { return nil }
        let s = String(decoding: host, as: UTF8.self).lowercased()
        var labels: [String] = []
        for label in s.split(separator: ".", omittingEmptySubsequences: false) {
            if label.unicodeScalars.allSatisfy({ $0.isASCII }) { labels.append(String(label)); continue }
            guard let p = punycode(Array(label.unicodeScalars.map { $0.value })) else { return nil }
            labels.append("xn--" + p)
        }
        return Array(labels.joined(separator: ".").utf8)
    }

    static func punycode(_ input: [UInt32]) -> String? {
        let base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700
        var n = 128, delta = 0, bias = 72
        var output = input.filter { $0 < 0x80 }.map { Character(Unicode.Scalar($0)!) }
        let b = output.count
        var h = b
        if b > 0 { output.append("-") }
        func digit(_ d: Int) -> Character { Character(Unicode.Scalar(UInt8(d < 26 ? d + 97 : d + 22))) }
        func adapt(_ d: Int, _ numPoints: Int, _ first: Bool) -> Int {
            var delta = first ? d / damp : d / 2
            delta += delta / numPoints
            var k = 0
            while delta > ((base - tmin) * tmax) / 2 { delta /= base - tmin; k += base }
            return k + (base - tmin + 1) * delta / (delta + skew)
        }
        while h < input.count {
            guard let m = input.filter({ Int($0) >= n }).min() else { return nil }
            delta += (Int(m) - n) * (h + 1)
            if delta > Int(Int32.max) { return nil }
            n = Int(m)
            for c in input {
                if Int(c) < n { delta += 1 }
                if Int(c) == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tmin : (k >= bias + tmax ? tmax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, h + 1, h == b)
                    delta = 0
                    h += 1
                }
            }
            delta += 1; n += 1
        }
        return String(output)
    }
}
