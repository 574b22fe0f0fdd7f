internal import CZlib

/// `Compress: zlib` bodies (spamc `-z`, which sends zlib's `compress2`
/// format). The only place the server touches zlib.
enum Zlib {
    enum Failure: Error, Equatable {
        /// The inflated message would exceed `limit` bytes; inflation
        /// stopped there, so a bomb never costs more than `limit` bytes.
        case tooBig(limit: Int)
        /// Not a zlib (or gzip) stream, or truncated; zlib's message.
        case corrupt(String)
    }

    private static let overLimit = Int32.min

    /// Inflates `input`, refusing as soon as the output passes `limit`.
    static func inflate(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard swamp_inflateInitAuto(&stream) == Z_OK else { throw .corrupt("inflateInit failed") }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        let chunkSize = 64 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
            // zlib's next_in is not const unless ZLIB_CONST; it never writes.
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = uInt(inBuffer.count)
            while true {
                let produced: Int
                let code: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                produced = chunkSize - Int(stream.avail_out)
                if output.count + produced > limit { return Self.overLimit }
                output.append(contentsOf: chunk[0..<produced])
                switch code {
                case Z_STREAM_END: return Z_STREAM_END
                case Z_OK: continue
                default:
                    // Z_BUF_ERROR here means no progress was possible: the
                    // input ended before the stream did.
                    return code
                }
            }
        }
        switch status {
        case Z_STREAM_END: return output
        case Self.overLimit: throw .tooBig(limit: limit)
        case Z_BUF_ERROR: throw .corrupt("truncated stream")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
            throw .corrupt(message)
        }
    }
}
