import ChildProcess
import Foundation
import HTTP
import JSON
import Journal
import SopdTestSupport
import Testing
import Transfers

/// The built `sopd` binary run as ops would: against `sop-emulator` in another process, with a config file.
@Suite struct SyncNowCommandTests {
    private func writeConfig(_ directory: TemporaryDirectory, dataverseURL: String, backOfficeURL: String) throws -> String {
        let path = directory.file("sopd.yaml")
        try """
            dataverse:
              url: \(dataverseURL)
              pageSize: 4
            backoffice:
              url: \(backOfficeURL)
            journal:
              path: \(directory.file("state/journal.sqlite"))
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func backOfficeOrders(_ emulator: EmulatorProcess) async throws -> [JSONValue] {
        let response = try await HTTPClient().response(
            for: HTTPRequest(
                method: .get, url: "\(emulator.backOfficeURL)/_admin/orders",
                headers: ["Authorization": "Bearer backoffice-token"]))
        return try JSONParser.parse(response.body)["orders"]?.arrayValue ?? []
    }

    @Test func syncNowPushesEachOrderOnceAndExitsOneForTheRefusedOrder() async throws {
        let emulator = try await EmulatorProcess.start()
        let directory = try TemporaryDirectory()
        let credentials = try TemporaryDirectory()
        try "sopd-app-token".write(toFile: credentials.file("dataverse-token"), atomically: true, encoding: .utf8)
        let config = try writeConfig(directory, dataverseURL: emulator.dataverseURL, backOfficeURL: emulator.backOfficeURL)
        let environment = ["CREDENTIALS_DIRECTORY": credentials.path, "SOPD_BACKOFFICE_TOKEN": "backoffice-token"]

        let first = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config], environment: environment) }
        #expect(first.status == 1)
        #expect(first.standardOutput.hasPrefix("sync: 8 delivered, 1 failed, 0 skipped; back office: 0 changes applied, 0 failed in "))
        #expect(first.standardOutput.split(separator: "\n").count == 1)
        #expect(first.standardError.contains("order=SO-01001 dir=out attempt=1 status=201"))
        #expect(first.standardError.contains("order=SO-01010 dir=out attempt=1 status=422"))
        #expect(!first.standardError.contains("sopd-app-token"))
        #expect(!first.standardError.contains("orders ("), "no progress line when stderr is not a terminal")
        #expect(!first.standardError.contains("backoffice-token"))

        let orders = try await backOfficeOrders(emulator)
        #expect(orders.count == 8)
        #expect(orders.allSatisfy { $0["deliveries"] == 1 })

        let second = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config], environment: environment) }
        #expect(second.status == 0, "the refused order went back to the salesperson: nothing left to send")
        #expect(second.standardOutput.hasPrefix("sync: 0 delivered, 0 failed, 0 skipped"))
        #expect(try await backOfficeOrders(emulator).count == 8)

        let mode = try FileManager.default.attributesOfItem(atPath: directory.file("state/journal.sqlite"))[.posixPermissions] as? Int
        #expect(mode == 0o600)

        #expect(try await emulator.stop().status == 0)
    }

    @Test func aDeadTransferFromAnEarlierRunMakesEveryRunExitOne() async throws {
        let emulator = try await EmulatorProcess.start()
        let directory = try TemporaryDirectory()
        let config = try writeConfig(directory, dataverseURL: emulator.dataverseURL, backOfficeURL: emulator.backOfficeURL)
        let environment = ["SOPD_DATAVERSE_TOKEN": "sopd-app-token", "SOPD_BACKOFFICE_TOKEN": "backoffice-token"]
        let journal = try Journal(path: directory.file("state/journal.sqlite"))
        let earlier = try journal.record(
            Transfer(
                direction: .outbound, orderId: "d0000000-0000-0000-0000-000000000001", orderNumber: "SO-00001",
                idempotencyKey: "out:earlier", payload: "{}", now: Date()))
        let id = try #require(earlier.id)
        _ = try journal.beginAttempt(id)
        try journal.fail(id, reason: "back office: server error (HTTP 503)", status: 503, disposition: .dead)

        let first = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config], environment: environment) }
        #expect(first.standardOutput.contains("; journal: 0 waiting, 1 dead"), "the earlier dead one; the refused order is back with its salesperson")
        #expect(first.status == 1)
        let second = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config], environment: environment) }
        #expect(second.standardOutput.hasPrefix("sync: 0 delivered, 0 failed, 0 skipped"), "this run itself did nothing")
        #expect(second.standardOutput.contains("; journal: 0 waiting, 1 dead"))
        #expect(second.status == 1, "the journal still holds a dead transfer")
        try await emulator.stop()
    }

    @Test func aBadConfigurationNamesTheKeyAndExits78() async throws {
        let directory = try TemporaryDirectory()
        let config = try writeConfig(directory, dataverseURL: "https://contoso.crm.dynamics.com", backOfficeURL: "https://erp")
        let outcome = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
        #expect(outcome.status == 78)
        #expect(outcome.standardError.contains("dataverse.token: missing"))
    }

    @Test func anUnreachableDataverseExits69() async throws {
        let directory = try TemporaryDirectory()
        let config = try writeConfig(directory, dataverseURL: "http://127.0.0.1:9", backOfficeURL: "http://127.0.0.1:9")
        let outcome = try await onDispatchQueue {
            try BuiltProcess.run(
                "sopd", ["--sync-now", "--config", config],
                environment: ["SOPD_DATAVERSE_TOKEN": "t", "SOPD_BACKOFFICE_TOKEN": "b"])
        }
        #expect(outcome.status == 69)
        #expect(outcome.standardOutput.contains("could not read submitted orders"))
    }

    @Test func theDemoRunsTheMainJobOnEmbeddedDefaults() async throws {
        let directory = try TemporaryDirectory()
        let outcome = try await onDispatchQueue { try BuiltProcess.run("sopd", ["demo", "--journal-dir", directory.path]) }
        #expect(outcome.status == 0)
        func line(_ order: String) -> String {
            outcome.standardOutput.split(separator: "\n").first { $0.hasPrefix("  \(order) ") }.map(String.init) ?? ""
        }
        #expect(line("SO-01001").contains("Submitted/In Progress"))
        #expect(line("SO-01001").contains("sent to the back office as BO-0000"))
        #expect(line("SO-01011").contains("Active/New"))
        #expect(line("SO-01011").contains("left alone: not submitted"))
        #expect(line("SO-01009").contains("left alone: already sent to the back office"))
        #expect(line("SO-01010").contains("NOT sent") && line("SO-01010").contains("the order has no lines"))
        #expect(outcome.standardOutput.contains("sync: 8 delivered, 1 failed, 0 skipped"))
        #expect(outcome.standardOutput.contains("back office: 11 changes applied, 0 failed"))
        #expect(outcome.standardOutput.contains("  SO-01001  Invoiced/Invoiced, total 1176.32, 5 timeline note(s), invoice INV-"))
        #expect(outcome.standardOutput.contains("  SO-01004  Active/Pending"))
        #expect(outcome.standardOutput.contains("credit limit exceeded"))
        #expect(line("SO-01010").contains("Active/Pending") && line("SO-01010").contains("back with the salesperson"))
        #expect(outcome.standardOutput.contains("Journal: pending 0, sending 0, done 19, failed 0, dead 1"))
    }

    @Test func atATerminalTheProgressLineStandsAloneAndOrderLinesWaitForVerbose() async throws {
        for verbose in [false, true] {
            let emulator = try await EmulatorProcess.start()
            let directory = try TemporaryDirectory()
            let config = try writeConfig(directory, dataverseURL: emulator.dataverseURL, backOfficeURL: emulator.backOfficeURL)
            let environment = ["SOPD_DATAVERSE_TOKEN": "sopd-app-token", "SOPD_BACKOFFICE_TOKEN": "backoffice-token"]
            let arguments = ["--sync-now", "--config", config] + (verbose ? ["--verbose"] : [])
            let run = try await onDispatchQueue { try Self.runAtTerminal(arguments, environment: environment) }
            #expect(run.status == 1, "\(run.screen)")
            // Redrawn at most every 0.1 s, so which counts appear depends on the machine's speed; that one does not.
            #expect(run.screen.contains(/sopd: [1-9]\/9 orders \(/), "the progress line is drawn at a terminal")
            let lines = Self.visibleLines(run.screen)
            let orderLines = lines.filter { $0.contains("SO-01001") }
            if verbose {
                #expect(!orderLines.isEmpty, "--verbose shows the per-order info lines")
            } else {
                #expect(orderLines.isEmpty, "without --verbose the per-order info lines stay off the terminal")
            }
            #expect(lines.contains { $0.contains("order given up") && $0.contains("SO-01010") }, "errors always show")
            for line in lines where line.contains("SO-0") || line.contains("sync: ") {
                #expect(!line.contains("orders ("), "a line joined the progress line: \(line.debugDescription)")
            }
            #expect(lines.contains { $0.hasPrefix("sync: 8 delivered, 1 failed") }, "the summary has a line of its own")
            #expect(!(lines.last ?? "").contains("orders ("), "the progress line is cleared at the end")
            #expect(try await emulator.stop().status == 0)
        }
    }

    /// What a terminal shows of `screen`, line by line: what follows the last carriage return of each
    /// line, without the erase-to-end-of-line sequences (the last line drawn over a line wins).
    private static func visibleLines(_ screen: String) -> [String] {
        screen.components(separatedBy: "\r\n").map {
            ($0.components(separatedBy: "\r").last ?? "").replacingOccurrences(of: "\u{1B}[K", with: "")
        }.filter { !$0.isEmpty }
    }

    /// Runs the built `sopd` on a pseudo-terminal (util-linux's `script`), as at an operator's terminal;
    /// the screen is everything written to it, stdout and stderr together.
    private static func runAtTerminal(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, screen: String) {
        let binary = BuiltProcess.binaryDirectory.appendingPathComponent("sopd").path
        let command = ([binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let outcome = try BuiltProcess.run(
            "/usr/bin/script", ["--quiet", "--return", "--command", command, "/dev/null"],
            environment: ["TERM": "xterm"].merging(environment) { _, new in new })
        return (outcome.status, outcome.standardOutput)
    }
}
