import Foundation

/// `sop-emulator --seed-demo-data` as a separate process, with the base URLs it announced.
public struct EmulatorProcess: Sendable {
    /// The process.
    public let process: BuiltProcess
    /// The Dataverse emulator's base URL.
    public let dataverseURL: String
    /// The back office's base URL.
    public let backOfficeURL: String

    /// Starts the emulators on free ports and reads the two URLs they print first.
    public static func start() async throws -> EmulatorProcess {
        let process = try BuiltProcess("sop-emulator", ["--crm-port", "0", "--backoffice-port", "0", "--seed-demo-data"])
        let lines = try await onDispatchQueue { process.readLines(2) }
        guard lines.count == 2, lines[0].hasPrefix("dataverse: http://127.0.0.1:"), lines[1].hasPrefix("backoffice: ")
        else { throw BuiltProcessError(message: "sop-emulator announced \(lines) instead of its two URLs") }
        let urls = lines.map { String($0.split(separator: " ").last ?? "") }
        return EmulatorProcess(process: process, dataverseURL: urls[0], backOfficeURL: urls[1])
    }

    /// Writes a sopd config pointing at these emulators into `directory`; `extra` is more YAML, such as a `journal:` or `sync:` section.
    public func writeConfig(in directory: TemporaryDirectory, tokens: Bool = true, extra: String = "") throws -> String {
        let path = directory.file("sopd.yaml")
        let token = { (value: String) in tokens ? "\n  token: \(value)" : "" }
        try "dataverse:\n  url: \(dataverseURL)\(token("sopd-app-token"))\nbackoffice:\n  url: \(backOfficeURL)\(token("backoffice-token"))\n\(extra)"
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
