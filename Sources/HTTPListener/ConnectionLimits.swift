/// Bounds on each connection of a `BoundedHTTPServer`, which faces whoever can reach its address: how long
/// a connection may take, how many bytes its request may hold, and how many may be open at once.
public struct ConnectionLimits: Sendable, Equatable {
    /// Seconds from accepting a connection to closing it, its answer sent or not.
    public var lifetimeSeconds: Double
    /// Bytes the request line and headers may hold together.
    public var maxRequestBytes: Int
    /// Connections open at once; more are closed as soon as they are accepted.
    public var maxConnections: Int
    /// Bytes a request's body may hold (its `Content-Length`); 0 refuses any body.
    public var maxBodyBytes: Int

    /// Creates limits.
    public init(lifetimeSeconds: Double, maxRequestBytes: Int, maxConnections: Int, maxBodyBytes: Int = 0) {
        self.lifetimeSeconds = lifetimeSeconds
        self.maxRequestBytes = maxRequestBytes
        self.maxConnections = maxConnections
        self.maxBodyBytes = maxBodyBytes
    }

    /// For a monitoring endpoint: scrapes and probes are small and quick, without a body.
    public static let monitoring = ConnectionLimits(lifetimeSeconds: 10, maxRequestBytes: 8 << 10, maxConnections: 64)

    /// For a webhook receiver: an ERP's notification, a JSON body of up to 1 MiB.
    public static let webhook = ConnectionLimits(lifetimeSeconds: 15, maxRequestBytes: 16 << 10, maxConnections: 64, maxBodyBytes: 1 << 20)
}
