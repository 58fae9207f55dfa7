import Dataverse

/// The Web API read of orders waiting for the back office: submitted (`statecode eq 1`) and never
/// sent (`lastbackofficesubmit eq null`), as Business Central's own integration picks them up, with
/// everything the order document needs in one request per page.
public enum SubmittedOrdersQuery {
    /// The entity set read.
    public static let entitySet = "salesorders"

    /// The query.
    public static let query = DataverseQuery(
        select: [
            "salesorderid", "ordernumber", "name", "submitdate", "requestdeliveryby", "paymenttermscode",
            "freighttermscode", "discountamount", "discountpercentage", "freightamount", "totalamount",
            "totallineitemamount", "totallineitemdiscountamount", "totaldiscountamount", "totalamountlessfreight",
            "totaltax", "billto_name", "billto_line1", "billto_city", "billto_postalcode", "billto_country",
            "shipto_name", "shipto_line1", "shipto_city", "shipto_postalcode", "shipto_country", "_customerid_value",
            "_ownerid_value", "_pricelevelid_value", "_transactioncurrencyid_value",
        ],
        filter: "statecode eq 1 and lastbackofficesubmit eq null",
        expand: [
            .init("customerid_account", select: ["name", "accountnumber"]),
            .init("owninguser", select: ["fullname", "internalemailaddress"]),
            .init("transactioncurrencyid", select: ["isocurrencycode"]),
            .init("pricelevelid", select: ["name"]),
            .init(
                "order_details",
                select: [
                    "salesorderdetailid", "lineitemnumber", "quantity", "priceperunit", "volumediscountamount",
                    "manualdiscountamount", "tax", "baseamount", "extendedamount", "productdescription",
                    "isproductoverridden", "_productid_value",
                ],
                orderBy: "lineitemnumber",
                expand: [
                    .init("productid", select: ["productnumber", "name"]),
                    .init("uomid", select: ["name"]),
                ]),
        ])
}
