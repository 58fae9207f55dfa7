@testable import Daemon
import Logging
import Testing

@Suite struct LogfmtLogHandlerTests {
    @Test func writesTheFieldsOpsFilterOnFirst() {
        let line = LogfmtLogHandler.line(
            level: .info, message: "order delivered to the back office",
            fields: ["backoffice_id": "BO-000001", "ms": "12", "status": "201", "order": "SO-01001", "dir": "out", "attempt": "1"])
        #expect(
            line
                == #"level=info msg="order delivered to the back office" order=SO-01001 dir=out attempt=1 status=201 ms=12 backoffice_id=BO-000001"#
        )
    }

    @Test func quotesValuesWithSpacesAndQuotes() {
        let line = LogfmtLogHandler.line(level: .warning, message: "x", fields: ["error": "said \"no\" twice"])
        #expect(line == #"level=warning msg=x error="said \"no\" twice""#)
    }
}
