import ArgumentParser
import Daemon
import Foundation

/// The `--config` option, shared by `sopd` and its subcommands so that it may come before or after
/// the subcommand's name.
struct ConfigurationOption: ParsableArguments {
    @Option(name: .long, help: "The YAML configuration file.")
    var config = "/etc/sopd/sopd.yaml"

    /// The validated configuration, or exit 78 with the key and the fix.
    func load() async throws -> SopdConfiguration {
        do {
            return try await ConfigurationLoader.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
            throw ExitCode(SyncExitCode.configuration.rawValue)
        }
    }
}
