import Emulators
import Journal
import SalesRules
import Sync

/// The demo's printout: every order with what happened to it and why.
enum DemoReport {
    static func render(report: CycleReport, orders: [[String: JSONValue]], received: [ReceivedOrder]) -> String {
        let delivered = Dictionary(report.delivered.map { ($0.orderNumber, $0) }, uniquingKeysWith: { first, _ in first })
        let failed = Dictionary(report.failed.map { ($0.orderNumber, $0) }, uniquingKeysWith: { first, _ in first })
        var lines = ["Orders in Dynamics (\(orders.count)):"]
        for order in orders.sorted(by: { ($0["ordernumber"]?.stringValue ?? "") < ($1["ordernumber"]?.stringValue ?? "") }) {
            let number = order["ordernumber"]?.stringValue ?? "?"
            let state = order["statecode"]?.intValue.flatMap(OrderState.init(rawValue:))
            let status = order["statuscode"]?.intValue.flatMap(OrderStatus.init(rawValue:))
            let label = "\(state?.label ?? "?")/\(status?.label ?? "?")".padding(toLength: 22, withPad: " ", startingAt: 0)
            let what: String
            if let delivery = delivered[number] {
                what = "sent to the back office as \(delivery.backOfficeId); stamped in Dynamics"
            } else if let failure = failed[number] {
                what = "NOT sent: \(failure.reason) (waits in the journal)"
            } else if state != .submitted {
                what = "left alone: not submitted"
            } else if let sent = order["lastbackofficesubmit"]?.stringValue {
                what = "left alone: already sent to the back office on \(sent)"
            } else {
                what = "left alone"
            }
            lines.append("  \(number)  \(label)  \(what)")
        }
        lines.append("")
        let repeated = received.filter { $0.deliveries > 1 }.count
        lines.append(
            "The back office holds \(received.count) orders; \(repeated == 0 ? "none was" : "\(repeated) were") received more than once.")
        return lines.joined(separator: "\n")
    }

    static func journalSummary(_ journal: Journal) throws -> String {
        let counts = try journal.countsByState()
        let parts = TransferState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }
        return "Journal: " + parts.joined(separator: ", ")
    }
}
