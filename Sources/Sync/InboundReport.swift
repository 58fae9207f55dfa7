/// What the inbound half of a cycle did: events read from the back office and applied to Dynamics.
public struct InboundReport: Sendable {
    /// An event applied to Dynamics.
    public struct Applied: Sendable {
        /// The event id.
        public var eventId: String
        /// The event type.
        public var type: String
        /// The Dynamics order number.
        public var orderNumber: String
    }

    /// An event not applied; it waits in the journal.
    public struct Failure: Sendable {
        /// The event id.
        public var eventId: String
        /// The event type.
        public var type: String
        /// The Dynamics order number, or the back-office order id when the order is unknown.
        public var orderNumber: String
        /// Why, free of secrets.
        public var reason: String
    }

    /// Events read from the feed this cycle.
    public var eventsRead = 0
    /// Events applied.
    public var applied: [Applied] = []
    /// Events that failed this cycle.
    public var failed: [Failure] = []
    /// Events not tried this cycle: their retry is not due, or an earlier event of the same order did not apply.
    public var waiting: [Failure] = []
    /// Why sopd refused to pull changes back at all (the acting user or the switch), if it did.
    public var refusal: String?
    /// Whether this pass checked the acting user and the switch (it does not while Dataverse is failing).
    public var accessChecked = false
    /// Why the feed could not be read, if it could not.
    public var readError: String?
    /// The sopd that reads the back office's changes (it holds the feed's lease), when not this one: this pass did nothing.
    public var readBy: String?
    /// Whether the pass gave its turn up with events left to apply (its time slice ended).
    public var cutShort = false

    /// Creates an empty report.
    public init() {}
}
