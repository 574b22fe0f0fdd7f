internal import CFormat

/// C's `snprintf` for one number, what Perl's `sprintf` is for numbers: the
/// same text as Foundation's `String(format:)`, at a small fraction of its
/// cost. On Linux that one (and `withVaList` under it: a dynamic protocol
/// lookup per argument) took about 30 µs a message for the one Bayes note,
/// a percent of a scan, and more for a report, which formats a number per
/// rule hit.
///
/// The format goes to `snprintf` as it is, so it must be a literal with
/// exactly one conversion of the value's type: `StaticString` keeps it a
/// literal that a reader can check at the call.
public enum CFormat {
    /// `format` with one floating-point conversion (`%3.4f`, `%.15g`).
    public static func double(_ format: StaticString, _ value: Double) -> String {
        formatted(format) { swamp_format_double($0, $1, $2, value) }
    }

    /// `format` with one unsigned conversion (`%08X`, `%02X`).
    public static func unsigned(_ format: StaticString, _ value: UInt32) -> String {
        formatted(format) { swamp_format_unsigned($0, $1, $2, value) }
    }

    private static func formatted(_ format: StaticString,
                                  _ write: (UnsafeMutablePointer<CChar>?, Int, UnsafePointer<CChar>) -> Int32) -> String {
        // A literal's bytes end with a NUL; one of a single scalar has none.
        guard format.hasPointerRepresentation else {
            return format.description.withCString { c in formatted { write($0, $1, c) } }
        }
        let c = UnsafeRawPointer(format.utf8Start).assumingMemoryBound(to: CChar.self)
        return formatted { write($0, $1, c) }
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
