import ArgumentParser
import Daemon
import Foundation
import PeerText
import Journal
import Operations
import Transfers

/// `sopd journal list|show|retry|resync`: the journal as ops see it; no network needed, safe while the daemon runs.
struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "List, show, retry and resync the transfers in the journal; move it to another backend.",
        subcommands: [List.self, Show.self, Retry.self, Resync.self, Migrate.self])

    /// Where the journal is: `--journal`, or `journal.url` of the configuration.
    struct JournalOption: ParsableArguments {
        @OptionGroup var options: ConfigurationOption
        @Option(name: .long, help: "The journal: a SQLite file, or a sqlite:// or postgres:// URL (default: journal.url of the configuration).")
        var journal: String?

        /// The ops settings of `options.config`; a bad configuration is said on stderr and exits 78.
        static func settings(_ options: ConfigurationOption) async throws -> OpsSettings {
            do {
                return try await ConfigurationLoader.opsSettings(path: options.config)
            } catch {
                FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
        }

        func open() async throws -> (JournalOps, OpsSettings) {
            var settings = try await Self.settings(options)
            if let journal {
                do {
                    settings.journal.url = try JournalURL(journal)
                } catch {
                    FileHandle.standardError.write(Data("sopd: --journal: \(error.message)\n".utf8))
                    throw ExitCode(SyncExitCode.configuration.rawValue)
                }
            }
            if let path = settings.journal.sqlitePath, let code = SystemErrorText.readError(path: path) {
                let problem = SystemErrorText.reason(errno: code)
                let hint =
                    code == ENOENT
                    ? "sopd has not run with this configuration yet, or journal.url points elsewhere: pass --journal or --config"
                    : "run the command as the sopd user, which owns the journal: sudo -u sopd sopd …"
                FileHandle.standardError.write(Data("sopd: cannot read the journal \(path): \(problem); \(hint)\n".utf8))
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
            do {
                return (JournalOps(journal: try settings.journal.open()), settings)
            } catch {
                FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List transfers, newest first.")
        @OptionGroup var location: JournalOption
        @Option(help: "Only this state: pending, sending, failed, dead or done.") var state: TransferState?
        @Option(help: "Only this direction: out or in.") var direction: TransferDirection?
        @Option(help: "Only this order number, such as SO-01001.") var order: String?
        @Option(help: "Only transfers changed within this long, such as 90s, 15m, 1h, 2d.") var since: String?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let (ops, _) = try await location.open()
            var filter = TransferFilter(state: state, direction: direction, orderNumber: order, limit: max(1, limit))
            if let since {
                guard let seconds = DurationText.seconds(since) else {
                    throw ValidationError("--since takes a duration such as 90s, 15m, 1h or 2d")
                }
                filter.since = Date().addingTimeInterval(-seconds)
            }
            print(try ops.list(filter, json: json))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one transfer, its payload and every attempt.")
        @OptionGroup var location: JournalOption
        @Argument(help: "The transfer id, as sopd journal list shows it.") var id: Int64
        @Flag(help: "JSON.") var json = false

        func run() async throws {
            let (ops, _) = try await location.open()
            print(try ops.show(id, json: json))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put failed or dead transfers back to pending; the next cycle sends them.",
            discussion: "Exits 1 when an id names no transfer, or one that is neither failed nor dead.")
        @OptionGroup var location: JournalOption
        @Argument(help: "Transfer ids.") var ids: [Int64] = []
        @Flag(name: .customLong("all-dead"), help: "Every dead transfer.") var allDead = false

        func validate() throws {
            guard allDead != !ids.isEmpty else { throw ValidationError("give transfer ids, or --all-dead") }
        }

        func run() async throws {
            let (ops, _) = try await location.open()
            let result = try ops.retry(ids, allDead: allDead)
            print(result.text)
            guard result.isComplete else {
                FileHandle.standardError.write(Data(result.problems.map { "sopd: \($0)\n" }.joined().utf8))
                throw ExitCode.failure
            }
        }
    }

    struct Resync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send an order to the back office again, as a new version with a new idempotency key.")
        @OptionGroup var location: JournalOption
        @Option(help: "The order number, such as SO-01001.") var order: String

        func run() async throws {
            let (ops, _) = try await location.open()
            let transfer = try ops.resync(orderNumber: order)
            print("journaled \(order) again as transfer \(transfer.id ?? 0) (key \(transfer.idempotencyKey)); the next cycle sends it")
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the journal to another backend, such as from this host's SQLite file to a PostgreSQL database several hosts share.",
            discussion: """
                Stop sopd first (systemctl stop sopd): the copy refuses a journal a sopd still works on. Every transfer keeps \
                its id, key, state and attempts; cursors, checkpoints, outages and tallies come along. The destination must \
                hold no transfer. A PostgreSQL side logs in with journal.password (the journal-password credential, or \
                SOPD_JOURNAL_PASSWORD). Then set journal.url to the destination and start sopd.
                """)
        @OptionGroup var options: ConfigurationOption
        @Option(help: "The journal to copy: a SQLite file, or a sqlite:// or postgres:// URL (default: journal.url of the configuration).")
        var from: String?
        @Option(help: "Where to copy it: a sqlite:// or postgres:// URL.") var to: String

        func run() async throws {
            let settings = try await JournalOption.settings(options)
            var source = settings.journal
            var destination = settings.journal
            do {
                if let from { source.url = try JournalURL(from) }
                destination.url = try JournalURL(to)
            } catch {
                FileHandle.standardError.write(Data("sopd: \(error.message)\n".utf8))
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
            guard source.url != destination.url else { throw ValidationError("--from and --to name the same journal") }
            if let path = source.sqlitePath, let problem = SystemErrorText.readProblem(path: path) {
                FileHandle.standardError.write(Data("sopd: cannot read the journal \(path): \(problem)\n".utf8))
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
            do {
                let old = try source.open()
                if let busy = try old.busyReason(now: Date()) {
                    FileHandle.standardError.write(Data("sopd: a sopd still works on \(old.location): \(busy); stop it first (systemctl stop sopd)\n".utf8))
                    throw ExitCode(SyncExitCode.temporaryFailure.rawValue)
                }
                let new = try destination.open()
                let report = try old.copy(into: new)
                print("copied \(report.transfers) transfer(s), \(report.attempts) attempt(s) and \(report.others) cursor, checkpoint, outage and tally row(s)")
                print("from \(old.location)")
                print("to   \(new.location)")
                print("Now set journal.url: \(destination.url.description) (and journal.password, for PostgreSQL) and start sopd.")
            } catch let error as JournalError {
                FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
                throw ExitCode(SyncExitCode.configuration.rawValue)
            }
        }
    }
}

extension TransferState: ExpressibleByArgument {}
extension TransferDirection: ExpressibleByArgument {}
