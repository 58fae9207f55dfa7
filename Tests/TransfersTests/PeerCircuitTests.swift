import Foundation
import Testing
import Transfers

/// A peer's circuit: what goes while it fails, and what the operator hears.
@Suite struct PeerCircuitTests {
    @Test func aClosedCircuitLetsEverythingGo() {
        var circuit = PeerCircuit(peer: .backOffice)
        #expect(circuit.admit(now: start) == .go)
        #expect(circuit.admit(now: start) == .go)
        #expect(circuit.succeeded(now: start) == nil, "nothing to tell")
    }

    @Test func aFailureOpensItAndThenOneProbeAtATimeGoesWhenDue() throws {
        var circuit = PeerCircuit(peer: .backOffice)
        guard case .startedFailing(let outage) = circuit.failed("could not connect", now: start, probeAfter: 10) else {
            Issue.record("the first failure is news")
            return
        }
        #expect(outage == PeerOutage(peer: .backOffice, since: start, failures: 1, lastError: "could not connect"))
        #expect(circuit.admit(now: start.addingTimeInterval(9)) == .hold(outage), "the probe is not due yet")
        #expect(circuit.admit(now: start.addingTimeInterval(10)) == .probe)
        #expect(circuit.admit(now: start.addingTimeInterval(10)) == .hold(outage), "one probe at a time")
        circuit.abandoned()
        #expect(circuit.admit(now: start.addingTimeInterval(10)) == .probe, "an abandoned probe frees the slot")
    }

    @Test func remindersComeAtGrowingGapsAndTheRecoveryOnce() {
        var circuit = PeerCircuit(peer: .dataverse)
        _ = circuit.failed("HTTP 503", now: start, probeAfter: 60)
        var reminders: [Double] = []
        for minute in stride(from: 1.0, through: 240, by: 1) {
            let now = start.addingTimeInterval(minute * 60)
            if case .stillFailing = circuit.failed("HTTP 503", now: now, probeAfter: 60) { reminders.append(minute) }
        }
        #expect(reminders == [5, 15, 35, 75, 135, 195], "5, 10, 20, 40, then every 60 minutes")
        #expect(circuit.outage?.failures == 241)
        let recovered = circuit.succeeded(now: start.addingTimeInterval(4 * 3600))
        guard case .recovered(let outage, let seconds) = recovered else {
            Issue.record("the recovery is news")
            return
        }
        #expect(outage.since == start)
        #expect(seconds == 4 * 3600)
        #expect(circuit.outage == nil)
        #expect(circuit.admit(now: start.addingTimeInterval(4 * 3600)) == .go)
    }

    @Test func aCircuitTheJournalRemembersOpenProbesFirst() {
        let outage = PeerOutage(peer: .backOffice, since: start, failures: 7, lastError: "timed out")
        var circuit = PeerCircuit(peer: .backOffice, outage: outage)
        #expect(circuit.admit(now: start) == .probe)
        #expect(circuit.admit(now: start) == .hold(outage))
    }
}
