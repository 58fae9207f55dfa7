/// The status reason of a sales order (`salesorder.statuscode`); each belongs to one `OrderState`.
public enum OrderStatus: Int, Sendable, CaseIterable {
    case new = 1
    case pending = 2
    case inProgress = 3
    case noMoney = 4
    case complete = 100001
    case partial = 100002
    case invoiced = 100003

    /// The state this status reason belongs to.
    public var state: OrderState {
        switch self {
        case .new, .pending: .active
        case .inProgress: .submitted
        case .noMoney: .canceled
        case .complete, .partial: .fulfilled
        case .invoiced: .invoiced
        }
    }

    /// The label Dynamics shows.
    public var label: String {
        switch self {
        case .new: "New"
        case .pending: "Pending"
        case .inProgress: "In Progress"
        case .noMoney: "No Money"
        case .complete: "Complete"
        case .partial: "Partial"
        case .invoiced: "Invoiced"
        }
    }
}
