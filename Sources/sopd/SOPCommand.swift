import ArgumentParser
import Daemon
import Dataverse
import Foundation
import Operations

/// `sopd sop status|enable|disable`: the sales order processing switch of the configured tenant.
struct SOPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sop",
        abstract: "Show or change sales order processing integration (issopintegrationenabled) of the configured tenant.",
        subcommands: [Status.self, Enable.self, Disable.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the switch, the user sopd acts as, and how many orders are submitted.")
        @OptionGroup var options: ConfigurationOption

        func run() async throws {
            let administration = SOPAdministration(dataverse: try await options.loadDataverse().makeClient())
            let status = try await SOPCommand.dataverseCall { () throws(DataverseError) in try administration.status() }
            print(status.lines.joined(separator: "\n"))
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn sales order processing integration on.")
        @OptionGroup var options: ConfigurationOption

        func run() async throws {
            let administration = SOPAdministration(dataverse: try await options.loadDataverse().makeClient())
            print(try await SOPCommand.dataverseCall { () throws(DataverseError) in try administration.enable() }.message)
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn sales order processing integration off; refused while submitted orders exist, unless forced.")
        @OptionGroup var options: ConfigurationOption
        @Flag(name: .long, help: "Turn it off even though submitted orders exist.")
        var force = false

        func run() async throws {
            let administration = SOPAdministration(dataverse: try await options.loadDataverse().makeClient())
            let change = try await SOPCommand.dataverseCall { () throws(DataverseError) in try administration.disable(force: force) }
            print(change.message)
            if change.refused { throw ExitCode.failure }
        }
    }

    /// Runs a blocking Dataverse call on a Dispatch queue; an unreachable tenant exits 69, refused
    /// credentials 78, another refusal 75.
    static func dataverseCall<T: Sendable>(_ body: @escaping @Sendable () throws(DataverseError) -> T) async throws -> T {
        let result: Result<T, DataverseError> = await withCheckedContinuation { continuation in
            DispatchQueue(label: "sopd.sop").async {
                continuation.resume(returning: Result { () throws(DataverseError) in try body() })
            }
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
            throw ExitCode(SyncExitCode(error).rawValue)
        }
    }
}
