import Testing
import Transfers

/// The back office's concurrency limit, fed answer times from a model peer: it grows while the answers stay as
/// quick, settles near where a queue starts, halves on a drop, and never leaves 1 … maximum.
@Suite struct ConcurrencyLimitTests {
    /// Feeds `windows` windows of answers (every 50th is followed by one at a quarter of the limit, which
    /// measures the peer afresh: the counts below end after it) whose time `seconds(inFlight)` gives, each sent with the limit in flight.
    private func run(_ limit: inout ConcurrencyLimit, windows: Int, seconds: (Int) -> Double) {
        for _ in 0..<windows {
            for _ in 0..<max(10, limit.current) {
                limit.record(seconds: seconds(limit.current), inFlight: limit.current, dropped: false)
            }
        }
    }

    @Test func aPeerThatNeverQueuesGetsTheMaximum() {
        var limit = ConcurrencyLimit(initial: 8, maximum: 64)
        run(&limit, windows: 101) { _ in 0.020 }
        #expect(limit.current == 64)
    }

    @Test func aPeerThatServesSixteenAtOnceKeepsTheLimitNearSixteen() {
        var limit = ConcurrencyLimit(initial: 8, maximum: 64)
        // Up to 16 at once answer in 20 ms; beyond, each request waits its turn.
        run(&limit, windows: 301) { inFlight in 0.020 * max(1, Double(inFlight) / 16) }
        #expect((16...28).contains(limit.current), "settles just past the peer's capacity: \(limit.current)")
    }

    @Test func slowerAnswersBringTheLimitBackToWhereItStartedNotBelow() {
        var limit = ConcurrencyLimit(initial: 8, maximum: 64)
        run(&limit, windows: 101) { _ in 0.020 }
        #expect(limit.current == 64)
        // A peer on the same cores: every request added slows every answer, so any concurrency reads as a queue.
        run(&limit, windows: 301) { inFlight in 0.001 * Double(inFlight) }
        #expect((8...16).contains(limit.current), "back near where it started, and not below: \(limit.current)")
    }

    @Test func aDropHalvesTheLimitAndItGrowsBack() {
        var limit = ConcurrencyLimit(initial: 32, maximum: 32)
        for _ in 0..<32 { limit.record(seconds: 0.02, inFlight: 32, dropped: false) }
        #expect(limit.current == 32)
        for index in 0..<32 { limit.record(seconds: 5, inFlight: 32, dropped: index == 0) }
        #expect(limit.current == 16)
        run(&limit, windows: 51) { _ in 0.02 }
        #expect(limit.current == 32)
    }

    @Test func aLimitThatDoesNotBindDoesNotGrow() {
        var limit = ConcurrencyLimit(initial: 8, maximum: 64)
        for _ in 0..<1010 { limit.record(seconds: 0.02, inFlight: 2, dropped: false) }
        #expect(limit.current == 8, "two in flight say nothing of what eight more would do")
    }

    @Test func aFixedLimitStaysAndBoundsHold() {
        var fixed = ConcurrencyLimit(fixed: 12)
        run(&fixed, windows: 20) { _ in 0.001 }
        for _ in 0..<100 { fixed.record(seconds: 9, inFlight: 12, dropped: true) }
        #expect(fixed.current == 12)
        var low = ConcurrencyLimit(initial: 1, maximum: 4)
        for _ in 0..<500 { low.record(seconds: 1, inFlight: 1, dropped: true) }
        #expect(low.current == 1)
        #expect(ConcurrencyLimit(initial: 100, maximum: 4).current == 4)
    }
}
