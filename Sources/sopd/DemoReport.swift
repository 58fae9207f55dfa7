import Emulators
import Journal
import SalesRules
import Sync
import Transfers

/// The demo's printout: every order with what happened to it and why.
enum DemoReport {
    /// The orders after the first cycle; `held` says what the back office holds (how many, and how many twice).
    static func render(report: CycleReport, orders: [[String: JSONValue]], held: String) -> String {
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
                what = "NOT sent: \(failure.reason)" + (state == .active ? "; back with the salesperson" : "; waits in the journal")
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
        lines.append(held)
        return lines.joined(separator: "\n")
    }

    /// The events applied in Dynamics, then each order they touched as Dynamics shows it now.
    static func renderChanges(_ inbound: InboundReport, store: EntityStore) -> String {
        var lines = ["Events applied (\(inbound.applied.count)):"]
        for event in inbound.applied { lines.append("  \(event.orderNumber)  \(event.type)") }
        for failure in inbound.failed { lines.append("  \(failure.orderNumber)  \(failure.type) NOT applied: \(failure.reason)") }
        let touched = Set(inbound.applied.map(\.orderNumber))
        lines.append("")
        lines.append("Those orders in Dynamics now:")
        let orders = store.rows("salesorder").filter { touched.contains($0["ordernumber"]?.stringValue ?? "") }
            .sorted { ($0["ordernumber"]?.stringValue ?? "") < ($1["ordernumber"]?.stringValue ?? "") }
        for order in orders {
            let id = order["salesorderid"]?.stringValue ?? ""
            let state = order["statecode"]?.intValue.flatMap(OrderState.init(rawValue:))
            let status = order["statuscode"]?.intValue.flatMap(OrderStatus.init(rawValue:))
            let notes = store.rows("annotation").filter { $0["_objectid_value"]?.stringValue == id }.count
            let invoices = store.rows("invoice").filter { $0["_salesorderid_value"]?.stringValue == id }
            var text = "  \(order["ordernumber"]?.stringValue ?? "?")  \(state?.label ?? "?")/\(status?.label ?? "?")"
            text += ", total \(order["totalamount"]?.numberText ?? "?"), \(notes) timeline note(s)"
            if let invoice = invoices.first { text += ", invoice \(invoice["invoicenumber"]?.stringValue ?? "?")" }
            if let description = order["submitstatusdescription"]?.stringValue { text += " — \(description)" }
            lines.append(text)
        }
        return lines.joined(separator: "\n")
    }

    static func journalSummary(_ journal: Journal) throws -> String {
        let counts = try journal.countsByState()
        let parts = TransferState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }
        return "Journal: " + parts.joined(separator: ", ")
    }
}
