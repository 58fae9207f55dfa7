import ArgumentParser
import Daemon
import Dataverse
import Emulators
import Foundation
import Logging
import Operations

/// `sopd demo`: the main job on embedded defaults, against the emulators started in this process: the reference back
/// office (contract v1), or Business Central's API (`--backoffice business-central`).
struct DemoCommand: AsyncParsableCommand {
    /// The back office the demo sends to.
    enum BackOfficeChoice: String, ExpressibleByArgument, CaseIterable {
        case contractV1 = "contract-v1"
        case businessCentral = "business-central"
    }

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

    /// What Business Central's users do with the first orders, between the two cycles: release, ship in part, post
    /// with Ship and Invoice (BC then deletes the order), ship.
    private func playBusinessCentral(_ businessCentral: BusinessCentralEmulator) {
        let numbers = Dictionary(
            businessCentral.salesOrders.compactMap { order in
                order["externalDocumentNumber"]?.stringValue.flatMap { external in order["number"]?.stringValue.map { (external, $0) } }
            }, uniquingKeysWith: { first, _ in first })
        if let number = numbers["SO-01001"] {
            businessCentral.release(number)
            businessCentral.ship(number, complete: false)
            businessCentral.invoice(number)
        }
        if let number = numbers["SO-01002"] {
            businessCentral.release(number)
            businessCentral.ship(number, complete: true)
        }
        for order in ["SO-01003", "SO-01005"] { if let number = numbers[order] { businessCentral.release(number) } }
    }

    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start both emulators in-process with sample data, run one real sync cycle and show what happened.",
        discussion: "The journal goes to a new folder under ./.sopd/ (or --journal-dir); nothing is written to system paths.")

    @Option(name: .customLong("journal-dir"), help: "The folder for the demo's journal.")
    var journalDirectory = ".sopd"

    @Flag(name: .long, help: "Show sopd's log lines on stderr.")
    var verbose = false

    @Option(
        name: .customLong("backoffice"),
        help: "The back office: contract-v1 (the reference back office) or business-central (Business Central's API, emulated).")
    var backOffice = BackOfficeChoice.contractV1

    func run() async throws {
        Runtime.bootstrapLogging(level: verbose ? "info" : "critical")
        let suite = try await EmulatorSuite(seedDemoData: true)
        let erps = backOffice == .businessCentral ? try await ERPEmulators() : nil
        let folder = "\(journalDirectory)/demo-\(Int(Date().timeIntervalSince1970))-\(getpid())"
        var values = [
            "dataverse.url": suite.dataverseServer.baseURL, "dataverse.token": EmulatorIdentities.applicationUserToken,
            "journal.path": "\(folder)/journal.sqlite",
        ]
        switch backOffice {
        case .contractV1:
            values["backoffice.url"] = suite.backOfficeServer.baseURL
            values["backoffice.token"] = EmulatorIdentities.backOfficeCredentials.bearerToken
        case .businessCentral:
            let base = erps?.businessCentralServer.baseURL ?? ""
            values["backoffice.adapter"] = "business-central"
            values["backoffice.url"] = BusinessCentralEmulator.companyURL(baseURL: base)
            values["backoffice.allowInsecureHTTP"] = "true"
            values["backoffice.tokenURL"] = BusinessCentralEmulator.tokenURL(baseURL: base)
            values["backoffice.clientId"] = EmulatorIdentities.businessCentralClientId
            values["backoffice.clientSecret"] = EmulatorIdentities.businessCentralClientSecret
        }
        let configuration = try ConfigurationLoader.configuration(values: values)
        let runtime = try Runtime(configuration: configuration, logger: Logger(label: "sopd"))
        print("sopd demo")
        print("  Dataverse emulator:    \(suite.dataverseServer.baseURL)\(DataverseEmulator.apiPath)")
        switch backOffice {
        case .contractV1: print("  reference back office: \(suite.backOfficeServer.baseURL)")
        case .businessCentral: print("  Business Central:      \(configuration.backOffice.url)")
        }
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
        print(DemoReport.render(report: report, orders: orders, held: held(suite, erps)))
        print(report.summary)
        print("")
        switch backOffice {
        case .contractV1: try playBackOffice(suite.backOffice)
        case .businessCentral: if let erps { playBusinessCentral(erps.businessCentral) }
        }
        let second = await runtime.engine.runCycle()
        print("Cycle 2 — the back office's changes back into Dynamics, as the integration user")
        print(DemoReport.renderChanges(second.inbound, store: suite.dataverse.store))
        print(second.summary)
        print("")
        print(try DemoReport.journalSummary(runtime.journal))
        await suite.stop()
        await erps?.stop()
    }

    /// What the back office holds after the first cycle, and whether an order arrived twice.
    private func held(_ suite: EmulatorSuite, _ erps: ERPEmulators?) -> String {
        switch backOffice {
        case .contractV1:
            let received = suite.backOffice.receivedOrders
            let repeated = received.filter { $0.deliveries > 1 }.count
            return "The back office holds \(received.count) orders; \(repeated == 0 ? "none was" : "\(repeated) were") received more than once."
        case .businessCentral:
            guard let businessCentral = erps?.businessCentral else { return "" }
            let numbers = businessCentral.salesOrders.compactMap { $0["externalDocumentNumber"]?.stringValue }
            let twice = numbers.count - Set(numbers).count
            return "Business Central holds \(numbers.count) sales orders (\(businessCentral.createsReceived) creates received); \(twice == 0 ? "no order is there twice" : "\(twice) are there twice")."
        }
    }
}
