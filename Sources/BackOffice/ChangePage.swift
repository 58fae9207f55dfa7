/// One page of the change feed.
public struct ChangePage: Sendable {
    /// The events, in feed order.
    public var events: [ChangeEvent]
    /// The cursor to read on from.
    public var next: String
}
