import FlyingFox
import FlyingSocks
import Foundation

/// FlyingFox's socket pool, with `TCP_NODELAY` set on every socket it waits on. FlyingFox writes a
/// response's headers and body in two writes; with Nagle's algorithm on, the body then waits for
/// the client's delayed ACK, about 40 ms on Linux, on every response. The listener gets the option
/// too, and Linux passes it on to the connections it accepts.
struct NoDelaySocketPool: AsyncSocketPool {
    private let pool: any AsyncSocketPool

    init(wrapping pool: any AsyncSocketPool) {
        self.pool = pool
    }

    func prepare() async throws {
        try await pool.prepare()
    }

    func run() async throws {
        try await pool.run()
    }

    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        try? socket.setValue(true, for: BoolSocketOption(level: Int32(IPPROTO_TCP), name: TCP_NODELAY))
        try await pool.suspendSocket(socket, untilReadyFor: events)
    }
}
