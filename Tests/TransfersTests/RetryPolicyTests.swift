import Foundation
import Testing
import Transfers

/// What a failure does to a transfer: backoff with full jitter, Retry-After, dead-lettering.
@Suite struct RetryPolicyTests {
    private let policy = RetryPolicy(baseSeconds: 2, capSeconds: 60, maxAttempts: 5)

    @Test func aPermanentFailureIsDeadAtOnce() {
        #expect(policy.disposition(after: 1, failure: .permanent, now: start, random: 0.5) == .dead)
    }

    @Test func aRetryableFailureIsDeadOnlyAtTheLastAttempt() {
        #expect(policy.disposition(after: 4, failure: .retryable(retryAfter: nil), now: start, random: 0.5) != .dead)
        #expect(policy.disposition(after: 5, failure: .retryable(retryAfter: nil), now: start, random: 0.5) == .dead)
    }

    @Test func theJitterScalesTheWindowAndRetryAfterIsAFloor() {
        #expect(
            policy.disposition(after: 3, failure: .retryable(retryAfter: nil), now: start, random: 0.25)
                == .retry(at: start.addingTimeInterval(2)))
        #expect(
            policy.disposition(after: 1, failure: .retryable(retryAfter: 30), now: start, random: 0.9)
                == .retry(at: start.addingTimeInterval(30)))
    }

    @Test func aConflictIsRetriedWithinTheFirstWindow() {
        #expect(
            policy.disposition(after: 4, failure: .conflict, now: start, random: 0.9)
                == .retry(at: start.addingTimeInterval(2)))
    }
}
