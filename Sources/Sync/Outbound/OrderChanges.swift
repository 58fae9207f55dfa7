import Foundation
import JSON
import PeerText
import SalesRules

/// The changes the outbound side writes into an order in Dynamics, as pure functions of what happened.
public enum OrderChanges {
    /// Received by the back office as `backOfficeId` at `now`: `lastbackofficesubmit` takes the order
    /// out of the submitted-orders read.
    public static func stamp(backOfficeId: String, now: Date) -> [String: JSONValue] {
        let time = now.formatted(.iso8601)
        return [
            "lastbackofficesubmit": .string(time),
            "submitstatus": .int(SubmitStatus.received.rawValue),
            "submitstatusdescription": .string("Received by the back office as \(backOfficeId) on \(time) (sopd)"),
        ]
    }

    /// Given up: the reason for the salesperson. A refused document goes back to them (Active/Pending,
    /// not sent), since a submitted order is read-only; otherwise the order stays submitted and the text
    /// names the operator's command.
    /// - Parameters:
    ///   - reason: Why, free of secrets.
    ///   - transferId: The journal's id, for `sopd journal retry`.
    ///   - returning: Whether the order goes back to the salesperson.
    static func notSent(reason: String, transferId: Int64, returning: Bool) -> [String: JSONValue] {
        let advice =
            returning
            ? ". Correct the order and submit it again."
            : ". sopd will not retry it on its own; an administrator can: sopd journal retry \(transferId)."
        var changes: [String: JSONValue] = [
            "submitstatus": .int(SubmitStatus.notSent.rawValue),
            "submitstatusdescription": .string(PeerText.clean("Not sent to the back office: \(reason)\(advice)", limit: 1999)),
        ]
        if returning {
            changes["statecode"] = .int(OrderState.active.rawValue)
            changes["statuscode"] = .int(OrderStatus.pending.rawValue)
            changes["lastbackofficesubmit"] = .null
        }
        return changes
    }
}
