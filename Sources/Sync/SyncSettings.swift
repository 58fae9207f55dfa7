/// How a sync cycle reads and sends.
public struct SyncSettings: Sendable {
    /// Rows per page of the submitted-orders read (`Prefer: odata.maxpagesize`), 1 to 5000.
    public var pageSize: Int
    /// Orders in flight at once.
    public var maxInFlight: Int
    /// Events per read of the back office's change feed (`limit`), 1 to 1000.
    public var changesPageSize: Int

    /// Creates settings.
    public init(pageSize: Int = 500, maxInFlight: Int = 8, changesPageSize: Int = 100) {
        self.pageSize = pageSize
        self.maxInFlight = maxInFlight
        self.changesPageSize = changesPageSize
    }
}
