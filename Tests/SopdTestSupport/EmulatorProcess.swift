import ChildProcess
import Emulators
import Foundation
import HTTP

/// `sop-emulator` as a separate process, with the base URLs it announced.
public struct EmulatorProcess: Sendable {
    /// The process.
    public let process: BuiltProcess
    /// The Dataverse emulator's base URL.
    public let dataverseURL: String
    /// The back office's base URL.
    public let backOfficeURL: String
    /// Fabrikam ERP's base URL.
    public let fabrikamURL: String
    /// The Business Central emulator's base URL.
    public let businessCentralURL: String

    /// Starts the emulators on free ports and reads the four URLs they print first.
    /// - Parameters:
    ///   - demoData: Whether to seed the 20 demo orders.
    ///   - submittedOrders: How many more submitted orders to seed.
    ///   - sopIntegrationEnabled: Whether to turn sales order processing integration on, as an administrator
    ///     does before running sopd (it starts off, as in Dynamics).
    ///   - draftOrders: How many active orders (SO-40001 …) to seed, for a salesperson to submit.
    ///   - host: The IPv4 address the emulators listen on.
    ///   - orderLatencyMilliseconds: How long the back office takes to take an order.
    public static func start(
        demoData: Bool = true, submittedOrders: Int = 0, sopIntegrationEnabled: Bool = true, draftOrders: Int = 0,
        host: String = "127.0.0.1", orderLatencyMilliseconds: Int = 0
    ) async throws -> EmulatorProcess {
        var arguments = [
            "--crm-port", "0", "--backoffice-port", "0", "--submitted-orders", String(submittedOrders), "--draft-orders", String(draftOrders),
            "--host", host, "--order-latency-ms", String(orderLatencyMilliseconds),
        ]
        if demoData { arguments.append("--seed-demo-data") }
        let process = try BuiltProcess("sop-emulator", arguments)
        let lines = try await onDispatchQueue { process.readLines(4) }
        guard lines.count == 4, lines[0].hasPrefix("dataverse: http://\(host):"), lines[1].hasPrefix("backoffice: "),
            lines[2].hasPrefix("fabrikam: "), lines[3].hasPrefix("businesscentral: ")
        else { throw BuiltProcessError(message: "sop-emulator announced \(lines) instead of its four URLs") }
        let urls = lines.map { String($0.split(separator: " ").last ?? "") }
        if sopIntegrationEnabled {
            let answer = try await HTTPClient().response(
                for: HTTPRequest(
                    method: .patch, url: "\(urls[0])/api/data/v9.2/organizations(\(EmulatorIdentities.organizationId))",
                    headers: ["Authorization": "Bearer \(EmulatorIdentities.applicationUserToken)", "Content-Type": "application/json"],
                    body: Array(#"{"issopintegrationenabled":true}"#.utf8)))
            guard answer.isSuccess else { throw BuiltProcessError(message: "sop-emulator refused to turn the switch on: \(answer.status)") }
        }
        return EmulatorProcess(
            process: process, dataverseURL: urls[0], backOfficeURL: urls[1], fabrikamURL: urls[2], businessCentralURL: urls[3])
    }

    /// Writes a sopd config pointing at these emulators into `directory`.
    /// - Parameters:
    ///   - tokens: Whether the config carries the tokens (or they come from elsewhere).
    ///   - dataverse: More keys of the `dataverse:` section, such as `pageSize: 40`.
    ///   - metricsListen: `metrics.listen`: by default a port the system picks, "" for none.
    ///   - extra: More YAML sections, such as `journal:` or `sync:`.
    public func writeConfig(
        in directory: TemporaryDirectory, tokens: Bool = true, dataverse: [String] = [], metricsListen: String = "127.0.0.1:0",
        extra: String = ""
    ) throws -> String {
        let path = directory.file("sopd.yaml")
        let token = { (value: String) in tokens ? "\n  token: \(value)" : "" }
        let more = dataverse.map { "\n  \($0)" }.joined()
        // A daemon's endpoint goes on a port the system picks, so that daemons of tests side by side never share one.
        let metrics = "metrics:\n  listen: \"\(metricsListen)\"\n"
        try "dataverse:\n  url: \(dataverseURL)\(token("sopd-app-token"))\(more)\nbackoffice:\n  url: \(backOfficeURL)\(token("backoffice-token"))\n\(metrics)\(extra)"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Stops the emulators with SIGTERM and returns how the process ended.
    @discardableResult
    public func stop() async throws -> BuiltProcess.Outcome {
        process.send(SIGTERM)
        return try await onDispatchQueue { try process.waitForExit(timeout: 10) }
    }
}
