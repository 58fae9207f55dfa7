import Foundation
import SalesRules

/// Sample data for the Dataverse emulator: the organization and users always, and on request
/// accounts, products, a price list and 20 orders in every state.
public enum DemoData {
    /// A deterministic GUID: `kind` (two hex digits) and a number, such as `d1000000-0000-0000-0000-000000000007`.
    public static func guid(_ kind: String, _ number: Int) -> String {
        "\(kind)000000-0000-0000-0000-\(String(format: "%012d", number))"
    }

    /// The USD currency.
    public static let currencyId = guid("cc", 1)
    /// The unit "Each".
    public static let unitId = guid("ee", 1)
    /// The price list "Retail 2026".
    public static let priceListId = guid("bb", 1)

    static let products: [(number: String, name: String, price: Decimal)] = [
        ("P-1001", "Pallet jack", 450), ("P-1002", "Shelving unit", 129.9), ("P-1003", "Safety gloves (box)", 19.5),
        ("P-1004", "Label printer", 289), ("P-1005", "Stretch film roll", 24.75),
    ]

    static let accounts: [(name: String, number: String, city: String, country: String)] = [
        ("Northwind Traders", "A-1001", "Seattle", "US"), ("Fabrikam Inc.", "A-1002", "Denver", "US"),
        ("Adventure Works", "A-1003", "Portland", "US"), ("Tailspin Toys", "A-1004", "Austin", "US"),
    ]

    /// Adds the organization, sopd's application user (an integration user that may impersonate),
    /// an integration user to impersonate, and a salesperson.
    /// - Parameter sopIntegrationEnabled: The value of `organization.issopintegrationenabled`.
    public static func seedIdentities(into store: EntityStore, sopIntegrationEnabled: Bool) throws(DataverseFault) {
        try store.create(
            "organization",
            body: [
                "organizationid": .string(EmulatorIdentities.organizationId), "name": "Contoso",
                "issopintegrationenabled": .bool(sopIntegrationEnabled),
            ], caller: nil)
        try store.create(
            "systemuser",
            body: [
                "systemuserid": .string(EmulatorIdentities.applicationUserId), "fullname": "sopd (application user)",
                "isintegrationuser": true, "azureactivedirectoryobjectid": .string(guid("ad", 1)),
                "applicationid": .string(guid("a9", 1)),
            ], caller: nil)
        try store.create(
            "systemuser",
            body: [
                "systemuserid": .string(EmulatorIdentities.integrationUserId), "fullname": "Back-office integration",
                "isintegrationuser": true,
                "azureactivedirectoryobjectid": .string(EmulatorIdentities.integrationUserObjectId),
            ], caller: nil)
        try store.create(
            "systemuser",
            body: [
                "systemuserid": .string(EmulatorIdentities.salesUserId), "fullname": "Sam Seller",
                "internalemailaddress": "sam.seller@contoso.example", "isintegrationuser": false,
                "azureactivedirectoryobjectid": .string(guid("ad", 2)),
            ], caller: nil)
    }

    /// Adds the currency, unit, products, the price list with an item per product, and the accounts that orders refer to.
    public static func seedCatalog(into store: EntityStore) throws(DataverseFault) {
        try store.create(
            "transactioncurrency",
            body: [
                "transactioncurrencyid": .string(currencyId), "isocurrencycode": "USD", "currencyname": "US Dollar",
                "currencyprecision": 2,
            ], caller: nil)
        try store.create("uom", body: ["uomid": .string(unitId), "name": "Each"], caller: nil)
        try store.create(
            "pricelevel",
            body: [
                "pricelevelid": .string(priceListId), "name": "Retail 2026",
                "transactioncurrencyid@odata.bind": .string("/transactioncurrencies(\(currencyId))"),
            ], caller: nil)
        for (index, product) in products.enumerated() {
            try store.create(
                "product",
                body: [
                    "productid": .string(guid("dd", index + 1)), "productnumber": .string(product.number),
                    "name": .string(product.name), "price": .number(Money.literal(product.price)),
                    "defaultuomid@odata.bind": .string("/uoms(\(unitId))"),
                ], caller: nil)
            try store.create(
                "productpricelevel",
                body: [
                    "productpricelevelid": .string(guid("bc", index + 1)),
                    "pricelevelid@odata.bind": .string("/pricelevels(\(priceListId))"),
                    "productid@odata.bind": .string("/products(\(guid("dd", index + 1)))"),
                    "uomid@odata.bind": .string("/uoms(\(unitId))"), "amount": .number(Money.literal(product.price)),
                ], caller: nil)
        }
        for (index, account) in accounts.enumerated() {
            try store.create(
                "account",
                body: [
                    "accountid": .string(guid("ac", index + 1)), "name": .string(account.name),
                    "accountnumber": .string(account.number), "address1_line1": .string("\(100 + index) Main Street"),
                    "address1_city": .string(account.city), "address1_postalcode": .string("9800\(index)"),
                    "address1_country": .string(account.country),
                ], caller: nil)
        }
    }

    /// One order line: a catalog product (by index) or a write-in description.
    public struct Line: Sendable {
        /// The index of the catalog product, or nil for a write-in line.
        public var product: Int?
        /// The description of a write-in line.
        public var writeIn: String?
        /// Units ordered.
        public var quantity: Decimal
        /// The manual discount of the line.
        public var manualDiscount: Decimal

        /// A line for catalog product `product`.
        public static func product(_ product: Int, quantity: Decimal, discount: Decimal = 0) -> Line {
            Line(product: product, writeIn: nil, quantity: quantity, manualDiscount: discount)
        }

        /// A write-in line with its own description and price.
        public static func writeIn(_ description: String, quantity: Decimal) -> Line {
            Line(product: nil, writeIn: description, quantity: quantity, manualDiscount: 0)
        }
    }

    /// Adds an order with its lines, priced from the catalog as Dynamics prices them, owned by the salesperson.
    /// - Returns: The order's id.
    @discardableResult
    public static func addOrder(
        to store: EntityStore, number: Int, status: OrderStatus, lines: [Line], account: Int = 0,
        lastBackOfficeSubmit: String? = nil, freight: Decimal = 0
    ) throws(DataverseFault) -> String {
        let orderId = guid("d1", number)
        var details: [[String: JSONValue]] = []
        var totalsLines: [OrderTotals.Line] = []
        for (index, line) in lines.enumerated() {
            let price = line.product.map { products[$0 % products.count].price } ?? 75
            let tax = Money.round(price * line.quantity * Decimal(string: "0.08")!, precision: 2)
            let amounts = OrderLineAmounts(
                quantity: line.quantity, pricePerUnit: price, manualDiscount: line.manualDiscount, tax: tax)
            totalsLines.append(.init(baseAmount: amounts.baseAmount, manualDiscount: line.manualDiscount, tax: tax))
            var detail: [String: JSONValue] = [
                "salesorderdetailid": .string(guid("d2", number * 100 + index + 1)),
                "salesorderid@odata.bind": .string("/salesorders(\(orderId))"),
                "lineitemnumber": .int(index + 1), "quantity": .number("\(line.quantity)"),
                "priceperunit": .number(Money.literal(price)), "volumediscountamount": .number("0.00"),
                "manualdiscountamount": .number(Money.literal(line.manualDiscount)), "tax": .number(Money.literal(tax)),
                "baseamount": .number(Money.literal(amounts.baseAmount)),
                "extendedamount": .number(Money.literal(amounts.extendedAmount)),
                "uomid@odata.bind": .string("/uoms(\(unitId))"), "ispriceoverridden": .bool(line.product == nil),
                "isproductoverridden": .bool(line.product == nil),
            ]
            if let product = line.product {
                detail["productid@odata.bind"] = .string("/products(\(guid("dd", product % products.count + 1)))")
            } else {
                detail["productdescription"] = .string(line.writeIn ?? "Write-in item")
            }
            details.append(detail)
        }
        let totals = OrderTotals(lines: totalsLines, freightAmount: freight)
        let customer = accounts[account % accounts.count]
        let customerId = guid("ac", account % accounts.count + 1)
        var order: [String: JSONValue] = [
            "salesorderid": .string(orderId), "ordernumber": .string(String(format: "SO-%05d", number)),
            "name": .string("\(customer.name) order \(number)"),
            "statecode": .int(status.state.rawValue), "statuscode": .int(status.rawValue),
            "customerid_account@odata.bind": .string("/accounts(\(customerId))"),
            "ownerid@odata.bind": .string("/systemusers(\(EmulatorIdentities.salesUserId))"),
            "pricelevelid@odata.bind": .string("/pricelevels(\(priceListId))"),
            "transactioncurrencyid@odata.bind": .string("/transactioncurrencies(\(currencyId))"),
            "requestdeliveryby": "2026-12-15T00:00:00Z", "paymenttermscode": 1, "freighttermscode": 1,
            "discountamount": .number("0.00"), "discountpercentage": .number("0"),
            "freightamount": .number(Money.literal(freight)),
            "totallineitemamount": .number(Money.literal(totals.totalLineItemAmount)),
            "totallineitemdiscountamount": .number(Money.literal(totals.totalLineItemDiscountAmount)),
            "totaldiscountamount": .number(Money.literal(totals.totalDiscountAmount)),
            "totalamountlessfreight": .number(Money.literal(totals.totalAmountLessFreight)),
            "totaltax": .number(Money.literal(totals.totalTax)), "totalamount": .number(Money.literal(totals.totalAmount)),
            "new_channel": .string(number % 3 == 0 ? "phone" : "web"), "new_customerpo": .string("PO-\(number)"),
            "billto_name": .string(customer.name), "billto_line1": .string("\(100 + account) Main Street"),
            "billto_city": .string(customer.city), "billto_postalcode": .string("9800\(account)"),
            "billto_country": .string(customer.country),
            "shipto_name": .string("\(customer.name) warehouse"), "shipto_line1": .string("\(200 + account) Dock Road"),
            "shipto_city": .string(customer.city), "shipto_postalcode": .string("9810\(account)"),
            "shipto_country": .string(customer.country),
        ]
        if status.state != .active {
            order["submitdate"] = .string("2026-11-2\(number % 7)T09:\(String(format: "%02d", number % 60)):00Z")
        }
        if let lastBackOfficeSubmit {
            order["lastbackofficesubmit"] = .string(lastBackOfficeSubmit)
            order["submitstatus"] = .int(SubmitStatus.received.rawValue)
            order["submitstatusdescription"] = "Received by the back office as BO-LEGACY"
        }
        try store.create("salesorder", body: order, caller: EmulatorIdentities.salesUserId)
        for detail in details { try store.create("salesorderdetail", body: detail, caller: EmulatorIdentities.salesUserId) }
        return orderId
    }

    /// Adds the catalog and the 20 demo orders: 8 submitted and waiting, 1 submitted and already
    /// sent, 1 submitted without lines (the back office refuses it), 5 active, 2 canceled,
    /// 2 fulfilled and 1 invoiced.
    public static func seedOrders(into store: EntityStore) throws(DataverseFault) {
        try seedCatalog(into: store)
        let plan: [(OrderStatus, [Line], String?)] = [
            (.inProgress, [.product(0, quantity: 2), .product(2, quantity: 10)], nil),
            (.inProgress, [.product(1, quantity: 4)], nil),
            (.inProgress, [.product(3, quantity: 1), .writeIn("Installation on site", quantity: 1)], nil),
            (.inProgress, [.product(4, quantity: 24, discount: 10), .product(2, quantity: 5)], nil),
            (.inProgress, [.product(0, quantity: 1), .product(1, quantity: 2), .product(3, quantity: 1)], nil),
            (.inProgress, [.product(2, quantity: 50)], nil),
            (.inProgress, [.product(1, quantity: 12, discount: 25)], nil),
            (.inProgress, [.product(4, quantity: 6), .product(0, quantity: 1)], nil),
            (.inProgress, [.product(3, quantity: 2)], "2026-11-20T08:00:00Z"),
            (.inProgress, [], nil),
            (.new, [.product(0, quantity: 1)], nil), (.new, [.product(1, quantity: 3)], nil),
            (.pending, [.product(2, quantity: 7)], nil), (.pending, [.product(3, quantity: 1)], nil),
            (.new, [.product(4, quantity: 9)], nil),
            (.noMoney, [.product(0, quantity: 2)], nil), (.noMoney, [.product(1, quantity: 1)], nil),
            (.complete, [.product(2, quantity: 3)], nil), (.partial, [.product(3, quantity: 4)], nil),
            (.invoiced, [.product(4, quantity: 2)], nil),
        ]
        for (index, (status, lines, sent)) in plan.enumerated() {
            try addOrder(
                to: store, number: 1001 + index, status: status, lines: lines, account: index,
                lastBackOfficeSubmit: sent, freight: index % 3 == 0 ? 15 : 0)
        }
    }

    /// Adds `count` submitted orders, SO-20001 onwards, each with three catalog lines.
    /// - Parameter withCatalog: Whether to add the catalog first (it must exist once).
    public static func seedSubmittedOrders(_ count: Int, into store: EntityStore, withCatalog: Bool) throws(DataverseFault) {
        try seedLoad(count, from: 20_001, status: .inProgress, into: store, withCatalog: withCatalog)
    }

    /// Adds `count` active orders, SO-40001 onwards, each with three catalog lines, for a salesperson to submit.
    /// - Parameter withCatalog: Whether to add the catalog first (it must exist once).
    public static func seedDraftOrders(_ count: Int, into store: EntityStore, withCatalog: Bool) throws(DataverseFault) {
        try seedLoad(count, from: 40_001, status: .new, into: store, withCatalog: withCatalog)
    }

    private static func seedLoad(
        _ count: Int, from first: Int, status: OrderStatus, into store: EntityStore, withCatalog: Bool
    ) throws(DataverseFault) {
        if withCatalog { try seedCatalog(into: store) }
        for index in 0..<count {
            try addOrder(
                to: store, number: first + index, status: status,
                lines: [.product(index, quantity: 1), .product(index + 1, quantity: 2), .product(index + 2, quantity: 3)],
                account: index)
        }
    }
}
