import ChildProcess
import Foundation
import HTTP
import JSON
import SopdTestSupport
import Testing

/// The built `sopd` killed with SIGKILL at random points of a sync, restarted, and checked: every
/// order reached the back office exactly once and Dynamics shows every order stamped.
@Suite(.serialized) struct CrashSafetyTests {
    private static let orders = 500

    private func backOfficeOrders(_ emulator: EmulatorProcess) async throws -> [JSONValue] {
        let response = try await HTTPClient().response(
            for: HTTPRequest(
                method: .get, url: "\(emulator.backOfficeURL)/_admin/orders", headers: ["Authorization": "Bearer backoffice-token"]))
        return try JSONParser.parse(response.body)["orders"]?.arrayValue ?? []
    }

    private func unstampedSubmittedOrders(_ emulator: EmulatorProcess) async throws -> Int {
        let response = try await HTTPClient().response(
            for: HTTPRequest(
                method: .get,
                url: "\(emulator.dataverseURL)/api/data/v9.2/salesorders?$select=salesorderid&$filter=statecode%20eq%201%20and%20lastbackofficesubmit%20eq%20null&$count=true",
                headers: ["Authorization": "Bearer sopd-app-token"]))
        return try JSONParser.parse(response.body)["@odata.count"]?.intValue ?? -1
    }

    private func checkExactlyOnce(_ emulator: EmulatorProcess) async throws -> Int {
        let received = try await backOfficeOrders(emulator)
        let numbers = received.compactMap { $0["document"]?["orderNumber"]?.stringValue }
        #expect(received.count == Self.orders, "one back-office order per Dynamics order")
        #expect(Set(numbers).count == Self.orders, "no order twice")
        #expect(try await unstampedSubmittedOrders(emulator) == 0, "every order stamped in Dynamics")
        return received.filter { ($0["deliveries"]?.intValue ?? 0) > 1 }.count
    }

    @Test func sigkillAtRandomPointsLosesNothingAndDuplicatesNothing() async throws {
        let emulator = try await EmulatorProcess.start(demoData: false, submittedOrders: Self.orders)
        let directory = try TemporaryDirectory()
        let config = try emulator.writeConfig(
            in: directory, dataverse: ["pageSize: 40"], extra: "journal:\n  path: \(directory.file("journal.sqlite"))\n")

        var kills = 0
        var finished = false
        for _ in 0..<60 {
            let run = try BuiltProcess("sopd", ["--sync-now", "--config", config])
            try await Task.sleep(for: .milliseconds(Int.random(in: 10...150)))
            if run.isRunning {
                run.send(SIGKILL)
                kills += 1
            }
            let outcome = try await onDispatchQueue { try run.waitForExit(timeout: 60) }
            if outcome.status == 0 {
                finished = true
                break
            }
        }
        if !finished {
            let last = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
            #expect(last.status == 0, "a run without a kill completes: \(last.standardOutput)")
        }
        let replays = try await checkExactlyOnce(emulator)
        print("crash safety: \(kills) SIGKILL points tried over \(Self.orders) orders; \(replays) order(s) re-sent with their key after a kill")
        #expect(kills > 0)
        try await emulator.stop()
    }

    @Test func aSyncNowWhileTheDaemonRunsNeverPushesAnOrderTwice() async throws {
        let emulator = try await EmulatorProcess.start(demoData: false, submittedOrders: Self.orders)
        let directory = try TemporaryDirectory()
        let config = try emulator.writeConfig(
            in: directory, extra: "sync:\n  intervalSeconds: 3600\njournal:\n  path: \(directory.file("journal.sqlite"))\n")
        let daemon = try BuiltProcess("sopd", ["--config", config])
        let syncNow = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
        #expect([0, 1].contains(syncNow.status), "\(syncNow.standardError.suffix(600))")
        for _ in 0..<1200 {
            if try await backOfficeOrders(emulator).count == Self.orders, try await unstampedSubmittedOrders(emulator) == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        daemon.send(SIGTERM)
        _ = try await onDispatchQueue { try daemon.waitForExit(timeout: 30) }
        let replays = try await checkExactlyOnce(emulator)
        #expect(replays == 0, "two live processes never send the same transfer: every key was delivered once")
        try await emulator.stop()
    }
}
