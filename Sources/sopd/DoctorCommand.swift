import ArgumentParser
import Daemon
import Foundation
import Operations

/// `sopd doctor`: is everything sopd needs in place? One line per check, the fix for each failure.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration, the journal, Dataverse, the switch, the integration user and the back office.",
        discussion: "Exits 0 when every check passes, 1 when one fails, 78 when the configuration itself is wrong.")

    @OptionGroup var options: ConfigurationOption

    func run() async throws {
        let configuration: SopdConfiguration
        do {
            configuration = try await ConfigurationLoader.load(path: options.config)
            print(Doctor.Check(name: "config", ok: true, detail: "\(options.config) is valid").line)
        } catch {
            print(Doctor.Check(name: "config", ok: false, detail: "\(error)", fix: "see deploy/sopd.example.yaml").line)
            throw ExitCode(SyncExitCode.configuration.rawValue)
        }
        let checks = await withCheckedContinuation { continuation in
            DispatchQueue(label: "sopd.doctor").async { continuation.resume(returning: Doctor.checks(configuration)) }
        }
        for check in checks { print(check.line) }
        if checks.contains(where: { !$0.ok }) { throw ExitCode.failure }
    }
}
