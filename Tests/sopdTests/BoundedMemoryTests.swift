import ChildProcess
import Foundation
import SopdTestSupport
import Testing

/// A back office whose answers never end, run against the built `sopd --sync-now` on its defaults
/// (but for 2000 events a cycle instead of 10000, to keep the test short):
/// an endless body to every `POST /orders`, or a change feed that always has more. sopd's peak
/// memory stays under the bound README's "Security" section documents, and the run ends.
@Suite struct BoundedMemoryTests {
    /// README's documented bound for sopd's peak resident memory under hostile peers, in MiB.
    static let boundMiB = 100.0

    @Test(arguments: [true, false])
    func anEndlessBodyOrAnEndlessFeedLeavesSopdUnderTheBound(endlessBody: Bool) async throws {
        let emulator = try await EmulatorProcess.start()
        let served = Locked(0)
        let backOffice = try HostilePeer { request in
            if request.target.hasPrefix("/orders") {
                guard endlessBody else { return .http(201, #"{"id":"BO-1"}"#) }
                return .endless(
                    head: Array("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{\"id\":\"".utf8),
                    chunk: [UInt8](repeating: UInt8(ascii: "A"), count: 65_536))
            }
            let first = served.withLock { count in
                defer { count += 100 }
                return count + 1
            }
            let events = (first..<first + 100).map {
                #"{"id":"noise-\#($0)","sequence":\#($0),"type":"noise","orderId":"BO-\#($0)","data":{"pad":"\#(String(repeating: "x", count: 200))"}}"#
            }
            return .http(200, #"{"events":[\#(events.joined(separator: ","))],"next":"\#(first + 99)"}"#)
        }
        defer { backOffice.stop() }
        let directory = try TemporaryDirectory()
        let config = try emulator.writeConfig(
            in: directory, extra: "journal:\n  path: \(directory.file("journal.sqlite"))\n")
        let yaml = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: emulator.backOfficeURL, with: backOffice.url)
            .replacingOccurrences(of: "backoffice:\n", with: "backoffice:\n  maxEventsPerCycle: 2000\n")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)

        let run = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
        try await emulator.stop()

        #expect(run.status == 1, "transfers failed and stay in the journal: \(run.standardError.suffix(500))")
        #expect(run.standardOutput.contains("journal:"))
        if endlessBody {
            #expect(backOffice.requests.contains { $0.target.hasPrefix("/orders") }, "the endless answer was tried")
        } else {
            #expect(served.value == 2000, "the feed was read up to backoffice.maxEventsPerCycle, then the cycle ended")
        }
        #expect(run.peakResidentMiB > 10, "the peak was measured")
        #expect(run.peakResidentMiB < Self.boundMiB, "peak \(run.peakResidentMiB) MiB")
    }
}
