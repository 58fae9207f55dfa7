import HTTP
import JSON

/// The reference back office's test endpoints, as the bench plays the back office's side.
struct BackOfficeAdmin: Sendable {
    /// The back office's base URL.
    let url: String
    private let http = HTTPClient()
    private static let authorization = "Bearer backoffice-token"

    init(url: String) {
        self.url = url
    }

    /// The orders received after the first `from` (`GET /_admin/orders?from=`), in the order received.
    func receivedOrders(from: Int = 0) throws -> [JSONValue] {
        let listed = try http.perform(
            HTTPRequest(method: .get, url: "\(url)/_admin/orders?from=\(from)", headers: ["Authorization": Self.authorization]))
        return try JSONParser.parse(listed.body)["orders"]?.arrayValue ?? []
    }

    /// Plays a lifecycle step on order `id` (`POST /_admin/orders/{id}/events`), such as `{"type":"accepted"}`.
    func play(_ event: String, on id: String) throws {
        let answer = try http.perform(
            HTTPRequest(
                method: .post, url: "\(url)/_admin/orders/\(id)/events",
                headers: ["Authorization": Self.authorization, "Content-Type": "application/json"], body: Array(event.utf8)))
        guard answer.status == 201 else { throw BenchError("the back office answered \(answer.status) to \(event)") }
    }
}
