@testable import Dataverse
import Foundation
import SopdTestSupport
import Testing

/// The request budget on a `ManualClock`: a wait moves the clock, so the pace is measured in clock time and
/// never depends on how fast the machine is.
@Suite struct RequestBudgetTests {
    @Test func aBurstThenAnEvenPaceAndNoWindowHoldsMoreThanTheLimit() {
        let clock = ManualClock()
        let start = clock.now()
        let budget = RequestBudget(requests: 100, windowSeconds: 10, concurrent: 5, clock: clock)
        var sent: [Double] = []
        for _ in 0..<300 {
            #expect(budget.acquire(.outbound))
            sent.append(clock.now().timeIntervalSince(start))
            budget.release()
        }
        let rate = 99 / 10.1
        #expect(sent[0] == 0 && sent[1] > 0, "a hundredth of the window goes at once after a quiet spell")
        #expect(abs(sent[99] - 99 / rate) < 1e-4, "then (100 - 1) over 10.1 s: 9.8 a second")
        let gaps = zip(sent.dropFirst(1), sent.dropFirst(2)).map { $1 - $0 }
        #expect(gaps.allSatisfy { abs($0 - 1 / rate) < 1e-5 }, "evenly, not in bursts")
        for (index, time) in sent.enumerated() {
            #expect(sent[index...].prefix { $0 < time + 10.1 }.count <= 100, "no window, even a hundredth longer, holds more")
        }
        #expect(Double(299) / sent[299] > 0.97 * 10, "the limit's own pace, nearly")
    }

    @Test func aRetryAfterHoldsEveryLaneAndAClosedBudgetNeverWaits() {
        let clock = ManualClock()
        let start = clock.now()
        let budget = RequestBudget(requests: 10, windowSeconds: 100, concurrent: 5, clock: clock)
        #expect(budget.acquire(.inbound))
        budget.release()
        budget.holdOff(seconds: 30)
        #expect(budget.acquire(.outbound))
        #expect(clock.now().timeIntervalSince(start) == 30)
        budget.release()
        budget.close()
        #expect(budget.acquire(.outbound) == false, "the burst (1 of 10) is spent: a closed budget answers at once")
        #expect(clock.now().timeIntervalSince(start) == 30, "without waiting")
    }

    @Test func whileBothLanesWaitTheyTakeTurns() {
        let both = [1, 1]
        #expect(RequestBudget.hasTurn(.inbound, waiting: both, lastServed: .outbound))
        #expect(!RequestBudget.hasTurn(.outbound, waiting: both, lastServed: .outbound))
        #expect(RequestBudget.hasTurn(.outbound, waiting: [1, 0], lastServed: .outbound), "alone, a lane goes on")
        #expect(RequestBudget.hasTurn(.outbound, waiting: both, lastServed: nil))
    }
}
