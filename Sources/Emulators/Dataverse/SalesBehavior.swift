import Foundation
import JSON
import SalesRules

/// What Dynamics 365 Sales does around a write, on top of plain Dataverse storage, decided by
/// `SalesRules`: Submit order, the read-only lock and its integration-user bypass, the
/// price-computation table, Recalculate, and invoices from orders. Every function runs inside one
/// store transaction, so a rule checked before a write still holds when it happens.
enum SalesBehavior {
    /// The Dataverse error code sopd's emulator gives a refusal by a Sales business rule (see docs/dataverse-choices.md).
    static let businessRuleErrorCode = "0x80040265"

    static func refusal(_ message: String) -> DataverseFault {
        DataverseFault(status: 400, code: businessRuleErrorCode, message: message)
    }

    private struct Caller {
        let id: String
        let isIntegrationUser: Bool
    }

    private static func caller(_ id: String, in tables: EntityTables) -> Caller {
        Caller(id: id, isIntegrationUser: tables.row("systemuser", id: id)?["isintegrationuser"]?.boolValue ?? false)
    }

    private static func sopEnabled(_ tables: EntityTables) -> Bool {
        tables.rows("organization").first?["issopintegrationenabled"]?.boolValue ?? false
    }

    private static func state(_ row: [String: JSONValue]?) -> OrderState {
        row?["statecode"]?.intValue.flatMap(OrderState.init(rawValue:)) ?? .active
    }

    /// The sales order a row of a sales order table belongs to (itself, or the order of a line).
    private static func order(of table: PricedTable, row: [String: JSONValue]?, in tables: EntityTables)
        -> [String: JSONValue]?
    {
        switch table {
        case .salesOrder: row
        case .salesOrderProduct: row?["_salesorderid_value"]?.stringValue.flatMap { tables.row("salesorder", id: $0) }
        default: nil
        }
    }

    private static func checkEditable(_ order: [String: JSONValue]?, by caller: Caller, in tables: EntityTables)
        throws(DataverseFault)
    {
        guard let order else { return }
        if case .refused(let reason) = SalesOrderProcessing.edit(
            orderState: state(order), sopIntegrationEnabled: sopEnabled(tables), callerIsIntegrationUser: caller.isIntegrationUser)
        {
            throw refusal(reason)
        }
    }

    private static func context(_ table: PricedTable, order: [String: JSONValue]?, caller: Caller, in tables: EntityTables)
        -> PriceContext
    {
        PriceContext(
            sopIntegrationEnabled: sopEnabled(tables), callerIsIntegrationUser: caller.isIntegrationUser,
            orderSubmitted: table.isSalesOrderTable && state(order) == .submitted)
    }

    /// Runs the table's decision for `operation` on the row `id` of `table` (a line re-totals its header).
    private static func computePrices(
        _ table: PricedTable, _ operation: PriceOperation, id: String, headerId: String?, caller: Caller,
        in tables: inout EntityTables
    ) throws(DataverseFault) {
        let header = table.header ?? table
        let order = table.isSalesOrderTable ? headerId.flatMap { tables.row("salesorder", id: $0) } : nil
        guard PriceComputationTable.decide(table, operation, in: context(table, order: order, caller: caller, in: tables))
            == .calculate, let headerId
        else { return }
        if table.header != nil, operation != .delete {
            try PriceCalculator.priceLine(table, id: id, in: &tables, caller: caller.id)
        }
        try PriceCalculator.totalHeader(header, id: headerId, in: &tables, caller: caller.id)
    }

    // MARK: Writes

    /// POST: creates a row, without the columns a create may not set (`EntityDefinition.writable`); a new
    /// quote, order or invoice starts Active, since `statecode` is not valid for create.
    static func create(_ entity: EntityDefinition, body: [String: JSONValue], callerId: String, in tables: inout EntityTables)
        throws(DataverseFault) -> String
    {
        let fields = entity.writable(body, creating: true)
        guard let table = PricedTable(rawValue: entity.logicalName) else {
            return try tables.create(entity.logicalName, body: fields, caller: callerId)
        }
        let caller = caller(callerId, in: tables)
        if let header = table.header {
            let headerId = try tables.boundId(fields, entity: entity, lookup: "\(header.logicalName)id")
            guard let headerId else {
                throw .badRequest("A \(table.logicalName) needs its \(header.logicalName)id@odata.bind.")
            }
            if try tables.boundId(fields, entity: entity, lookup: "productid") != nil,
                try tables.boundId(fields, entity: entity, lookup: "uomid") == nil
            {
                throw refusal(
                    "A \(table.logicalName) of an existing product needs its unit: bind uomid@odata.bind to one of the product's units.")
            }
            try checkEditable(order(of: header, row: tables.row(header.logicalName, id: headerId), in: tables), by: caller, in: tables)
            let id = try tables.create(entity.logicalName, body: fields, caller: callerId)
            try computePrices(table, .create, id: id, headerId: headerId, caller: caller, in: &tables)
            return id
        }
        if table == .salesOrder, let status = fields["statuscode"]?.intValue.flatMap(OrderStatus.init(rawValue:)),
            status.state != .active
        {
            throw refusal("A new order is Active; the status \(status.rawValue) (\(status.label)) belongs to the state \(status.state.label).")
        }
        var header = fields
        header["statecode"] = .int(OrderState.active.rawValue)
        header["statuscode"] = header["statuscode"] ?? .int(OrderStatus.new.rawValue)
        let id = try tables.create(entity.logicalName, body: header, caller: callerId)
        try computePrices(table, .create, id: id, headerId: id, caller: caller, in: &tables)
        return id
    }

    /// PATCH of an existing row, without the columns an update may not set: Submit order and other state
    /// changes, the lock, then prices.
    static func update(
        _ entity: EntityDefinition, id: String, body: [String: JSONValue], ifMatch: String?, callerId: String,
        in tables: inout EntityTables
    ) throws(DataverseFault) {
        var fields = entity.writable(body, creating: false)
        guard let table = PricedTable(rawValue: entity.logicalName) else {
            return try tables.update(entity.logicalName, id: id, body: fields, ifMatch: ifMatch, caller: callerId)
        }
        guard let row = tables.row(entity.logicalName, id: id) else { throw .notFound(entity.logicalName, id: id) }
        let caller = caller(callerId, in: tables)
        let current = state(row)
        let status = fields["statuscode"]?.intValue.flatMap(OrderStatus.init(rawValue:))
        let requested = fields["statecode"]?.intValue.flatMap(OrderState.init(rawValue:)) ?? status?.state
        if table == .salesOrder, let status, let requested, status.state != requested {
            throw refusal("The status \(status.rawValue) (\(status.label)) belongs to the state \(status.state.label), not \(requested.label).")
        }
        if table == .salesOrder, let requested, requested != current {
            if case .refused(let reason) = SalesOrderProcessing.setState(from: current, to: requested) { throw refusal(reason) }
            try checkEditable(row, by: caller, in: tables)
            if requested == .submitted { try submit(&fields, from: current, in: tables) }
        } else {
            try checkEditable(order(of: table, row: row, in: tables), by: caller, in: tables)
        }
        try tables.update(entity.logicalName, id: id, body: fields, ifMatch: ifMatch, caller: callerId)
        let headerId = table.header.map { row["_\($0.logicalName)id_value"]?.stringValue } ?? id
        try computePrices(table, .update, id: id, headerId: headerId, caller: caller, in: &tables)
    }

    /// DELETE: the lock, then (for a line) its header's totals.
    static func delete(_ entity: EntityDefinition, id: String, ifMatch: String?, callerId: String, in tables: inout EntityTables)
        throws(DataverseFault)
    {
        guard let table = PricedTable(rawValue: entity.logicalName) else {
            return try tables.delete(entity.logicalName, id: id, ifMatch: ifMatch)
        }
        guard let row = tables.row(entity.logicalName, id: id) else { throw .notFound(entity.logicalName, id: id) }
        let caller = caller(callerId, in: tables)
        try checkEditable(order(of: table, row: row, in: tables), by: caller, in: tables)
        try tables.delete(entity.logicalName, id: id, ifMatch: ifMatch)
        guard let header = table.header else { return }
        try computePrices(
            table, .delete, id: id, headerId: row["_\(header.logicalName)id_value"]?.stringValue, caller: caller,
            in: &tables)
    }

    /// Sets what Submit order sets, or refuses.
    private static func submit(_ fields: inout [String: JSONValue], from state: OrderState, in tables: EntityTables)
        throws(DataverseFault)
    {
        if case .refused(let reason) = SalesOrderProcessing.submit(sopIntegrationEnabled: sopEnabled(tables), state: state) {
            throw refusal(reason)
        }
        fields["statecode"] = .int(OrderState.submitted.rawValue)
        fields["statuscode"] = .int(OrderStatus.inProgress.rawValue)
        if fields["submitdate"] == nil { fields["submitdate"] = .string(EntityTables.timestamp()) }
    }

    // MARK: Actions

    /// `CalculatePrice` / `RecalculatePrice` on a header. A read-only order is not recomputed for a
    /// caller who may not edit it: price computation runs only on editable records.
    static func recalculate(logicalName: String, id: String, callerId: String, in tables: inout EntityTables)
        throws(DataverseFault)
    {
        guard let table = PricedTable(rawValue: logicalName) else {
            throw .badRequest("Prices are computed for opportunity, quote, salesorder and invoice, not \(logicalName).")
        }
        guard table.header == nil else {
            throw .badRequest(
                "Recalculate is not applicable to \(table.logicalName); recalculate its \(table.header!.logicalName).")
        }
        guard let row = tables.row(logicalName, id: id) else { throw .notFound(logicalName, id: id) }
        let caller = caller(callerId, in: tables)
        let order = order(of: table, row: row, in: tables)
        guard PriceComputationTable.decide(table, .recalculate, in: context(table, order: order, caller: caller, in: tables))
            == .calculate
        else { return }
        try checkEditable(order, by: caller, in: tables)
        try PriceCalculator.recalculate(table, id: id, in: &tables, caller: callerId)
    }

    /// `ConvertSalesOrderToInvoice`: refused while the switch is on; otherwise an invoice with the
    /// order's lines, priced by the invoice rules.
    static func createInvoice(fromOrder orderId: String, callerId: String, in tables: inout EntityTables)
        throws(DataverseFault) -> String
    {
        if case .refused(let reason) = SalesOrderProcessing.createInvoiceFromOrder(sopIntegrationEnabled: sopEnabled(tables)) {
            throw refusal(reason)
        }
        guard let order = tables.row("salesorder", id: orderId) else { throw .notFound("salesorder", id: orderId) }
        let copied = [
            "name", "description", "discountamount", "discountpercentage", "freightamount", "billto_name", "billto_line1",
            "billto_city", "billto_postalcode", "billto_country", "shipto_name", "shipto_line1", "shipto_city",
            "shipto_postalcode", "shipto_country",
        ]
        var invoice: [String: JSONValue] = ["salesorderid@odata.bind": .string("/salesorders(\(orderId))")]
        for column in copied { if let value = order[column] { invoice[column] = value } }
        let lookups = [("customerid_account", "customerid", "accounts"), ("pricelevelid", "pricelevelid", "pricelevels"),
            ("transactioncurrencyid", "transactioncurrencyid", "transactioncurrencies")]
        for (navigation, lookup, set) in lookups {
            if let target = order["_\(lookup)_value"]?.stringValue { invoice["\(navigation)@odata.bind"] = .string("/\(set)(\(target))") }
        }
        let schema = tables.schema
        let invoiceId = try create(schema.entities["invoice"]!, body: invoice, callerId: callerId, in: &tables)
        let lineColumns = [
            "quantity", "priceperunit", "manualdiscountamount", "tax", "ispriceoverridden",
            "isproductoverridden", "productdescription", "lineitemnumber",
        ]
        for line in tables.rows("salesorderdetail") where line["_salesorderid_value"]?.stringValue == orderId {
            var copy: [String: JSONValue] = ["invoiceid@odata.bind": .string("/invoices(\(invoiceId))")]
            for column in lineColumns { if let value = line[column] { copy[column] = value } }
            if let product = line["_productid_value"]?.stringValue { copy["productid@odata.bind"] = .string("/products(\(product))") }
            if let unit = line["_uomid_value"]?.stringValue { copy["uomid@odata.bind"] = .string("/uoms(\(unit))") }
            _ = try create(schema.entities["invoicedetail"]!, body: copy, callerId: callerId, in: &tables)
        }
        return invoiceId
    }

    /// `FulfillSalesOrder` and `CancelSalesOrder`: closes the order named by the `OrderClose`
    /// with `status`, as the lock allows. The `OrderClose` activity itself is not kept. CancelSalesOrder's
    /// `OrderClose` is typed `crmbaseentity`, so it must name its type with `@odata.type` ("Use Web API actions":
    /// "When an action requires an entity as a parameter and the type of entity is ambiguous, you must use the
    /// @odata.type property"); FulfillSalesOrder's is typed `orderclose`, where the annotation may be left out.
    static func close(orderClose: JSONValue, status: Int, fulfill: Bool, callerId: String, in tables: inout EntityTables)
        throws(DataverseFault)
    {
        let action = fulfill ? "FulfillSalesOrder" : "CancelSalesOrder"
        switch orderClose["@odata.type"]?.stringValue.map({ $0.hasPrefix("#") ? String($0.dropFirst()) : $0 }) {
        case "Microsoft.Dynamics.CRM.orderclose": break
        case nil where fulfill: break
        case nil:
            throw .badRequest(
                "The OrderClose of \(action) is typed crmbaseentity: name its type with \"@odata.type\": \"Microsoft.Dynamics.CRM.orderclose\".")
        case let other?:
            throw .badRequest("The OrderClose of \(action) must be a Microsoft.Dynamics.CRM.orderclose, not \(other).")
        }
        guard let reference = orderClose["salesorderid@odata.bind"]?.stringValue,
            let open = reference.lastIndex(of: "("), reference.hasSuffix(")")
        else { throw .badRequest("\(action) needs an OrderClose with salesorderid@odata.bind.") }
        let orderId = String(reference[reference.index(after: open)..<reference.index(before: reference.endIndex)])
        guard let order = tables.row("salesorder", id: orderId) else { throw .notFound("salesorder", id: orderId) }
        guard let newStatus = OrderStatus(rawValue: status) else { throw .badRequest("\(action): unknown Status \(status).") }
        let caller = caller(callerId, in: tables)
        try checkEditable(order, by: caller, in: tables)
        let current = state(order)
        let verdict =
            fulfill
            ? SalesOrderProcessing.fulfill(state: current, newStatus: newStatus)
            : SalesOrderProcessing.cancel(state: current, newStatus: newStatus)
        if case .refused(let reason) = verdict { throw refusal(reason) }
        try tables.update(
            "salesorder", id: orderId,
            body: ["statecode": .int(newStatus.state.rawValue), "statuscode": .int(newStatus.rawValue)], ifMatch: nil,
            caller: callerId)
    }
}
