@testable import Daemon
import Testing

@Suite struct ProgressLineTests {
    @Test func theProgressLineShowsDoneTotalAndRate() {
        #expect(ProgressLine.text(done: 120, total: 500, seconds: 0.5) == "sopd: 120/500 orders (240/s)")
        #expect(ProgressLine.text(done: 7, total: nil, seconds: 0) == "sopd: 7 orders (0/s)")
    }
}
