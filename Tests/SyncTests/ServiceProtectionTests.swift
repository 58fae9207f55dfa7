import Daemon
import Dataverse
import Emulators
import Foundation
import JSON
import SopdTestSupport
import Sync
import Testing
import Transfers

/// Dataverse's service protection limits, enforced by the emulator (scaled down): sopd stays under
/// them when its own limits are set below, and recovers when it trips them. The emulator's window and
/// sopd's (its request budget, its waits for `Retry-After`, its retry times) keep time on one
/// `ManualClock`, so a window fills by the number of requests, never by how fast the machine sends them.
@Suite struct ServiceProtectionTests {
    private let clock = ManualClock()

    private func setup(orders: Int) async throws -> SyncFixture {
        let fixture = try await SyncFixture()
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        for number in 1...orders {
            try DemoData.addOrder(to: fixture.suite.dataverse.store, number: 9300 + number, status: .inProgress, lines: [.product(number, quantity: 1)])
        }
        fixture.suite.dataverse.setServiceProtection(requests: 25, windowSeconds: 1, concurrent: 3)
        fixture.suite.dataverse.setClock(clock)
        return fixture
    }

    @Test func withItsOwnLimitsBelowDataverseSopdIsNeverThrottled() async throws {
        let fixture = try await setup(orders: 40)
        let runtime = try fixture.runtime([
            "dataverse.limits.requests": "20", "dataverse.limits.windowSeconds": "1", "dataverse.limits.concurrent": "2",
            "sync.maxInFlight": "8", "dataverse.pageSize": "10", "dataverse.batchSize": "1",
        ], clock: clock)
        let report = await runtime.engine.runCycle()
        #expect(report.delivered.count == 40)
        #expect(fixture.suite.dataverse.throttledCount == 0)
        await fixture.suite.stop()
    }

    @Test func whenItTripsTheLimitsItHonoursRetryAfterAndRecovers() async throws {
        let fixture = try await setup(orders: 40)
        let runtime = try fixture.runtime([
            "sync.maxInFlight": "8", "dataverse.pageSize": "10", "sync.retry.baseSeconds": "0.01", "sync.retry.capSeconds": "0.01",
            "dataverse.batchSize": "1",
        ], clock: clock)
        var delivered = 0
        for _ in 0..<10 where delivered < 40 {
            delivered += await runtime.engine.runCycle().delivered.count
            clock.advance(by: 2)
        }
        #expect(fixture.suite.dataverse.throttledCount > 0, "the emulator's limits were hit")
        #expect(delivered == 40)
        #expect(fixture.suite.backOffice.receivedOrders.count == 40)
        #expect(fixture.suite.backOffice.receivedOrders.allSatisfy { $0.deliveries == 1 })
        await fixture.suite.stop()
    }

    /// The third limit: combined execution time per window. Once the requests of the window ran for longer than
    /// it allows, the next is refused with its code until they leave the window.
    @Test func theEmulatorLimitsCombinedExecutionTime() async throws {
        let fixture = try await SyncFixture()
        fixture.suite.dataverse.setClock(clock)
        fixture.suite.dataverse.setServiceProtection(requests: 100, windowSeconds: 300, concurrent: 52, executionSeconds: 1e-9)
        #expect(try await fixture.webAPI(.get, "WhoAmI").status == 200)
        let refused = try await fixture.webAPI(.get, "WhoAmI")
        #expect(refused.status == 429)
        #expect(try JSONParser.parse(refused.body)["error"]?["code"] == "0x80072321")
        #expect(refused.headers["Retry-After"] == "300")
        clock.advance(by: 301)
        #expect(try await fixture.webAPI(.get, "WhoAmI").status == 200)
        await fixture.suite.stop()
    }

    @Test func theThreeDocumentedCodesAreRecognised() {
        let codes = ["0x80072322": "number of requests", "-2147015903": "combined execution time", "0x80072326": "concurrent requests"]
        for (code, limit) in codes {
            let error = DataverseError(code: .throttled, status: 429, serviceCode: code, message: "limit", retryAfter: 3)
            #expect(error.serviceProtectionLimit == limit)
            #expect(error.description.contains("service protection limit: \(limit)"))
            #expect(FailureClass(error) == .retryable(retryAfter: 3))
        }
    }
}
