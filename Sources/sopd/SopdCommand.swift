import ArgumentParser
import Daemon
import Foundation
import Logging

/// `sopd`: the sales-order sync daemon for Dynamics 365 Sales.
@main
struct SopdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sopd",
        abstract: "Sync submitted Dynamics 365 Sales orders to a back-office order system.",
        discussion: """
            Without a subcommand, sopd runs as a daemon: a cycle every sync.intervalSeconds, SIGUSR1 for a cycle now, \
            SIGTERM to stop. With --sync-now it runs one cycle and exits: 0 all done, 1 a transfer in the journal is \
            failed or dead (this run's or an earlier one's), 69 Dataverse unreachable, 75 Dataverse refused the read, 78 bad configuration.
            """,
        subcommands: [
            DemoCommand.self, SOPCommand.self, JournalCommand.self, StatusCommand.self, DoctorCommand.self, ConfigCommand.self,
        ])

    @OptionGroup var options: ConfigurationOption

    @Flag(name: .customLong("sync-now"), help: "Run one sync cycle, print a one-line summary and exit.")
    var syncNow = false

    @Option(
        name: .customLong("log-format"),
        help: "text, logfmt or json (default: text at a terminal, logfmt elsewhere; priority-prefixed in the systemd journal).")
    var logFormat: LogFormat?

    func run() async throws {
        let configuration = try await options.load()
        Runtime.bootstrapLogging(level: configuration.logLevel, format: logFormat)
        let logger = Logger(label: "sopd")
        let progress = syncNow ? ProgressLine.forTerminal() : nil
        var onProgress: (@Sendable (Int, Int?) -> Void)?
        if let progress { onProgress = { done, total in progress.update(done: done, total: total) } }
        let runtime: Runtime
        do {
            runtime = try Runtime(configuration: configuration, logger: logger, progress: onProgress)
        } catch {
            FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
            throw ExitCode(SyncExitCode.configuration.rawValue)
        }
        guard syncNow else {
            let options = self.options
            let loop = DaemonLoop(
                configuration: configuration, runtime: runtime, logger: logger, notifier: SystemdNotifier(),
                reload: { try await ConfigurationLoader.load(path: options.config) },
                makeRuntime: { try Runtime(configuration: $0, logger: logger) })
            await loop.run()
            return
        }
        let cycle = await runtime.engine.runCycle()
        progress?.finish()
        print(cycle.summary)
        let status = SyncExitCode(cycle.outcome)
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}
