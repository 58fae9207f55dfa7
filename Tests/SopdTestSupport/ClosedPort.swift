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
        (descriptor, port) = try LoopbackPort.bind()
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
