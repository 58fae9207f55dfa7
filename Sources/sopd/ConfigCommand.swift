import ArgumentParser
import Daemon

/// `sopd config`: the configuration, checked without the network.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check sopd's configuration.", subcommands: [Check.self])

    /// `sopd config check`: every key known, every value in range, every file readable; no request is sent.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration without the network: exit 0 when it is valid, 78 with the key and the fix when not.",
            discussion: """
                Reads the file, the SOPD_* environment and $CREDENTIALS_DIRECTORY as the daemon would. Use it before \
                systemctl reload (ExecReload) and in the CI of a repository of configurations.
                """)

        @OptionGroup var options: ConfigurationOption

        func run() async throws {
            _ = try await options.load()
            print("configuration valid: \(options.config)")
        }
    }
}
