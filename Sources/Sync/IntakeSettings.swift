/// Which submitted orders go out and what their documents carry beyond the canonical fields: `intake.filter` and
/// `document.extraColumns.order` / `.lines` (Business Central's own integration is asked for both).
public struct IntakeSettings: Sendable, Equatable {
    /// An OData `$filter` fragment the submitted orders must also match, such as `new_channel eq 'web'`; the orders it
    /// leaves out are counted (`sopd status`, `sopd_intake_excluded_orders`), never sent.
    public var filter: String?
    /// More columns of the order carried into its document's `extra` (custom `new_*` columns included).
    public var extraOrderColumns: [String]
    /// More columns of each line carried into the line's `extra`.
    public var extraLineColumns: [String]

    /// Creates the settings: every submitted order, no extra columns, by default.
    public init(filter: String? = nil, extraOrderColumns: [String] = [], extraLineColumns: [String] = []) {
        self.filter = filter
        self.extraOrderColumns = extraOrderColumns
        self.extraLineColumns = extraLineColumns
    }
}
