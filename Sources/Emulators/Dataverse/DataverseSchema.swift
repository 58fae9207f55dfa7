/// The tables the Dataverse emulator serves, with the columns sopd and its tests use.
public struct DataverseSchema: Sendable {
    /// Tables by logical name.
    public let entities: [String: EntityDefinition]
    private let bySetName: [String: String]

    /// Creates a schema from its tables.
    public init(_ definitions: [EntityDefinition]) {
        entities = Dictionary(uniqueKeysWithValues: definitions.map { ($0.logicalName, $0) })
        bySetName = Dictionary(uniqueKeysWithValues: definitions.map { ($0.entitySetName, $0.logicalName) })
    }

    /// The table served under `entitySetName`, or nil.
    public func entity(forSet entitySetName: String) -> EntityDefinition? {
        bySetName[entitySetName].flatMap { entities[$0] }
    }

    private static let audit: [String: AttributeType] = [
        "createdon": .dateTime, "modifiedon": .dateTime, "versionnumber": .integer,
        "createdby": .lookup(targets: ["systemuser"]), "modifiedby": .lookup(targets: ["systemuser"]),
        "modifiedonbehalfby": .lookup(targets: ["systemuser"]),
    ]

    /// Schema names of the tables, as Dataverse spells them.
    private static let schemaNames = [
        "organization": "Organization", "systemuser": "SystemUser", "transactioncurrency": "TransactionCurrency",
        "uom": "UoM", "account": "Account", "product": "Product", "pricelevel": "PriceLevel",
        "productpricelevel": "ProductPriceLevel", "salesorder": "SalesOrder", "salesorderdetail": "SalesOrderDetail",
        "opportunity": "Opportunity", "opportunityproduct": "OpportunityProduct", "quote": "Quote",
        "quotedetail": "QuoteDetail", "invoice": "Invoice", "invoicedetail": "InvoiceDetail", "annotation": "Annotation",
    ]

    /// Choice columns and their options, as Dynamics 365 Sales defines them out of the box.
    private static let picklists: [String: [(value: Int, label: String)]] = [
        "paymenttermscode": [(1, "Net 30"), (2, "2% 10, Net 30"), (3, "Net 45"), (4, "Net 60")],
        "freighttermscode": [(1, "FOB"), (2, "No Charge")],
        "shippingmethodcode": [(1, "Airborne"), (2, "DHL"), (3, "FedEx"), (4, "UPS"), (5, "Postal Mail"), (6, "Full Load"), (7, "Will Call")],
        "industrycode": [(1, "Accounting"), (2, "Agriculture and Non-petrol Natural Resource Extraction"), (3, "Broadcasting Printing and Publishing"), (4, "Brokers"), (5, "Building Supply Retail")],
    ]

    private static func table(
        _ logicalName: String, set: String, columns: [String: AttributeType], notValidForCreate: Set<String> = [],
        notValidForUpdate: Set<String> = [],
        single: [String: EntityDefinition.SingleNavigation] = [:],
        collections: [String: EntityDefinition.CollectionNavigation] = [:], alternateKeys: [[String]] = [],
        hierarchyLookup: String? = nil
    ) -> EntityDefinition {
        var attributes = columns.merging(audit) { own, _ in own }
        attributes["\(logicalName)id"] = .guid
        var definition = EntityDefinition(
            logicalName: logicalName, entitySetName: set, primaryIdAttribute: "\(logicalName)id",
            attributes: attributes, singleNavigations: single, collectionNavigations: collections)
        definition.notValidForCreate = notValidForCreate.union(audit.keys)
        definition.notValidForUpdate = notValidForUpdate.union(audit.keys).union(["\(logicalName)id"])
        definition.schemaName = schemaNames[logicalName] ?? logicalName
        definition.primaryNameAttribute = ["name", "fullname", "subject", "currencyname"].first { attributes[$0] != nil }
        definition.alternateKeys = alternateKeys
        definition.hierarchyLookup = hierarchyLookup
        definition.picklists = picklists.filter { attributes[$0.key] == .integer }
        return definition
    }

    /// A header of the price-computation table (opportunity, quote, order, invoice): state, customer,
    /// price list, currency, discounts, freight and the computed totals, plus `columns` of its own.
    private static func pricedHeader(
        _ logicalName: String, set: String, lines: String, linesNavigation: String, columns: [String: AttributeType],
        notValidForUpdate: Set<String> = [], single: [String: EntityDefinition.SingleNavigation] = [:],
        collections: [String: EntityDefinition.CollectionNavigation] = [:], alternateKeys: [[String]] = []
    ) -> EntityDefinition {
        let common: [String: AttributeType] = [
            "name": .string, "description": .memo, "statecode": .integer, "statuscode": .integer,
            "ispricelocked": .boolean, "totalamount": .money, "totallineitemamount": .money,
            "totallineitemdiscountamount": .money, "totaldiscountamount": .money, "totalamountlessfreight": .money,
            "totaltax": .money, "freightamount": .money, "discountamount": .money, "discountpercentage": .decimal,
            "billto_name": .string, "billto_line1": .string, "billto_city": .string, "billto_postalcode": .string,
            "billto_country": .string, "shipto_name": .string, "shipto_line1": .string, "shipto_city": .string,
            "shipto_postalcode": .string, "shipto_country": .string,
            "customerid": .lookup(targets: ["account"]), "ownerid": .lookup(targets: ["systemuser"]),
            "pricelevelid": .lookup(targets: ["pricelevel"]),
            "transactioncurrencyid": .lookup(targets: ["transactioncurrency"]),
        ]
        return table(
            logicalName, set: set, columns: common.merging(columns) { _, own in own },
            notValidForCreate: [
                "statecode", "ispricelocked", "totalamount", "totallineitemamount", "totallineitemdiscountamount",
                "totaldiscountamount", "totalamountlessfreight", "totaltax",
            ],
            notValidForUpdate: notValidForUpdate.union(["transactioncurrencyid"]),
            single: [
                "customerid_account": .init(lookup: "customerid", target: "account"),
                "owninguser": .init(lookup: "ownerid", target: "systemuser"),
                "pricelevelid": .init(lookup: "pricelevelid", target: "pricelevel"),
                "transactioncurrencyid": .init(lookup: "transactioncurrencyid", target: "transactioncurrency"),
            ].merging(single) { _, own in own },
            collections: collections.merging([linesNavigation: .init(target: lines, referencingLookup: "\(logicalName)id")]) {
                _, lines in lines
            }, alternateKeys: alternateKeys)
    }

    /// A product line of a priced header: quantity, prices, discounts, tax and the computed amounts.
    private static func pricedLine(
        _ logicalName: String, set: String, header: String, custom: [String: AttributeType] = [:]
    ) -> EntityDefinition {
        table(
            logicalName, set: set,
            columns: custom.merging([
                "quantity": .decimal, "priceperunit": .money, "baseamount": .money, "extendedamount": .money,
                "manualdiscountamount": .money, "volumediscountamount": .money, "tax": .money,
                "ispriceoverridden": .boolean, "isproductoverridden": .boolean, "productdescription": .string,
                "lineitemnumber": .integer, "sequencenumber": .integer,
                "productid": .lookup(targets: ["product"]), "uomid": .lookup(targets: ["uom"]),
                "\(header)id": .lookup(targets: [header]),
            ]) { custom, _ in custom },
            notValidForCreate: ["baseamount", "extendedamount", "volumediscountamount"],
            notValidForUpdate: ["volumediscountamount", "isproductoverridden"],
            single: [
                "productid": .init(lookup: "productid", target: "product"),
                "uomid": .init(lookup: "uomid", target: "uom"),
                "\(header)id": .init(lookup: "\(header)id", target: header),
            ])
    }

    /// The Dynamics 365 Sales tables of the emulator.
    public static let sales = DataverseSchema([
        table(
            "organization", set: "organizations",
            columns: ["name": .string, "issopintegrationenabled": .boolean]),
        table(
            "systemuser", set: "systemusers",
            columns: [
                "fullname": .string, "internalemailaddress": .string, "isintegrationuser": .boolean,
                "azureactivedirectoryobjectid": .guid, "applicationid": .guid,
            ]),
        table(
            "transactioncurrency", set: "transactioncurrencies",
            columns: ["isocurrencycode": .string, "currencyname": .string, "currencyprecision": .integer]),
        table("uom", set: "uoms", columns: ["name": .string]),
        table(
            "account", set: "accounts",
            columns: [
                "name": .string, "accountnumber": .string, "emailaddress1": .string, "telephone1": .string,
                "address1_line1": .string, "address1_city": .string, "address1_postalcode": .string,
                "address1_country": .string, "industrycode": .integer, "parentaccountid": .lookup(targets: ["account"]),
            ],
            single: ["parentaccountid": .init(lookup: "parentaccountid", target: "account")],
            collections: ["child_accounts": .init(target: "account", referencingLookup: "parentaccountid")],
            alternateKeys: [["accountnumber"]], hierarchyLookup: "parentaccountid"),
        table(
            "product", set: "products",
            columns: [
                "name": .string, "productnumber": .string, "price": .money,
                "defaultuomid": .lookup(targets: ["uom"]),
            ],
            single: ["defaultuomid": .init(lookup: "defaultuomid", target: "uom")]),
        table(
            "pricelevel", set: "pricelevels",
            columns: ["name": .string, "transactioncurrencyid": .lookup(targets: ["transactioncurrency"])],
            single: ["transactioncurrencyid": .init(lookup: "transactioncurrencyid", target: "transactioncurrency")]),
        table(
            "productpricelevel", set: "productpricelevels",
            columns: [
                "amount": .money, "pricelevelid": .lookup(targets: ["pricelevel"]),
                "productid": .lookup(targets: ["product"]), "uomid": .lookup(targets: ["uom"]),
            ],
            single: [
                "pricelevelid": .init(lookup: "pricelevelid", target: "pricelevel"),
                "productid": .init(lookup: "productid", target: "product"),
            ]),
        pricedHeader(
            "salesorder", set: "salesorders", lines: "salesorderdetail", linesNavigation: "order_details",
            columns: [
                "ordernumber": .string, "submitdate": .dateTime, "submitstatus": .integer,
                "submitstatusdescription": .memo, "lastbackofficesubmit": .dateTime, "requestdeliveryby": .dateTime,
                "paymenttermscode": .integer, "freighttermscode": .integer, "shippingmethodcode": .integer,
                "datefulfilled": .dateTime,
                // Custom columns, as a customer adds them under its publisher's prefix (document.extraColumns).
                "new_channel": .string, "new_customerpo": .string,
            ],
            collections: ["SalesOrder_Annotation": .init(target: "annotation", referencingLookup: "objectid")],
            alternateKeys: [["ordernumber"]]),
        pricedLine("salesorderdetail", set: "salesorderdetails", header: "salesorder", custom: ["new_giftwrap": .boolean]),
        pricedHeader(
            "opportunity", set: "opportunities", lines: "opportunityproduct",
            linesNavigation: "product_opportunities", columns: ["estimatedclosedate": .dateTime]),
        pricedLine("opportunityproduct", set: "opportunityproducts", header: "opportunity"),
        pricedHeader(
            "quote", set: "quotes", lines: "quotedetail", linesNavigation: "quote_details",
            columns: ["quotenumber": .string], notValidForUpdate: ["quotenumber"]),
        pricedLine("quotedetail", set: "quotedetails", header: "quote"),
        pricedHeader(
            "invoice", set: "invoices", lines: "invoicedetail", linesNavigation: "invoice_details",
            columns: ["invoicenumber": .string, "salesorderid": .lookup(targets: ["salesorder"])],
            notValidForUpdate: ["invoicenumber"], single: ["salesorderid": .init(lookup: "salesorderid", target: "salesorder")]),
        pricedLine("invoicedetail", set: "invoicedetails", header: "invoice"),
        table(
            "annotation", set: "annotations",
            columns: [
                "subject": .string, "notetext": .memo, "objecttypecode": .string,
                "objectid": .lookup(targets: ["salesorder"]),
            ],
            single: ["objectid_salesorder": .init(lookup: "objectid", target: "salesorder")]),
    ])
}
