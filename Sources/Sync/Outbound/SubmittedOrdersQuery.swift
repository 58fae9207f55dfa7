import Dataverse

/// The Web API read of orders waiting for the back office: submitted (`statecode eq 1`) and never
/// sent (`lastbackofficesubmit eq null`), as Business Central's own integration picks them up, with
/// everything the order document needs in one request per page.
///
/// The lines' `$expand` nests the product and the unit, so Dataverse pages each order's lines with the
/// request's `odata.maxpagesize` and refuses `$orderby` and `$top` inside it (`0x80060888`, "Join tables
/// using the Web API",
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables#expand-collection-valued-navigation-properties).
/// So the lines come in no particular order, and an order with more lines than a page carries an
/// `order_details@odata.nextLink`: `OrderLinePages` reads them to the end and `OrderDocumentMapper` sorts
/// them by `lineitemnumber`.
public enum SubmittedOrdersQuery {
    /// The collection of an order's lines.
    public static let lines = "order_details"
    /// The link to the rest of an order's lines, when Dataverse paged them.
    public static let linesNextLink = lines + "@odata.nextLink"

    /// The entity set read.
    public static let entitySet = "salesorders"

    /// The filter of every submitted order not sent yet, before `intake.filter`.
    public static let waitingFilter = "statecode eq 1 and lastbackofficesubmit eq null"

    /// The query with the default intake: every submitted order, no extra columns.
    public static let query = query(IntakeSettings())

    /// The query under `intake`: its filter added (`and (…)`), its extra columns selected.
    public static func query(_ intake: IntakeSettings) -> DataverseQuery {
        DataverseQuery(
            select: columns + intake.extraOrderColumns,
            filter: intake.filter.map { "\(waitingFilter) and (\($0))" } ?? waitingFilter,
            expand: [
                .init("customerid_account", select: ["name", "accountnumber"]),
                .init("owninguser", select: ["fullname", "internalemailaddress"]),
                .init("transactioncurrencyid", select: ["isocurrencycode"]),
                .init("pricelevelid", select: ["name"]),
                .init(
                    lines, select: lineColumns + intake.extraLineColumns,
                    expand: [
                        .init("productid", select: ["productnumber", "name"]),
                        .init("uomid", select: ["name"]),
                    ]),
            ])
    }

    /// The order's columns every document needs.
    public static let columns = [
        "salesorderid", "ordernumber", "name", "submitdate", "requestdeliveryby", "paymenttermscode",
        "freighttermscode", "discountamount", "discountpercentage", "freightamount", "totalamount",
        "totallineitemamount", "totallineitemdiscountamount", "totaldiscountamount", "totalamountlessfreight",
        "totaltax", "billto_name", "billto_line1", "billto_city", "billto_postalcode", "billto_country",
        "shipto_name", "shipto_line1", "shipto_city", "shipto_postalcode", "shipto_country", "_customerid_value",
        "_ownerid_value", "_pricelevelid_value", "_transactioncurrencyid_value",
    ]

    /// The line's columns every document needs.
    public static let lineColumns = [
        "salesorderdetailid", "lineitemnumber", "quantity", "priceperunit", "volumediscountamount",
        "manualdiscountamount", "tax", "baseamount", "extendedamount", "productdescription",
        "isproductoverridden", "_productid_value",
    ]
}
