internal import CFormat

/// C's `snprintf` for one number, what Perl's `sprintf` is for numbers: the
/// same text as Foundation's `String(format:)`, at a small fraction of its
/// cost. On Linux that one, and `withVaList` under it, cost ~15 µs a call
/// (a dynamic protocol lookup per argument): a percent of a scan for the
/// one Bayes note, more for a report that formats a number per rule hit.
/// Formats are the callers' literals, with one conversion for the type.
public enum CFormat {
    /// `format` with one floating-point conversion (`%3.4f`, `%.15g`).
    public static func double(_ format: String, _ value: Double) -> String {
        formatted { swamp_format_double($0, $1, format, value) }
    }

    /// `format` with one unsigned conversion (`%08X`, `%02X`).
    public static func unsigned(_ format: String, _ value: UInt32) -> String {
        formatted { swamp_format_unsigned($0, $1, format, value) }
    }

    private static func formatted(_ write: (UnsafeMutablePointer<CChar>?, Int) -> Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let n = Int(write(buffer.baseAddress, 64))
            guard n >= 0 else { return "" }
            if n < 64 {
                return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: n), as: UTF8.self)
            }
            // Longer than the buffer: format again into one that fits.
            let large = UnsafeMutableBufferPointer<CChar>.allocate(capacity: n + 1)
            defer { large.deallocate() }
            let m = Int(write(large.baseAddress, n + 1))
            return String(decoding: UnsafeRawBufferPointer(start: large.baseAddress, count: max(0, min(m, n))), as: UTF8.self)
        }
    }
}
