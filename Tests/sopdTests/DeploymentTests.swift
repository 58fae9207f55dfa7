import ChildProcess
import Foundation
import SopdTestSupport
import Testing

/// The systemd units as shipped, checked by `make units-check` (systemd-analyze verify, and exposure ≤ 2.0).
@Suite struct DeploymentTests {
    private static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func theUnitsVerifyAndTheServicesAreHardened() async throws {
        let binary = BuiltProcess.binaryDirectory.appendingPathComponent("sopd").path
        let outcome = try await onDispatchQueue { () throws -> (Int32, String) in
            let run = try BuiltProcess.run(
                "/usr/bin/make", ["-s", "-C", Self.packageRoot.path, "units-check", "SOPD_BIN=\(binary)"], timeout: 300)
            return (run.status, run.standardOutput + run.standardError)
        }
        #expect(outcome.0 == 0, "\(outcome.1)")
        #expect(outcome.1.contains("systemd-analyze verify: ok (sopd-sync-now.service sopd-sync-now.timer sopd.service)"))
        for line in outcome.1.split(separator: "\n") where line.contains("exposure") {
            let score = Double(line.split(separator: " ").last ?? "") ?? 99
            #expect(score <= 2.0, "\(line)")
        }
    }

    @Test func theDaemonStaysDownOnABadConfigurationAndChecksBeforeAReload() throws {
        let unit = try String(contentsOf: Self.packageRoot.appendingPathComponent("systemd/sopd.service"), encoding: .utf8)
        let lines = unit.split(separator: "\n").map(String.init)
        #expect(lines.contains("RestartPreventExitStatus=78"), "exit 78 (bad configuration) is not restarted every 5 s")
        let reloads = lines.filter { $0.hasPrefix("ExecReload=") }
        #expect(
            reloads == [
                "ExecReload=+/usr/bin/sopd config check --config /etc/sopd/sopd.yaml --credentials-dir /etc/sopd/credentials",
                "ExecReload=/bin/kill -HUP $MAINPID",
            ])
        for name in ["sopd.service", "sopd-sync-now.service"] {
            let text = try String(contentsOf: Self.packageRoot.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
            #expect(!text.contains("Environment="), "\(name): journal.path in the file is the one source of the journal's path")
            #expect(text.contains("StateDirectory=sopd"))
        }
    }
}
