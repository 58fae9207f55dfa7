import BackOffice
import Dataverse
import Foundation
import JSON
import SalesRules

/// The writes a back-office event makes in Dynamics, as pure functions of the event, the order as
/// read, and the time. `InboundPipeline` only sends them (and reads what `linesChanged` and
/// `invoiced` need: the lines Dynamics has, the products the back office names).
enum InboundWrites {
    /// The first write of an event.
    enum Write: Equatable {
        /// A PATCH of the order, guarded by the ETag it was read with.
        case updateOrder([String: JSONValue], ifMatch: String)
        /// An action at its path, such as `CancelSalesOrder` or `salesorders/Microsoft.Dynamics.CRM.FulfillSalesOrder`.
        case action(String, parameters: [String: JSONValue])
        /// The lines made the back office's, with the header totals, in one changeset (`lineRequests`).
        case replaceLines
        /// The invoice, its lines and the order made Invoiced, in one changeset (`invoiceRequests`).
        case invoice
    }

    /// What an event of `kind` writes first, at `now`.
    static func write(for event: ChangeEvent, kind: ChangeEventKind, order: OrderSnapshot, now: Date) -> Write {
        let time = now.formatted(.iso8601)
        switch kind {
        case .accepted:
            let number = event.data["backOfficeOrderNumber"]?.stringValue ?? event.orderId
            return .updateOrder(
                [
                    "submitstatus": .int(SubmitStatus.accepted.rawValue),
                    "submitstatusdescription": .string("Accepted by the back office as \(number) (\(event.orderId)) on \(time)"),
                ], ifMatch: order.etag)
        case .linesChanged:
            return .replaceLines
        case .shipped where event.data["complete"]?.boolValue == false:
            let shippedAt =
                event.data["shippedAt"]?.stringValue.flatMap { text in (try? Date(text, strategy: .iso8601)).map { _ in text } } ?? time
            return .updateOrder(
                [
                    "datefulfilled": .string(shippedAt),
                    "submitstatusdescription": .string("Partly shipped by the back office (\(event.orderId)) on \(shippedAt)"),
                ], ifMatch: order.etag)
        case .shipped:
            return .action(
                "salesorders/Microsoft.Dynamics.CRM.FulfillSalesOrder",
                parameters: [
                    "OrderClose": orderClose("Shipped by the back office (\(event.orderId))", order: order),
                    "Status": .int(OrderStatus.complete.rawValue),
                ])
        case .invoiced:
            return .invoice
        case .canceled:
            return .action(
                "CancelSalesOrder",
                parameters: [
                    "OrderClose": orderClose(
                        "Canceled by the back office: \(event.data["reason"]?.stringValue ?? "no reason given")", order: order),
                    "Status": .int(OrderStatus.noMoney.rawValue),
                ])
        case .rejected, .deleted:
            let reason = event.data["reason"]?.stringValue ?? "no reason given"
            return .updateOrder(
                [
                    "statecode": .int(OrderState.active.rawValue), "statuscode": .int(OrderStatus.pending.rawValue),
                    "lastbackofficesubmit": .null, "submitstatus": .int(SubmitStatus.returned.rawValue),
                    "submitstatusdescription": .string(
                        "\(kind == .deleted ? "Deleted" : "Rejected") by the back office (\(event.orderId)): \(reason). Correct the order and submit it again."
                    ),
                ], ifMatch: order.etag)
        }
    }

    /// The changeset of an event whose write takes no reads beyond its order and `products`: its write (when
    /// `applying`; an event already applied writes none) and its timeline note, all or nothing. An `invoiced`
    /// event's write is its invoice, the invoice's lines and the order made Invoiced (guarded by the order's ETag).
    /// Nil for `linesChanged`, which reads the order's lines first and is applied on its own.
    static func changeset(
        _ event: ChangeEvent, kind: ChangeEventKind, order: OrderSnapshot, applying: Bool, products: ProductLookup, now: Date
    ) -> [BatchRequest]? {
        var requests: [BatchRequest] = []
        if applying {
            switch write(for: event, kind: kind, order: order, now: now) {
            case .updateOrder(let changes, let etag):
                requests.append(BatchRequest(method: .patch, path: "salesorders(\(order.id))", body: .object(changes), headers: ["If-Match": etag]))
            case .action(let name, let parameters):
                requests.append(BatchRequest(method: .post, path: name, body: .object(parameters)))
            case .invoice:
                requests += invoiceRequests(event, order: order, productFields: products.fields)
            case .replaceLines:
                return nil
            }
        }
        let note = note(event, kind: kind, order: order)
        requests.append(BatchRequest(method: .patch, path: "annotations(\(note.id))", body: .object(note.fields)))
        return requests
    }

    /// The `OrderClose` parameter of `FulfillSalesOrder` and `CancelSalesOrder`. It names its type: CancelSalesOrder's
    /// parameter is typed `crmbaseentity`, and "when an action requires an entity as a parameter and the type of
    /// entity is ambiguous, you must use the @odata.type property" ("Use Web API actions").
    private static func orderClose(_ subject: String, order: OrderSnapshot) -> JSONValue {
        [
            "@odata.type": "Microsoft.Dynamics.CRM.orderclose", "subject": .string(subject),
            "salesorderid@odata.bind": .string("/salesorders(\(order.id))"),
        ]
    }

    /// The changeset that makes the order's lines exactly the back office's: update the lines Dynamics
    /// has (`existing`, id to ETag), create the new ones with ids derived from the back-office line,
    /// delete the rest, and set the header totals.
    /// - Parameter productFields: The product columns of a new line (a lookup the pipeline makes).
    static func lineRequests(
        _ event: ChangeEvent, order: OrderSnapshot, existing: [String: String],
        productFields: (JSONValue) throws -> [String: JSONValue]
    ) rethrows -> [BatchRequest] {
        var kept: Set<String> = []
        var requests: [BatchRequest] = []
        for (position, line) in event.lines.enumerated() {
            let id =
                line["dynamicsLineId"]?.stringValue
                ?? DeterministicID.make("salesorderdetail", event.orderId, String(lineNumber(line, position: position)))
            kept.insert(id)
            var fields = BackOfficeNumbers.line(line)
            if let etag = existing[id] {
                fields.merge(BackOfficeNumbers.amounts(line)) { _, amount in amount }
                requests.append(BatchRequest(method: .patch, path: "salesorderdetails(\(id))", body: .object(fields), headers: ["If-Match": etag]))
                continue
            }
            fields["salesorderid@odata.bind"] = .string("/salesorders(\(order.id))")
            fields.merge(try productFields(line)) { _, product in product }
            requests.append(
                BatchRequest(method: .patch, path: "salesorderdetails(\(id))", body: .object(fields), headers: ["If-None-Match": "*"]))
            requests.append(BatchRequest(method: .patch, path: "salesorderdetails(\(id))", body: .object(BackOfficeNumbers.amounts(line))))
        }
        for (id, etag) in existing.sorted(by: { $0.key < $1.key }) where !kept.contains(id) {
            requests.append(BatchRequest(method: .delete, path: "salesorderdetails(\(id))", headers: ["If-Match": etag]))
        }
        requests.append(
            BatchRequest(
                method: .patch, path: "salesorders(\(order.id))", body: .object(BackOfficeNumbers.totals(event.data["totals"] ?? .null)),
                headers: ["If-Match": order.etag]))
        return requests
    }

    /// The changeset that writes the invoice of an `invoiced` event and its lines, and makes the order Invoiced
    /// (guarded by its ETag), all or nothing. Ids derive from the order
    /// and the back-office invoice number, and each row is written by upsert (`PATCH` without a condition), so
    /// a retry rewrites the same rows instead of making two. The amounts and totals are not valid for create;
    /// they follow in the same changeset, the invoice's totals last (sopd writes as the integration user with
    /// the switch on, when Dynamics does not compute an invoice's prices, so they stay the back office's).
    /// - Parameter productFields: The product columns of a line (a lookup the pipeline makes).
    static func invoiceRequests(
        _ event: ChangeEvent, order: OrderSnapshot, productFields: (JSONValue) throws -> [String: JSONValue]
    ) rethrows -> [BatchRequest] {
        let invoiceNumber = Self.invoiceNumber(event)
        let invoiceId = DeterministicID.make("invoice", order.id, invoiceNumber)
        var invoice: [String: JSONValue] = [
            "name": .string("\(invoiceNumber) for \(order.orderNumber)"), "invoicenumber": .string(invoiceNumber),
            "description": .string("Invoiced by the back office on \(event.data["invoiceDate"]?.stringValue ?? "?")"),
            "salesorderid@odata.bind": .string("/salesorders(\(order.id))"),
        ]
        let lookups = [
            ("customerid_account", "_customerid_value", "accounts"), ("pricelevelid", "_pricelevelid_value", "pricelevels"),
            ("transactioncurrencyid", "_transactioncurrencyid_value", "transactioncurrencies"),
        ]
        for (navigation, column, set) in lookups {
            if let id = order.row[column]?.stringValue { invoice["\(navigation)@odata.bind"] = .string("/\(set)(\(id))") }
        }
        var requests = [BatchRequest(method: .patch, path: "invoices(\(invoiceId))", body: .object(invoice))]
        for (position, line) in event.lines.enumerated() {
            let number = String(lineNumber(line, position: position))
            let path = "invoicedetails(\(DeterministicID.make("invoicedetail", order.id, invoiceNumber, number)))"
            var fields = BackOfficeNumbers.line(line)
            fields["invoiceid@odata.bind"] = .string("/invoices(\(invoiceId))")
            fields.merge(try productFields(line)) { _, product in product }
            requests.append(BatchRequest(method: .patch, path: path, body: .object(fields)))
            requests.append(BatchRequest(method: .patch, path: path, body: .object(BackOfficeNumbers.amounts(line))))
        }
        requests.append(
            BatchRequest(method: .patch, path: "invoices(\(invoiceId))", body: .object(BackOfficeNumbers.totals(event.data["totals"] ?? .null))))
        requests.append(
            BatchRequest(method: .patch, path: "salesorders(\(order.id))", body: .object(invoicedOrder(event)), headers: ["If-Match": order.etag]))
        return requests
    }

    /// The order's last write of an `invoiced` event: Invoiced, and the invoice in `submitstatusdescription` (which a
    /// partial shipment may have filled before).
    private static func invoicedOrder(_ event: ChangeEvent) -> [String: JSONValue] {
        let number = invoiceNumber(event)
        return [
            "statecode": .int(OrderState.invoiced.rawValue), "statuscode": .int(OrderStatus.invoiced.rawValue),
            "submitstatusdescription": .string(
                "Invoiced by the back office (\(event.orderId)) as \(number) on \(event.data["invoiceDate"]?.stringValue ?? "?")"),
        ]
    }

    /// The back-office invoice number of an `invoiced` event (its id when it has none).
    private static func invoiceNumber(_ event: ChangeEvent) -> String {
        event.data["invoiceNumber"]?.stringValue ?? event.id
    }

    /// A back-office line's number: its `lineNumber`, else its position in the list (from 1).
    private static func lineNumber(_ line: JSONValue, position: Int) -> Int {
        line["lineNumber"]?.intValue ?? position + 1
    }

    /// A line number the event's lines repeat, or nil: each line of `linesChanged` and `invoiced` names a row
    /// of its own (new rows get ids derived from it), so an event that repeats one is refused, not merged.
    static func repeatedLineNumber(_ event: ChangeEvent) -> Int? {
        var seen: Set<Int> = []
        for (position, line) in event.lines.enumerated()
        where !seen.insert(lineNumber(line, position: position)).inserted {
            return lineNumber(line, position: position)
        }
        return nil
    }

    /// The order's timeline note for the event; its id is derived from the event's, so it is written once.
    static func note(_ event: ChangeEvent, kind: ChangeEventKind, order: OrderSnapshot) -> (id: String, fields: [String: JSONValue]) {
        let (subject, text) = BackOfficeNumbers.note(event, kind: kind)
        return (
            DeterministicID.make("annotation", event.id),
            [
                "subject": .string(subject), "notetext": .string(text), "objecttypecode": "salesorder",
                "objectid_salesorder@odata.bind": .string("/salesorders(\(order.id))"),
            ]
        )
    }
}
