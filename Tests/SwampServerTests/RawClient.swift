import Foundation

/// A bare TCP client for protocol transcripts: it sends exactly the bytes a
/// test gives it, so it can lie, trickle or flood where spamc would not.
final class RawClient: @unchecked Sendable {  // one fd; tests use it from one thread at a time
    let fd: Int32

    enum Failure: Error { case socket(Int32), connect(Int32) }

    init(port: Int, host: String = "127.0.0.1", receiveTimeout: Double = 15) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.socket(errno) }
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - Double(Int(receiveTimeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let e = errno
            close(fd)
            throw Failure.connect(e)
        }
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; false if the peer has gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    func halfClose() { shutdown(fd, Int32(SHUT_WR)) }

    /// Makes the close (when the client is released) a reset, as a client
    /// that crashed or timed out would leave.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// Reads until the server closes (or the receive timeout), at most `limit` bytes.
    func receiveAll(limit: Int = 4 * 1024 * 1024) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    func receiveText() -> String { String(decoding: receiveAll(), as: UTF8.self) }

    /// One request, half-close, the whole reply.
    static func exchange(port: Int, _ request: [UInt8]) throws -> String {
        let client = try RawClient(port: port)
        client.send(request)
        client.halfClose()
        return client.receiveText()
    }

    static func exchange(port: Int, _ request: String) throws -> String {
        try exchange(port: port, Array(request.utf8))
    }

    /// `PING` on a fresh connection: the daemon still answers.
    static func ping(port: Int) -> Bool {
        (try? exchange(port: port, "PING SPAMC/1.5\r\n\r\n")) == "SPAMD/1.5 0 PONG\r\n"
    }
}
