import ChildProcess
import Foundation
import SopdTestSupport
import Testing

/// `sopd sop …` as an admin runs it, against `sop-emulator`.
@Suite struct SOPCommandTests {
    @Test func statusDisableRefusedThenForced() async throws {
        let emulator = try await EmulatorProcess.start()
        let config = try emulator.writeConfig(in: TemporaryDirectory())
        func sopd(_ arguments: [String]) async throws -> BuiltProcess.Outcome {
            try await onDispatchQueue { try BuiltProcess.run("sopd", arguments) }
        }

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
        let after = try await sopd(["sop", "status", "--config", config])
        #expect(after.standardOutput.contains("(issopintegrationenabled): off"))

        try await emulator.stop()
    }
}
