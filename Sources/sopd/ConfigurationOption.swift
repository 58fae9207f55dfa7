import ArgumentParser
import Daemon
import Foundation

/// The `--config` and `--credentials-dir` options, shared by `sopd` and its subcommands so that they
/// may come before or after the subcommand's name.
struct ConfigurationOption: ParsableArguments {
    @Option(name: .long, help: "The YAML configuration file.")
    var config = "/etc/sopd/sopd.yaml"

    @Option(
        name: .customLong("credentials-dir"),
        help: ArgumentHelp(
            "A folder of secret files named after their keys (dataverse-clientSecret, backoffice-token…), read instead of $CREDENTIALS_DIRECTORY; such as /etc/sopd/credentials, as root.",
            valueName: "folder"))
    var credentialsDirectory: String?

    /// The validated configuration, or exit 78 with the key and the fix.
    func load() async throws -> SopdConfiguration {
        try await exitingOnError { () async throws(ConfigurationError) in
            try await ConfigurationLoader.load(path: config, credentialsDirectory: credentialsDirectory)
        }
    }

    /// The validated Dataverse settings alone, or exit 78 with the key and the fix.
    func loadDataverse() async throws -> SopdConfiguration.Dataverse {
        try await exitingOnError { () async throws(ConfigurationError) in
            try await ConfigurationLoader.loadDataverse(path: config, credentialsDirectory: credentialsDirectory)
        }
    }

    private func exitingOnError<T>(_ body: () async throws(ConfigurationError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
            throw ExitCode(SyncExitCode.configuration.rawValue)
        }
    }
}
