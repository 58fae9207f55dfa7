import ArgumentParser
import Daemon
import Dataverse
import Emulators
import Foundation
import Logging
import Operations

/// `sopd demo`: the main job on embedded defaults, against both emulators started in this process.
struct DemoCommand: AsyncParsableCommand {
    /// What the reference back office does with the first orders it received, between the two cycles.
    private func playBackOffice(_ backOffice: BackOfficeEmulator) throws {
        let ids = Dictionary(
            backOffice.receivedOrders.compactMap { order in order.document["orderNumber"]?.stringValue.map { ($0, order.id) } },
            uniquingKeysWith: { first, _ in first })
        if let id = ids["SO-01001"] {
            try backOffice.accept(id)
            try backOffice.changeLines(id, discountPercent: 5, addWriteIn: ("Expedited handling", 1, 35))
            try backOffice.ship(id, complete: false)
            try backOffice.ship(id, complete: true)
            try backOffice.invoice(id)
        }
        if let id = ids["SO-01002"] {
            try backOffice.accept(id)
            try backOffice.ship(id, complete: true)
        }
        if let id = ids["SO-01003"] {
            try backOffice.accept(id)
            try backOffice.end(id, as: .canceled, reason: "the customer withdrew the order")
        }
        if let id = ids["SO-01004"] { try backOffice.end(id, as: .rejected, reason: "credit limit exceeded") }
        if let id = ids["SO-01005"] { try backOffice.accept(id) }
    }

    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start both emulators in-process with sample data, run one real sync cycle and show what happened.",
        discussion: "The journal goes to a new folder under ./.sopd/ (or --journal-dir); nothing is written to system paths.")

    @Option(name: .customLong("journal-dir"), help: "The folder for the demo's journal.")
    var journalDirectory = ".sopd"

    @Flag(name: .long, help: "Show sopd's log lines on stderr.")
    var verbose = false

    func run() async throws {
        Runtime.bootstrapLogging(level: verbose ? "info" : "critical")
        let suite = try await EmulatorSuite(seedDemoData: true)
        let folder = "\(journalDirectory)/demo-\(Int(Date().timeIntervalSince1970))-\(getpid())"
        let configuration = try ConfigurationLoader.configuration(values: [
            "dataverse.url": suite.dataverseServer.baseURL,
            "dataverse.token": EmulatorIdentities.applicationUserToken,
            "backoffice.url": suite.backOfficeServer.baseURL,
            "backoffice.token": EmulatorIdentities.backOfficeCredentials.bearerToken,
            "journal.path": "\(folder)/journal.sqlite",
        ])
        let runtime = try Runtime(configuration: configuration, logger: Logger(label: "sopd"))
        print("sopd demo")
        print("  Dataverse emulator:    \(suite.dataverseServer.baseURL)\(DataverseEmulator.apiPath)")
        print("  reference back office: \(suite.backOfficeServer.baseURL)")
        print("  journal:               \(runtime.journal.location)")
        print("")
        let dataverse = runtime.dataverse
        let enabled = try await SOPCommand.dataverseCall { () throws(DataverseError) in
            try SOPAdministration(dataverse: dataverse).enable()
        }
        print("Sales order processing integration starts off in Dynamics; the demo turns it on as an administrator would")
        print("(sopd sop enable): \(enabled.message)")
        print("")
        let report = await runtime.engine.runCycle()
        let orders = suite.dataverse.store.rows("salesorder")
        print("Cycle 1 — submitted orders out to the back office")
        print(DemoReport.render(report: report, orders: orders, received: suite.backOffice.receivedOrders))
        print(report.summary)
        print("")
        try playBackOffice(suite.backOffice)
        let second = await runtime.engine.runCycle()
        print("Cycle 2 — the back office's changes back into Dynamics, as the integration user")
        print(DemoReport.renderChanges(second.inbound, store: suite.dataverse.store))
        print(second.summary)
        print("")
        print(try DemoReport.journalSummary(runtime.journal))
        await suite.stop()
    }
}
