/// How a sync cycle reads and sends.
public struct SyncSettings: Sendable {
    /// Rows per page of the submitted-orders read (`Prefer: odata.maxpagesize`), 1 to 5000.
    public var pageSize: Int
    /// Orders in flight at once.
    public var maxInFlight: Int

    /// Creates settings.
    public init(pageSize: Int = 500, maxInFlight: Int = 8) {
        self.pageSize = pageSize
        self.maxInFlight = maxInFlight
    }
}
