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

    @Test func shippedAndCanceledAreTheActionsThatCloseTheOrder() throws {
        guard case .action(let name, let parameters) = InboundWrites.write(
            for: try event(.shipped, ["complete": false]), kind: .shipped, order: order, now: now)
        else { Issue.record("shipped is an action"); return }
        #expect(name == "FulfillSalesOrder")
        #expect(parameters["Status"] == .int(OrderStatus.partial.rawValue))
        #expect(parameters["OrderClose"]?["salesorderid@odata.bind"] == .string("/salesorders(\(order.id))"))
        guard case .action(let cancel, let cancelParameters) = InboundWrites.write(
            for: try event(.canceled, ["reason": "out of stock"]), kind: .canceled, order: order, now: now)
        else { Issue.record("canceled is an action"); return }
        #expect(cancel == "CancelSalesOrder")
        #expect(cancelParameters["OrderClose"]?["subject"] == "Canceled by the back office: out of stock")
        #expect(cancelParameters["Status"] == .int(OrderStatus.noMoney.rawValue))
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
        #expect(requests.map(\.method) == [.patch, .patch, .delete, .patch])
        #expect(requests[0].headers["If-Match"] == "W/\"1\"")
        #expect(requests[1].headers["If-None-Match"] == "*")
        #expect(requests[1].path == "salesorderdetails(\(DeterministicID.make("salesorderdetail", "BO-000001", "2")))")
        #expect(requests[2].path == "salesorderdetails(gone)")
        #expect(requests[3].path == "salesorders(\(order.id))")
        #expect(requests[3].headers["If-Match"] == "W/\"42\"")
        #expect(requests[3].body?["totalamount"] == "22.00")
    }

    @Test func anInvoiceAndItsLinesHaveIdsARetryFindsAgain() throws {
        let event = try event(
            .invoiced, ["invoiceNumber": "INV-9", "lines": [["lineNumber": 1, "quantity": 1]], "totals": ["totalAmount": "5"]])
        let invoice = InboundWrites.invoice(event, order: order)
        #expect(invoice.id == DeterministicID.make("invoice", "INV-9"))
        #expect(invoice.fields["customerid_account@odata.bind"] == "/accounts(a1)")
        #expect(invoice.fields["name"] == "INV-9 for SO-01001")
        let lines = InboundWrites.invoiceLines(event) { _ in ["isproductoverridden": true] }
        #expect(lines.map(\.id) == [DeterministicID.make("invoicedetail", "INV-9", "1")])
        #expect(lines.first?.fields["invoiceid@odata.bind"] == .string("/invoices(\(invoice.id))"))
        #expect(InboundWrites.invoicedOrder["statecode"] == .int(OrderState.invoiced.rawValue))
    }

    @Test func theNoteIsWrittenOncePerEvent() throws {
        let note = InboundWrites.note(try event(.accepted), kind: .accepted, order: order)
        #expect(note.id == DeterministicID.make("annotation", "evt-000007"))
        #expect(note.fields["subject"] == "Accepted by the back office")
        #expect(note.fields["objectid_salesorder@odata.bind"] == .string("/salesorders(\(order.id))"))
    }
}
