@testable import Daemon
import Foundation
import Testing

@Suite struct ProgressLineTests {
    @Test func theProgressLineShowsDoneTotalAndRate() {
        #expect(ProgressLine.text(done: 120, total: 500, seconds: 0.5) == "sopd: 120/500 orders (240/s)")
        #expect(ProgressLine.text(done: 7, total: nil, seconds: 0) == "sopd: 7 orders (0/s)")
    }

    @Test func logLinesGoAboveTheProgressLineAndNeverJoinIt() {
        let written = Written()
        let output = StandardErrorLines { written.append($0) }
        output.line("before any progress")
        let progress = ProgressLine(output: output)
        progress.update(done: 1, total: 2)
        output.line("level=warning msg=\"back office slow\"")
        progress.finish()
        output.line("after the progress")

        let clear = StandardErrorLines.clearLine
        let chunks = written.chunks
        #expect(chunks.count == 5)
        #expect(chunks[0] == "before any progress\n")
        #expect(chunks[1].hasPrefix(clear + "sopd: 1/2 orders"))
        #expect(!chunks[1].contains("\n"), "the progress line ends no line")
        // The log line clears the progress line first, ends its own line, then draws the progress again.
        #expect(chunks[2].hasPrefix(clear + "level=warning msg=\"back office slow\"\n" + "sopd: 1/2 orders"))
        #expect(chunks[3] == clear)
        #expect(chunks[4] == "after the progress\n")
    }

    private final class Written: @unchecked Sendable {
        private let lock = NSLock()
        private var all: [String] = []
        func append(_ chunk: String) { lock.withLock { all.append(chunk) } }
        var chunks: [String] { lock.withLock { all } }
    }
}
