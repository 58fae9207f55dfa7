@testable import Dataverse
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

    /// Found by `make fuzz` (FuzzBatch): a status line with no space after `HTTP/1.1` trapped on an index out of
    /// range. An answer without a three-digit status code is skipped; the others are read.
    @Test func skipsAnAnswerWithoutAStatusCode() {
        func answer(_ statusLine: String) -> String {
            "--b\r\nContent-Type: application/http\r\n\r\n\(statusLine)\r\nOData-Version: 4.0\r\n\r\n\r\n"
        }
        let statusLines = [
            "HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 2x4 OK", "HTTP/1.1 -20 OK", "HTTP/1.1 2040 OK",
            "HTTP/1.1 204 No Content",
        ]
        let body = statusLines.map(answer).joined() + "--b--\r\n"
        let answers = MultipartBatch.decodeParts(Array(body.utf8), boundary: "b").flatMap { $0 }
        #expect(answers.map(\.status) == [204])
        #expect(answers.first?.headers["OData-Version"] == "4.0")
    }

    /// Answers are read as bytes, with CRLF or LF line ends, a blank line before the status line, and a JSON body.
    @Test func readsAnswersWhateverTheirLineEnds() {
        let crlf = "--b\r\nContent-Type: application/http\r\n\r\n\r\nHTTP/1.1 201 Created\r\nOData-EntityId: x\r\n\r\n{\"a\":1}\r\n"
        let lf = "--b\nContent-Type: application/http\n\nHTTP/1.1 204 No Content\n\n\n--b--\n"
        let answers = MultipartBatch.decodeParts(Array((crlf + lf).utf8), boundary: "b").flatMap { $0 }
        #expect(answers.map(\.status) == [201, 204])
        #expect(answers.first?.headers["OData-EntityId"] == "x")
        #expect(answers.first?.body?["a"]?.intValue == 1)
        #expect(answers.last?.body == nil)
    }

    /// A changeset nested in a changeset (which OData never sends) is skipped rather than followed, so a body of
    /// 20,000 nested changesets takes one level of recursion, not 20,000, and linear time.
    @Test func readsChangesetsOneLevelDeepOnly() {
        let ok = "Content-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n"
        var body = "--outer_\r\nContent-Type: multipart/mixed; boundary=level0_\r\n\r\n--level0_\r\n" + ok
        for level in 0..<20_000 {
            body += "--level\(level)_\r\nContent-Type: multipart/mixed; boundary=level\(level + 1)_\r\n\r\n"
            body += "--level\(level + 1)_\r\n" + ok
        }
        body += "--outer_--\r\n"
        #expect(MultipartBatch.decodeParts(Array(body.utf8), boundary: "outer_").flatMap { $0 }.map(\.status) == [204])
    }

    /// Changesets are answered part by part: a changeset that went through holds one answer per request, one that
    /// rolled back a single answer, its error.
    @Test func readsEachChangesetsAnswersApart() {
        let ok = "Content-Type: application/http\r\nContent-ID: 1\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n"
        let refused = """
            Content-Type: application/http\r\nContent-ID: 1\r\n\r\nHTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n\r\n\
            {"error":{"code":"0x80060882","message":"The version of the existing record doesn't match the RowVersion property provided."}}\r\n
            """
        let body =
            "--b\r\nContent-Type: multipart/mixed; boundary=c1\r\n\r\n--c1\r\n\(ok)--c1\r\n\(ok)--c1--\r\n"
            + "--b\r\n\(refused)"
            + "--b\r\nContent-Type: multipart/mixed; boundary=c3\r\n\r\n--c3\r\n\(ok)--c3--\r\n--b--\r\n"
        let parts = MultipartBatch.decodeParts(Array(body.utf8), boundary: "b")
        #expect(parts.map { $0.map(\.status) } == [[204, 204], [412], [204]])
        #expect(parts[1].first?.error?.code == .concurrencyConflict)
    }
}
