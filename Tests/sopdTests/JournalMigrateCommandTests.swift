import ChildProcess
import Foundation
import Journal
import SopdTestSupport
import Testing
import Transfers

/// `sopd journal migrate` moves a host's SQLite journal into PostgreSQL, and `sopd journal list` and `sopd status` then
/// read it there (`--journal postgres://…`, the password from `SOPD_JOURNAL_PASSWORD`), as an operator moving to
/// several hosts does (deploy/README.md, section 8).
@Suite struct JournalMigrateCommandTests {
    @Test(.enabled(if: !TestPostgres.skipped, "SOPD_TEST_POSTGRES=skip"))
    func aSQLiteJournalMovesToPostgreSQLAndTheCommandsReadItThere() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("journal.sqlite")
        do {
            let journal = try Journal(path: file)
            let ids = try journal.record(
                (1...3).map {
                    Transfer(
                        direction: .outbound, orderId: "id-\($0)", orderNumber: "SO-0100\($0)", idempotencyKey: "out:\($0)", payload: "{}",
                        now: Date())
                }
            ).compactMap(\.id)
            let claim = try #require(try journal.beginAttempt(ids[0]))
            try journal.complete(ids[0], remoteId: "BO-1", status: 201, attempt: nil, fence: claim.fence)
        }
        let (url, password) = try TestPostgres.freshSchemaURL()
        let environment = ["SOPD_JOURNAL_PASSWORD": password ?? ""]
        let config = directory.file("absent.yaml")
        let migrate = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["journal", "migrate", "--config", config, "--from", "sqlite://\(file)", "--to", url], environment: environment)
        }
        #expect(migrate.status == 0, "\(migrate.standardError)")
        #expect(migrate.standardOutput.contains("copied 3 transfer(s)"), "\(migrate.standardOutput)")
        #expect(!migrate.standardOutput.contains(password ?? "\u{0}") && !migrate.standardError.contains(password ?? "\u{0}"))

        let list = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["journal", "list", "--config", config, "--journal", url], environment: environment)
        }
        #expect(list.status == 0, "\(list.standardError)")
        #expect(["SO-01001", "SO-01002", "SO-01003"].allSatisfy { list.standardOutput.contains($0) }, "\(list.standardOutput)")
        let status = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["status", "--json", "--config", config, "--journal", url], environment: environment)
        }
        #expect(status.standardOutput.contains("\"pending\":2") || status.standardOutput.contains("\"pending\" : 2"), "\(status.standardOutput)")

        let again = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["journal", "migrate", "--config", config, "--from", "sqlite://\(file)", "--to", url], environment: environment)
        }
        #expect(again.status == 78 && again.standardError.contains("already holds 3 transfer(s)"), "\(again.standardError)")
        let wrong = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["journal", "list", "--config", config, "--journal", url], environment: ["SOPD_JOURNAL_PASSWORD": "wrong"])
        }
        #expect(wrong.status == 78 && wrong.standardError.contains("sopd: journal:"), "\(wrong.standardError)")
        #expect(!wrong.standardError.contains("wrong"), "the password does not show")
    }
}
