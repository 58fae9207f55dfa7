import BackOffice
import Dataverse
import Foundation
import JSON
import SalesRules
@testable import Sync
import Testing

/// What a back-office event writes into Dynamics, decided without a socket.
@Suite struct InboundWritesTests {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)
    private let order = OrderSnapshot(
        id: "d1000000-0000-0000-0000-000000001001",
        row: [
            "ordernumber": "SO-01001", "statecode": 1, "statuscode": 3, "submitstatus": 2,
            "lastbackofficesubmit": "2027-01-15T07:00:00Z", "@odata.etag": "W/\"42\"",
            "_customerid_value": "a1", "_pricelevelid_value": "p1", "_transactioncurrencyid_value": "c1",
        ])

    private func event(_ kind: ChangeEventKind, _ data: JSONValue = [:]) throws -> ChangeEvent {
        try #require(
            ChangeEvent([
                "id": "evt-000007", "sequence": 7, "type": .string(kind.rawValue), "orderId": "BO-000001",
                "dynamicsOrderId": .string(order.id), "orderNumber": "SO-01001", "data": data,
            ]))
    }

    @Test func acceptedIsAnETagGuardedStatusUpdate() throws {
        let write = InboundWrites.write(
            for: try event(.accepted, ["backOfficeOrderNumber": "ERP-77"]), kind: .accepted, order: order, now: now)
        #expect(
            write
                == .updateOrder(
                    [
                        "submitstatus": .int(SubmitStatus.accepted.rawValue),
                        "submitstatusdescription": "Accepted by the back office as ERP-77 (BO-000001) on 2027-01-15T08:00:00Z",
                    ], ifMatch: "W/\"42\""))
    }

    /// A complete shipment and a cancellation close the order through their actions, addressed as their
    /// references bind them and with a typed `OrderClose`; a partial shipment leaves the order open and
    /// shows the date shipped.
    @Test func completeShipmentsAndCancellationsCloseTheOrderAndPartialShipmentsDoNot() throws {
        guard case .action(let name, let parameters) = InboundWrites.write(
            for: try event(.shipped, ["complete": true]), kind: .shipped, order: order, now: now)
        else { Issue.record("a complete shipment is an action"); return }
        #expect(name == "salesorders/Microsoft.Dynamics.CRM.FulfillSalesOrder")
        #expect(parameters["Status"] == .int(OrderStatus.complete.rawValue))
        #expect(parameters["OrderClose"]?["@odata.type"] == "Microsoft.Dynamics.CRM.orderclose")
        #expect(parameters["OrderClose"]?["salesorderid@odata.bind"] == .string("/salesorders(\(order.id))"))
        guard case .action(let cancel, let cancelParameters) = InboundWrites.write(
            for: try event(.canceled, ["reason": "out of stock"]), kind: .canceled, order: order, now: now)
        else { Issue.record("canceled is an action"); return }
        #expect(cancel == "CancelSalesOrder")
        #expect(cancelParameters["OrderClose"]?["subject"] == "Canceled by the back office: out of stock")
        #expect(cancelParameters["OrderClose"]?["@odata.type"] == "Microsoft.Dynamics.CRM.orderclose")
        #expect(cancelParameters["Status"] == .int(OrderStatus.noMoney.rawValue))
        let partial = InboundWrites.write(
            for: try event(.shipped, ["complete": false, "shippedAt": "2027-01-14T10:00:00Z"]), kind: .shipped, order: order, now: now)
        guard case .updateOrder(let changes, let etag) = partial else { Issue.record("a partial shipment is an update"); return }
        #expect(etag == "W/\"42\"")
        #expect(changes["datefulfilled"] == "2027-01-14T10:00:00Z")
        #expect(changes["statecode"] == nil, "the order stays open")
        guard case .updateOrder(let unreadable, _) = InboundWrites.write(
            for: try event(.shipped, ["complete": false, "shippedAt": "yesterday"]), kind: .shipped, order: order, now: now)
        else { Issue.record("a partial shipment is an update"); return }
        #expect(unreadable["datefulfilled"] == "2027-01-15T08:00:00Z", "a date that is not one is replaced by the time applied")
    }

    @Test func aReturnedOrderGoesBackToTheSalespersonUnsent() throws {
        let write = InboundWrites.write(for: try event(.deleted, ["reason": "duplicate"]), kind: .deleted, order: order, now: now)
        guard case .updateOrder(let changes, let etag) = write else { Issue.record("deleted is an update"); return }
        #expect(etag == "W/\"42\"")
        #expect(changes["statecode"] == .int(OrderState.active.rawValue))
        #expect(changes["lastbackofficesubmit"] == .null)
        #expect(changes["submitstatus"] == .int(SubmitStatus.returned.rawValue))
        #expect(changes["submitstatusdescription"]?.stringValue?.hasPrefix("Deleted by the back office (BO-000001): duplicate.") == true)
    }

    @Test func linesChangedKeepsUpdatesCreatesAndDeletesWithTheTotalsInOneChangeset() throws {
        let known = "11111111-0000-0000-0000-000000000001"
        let event = try event(
            .linesChanged,
            [
                "lines": [
                    ["lineNumber": 1, "dynamicsLineId": .string(known), "quantity": 2, "unitPrice": "9.50"],
                    ["lineNumber": 2, "quantity": 1, "unitPrice": "3.00", "product": ["number": "P-2"]],
                ],
                "totals": ["totalAmount": "22.00"],
            ])
        var looked: [Int] = []
        let requests = InboundWrites.lineRequests(
            event, order: order, existing: [known: "W/\"1\"", "gone": "W/\"2\""],
            productFields: { line in
                looked.append(line["lineNumber"]?.intValue ?? 0)
                return ["productid@odata.bind": "/products(p2)"]
            })
        #expect(looked == [2], "only a new line needs its product")
        #expect(requests.map(\.method) == [.patch, .patch, .patch, .delete, .patch])
        #expect(requests[0].headers["If-Match"] == "W/\"1\"")
        #expect(requests[0].body?["baseamount"] != nil, "an update may set a line's amounts")
        let created = "salesorderdetails(\(DeterministicID.make("salesorderdetail", "BO-000001", "2")))"
        #expect(requests[1].headers["If-None-Match"] == "*")
        #expect(requests[1].path == created)
        #expect(requests[1].body?["baseamount"] == nil, "a create may not: the amounts follow")
        #expect(requests[2].path == created)
        #expect(requests[2].body?["extendedamount"] != nil)
        #expect(requests[3].path == "salesorderdetails(gone)")
        #expect(requests[4].path == "salesorders(\(order.id))")
        #expect(requests[4].headers["If-Match"] == "W/\"42\"")
        #expect(requests[4].body?["totalamount"] == "22.00")
    }

    /// One changeset of upserts with ids a retry finds again; amounts and totals after the rows exist.
    @Test func anInvoiceAndItsLinesAreOneChangesetARetryRewrites() throws {
        let event = try event(
            .invoiced,
            ["invoiceNumber": "INV-9", "lines": [["lineNumber": 1, "quantity": 1, "baseAmount": "5"]], "totals": ["totalAmount": "5"]])
        let requests = InboundWrites.invoiceRequests(event, order: order) { _ in ["isproductoverridden": true] }
        let invoice = "invoices(\(DeterministicID.make("invoice", order.id, "INV-9")))"
        let line = "invoicedetails(\(DeterministicID.make("invoicedetail", order.id, "INV-9", "1")))"
        #expect(requests.map(\.path) == [invoice, line, line, invoice, "salesorders(\(order.id))"])
        #expect(
            requests.dropLast().allSatisfy { $0.method == .patch && $0.headers["If-Match"] == nil && $0.headers["If-None-Match"] == nil },
            "upserts: a retry rewrites the same rows")
        #expect(requests[0].body?["customerid_account@odata.bind"] == "/accounts(a1)")
        #expect(requests[0].body?["name"] == "INV-9 for SO-01001")
        #expect(requests[0].body?["totalamount"] == nil, "totals are not valid for create")
        #expect(requests[1].body?["invoiceid@odata.bind"] == .string("/\(invoice)"))
        #expect(requests[1].body?["baseamount"] == nil)
        #expect(requests[2].body?["baseamount"] == "5")
        #expect(requests[3].body?["totalamount"] == "5")
        #expect(requests[4].headers["If-Match"] == order.etag, "the order made Invoiced in the same changeset, as read")
        #expect(requests[4].body?["statecode"] == .int(OrderState.invoiced.rawValue))
        #expect(requests[4].body?["submitstatusdescription"]?.stringValue?.contains("INV-9") == true)
        let repeated = try self.event(.invoiced, ["lines": [["lineNumber": 1], ["lineNumber": 2], ["lineNumber": 1]]])
        #expect(InboundWrites.repeatedLineNumber(repeated) == 1, "a repeated line would overwrite another")
        #expect(InboundWrites.repeatedLineNumber(try self.event(.invoiced, ["lines": [[:], [:]]])) == nil, "numbered by position")
    }

    @Test func theNoteIsWrittenOncePerEvent() throws {
        let note = InboundWrites.note(try event(.accepted), kind: .accepted, order: order)
        #expect(note.id == DeterministicID.make("annotation", "evt-000007"))
        #expect(note.fields["subject"] == "Accepted by the back office")
        #expect(note.fields["objectid_salesorder@odata.bind"] == .string("/salesorders(\(order.id))"))
    }
}
