import Daemon
import Emulators
import Operations
import SopdTestSupport
import Testing

/// `sopd sop status|enable|disable` against the Dataverse emulator.
@Suite struct SOPAdministrationTests {
    @Test func reportsRefusesWhileOrdersAreSubmittedAndObeysForce() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let administration = SOPAdministration(dataverse: fixture.dataverseClient())

        let status = try await onDispatchQueue { try administration.status() }
        #expect(status.enabled)
        #expect(status.submittedOrders == 10)
        #expect(status.actingUser.isIntegrationUser)
        #expect(status.lines.contains("submitted orders: 10"))

        let refused = try await onDispatchQueue { try administration.disable(force: false) }
        #expect(refused.refused)
        #expect(!refused.changed)
        #expect(refused.message.contains("10 order(s) are Submitted"))
        #expect(fixture.suite.dataverse.store.rows("organization").first?["issopintegrationenabled"] == true)

        let forced = try await onDispatchQueue { try administration.disable(force: true) }
        #expect(forced.changed)
        #expect(fixture.suite.dataverse.store.rows("organization").first?["issopintegrationenabled"] == false)

        let again = try await onDispatchQueue { try administration.disable(force: false) }
        #expect(!again.changed && !again.refused)

        let enabled = try await onDispatchQueue { try administration.enable() }
        #expect(enabled.changed)
        #expect(enabled.message.contains("off -> on"))
        #expect(fixture.suite.dataverse.store.rows("organization").first?["issopintegrationenabled"] == true)
        await fixture.suite.stop()
    }
}
