import ArgumentParser
import Dispatch
import Emulators
import Foundation
import HTTP
import HTTPListener
import Logging

/// `sop-emulator`: serves the Dataverse emulator and the reference back office on 127.0.0.1 until SIGTERM or SIGINT.
@main
struct SopEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sop-emulator",
        abstract: "Serve the Dataverse Web API emulator and the reference back office on 127.0.0.1.",
        discussion: """
            The first two lines printed are the base URLs; the last, at SIGTERM or SIGINT, counts the requests served. Sales order processing integration \
            (issopintegrationenabled) starts off, as in Dynamics; turn it on as an administrator would: \
            sopd sop enable. See docs/emulators.md for users, tokens and data.
            """,
        version: BuildInfo.version)

    @Option(
        name: .customLong("host"),
        help: "The IPv4 address both servers listen on, such as one that other network namespaces reach (default 127.0.0.1).")
    var host = "127.0.0.1"

    @Option(name: .customLong("crm-port"), help: "Port of the Dataverse emulator (0 picks a free one).")
    var crmPort: UInt16 = 0

    @Option(name: .customLong("backoffice-port"), help: "Port of the reference back office (0 picks a free one).")
    var backOfficePort: UInt16 = 0

    @Flag(name: .customLong("seed-demo-data"), help: "Add accounts, products, a price list and 20 orders.")
    var seedDemoData = false

    @Flag(
        name: .customLong("sop-integration-enabled"),
        help: "Start with sales order processing integration on, as after 'sopd sop enable' (load tests).")
    var sopIntegrationEnabled = false

    @Option(
        name: .customLong("tls-cert"),
        help: "Serve the Dataverse emulator over HTTPS with this PEM certificate chain (with --tls-key).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(
        name: .customLong("tls-self-signed"),
        help: ArgumentHelp(
            "Serve the Dataverse emulator over HTTPS with a new self-signed certificate for localhost and 127.0.0.1, written to this folder; the third line printed is the certificate to trust (ca: PATH).",
            valueName: "folder"))
    var tlsSelfSignedFolder: String?

    @Option(
        name: .customLong("submitted-orders"),
        help: "Add this many more submitted orders (SO-20001 …), each with three lines, for load and crash tests.")
    var submittedOrders = 0

    @Option(
        name: .customLong("draft-orders"),
        help: "Add this many active orders (SO-40001 …), each with three lines, for a salesperson to submit (latency tests).")
    var draftOrders = 0

    @Option(name: .customLong("latency-ms"), help: "Milliseconds both servers wait before each answer, as a distant tenant would.")
    var latencyMilliseconds = 0.0

    @Option(
        name: .customLong("order-latency-ms"),
        help: "Milliseconds the back office takes to take an order (POST /orders) before it answers, as a busy ERP would.")
    var orderLatencyMilliseconds = 0.0

    @Option(
        name: .customLong("limit-requests"),
        help: "Service protection: Dataverse requests per user per window (a $batch counts once).")
    var limitRequests = 6000

    @Option(name: .customLong("limit-window-seconds"), help: "Service protection: the sliding window, seconds.")
    var limitWindowSeconds = 300.0

    @Option(name: .customLong("limit-concurrent"), help: "Service protection: Dataverse requests per user at once.")
    var limitConcurrent = 52

    @Option(
        name: .customLong("limit-execution-seconds"),
        help: "Service protection: combined seconds of execution per user per window.")
    var limitExecutionSeconds = 1200.0

    func validate() throws {
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together: give both, or --tls-self-signed FOLDER.")
        }
        if tlsCertificate != nil, tlsSelfSignedFolder != nil {
            throw ValidationError("--tls-self-signed makes its own certificate; give it or --tls-cert/--tls-key, not both.")
        }
        guard latencyMilliseconds >= 0, orderLatencyMilliseconds >= 0, limitRequests >= 1, limitWindowSeconds > 0, limitConcurrent >= 1, limitExecutionSeconds > 0 else {
            throw ValidationError("--latency-ms and --order-latency-ms take 0 or more; the --limit-… options take numbers above 0.")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let selfSigned = try tlsSelfSignedFolder.map { try SelfSignedCertificate(in: $0) }
        let certificate = selfSigned.map { ($0.certificate, $0.key) } ?? tlsCertificate.flatMap { cert in tlsKey.map { (cert, $0) } }
        let suite = try await EmulatorSuite(
            crmPort: certificate == nil ? crmPort : 0, backOfficePort: backOfficePort, seedDemoData: seedDemoData,
            sopIntegrationEnabled: sopIntegrationEnabled, host: host)
        suite.dataverse.setServiceProtection(
            requests: limitRequests, windowSeconds: limitWindowSeconds, concurrent: limitConcurrent,
            executionSeconds: limitExecutionSeconds)
        suite.dataverseServer.setLatency(latencyMilliseconds / 1000)
        suite.backOfficeServer.setLatency(latencyMilliseconds / 1000)
        suite.backOffice.setOrderLatency(orderLatencyMilliseconds / 1000)
        if submittedOrders > 0 {
            try DemoData.seedSubmittedOrders(submittedOrders, into: suite.dataverse.store, withCatalog: !seedDemoData)
        }
        if draftOrders > 0 {
            try DemoData.seedDraftOrders(
                draftOrders, into: suite.dataverse.store, withCatalog: !seedDemoData && submittedOrders == 0)
        }
        let erps = try await ERPEmulators(host: host)
        var dataverseURL = suite.dataverseServer.baseURL
        if let (cert, key) = certificate {
            guard host == "127.0.0.1" else { throw ValidationError("--host and TLS do not go together: the TLS front listens on 127.0.0.1") }
            let front: TLSFront
            do {
                front = try TLSFront(certificate: cert, key: key, port: crmPort, backendPort: suite.dataverseServer.port)
            } catch {
                throw ValidationError("--tls-cert/--tls-key: \(error)")
            }
            suite.dataverse.servedOverTLS()
            dataverseURL = "https://127.0.0.1:\(front.port)"
        }
        var banner = "dataverse: \(dataverseURL)\nbackoffice: \(suite.backOfficeServer.baseURL)\nfabrikam: \(erps.fabrikamServer.baseURL)\nbusinesscentral: \(erps.businessCentralServer.baseURL)\n"
        if let selfSigned { banner += "ca: \(selfSigned.certificate)\n" }
        FileHandle.standardOutput.write(Data(banner.utf8))
        await Self.waitForTermination()
        await suite.stop()
        await erps.stop()
        let served = "served: dataverse \(suite.dataverse.requestCount) requests, \(suite.dataverse.throttledCount) answered 429; backoffice \(suite.backOffice.requestCount) requests\n"
        FileHandle.standardOutput.write(Data(served.utf8))
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
