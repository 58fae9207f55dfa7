import ChildProcess
import Foundation

/// A loopback port that refuses connections and that no other test can take meanwhile: a socket bound
/// to it that never listens. Stopping a server to get a refused port is racy when tests run in
/// parallel: another test's server may bind the freed port at once.
public final class ClosedPort: @unchecked Sendable {
    /// The port.
    public let port: UInt16
    private var descriptor: Int32

    /// Reserves a free port.
    public init() throws {
        (descriptor, port) = try Self.bindLoopback()
    }

    /// A TCP socket bound to a free port on 127.0.0.1, and the port.
    static func bindLoopback() throws -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard descriptor >= 0, bound == 0 else { throw BuiltProcessError(message: "cannot bind a loopback port") }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Frees the port, so that a server can listen on it.
    public func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}
