import Foundation
import JSON
import SalesRules

/// Dynamics' price computation on the emulator's tables: unit prices from the price list, line
/// amounts and header totals, with `SalesRules`' arithmetic and the currency's precision. It writes
/// only computed columns; whether it runs at all is `PriceComputationTable`'s decision.
enum PriceCalculator {
    /// Prices one line (unless its price or product is overridden) and computes its amounts.
    static func priceLine(_ line: PricedTable, id: String, in tables: inout EntityTables, caller: String)
        throws(DataverseFault)
    {
        guard let header = line.header, let row = tables.row(line.logicalName, id: id),
            let headerId = row["_\(header.logicalName)id_value"]?.stringValue,
            let headerRow = tables.row(header.logicalName, id: headerId)
        else { return }
        var pricePerUnit = decimal(row["priceperunit"])
        var changes: [String: JSONValue] = [:]
        let overridden = row["ispriceoverridden"]?.boolValue == true || row["isproductoverridden"]?.boolValue == true
        if !overridden, let productId = row["_productid_value"]?.stringValue {
            pricePerUnit = try listPrice(product: productId, header: headerRow, in: tables)
        }
        let precision = self.precision(of: headerRow, in: tables)
        let amounts = OrderLineAmounts(
            quantity: decimal(row["quantity"]), pricePerUnit: pricePerUnit,
            volumeDiscountPerUnit: decimal(row["volumediscountamount"]), manualDiscount: decimal(row["manualdiscountamount"]),
            tax: decimal(row["tax"]), precision: precision)
        changes["priceperunit"] = .number(Money.literal(pricePerUnit, precision: precision))
        changes["baseamount"] = .number(Money.literal(amounts.baseAmount, precision: precision))
        changes["extendedamount"] = .number(Money.literal(amounts.extendedAmount, precision: precision))
        try tables.update(line.logicalName, id: id, body: changes, ifMatch: nil, caller: caller)
    }

    /// Computes a header's totals from its lines, discounts and freight.
    static func totalHeader(_ header: PricedTable, id: String, in tables: inout EntityTables, caller: String)
        throws(DataverseFault)
    {
        guard let lineTable = header.lines, let row = tables.row(header.logicalName, id: id) else { return }
        let lines = tables.rows(lineTable.logicalName).filter { $0["_\(header.logicalName)id_value"]?.stringValue == id }
        let precision = self.precision(of: row, in: tables)
        let totals = OrderTotals(
            lines: lines.map {
                .init(baseAmount: decimal($0["baseamount"]), manualDiscount: decimal($0["manualdiscountamount"]), tax: decimal($0["tax"]))
            },
            discountAmount: decimal(row["discountamount"]), discountPercentage: decimal(row["discountpercentage"]),
            freightAmount: decimal(row["freightamount"]), precision: precision)
        let money = { (value: Decimal) in JSONValue.number(Money.literal(value, precision: precision)) }
        try tables.update(
            header.logicalName, id: id,
            body: [
                "totallineitemamount": money(totals.totalLineItemAmount),
                "totallineitemdiscountamount": money(totals.totalLineItemDiscountAmount),
                "totaldiscountamount": money(totals.totalDiscountAmount),
                "totalamountlessfreight": money(totals.totalAmountLessFreight), "totaltax": money(totals.totalTax),
                "totalamount": money(totals.totalAmount),
            ], ifMatch: nil, caller: caller)
    }

    /// Re-prices every line of a header, then its totals ("Recalculate").
    static func recalculate(_ header: PricedTable, id: String, in tables: inout EntityTables, caller: String)
        throws(DataverseFault)
    {
        guard let lineTable = header.lines else { return }
        let key = "\(lineTable.logicalName)id"
        for line in tables.rows(lineTable.logicalName) where line["_\(header.logicalName)id_value"]?.stringValue == id {
            if let lineId = line[key]?.stringValue { try priceLine(lineTable, id: lineId, in: &tables, caller: caller) }
        }
        try totalHeader(header, id: id, in: &tables, caller: caller)
    }

    private static func listPrice(product: String, header: [String: JSONValue], in tables: EntityTables)
        throws(DataverseFault) -> Decimal
    {
        guard let priceList = header["_pricelevelid_value"]?.stringValue else {
            throw .badRequest("The price list (pricelevelid) must be set before products are added or prices computed.")
        }
        let item = tables.rows("productpricelevel").first {
            $0["_pricelevelid_value"]?.stringValue == priceList && $0["_productid_value"]?.stringValue == product
        }
        guard let amount = item?["amount"] else {
            let number = tables.row("product", id: product)?["productnumber"]?.stringValue ?? product
            let name = tables.row("pricelevel", id: priceList)?["name"]?.stringValue ?? priceList
            throw .badRequest("The product \(number) is not in the price list \(name).")
        }
        return decimal(amount)
    }

    private static func precision(of header: [String: JSONValue], in tables: EntityTables) -> Int {
        header["_transactioncurrencyid_value"]?.stringValue
            .flatMap { tables.row("transactioncurrency", id: $0)?["currencyprecision"]?.intValue } ?? 2
    }

    private static func decimal(_ value: JSONValue?) -> Decimal {
        value?.numberText.flatMap { Decimal(string: $0) } ?? 0
    }
}
