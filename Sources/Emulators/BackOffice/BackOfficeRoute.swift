/// A path the reference back office serves, and the methods it has: those of contract v1
/// (`docs/backoffice-api.yaml`) and the test endpoints under `/_admin`. Any other method on one of these
/// paths is answered 405 with `Allow`; any other path 404.
enum BackOfficeRoute: Equatable {
    /// `POST /orders`.
    case orders
    /// `GET /changes`.
    case changes
    /// `GET /orders/{id}`.
    case order(id: String)
    /// `POST /_admin/orders/{id}/events`.
    case orderEvents(id: String)
    /// `POST /_admin/faults`.
    case faults
    /// `GET /_admin/orders`.
    case receivedOrders

    private static let orderPrefix = "/orders/"
    private static let adminOrderPrefix = "/_admin/orders/"
    private static let eventsSuffix = "/events"

    /// The route of `path` (percent-decoded), or nil when the back office has no such path.
    init?(path: String) {
        switch path {
        case "/orders": self = .orders
        case "/changes": self = .changes
        case "/_admin/faults": self = .faults
        case "/_admin/orders": self = .receivedOrders
        default:
            let events = path.hasPrefix(Self.adminOrderPrefix) && path.hasSuffix(Self.eventsSuffix)
            let id = path.dropFirst(Self.adminOrderPrefix.count).dropLast(Self.eventsSuffix.count)
            if events, !id.isEmpty {
                self = .orderEvents(id: String(id))
            } else if path.hasPrefix(Self.orderPrefix) {
                self = .order(id: String(path.dropFirst(Self.orderPrefix.count)))
            } else {
                return nil
            }
        }
    }

    /// The one method the path has, as the `Allow` header names it.
    var method: String {
        switch self {
        case .orders, .orderEvents, .faults: "POST"
        case .changes, .order, .receivedOrders: "GET"
        }
    }
}
