import ChildProcess
import Foundation

/// A datagram socket where `NOTIFY_SOCKET` points, collecting what a process tells systemd.
public final class NotifySocket: @unchecked Sendable {
    /// The socket's path.
    public let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [String] = []

    /// Binds a socket in `directory` and starts reading from it.
    public init(in directory: TemporaryDirectory) throws {
        path = directory.file("notify.sock")
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0 else { throw BuiltProcessError(message: "cannot bind \(path)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in read() }
        thread.start()
    }

    private func read() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                lock.withLock { received.append(message) }
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return
            }
        }
    }

    /// Every message so far, in order.
    public var messages: [String] { lock.withLock { received } }

    /// Waits until `predicate` holds for the messages, for up to `timeout` seconds.
    @discardableResult
    public func wait(timeout: Double = 20, until predicate: ([String]) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(messages) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return predicate(messages)
    }
}
