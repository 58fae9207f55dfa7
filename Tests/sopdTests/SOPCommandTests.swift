import ChildProcess
import Foundation
import SopdTestSupport
import Testing

/// `sopd sop …` as an admin runs it, against `sop-emulator`.
@Suite struct SOPCommandTests {
    /// The seed: "By default, sales order processing is turned off." An administrator turns it on, then
    /// turning it off is refused while orders are submitted, unless forced.
    @Test func offByDefaultEnabledThenDisableRefusedThenForced() async throws {
        let emulator = try await EmulatorProcess.start(sopIntegrationEnabled: false)
        let config = try emulator.writeConfig(in: TemporaryDirectory())
        func sopd(_ arguments: [String]) async throws -> BuiltProcess.Outcome {
            try await onDispatchQueue { try BuiltProcess.run("sopd", arguments) }
        }

        let fresh = try await sopd(["sop", "status", "--config", config])
        #expect(fresh.standardOutput.contains("sales order processing integration (issopintegrationenabled): off"))
        let enabled = try await sopd(["sop", "enable", "--config", config])
        #expect(enabled.status == 0)
        #expect(enabled.standardOutput.contains("off -> on"))

        let status = try await sopd(["sop", "status", "--config", config])
        #expect(status.status == 0)
        #expect(status.standardOutput.contains("sales order processing integration (issopintegrationenabled): on"))
        #expect(status.standardOutput.contains("integration user: yes"))
        #expect(status.standardOutput.contains("submitted orders: 10"))

        let refused = try await sopd(["sop", "disable", "--config", config])
        #expect(refused.status == 1)
        #expect(refused.standardOutput.contains("refused: 10 order(s) are Submitted"))

        let forced = try await sopd(["--config", config, "sop", "disable", "--force"])
        #expect(forced.status == 0)
        #expect(forced.standardOutput.contains("on -> off"))
        #expect(forced.standardOutput.contains("10 submitted order(s) are no longer locked for salespeople"))
        let after = try await sopd(["sop", "status", "--config", config])
        #expect(after.standardOutput.contains("(issopintegrationenabled): off"))

        try await emulator.stop()
    }
}
