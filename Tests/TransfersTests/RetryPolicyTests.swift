import Foundation
import Testing
import Transfers

/// What a failure does to a transfer: backoff with full jitter, Retry-After, dead-lettering by age.
@Suite struct RetryPolicyTests {
    private let policy = RetryPolicy(baseSeconds: 2, capSeconds: 60, giveUpAfterSeconds: 3600)

    private func disposition(_ attempt: Int, _ failure: FailureClass, age: Double = 0, random: Double = 0.5)
        -> FailureDisposition
    {
        policy.disposition(
            after: attempt, failure: failure, journaledAt: start, now: start.addingTimeInterval(age), random: random)
    }

    @Test func aPermanentFailureIsDeadAtOnce() {
        #expect(disposition(1, .permanent) == .dead)
    }

    @Test func aRetryableFailureIsNeverDeadByCountOnlyPastTheHorizon() {
        #expect(disposition(10_000, .retryable(retryAfter: nil), age: 3599) != .dead)
        #expect(disposition(2, .retryable(retryAfter: nil), age: 3600) == .dead)
        #expect(disposition(2, .conflict, age: 30 * 86_400) != .dead, "a conflict is never given up: re-reading resolves it")
        let never = RetryPolicy(giveUpAfterSeconds: 0)
        #expect(
            never.disposition(
                after: 100_000, failure: .retryable(retryAfter: nil), journaledAt: start,
                now: start.addingTimeInterval(10 * 365 * 86_400), random: 0.5) != .dead)
    }

    @Test func theJitterScalesTheCappedWindowAndRetryAfterIsAFloor() {
        #expect(disposition(3, .retryable(retryAfter: nil), random: 0.25) == .retry(at: start.addingTimeInterval(2)))
        #expect(disposition(50, .retryable(retryAfter: nil), random: 0.5) == .retry(at: start.addingTimeInterval(30)), "capped")
        #expect(disposition(1, .retryable(retryAfter: 30), random: 0.9) == .retry(at: start.addingTimeInterval(30)))
    }

    @Test func aConflictBacksOffLikeAnyRetrySoAnOrderThatKeepsChangingIsNotHammered() {
        #expect(disposition(1, .conflict, random: 0.5) == .retry(at: start.addingTimeInterval(1)))
        #expect(disposition(4, .conflict, random: 0.5) == .retry(at: start.addingTimeInterval(8)))
    }
}
