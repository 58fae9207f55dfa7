@testable import Daemon
import Foundation
import Logging
import PeerText
import Testing

@Suite struct LogLineHandlerTests {
    private let fields: Logger.Metadata = [
        "backoffice_id": "BO-000001", "ms": .stringConvertible(12), "status": .stringConvertible(201), "order": "SO-01001",
        "dir": "out", "attempt": .stringConvertible(1), "replayed": .stringConvertible(false), "order_code": "00123",
    ]
    private let at = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func logfmtPutsTheFieldsOpsFilterOnFirst() {
        let line = LogLineHandler.line(format: .logfmt, level: .info, message: "order delivered to the back office", fields: fields, at: at)
        #expect(
            line
                == #"ts=2026-11-18T11:06:40.000Z level=info msg="order delivered to the back office" order=SO-01001 dir=out attempt=1 status=201 ms=12 backoffice_id=BO-000001 order_code=00123 replayed=false"#
        )
        let quoted = LogLineHandler.line(format: .logfmt, level: .warning, message: "x", fields: ["error": "said \"no\" twice"], at: at)
        #expect(quoted == #"ts=2026-11-18T11:06:40.000Z level=warning msg=x error="said \"no\" twice""#)
    }

    @Test func textAndJSONCarryTheSameFields() throws {
        let text = LogLineHandler.line(format: .text, level: .notice, message: "sync: 8 delivered", fields: ["trigger": "timer"], at: at)
        #expect(text == "2026-11-18T11:06:40.000Z notice sync: 8 delivered [trigger=timer]")
        let json = LogLineHandler.line(format: .json, level: .error, message: "said \"no\"", fields: fields, at: at)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["ts"] as? String == "2026-11-18T11:06:40.000Z")
        #expect(object["msg"] as? String == "said \"no\"")
        #expect(object["order"] as? String == "SO-01001")
        #expect(json.hasPrefix(#"{"ts":"2026-11-18T11:06:40.000Z","level":"error","msg":"said \"no\"","order":"SO-01001","dir":"out""#))
        // Numbers and booleans passed as such stay typed; a number-like string (a code with leading zeros) stays a string.
        #expect(json.contains(#""status":201"#) && json.contains(#""ms":12"#) && json.contains(#""replayed":false"#))
        #expect(json.contains(#""order_code":"00123""#))
    }

    @Test func aSecretInATypedFieldIsMaskedAndWrittenAsAString() {
        SecretRegistry.shared.register("987654321")
        let json = LogLineHandler.line(format: .json, level: .info, message: "m", fields: ["pin": .stringConvertible(987_654_321)], at: at)
        #expect(!json.contains("987654321"))
        #expect(json.contains(#""pin":""#))
    }

    @Test func prioritiesAreSyslogs() {
        #expect(LogLineHandler.priority(.warning) == 4)
        #expect(LogLineHandler.priority(.error) == 3)
        #expect(LogLineHandler.priority(.info) == 6)
        #expect(LogLineHandler.priority(.debug) == 7)
    }

    @Test func theJournalIsRecognisedByItsDeviceAndInode() throws {
        var status = stat()
        #expect(fstat(STDERR_FILENO, &status) == 0)
        #expect(LogFormat.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]))
        #expect(!LogFormat.stderrIsJournal(environment: ["JOURNAL_STREAM": "1:2"]))
        #expect(!LogFormat.stderrIsJournal(environment: [:]))
    }
}
