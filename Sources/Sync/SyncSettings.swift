import Transfers

/// How a sync cycle reads and sends.
public struct SyncSettings: Sendable {
    /// Rows per page of the submitted-orders read (`Prefer: odata.maxpagesize`), 1 to 5000.
    public var pageSize: Int
    /// The most orders in flight to the back office at once.
    public var maxInFlight: Int
    /// Whether the orders in flight follow the back office's answer times (`ConcurrencyLimit`, from 8 up to
    /// `maxInFlight`) rather than staying at `maxInFlight`.
    public var adaptiveInFlight: Bool
    /// Events per read of the back office's change feed (`limit`), 1 to 1000.
    public var changesPageSize: Int
    /// When failed transfers are tried again, and when they are given up.
    public var retry: RetryPolicy
    /// Whether an order the back office refused as a document (422) goes back to the salesperson
    /// (Active/Pending, `lastbackofficesubmit` cleared), since a submitted order is read-only.
    public var returnRefusedOrders: Bool
    /// How long done transfers are kept, in seconds; dead and failed ones are kept until resolved.
    public var retentionSeconds: Double
    /// Stamps per `$batch` request (1 to 1000); 1 sends each stamp on its own.
    public var batchSize: Int
    /// Whether the outbound poll follows a change-tracking delta link instead of querying again.
    public var changeTracking: Bool
    /// The most pages of one Dataverse read in a cycle; the rest waits for the next cycle.
    public var maxPagesPerCycle: Int
    /// The most change-feed events read in one cycle; the rest waits for the next cycle.
    public var maxEventsPerCycle: Int
    /// Which submitted orders go out, and the extra columns their documents carry.
    public var intake: IntakeSettings

    /// The back office's concurrency limit these settings ask for.
    public var backOfficeLimit: ConcurrencyLimit {
        adaptiveInFlight ? ConcurrencyLimit(initial: 8, maximum: maxInFlight) : ConcurrencyLimit(fixed: maxInFlight)
    }

    /// Creates settings.
    public init(
        pageSize: Int = 500, maxInFlight: Int = 32, adaptiveInFlight: Bool = true, changesPageSize: Int = 100, retry: RetryPolicy = RetryPolicy(),
        returnRefusedOrders: Bool = true, retentionSeconds: Double = 30 * 86_400, batchSize: Int = 100,
        changeTracking: Bool = false, maxPagesPerCycle: Int = 1000, maxEventsPerCycle: Int = 10_000,
        intake: IntakeSettings = IntakeSettings()
    ) {
        self.pageSize = pageSize
        self.maxInFlight = maxInFlight
        self.adaptiveInFlight = adaptiveInFlight
        self.changesPageSize = changesPageSize
        self.retry = retry
        self.returnRefusedOrders = returnRefusedOrders
        self.retentionSeconds = retentionSeconds
        self.batchSize = batchSize
        self.changeTracking = changeTracking
        self.maxPagesPerCycle = maxPagesPerCycle
        self.maxEventsPerCycle = maxEventsPerCycle
        self.intake = intake
    }
}
