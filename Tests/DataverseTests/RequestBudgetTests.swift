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
        #expect(sent.prefix(10).allSatisfy { $0 == 0 }, "a tenth of the window goes at once after a quiet spell")
        #expect(abs(sent[26] - 2) < 1e-6, "then 8.5 a second: (95 % of 100 - 10) over 10 s")
        let gaps = zip(sent.dropFirst(10), sent.dropFirst(11)).map { $1 - $0 }
        #expect(gaps.allSatisfy { abs($0 - 1 / 8.5) < 1e-6 }, "evenly, not in bursts")
        for (index, time) in sent.enumerated() {
            #expect(sent[index...].prefix { $0 < time + 10 }.count <= 100)
        }
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
