import JSON

/// Turns a submitted order read through `SubmittedOrdersQuery` into the back office's canonical
/// order document (contract v1, `docs/backoffice-api.yaml`). Pure: no IO. Amounts are copied as
/// their JSON literals, digit for digit.
public enum OrderDocumentMapper {
    /// The order's document.
    /// - Throws: `OrderMappingError` when the row lacks what every document needs (its id or number).
    /// - Parameter intake: The extra columns copied, under `extra`, into the document and each line (none by default:
    ///   the document has no `extra` then).
    public static func document(from order: JSONValue, intake: IntakeSettings = IntakeSettings()) throws(OrderMappingError) -> JSONValue {
        guard let orderId = order["salesorderid"]?.stringValue else {
            throw OrderMappingError(orderNumber: nil, message: "the row has no salesorderid")
        }
        guard let orderNumber = order["ordernumber"]?.stringValue, !orderNumber.isEmpty else {
            throw OrderMappingError(orderNumber: nil, message: "order \(orderId) has no ordernumber")
        }
        guard order[SubmittedOrdersQuery.linesNextLink] == nil else {
            throw OrderMappingError(
                orderNumber: orderNumber,
                message: "not all lines of order \(orderNumber) could be read (its order_details@odata.nextLink was not followed to the end), so it is not sent with lines missing")
        }
        let account = order["customerid_account"] ?? .null
        let owner = order["owninguser"] ?? .null
        let lines = Self.sortedLines(order[SubmittedOrdersQuery.lines]?.arrayValue ?? []).enumerated().map { index, line in
            Self.extra(Self.line(line, position: index + 1), from: line, columns: intake.extraLineColumns)
        }
        let document: JSONValue = [
            "orderNumber": .string(orderNumber),
            "name": order["name"] ?? .null,
            "dynamics": [
                "salesOrderId": .string(orderId),
                "customerId": order["_customerid_value"] ?? .null,
                "ownerId": order["_ownerid_value"] ?? .null,
                "priceLevelId": order["_pricelevelid_value"] ?? .null,
            ],
            "submittedAt": order["submitdate"] ?? .null,
            "customer": account.isNull
                ? .null
                : [
                    "name": account["name"] ?? .null,
                    "accountNumber": account["accountnumber"] ?? .null,
                    "billTo": address(order, prefix: "billto_"),
                    "shipTo": address(order, prefix: "shipto_"),
                ],
            "owner": owner.isNull
                ? .null : ["name": owner["fullname"] ?? .null, "email": owner["internalemailaddress"] ?? .null],
            "currency": order["transactioncurrencyid"]?["isocurrencycode"] ?? .null,
            "priceList": order["pricelevelid"]?["name"] ?? .null,
            "requestedDeliveryDate": order["requestdeliveryby"] ?? .null,
            "paymentTermsCode": order["paymenttermscode"] ?? .null,
            "freightTermsCode": order["freighttermscode"] ?? .null,
            "discountAmount": order["discountamount"] ?? .null,
            "discountPercentage": order["discountpercentage"] ?? .null,
            "freightAmount": order["freightamount"] ?? .null,
            "lines": .array(lines),
            "totals": [
                "lineItemAmount": order["totallineitemamount"] ?? .null,
                "lineItemDiscountAmount": order["totallineitemdiscountamount"] ?? .null,
                "discountAmount": order["totaldiscountamount"] ?? .null,
                "amountLessFreight": order["totalamountlessfreight"] ?? .null,
                "tax": order["totaltax"] ?? .null,
                "totalAmount": order["totalamount"] ?? .null,
            ],
        ]
        return Self.extra(document, from: order, columns: intake.extraOrderColumns)
    }

    /// `document` with `extra`: each of `columns` as the row has it (null when it has none), when there are columns.
    private static func extra(_ document: JSONValue, from row: JSONValue, columns: [String]) -> JSONValue {
        guard !columns.isEmpty, case .object(var members) = document else { return document }
        members["extra"] = .object(Dictionary(columns.map { ($0, row[$0] ?? .null) }, uniquingKeysWith: { first, _ in first }))
        return .object(members)
    }

    /// Lines in `lineitemnumber` order (Dataverse returns paged lines unordered); lines without a number
    /// keep their place after the numbered ones.
    private static func sortedLines(_ lines: [JSONValue]) -> [JSONValue] {
        lines.enumerated().sorted { left, right in
            switch (left.element["lineitemnumber"]?.intValue, right.element["lineitemnumber"]?.intValue) {
            case (let a?, let b?) where a != b: return a < b
            case (.some, nil): return true
            case (nil, .some): return false
            default: return left.offset < right.offset
            }
        }.map(\.element)
    }

    private static func address(_ order: JSONValue, prefix: String) -> JSONValue {
        [
            "name": order[prefix + "name"] ?? .null, "line1": order[prefix + "line1"] ?? .null,
            "city": order[prefix + "city"] ?? .null, "postalCode": order[prefix + "postalcode"] ?? .null,
            "country": order[prefix + "country"] ?? .null,
        ]
    }

    private static func line(_ line: JSONValue, position: Int) -> JSONValue {
        let product = line["productid"] ?? .null
        return [
            "lineNumber": line["lineitemnumber"]?.intValue.map(JSONValue.int) ?? .int(position),
            "dynamicsLineId": line["salesorderdetailid"] ?? .null,
            "product": product.isNull
                ? .null
                : ["id": line["_productid_value"] ?? .null, "number": product["productnumber"] ?? .null,
                    "name": product["name"] ?? .null],
            "description": line["productdescription"] ?? .null,
            "quantity": line["quantity"] ?? .null,
            "unit": line["uomid"]?["name"] ?? .null,
            "unitPrice": line["priceperunit"] ?? .null,
            "volumeDiscountPerUnit": line["volumediscountamount"] ?? .null,
            "manualDiscountAmount": line["manualdiscountamount"] ?? .null,
            "tax": line["tax"] ?? .null,
            "baseAmount": line["baseamount"] ?? .null,
            "extendedAmount": line["extendedamount"] ?? .null,
        ]
    }
}
