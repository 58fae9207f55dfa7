import BackOffice
import HTTP
import Emulators
import JSON
import SopdTestSupport
import Testing

/// The back-office client against the reference back office over loopback.
@Suite struct BackOfficeClientTests {
    private static let document: JSONValue = [
        "orderNumber": "SO-09001", "customer": ["name": "Northwind Traders"], "currency": "USD",
        "lines": [["lineNumber": 1, "quantity": 2, "unitPrice": .number("450.00"), "product": ["number": "P-1001"]]],
    ]

    @Test func aRepeatedKeyAnswersAsTheFirstTimeAndCreatesNothing() async throws {
        let fixture = try await SyncFixture()
        let client = fixture.backOfficeClient()
        let first = try await onDispatchQueue { try client.submitOrder(Self.document, idempotencyKey: "k-1") }
        let second = try await onDispatchQueue { try client.submitOrder(Self.document, idempotencyKey: "k-1") }
        #expect(first.status == 201)
        #expect(!first.replayed)
        #expect(second.orderId == first.orderId)
        #expect(second.replayed)
        let received = fixture.suite.backOffice.receivedOrders
        #expect(received.count == 1)
        #expect(received.first?.deliveries == 2)
        #expect(received.first?.document == Self.document)
        await fixture.suite.stop()
    }

    @Test func basicCredentialsWorkAndWrongOnesAreRefused() async throws {
        let fixture = try await SyncFixture()
        let basic = fixture.backOfficeClient(credentials: .basic(user: "sopd", password: "backoffice-password"))
        let receipt = try await onDispatchQueue { try basic.submitOrder(Self.document, idempotencyKey: "k-2") }
        #expect(receipt.orderId.hasPrefix("BO-"))
        let wrong = fixture.backOfficeClient(credentials: .bearer(token: "not-the-token"))
        let error = await #expect(throws: BackOfficeError.self) {
            try await onDispatchQueue { try wrong.submitOrder(Self.document, idempotencyKey: "k-3") }
        }
        #expect(error?.code == .unauthorized)
        #expect(error?.description.contains("not-the-token") == false)
        #expect(BackOfficeCredentials.basic(user: "u", password: "p4ss").description.contains("p4ss") == false)
        await fixture.suite.stop()
    }

    @Test func anUnacceptableDocumentIsRefusedWithReasons() async throws {
        let fixture = try await SyncFixture()
        let client = fixture.backOfficeClient()
        let empty: JSONValue = ["orderNumber": "SO-09002", "customer": ["name": "X"], "currency": "USD", "lines": []]
        let error = await #expect(throws: BackOfficeError.self) {
            try await onDispatchQueue { try client.submitOrder(empty, idempotencyKey: "k-4") }
        }
        #expect(error?.code == .rejected)
        #expect(error?.status == 422)
        #expect(error?.reasons == ["the order has no lines"])
        #expect(fixture.suite.backOffice.receivedOrders.isEmpty)
        await fixture.suite.stop()
    }

    @Test func aKeyReusedWithAnotherDocumentIsAConflict() async throws {
        let fixture = try await SyncFixture()
        let client = fixture.backOfficeClient()
        _ = try await onDispatchQueue { try client.submitOrder(Self.document, idempotencyKey: "k-5") }
        var changed = Self.document.objectValue!
        changed["orderNumber"] = "SO-OTHER"
        let other = JSONValue.object(changed)
        let error = await #expect(throws: BackOfficeError.self) {
            try await onDispatchQueue { try client.submitOrder(other, idempotencyKey: "k-5") }
        }
        #expect(error?.code == .conflict)
        await fixture.suite.stop()
    }

    @Test func aDownBackOfficeIsUnavailable() async throws {
        let fixture = try await SyncFixture()
        let closed = try ClosedPort()
        let client = BackOfficeClient(baseURL: closed.url, credentials: .bearer(token: "t"), http: HTTPClient())
        let error = await #expect(throws: BackOfficeError.self) {
            try await onDispatchQueue { try client.submitOrder(Self.document, idempotencyKey: "k-6") }
        }
        #expect(error?.code == .unavailable)
        await fixture.suite.stop()
    }
}
