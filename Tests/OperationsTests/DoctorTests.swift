import Daemon
import Emulators
import Operations
import SopdTestSupport
import Testing

/// `sopd doctor` against the emulators: every check passes, then each failure names its fix.
@Suite struct DoctorTests {
    @Test func everyCheckPassesThenEachFailureSaysWhatToDo() async throws {
        let fixture = try await SyncFixture()
        let configuration = try ConfigurationLoader.configuration(values: fixture.configurationValues())
        let healthy = try await onDispatchQueue { Doctor.checks(configuration) }
        #expect(healthy.map(\.name) == ["journal", "dataverse", "sop switch", "integration user", "back office"])
        #expect(healthy.allSatisfy { $0.ok }, "\(healthy.map { $0.line })")
        #expect(healthy[0].line.contains("(10 migrations), writable"))

        let store = fixture.suite.dataverse.store
        try store.update("organization", id: EmulatorIdentities.organizationId, body: ["issopintegrationenabled": false], ifMatch: nil, caller: nil)
        try store.update("systemuser", id: EmulatorIdentities.applicationUserId, body: ["isintegrationuser": false], ifMatch: nil, caller: nil)
        let wrong = try ConfigurationLoader.configuration(values: fixture.configurationValues(["backoffice.token": "wrong"]))
        let unhealthy = try await onDispatchQueue { Doctor.checks(wrong) }
        let failures = unhealthy.filter { !$0.ok }
        #expect(failures.map(\.name) == ["sop switch", "integration user", "back office"])
        #expect(failures[0].line.contains("fix: sopd sop enable"))
        #expect(failures[1].line.contains("isintegrationuser"))
        #expect(failures[2].line.hasPrefix("FAIL  back office"))
        #expect(failures[2].fix?.contains("backoffice-token") == true)

        let closed = try ClosedPort()
        let offline = try ConfigurationLoader.configuration(values: fixture.configurationValues(["dataverse.url": closed.url]))
        let unreachable = try await onDispatchQueue { Doctor.checks(offline) }
        #expect(unreachable.first { $0.name == "dataverse" }?.fix?.contains("dataverse.url") == true)
        await fixture.suite.stop()
    }
}
