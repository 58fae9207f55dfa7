/// The state of a sales order (`salesorder.statecode`).
public enum OrderState: Int, Sendable, CaseIterable {
    case active = 0
    case submitted = 1
    case canceled = 2
    case fulfilled = 3
    case invoiced = 4

    /// The label Dynamics shows.
    public var label: String {
        switch self {
        case .active: "Active"
        case .submitted: "Submitted"
        case .canceled: "Canceled"
        case .fulfilled: "Fulfilled"
        case .invoiced: "Invoiced"
        }
    }

    /// The status reasons (`statuscode`) allowed in this state.
    public var statuses: [OrderStatus] { OrderStatus.allCases.filter { $0.state == self } }
}
