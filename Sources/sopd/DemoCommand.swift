import ArgumentParser
import Daemon
import Emulators
import Foundation
import Logging

/// `sopd demo`: the main job on embedded defaults, against both emulators started in this process.
struct DemoCommand: AsyncParsableCommand {
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
        print("  journal:               \(runtime.journal.path)")
        print("")
        let report = await runtime.engine.runCycle()
        let orders = suite.dataverse.store.rows("salesorder")
        print(DemoReport.render(report: report, orders: orders, received: suite.backOffice.receivedOrders))
        print(try DemoReport.journalSummary(runtime.journal))
        print("")
        print(report.summary)
        await suite.stop()
    }
}
