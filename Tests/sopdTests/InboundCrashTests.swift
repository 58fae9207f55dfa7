import ChildProcess
import Emulators
import Foundation
import Journal
import SalesRules
import SopdTestSupport
import Testing
import Transfers

/// The built `sopd` killed with SIGKILL in the middle of an `invoiced` event, while Dynamics holds its changeset
/// (the invoice, its lines and the order's move to Invoiced): nothing of it is half written, and the next run
/// applies the event, with one invoice and one note.
@Suite struct InboundCrashTests {
    @Test func aKillDuringTheInvoiceLeavesOneInvoice() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        let orderId = try await fixture.submitOrderAsSalesperson(lines: [(1, 2)])
        let values = fixture.configurationValues()
        let config = fixture.directory.file("sopd.yaml")
        try """
            dataverse:
              url: \(values["dataverse.url"] ?? "")
              token: \(values["dataverse.token"] ?? "")
            backoffice:
              url: \(values["backoffice.url"] ?? "")
              token: \(values["backoffice.token"] ?? "")
            journal:
              path: \(values["journal.path"] ?? "")
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let syncNow: @Sendable () throws -> BuiltProcess.Outcome = { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }

        _ = try await onDispatchQueue { try syncNow() }
        let boId = try #require(fixture.suite.backOffice.receivedOrders.first?.id)
        _ = try fixture.suite.backOffice.accept(boId)
        _ = try fixture.suite.backOffice.ship(boId, complete: true)
        _ = try await onDispatchQueue { try syncNow() }
        #expect(store.row("salesorder", id: orderId)?["statecode"] == .int(OrderState.fulfilled.rawValue))

        _ = try fixture.suite.backOffice.invoice(boId)
        fixture.suite.dataverse.interruptNextWrite(of: orderId)
        let killed = try BuiltProcess("sopd", ["--sync-now", "--config", config])
        for _ in 0..<1200 where !fixture.suite.dataverse.interruptedWriteWaiting {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(fixture.suite.dataverse.interruptedWriteWaiting, "sopd reached the order's move to Invoiced")
        killed.send(SIGKILL)
        let outcome = try await onDispatchQueue { try killed.waitForExit(timeout: 30) }
        #expect(outcome.status == 128 + SIGKILL)
        fixture.suite.dataverse.releaseInterruptedWrite()
        let invoices = { store.rows("invoice").filter { $0["_salesorderid_value"]?.stringValue == orderId } }
        #expect(invoices().isEmpty, "the invoice goes with the order's move, all or nothing")
        #expect(store.row("salesorder", id: orderId)?["statecode"] == .int(OrderState.fulfilled.rawValue))

        let next = try await onDispatchQueue { try syncNow() }
        #expect(next.status == 0, "\(next.standardOutput)")
        #expect(store.row("salesorder", id: orderId)?["statecode"] == .int(OrderState.invoiced.rawValue))
        #expect(invoices().count == 1, "the re-applied event wrote one invoice")
        let notes = store.rows("annotation").filter { $0["_objectid_value"]?.stringValue == orderId }
        #expect(notes.compactMap { $0["subject"]?.stringValue }.filter { $0 == "Invoiced" }.count == 1)
        let journal = try Journal(path: fixture.directory.file("journal.sqlite"))
        #expect(try journal.backlog() == JournalBacklog())
        await fixture.suite.stop()
    }
}
