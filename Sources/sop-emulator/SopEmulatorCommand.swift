import ArgumentParser
import Dispatch
import Emulators
import Foundation
import HTTP
import Logging

/// `sop-emulator`: serves the Dataverse emulator and the reference back office on 127.0.0.1 until SIGTERM or SIGINT.
@main
struct SopEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sop-emulator",
        abstract: "Serve the Dataverse Web API emulator and the reference back office on 127.0.0.1.",
        discussion: """
            The first two lines printed are the base URLs. Sales order processing integration \
            (issopintegrationenabled) starts off, as in Dynamics; turn it on as an administrator would: \
            sopd sop enable. See docs/emulators.md for users, tokens and data.
            """,
        version: BuildInfo.version)

    @Option(name: .customLong("crm-port"), help: "Port of the Dataverse emulator (0 picks a free one).")
    var crmPort: UInt16 = 0

    @Option(name: .customLong("backoffice-port"), help: "Port of the reference back office (0 picks a free one).")
    var backOfficePort: UInt16 = 0

    @Flag(name: .customLong("seed-demo-data"), help: "Add accounts, products, a price list and 20 orders.")
    var seedDemoData = false

    @Option(
        name: .customLong("submitted-orders"),
        help: "Add this many more submitted orders (SO-20001 …), each with three lines, for load and crash tests.")
    var submittedOrders = 0

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let suite = try await EmulatorSuite(crmPort: crmPort, backOfficePort: backOfficePort, seedDemoData: seedDemoData)
        if submittedOrders > 0 {
            try DemoData.seedSubmittedOrders(submittedOrders, into: suite.dataverse.store, withCatalog: !seedDemoData)
        }
        let banner = "dataverse: \(suite.dataverseServer.baseURL)\nbackoffice: \(suite.backOfficeServer.baseURL)\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        await Self.waitForTermination()
        await suite.stop()
    }

    private static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "sop-emulator.signals")
            let once = ResumeOnce(continuation)
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { once.resume() }
                source.resume()
                once.keep(source)
            }
        }
    }
}

/// Resumes a continuation at most once and keeps the signal sources alive until then.
private final class ResumeOnce: @unchecked Sendable {
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }

    func resume() {
        let pending: CheckedContinuation<Void, Never>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume()
    }
}
