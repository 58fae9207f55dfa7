/// Bounds on each connection of a `BoundedHTTPServer`, which faces whoever can reach its address: how long
/// a connection may take, how many bytes its request may hold, and how many may be open at once.
public struct ConnectionLimits: Sendable, Equatable {
    /// Seconds from accepting a connection to closing it, its answer sent or not.
    public var lifetimeSeconds: Double
    /// Bytes the request line and headers may hold together.
    public var maxRequestBytes: Int
    /// Connections open at once; more are closed as soon as they are accepted.
    public var maxConnections: Int

    /// Creates limits.
    public init(lifetimeSeconds: Double, maxRequestBytes: Int, maxConnections: Int) {
        self.lifetimeSeconds = lifetimeSeconds
        self.maxRequestBytes = maxRequestBytes
        self.maxConnections = maxConnections
    }

    /// For a monitoring endpoint: scrapes and probes are small and quick.
    public static let monitoring = ConnectionLimits(lifetimeSeconds: 10, maxRequestBytes: 8 << 10, maxConnections: 64)
}
