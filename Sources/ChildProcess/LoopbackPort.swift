import Foundation

/// A TCP port on 127.0.0.1 that the system says is free, for the processes the bench and the tests start.
public enum LoopbackPort {
    /// A TCP socket bound (not listening) to a free port on 127.0.0.1, and the port. Close the socket to free the port.
    /// - Throws: `BuiltProcessError` when no socket can be bound.
    public static func bind() throws -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard descriptor >= 0, bound == 0 else { throw BuiltProcessError(message: "cannot bind a loopback port") }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    /// A port free now: bound, read and released. Another process may take it before it is used.
    public static func free() throws -> UInt16 {
        let (descriptor, port) = try bind()
        close(descriptor)
        return port
    }
}
