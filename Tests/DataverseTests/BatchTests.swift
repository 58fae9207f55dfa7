import Dataverse
import Emulators
import JSON
import SopdTestSupport
import Testing

/// `$batch` through the client and the emulator's multipart parser.
@Suite struct BatchTests {
    @Test func oneBadRequestFailsOnlyItselfAndAChangesetIsAllOrNothing() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let client = fixture.dataverseClient()
        let store = fixture.suite.dataverse.store
        let ids = [1001, 1002, 1003].map { DemoData.guid("d1", $0) }
        let requests = ids.enumerated().map { index, id in
            BatchRequest(
                method: .patch, path: "salesorders(\(id))", body: ["submitstatus": .int(7)],
                headers: ["If-Match": index == 1 ? "W/\"1\"" : "*"])
        }
        let answers = try await onDispatchQueue { try client.batch(requests) }
        #expect(answers.map(\.status) == [204, 412, 204])
        #expect(answers[1].error?.code == .concurrencyConflict)
        #expect(store.row("salesorder", id: ids[0])?["submitstatus"] == 7)
        #expect(store.row("salesorder", id: ids[1])?["submitstatus"] != 7)
        #expect(store.row("salesorder", id: ids[2])?["submitstatus"] == 7)

        let changeset = [
            BatchRequest(method: .patch, path: "salesorders(\(ids[1]))", body: ["submitstatus": .int(8)], headers: ["If-Match": "*"]),
            BatchRequest(method: .patch, path: "salesorders(\(ids[2]))", body: ["nosuchcolumn": .int(8)], headers: ["If-Match": "*"]),
        ]
        let error = await #expect(throws: DataverseError.self) {
            try await onDispatchQueue { try client.batch(changeset, atomic: true) }
        }
        #expect(error?.status == 400)
        #expect(store.row("salesorder", id: ids[1])?["submitstatus"] != 8, "the changeset was rolled back")

        let fine = try await onDispatchQueue { try client.batch(Array(changeset.prefix(1)) + [requests[0]], atomic: true) }
        #expect(fine.map(\.status) == [204, 204])
        #expect(store.row("salesorder", id: ids[1])?["submitstatus"] == 8)
        #expect(fixture.suite.dataverse.requestCount == 3, "three $batch requests, whatever they held")
        await fixture.suite.stop()
    }
}
