import ArgumentParser
import Daemon
import Foundation
import Journal
import Operations

/// `sopd status`: the journal's health, for people and monitoring; exits 0 ok, 1 dead or failed transfers, 2 stale, 3 a peer unavailable.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Backlog, oldest waiting transfer, last successful cycles and cursors.",
        discussion: "Exits 0 when all is well, 1 when transfers are dead or failed, 2 when no cycle succeeded for status.staleAfterIntervals intervals, 3 when a peer is unavailable, 78 when there is no journal at journal.url (sopd has not run with that configuration yet) or it may not be read (run as the sopd user, or check the journal-password credential).")

    @OptionGroup var location: JournalCommand.JournalOption
    @Flag(help: "JSON.") var json = false

    func run() async throws {
        let (ops, settings) = try await location.open()
        let report = try HealthReport(journal: ops.journal, settings: settings)
        print(json ? report.json.jsonText : report.text)
        if report.verdict != .ok { throw ExitCode(report.verdict.exitCode) }
    }
}
