import ArgumentParser
import Daemon
import Foundation
import HTTP
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
            failed or dead (this run's or an earlier one's), 69 Dataverse unreachable, 75 Dataverse refused the read, 78 bad configuration (a refused client secret included).
            """,
        version: BuildInfo.version,
        subcommands: [
            DemoCommand.self, SOPCommand.self, JournalCommand.self, StatusCommand.self, DoctorCommand.self, ConfigCommand.self,
            AdapterCommand.self,
        ])

    @OptionGroup var options: ConfigurationOption

    @Flag(name: .customLong("sync-now"), help: "Run one sync cycle, print a one-line summary and exit.")
    var syncNow = false

    @Option(
        name: .customLong("metrics-textfile"),
        help: ArgumentHelp(
            "With --sync-now: write the run's metrics to this file for node_exporter's textfile collector (atomically: a temporary file, then a rename).",
            valueName: "path"))
    var metricsTextfile: String?

    @Flag(
        name: .long,
        help: "With --sync-now at a terminal: write the info lines (one per order) above the progress line too; without it, only notices, warnings and errors.")
    var verbose = false

    @Option(
        name: .customLong("log-format"),
        help: "text, logfmt or json (default: text at a terminal, logfmt elsewhere; priority-prefixed in the systemd journal).")
    var logFormat: LogFormat?

    func validate() throws {
        if verbose && !syncNow {
            throw ValidationError("--verbose goes with --sync-now; the daemon's lines follow log.level")
        }
        guard let metricsTextfile else { return }
        guard syncNow else {
            throw ValidationError("--metrics-textfile goes with --sync-now; the daemon serves its metrics on metrics.listen instead")
        }
        // A path that exists must be a regular file: a rename would replace a folder's entry or a device.
        let type = (try? FileManager.default.attributesOfItem(atPath: metricsTextfile))?[.type] as? FileAttributeType
        guard !metricsTextfile.isEmpty, type == nil || type == .typeRegular else {
            throw ValidationError(
                "--metrics-textfile needs the path of a regular file, such as /var/lib/prometheus/node-exporter/sopd.prom")
        }
    }

    func run() async throws {
        MallocTuning.limitArenas()
        let configuration = try await options.load()
        let progress = syncNow ? ProgressLine.forTerminal() : nil
        Runtime.bootstrapLogging(level: configuration.logLevel, format: logFormat, atLeastNotice: progress != nil && !verbose)
        let logger = Logger(label: "sopd")
        let monitoring = Monitoring(logger: logger)
        var onProgress: (@Sendable (Int, Int?) -> Void)?
        if let progress { onProgress = { done, total in progress.update(done: done, total: total) } }
        let runtime: Runtime
        do {
            runtime = try Runtime(configuration: configuration, logger: logger, metrics: monitoring.metrics, progress: onProgress)
        } catch {
            FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
            throw ExitCode(SyncExitCode.configuration.rawValue)
        }
        guard syncNow else {
            try await runDaemon(configuration: configuration, runtime: runtime, monitoring: monitoring, logger: logger)
            return
        }
        let cycle = await runtime.engine.runCycle()
        progress?.finish()
        print(cycle.summary)
        var status = SyncExitCode(cycle.outcome)
        if let metricsTextfile {
            do {
                try monitoring.writeTextfile(to: metricsTextfile, journal: runtime.journal)
            } catch {
                FileHandle.standardError.write(Data("sopd: --metrics-textfile: \(error)\n".utf8))
                if status == .ok { status = .cannotCreate }
            }
        }
        if status != .ok { throw ExitCode(status.rawValue) }
    }

    /// The daemon: the loop, the monitoring endpoint beside it when `metrics.listen` is set, and the webhook receiver
    /// when `backoffice.webhook.listen` is.
    private func runDaemon(
        configuration: SopdConfiguration, runtime: Runtime, monitoring: Monitoring, logger: Logger
    ) async throws {
        let options = self.options
        let loop = DaemonLoop(
            configuration: configuration, runtime: runtime, logger: logger, notifier: SystemdNotifier(),
            reload: { try await ConfigurationLoader.load(path: options.config) },
            makeRuntime: { try Runtime(configuration: $0, logger: logger, metrics: monitoring.metrics) })
        var endpoint: MetricsEndpoint?
        if let address = configuration.metricsListen {
            let sources = MetricsEndpoint.Sources(
                metrics: { monitoring.text(journal: loop.journal) }, liveness: { await loop.liveness() },
                readiness: { loop.readiness() })
            do {
                endpoint = try await MetricsEndpoint(address: address, sources: sources, logger: logger)
            } catch {
                logger.critical(
                    "metrics.listen: \(error). Choose a free address, or set metrics.listen to an empty string to turn the endpoint off.")
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
            logger.info(
                "metrics and health endpoint listening",
                metadata: ["address": "\(address)", "paths": "/metrics /healthz /readyz"])
            if !address.isLoopback {
                logger.warning(
                    "the metrics and health endpoint is reachable from other hosts and asks for no credentials; keep it behind a firewall or a proxy",
                    metadata: ["address": "\(address)"])
            }
        }
        var webhook: WebhookEndpoint?
        if let settings = configuration.backOffice.webhook {
            do {
                webhook = try await WebhookEndpoint(
                    settings: settings, intake: { loop.webhook }, journaled: { loop.inboundNow() }, logger: logger)
            } catch {
                logger.critical("\(error). Choose a free address and a certificate the sopd user can read.")
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
            logger.info(
                "webhook receiver listening",
                metadata: [
                    "address": "\(webhook?.address.description ?? "")", "scheme": "\(webhook?.secure == true ? "https" : "http")",
                ])
        }
        await loop.run(monitoringAddress: endpoint?.address)
        await webhook?.stop()
        await endpoint?.stop()
    }
}
