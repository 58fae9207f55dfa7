/// The built-in mapping of `backoffice.adapter: business-central`: Business Central's API v2.0 under
/// `backoffice.url` = `https://api.businesscentral.dynamics.com/v2.0/{tenant}/{environment}/api/v2.0/companies({id})`,
/// with OAuth client credentials for BC's scope. It is a mapping like any other (docs/adapters.md has its field map and
/// every choice; docs/business-central-facts.md the facts they rest on):
///
/// - out: `POST salesOrders` with the lines in the same request (deep insert), the Dynamics order number as
///   `externalDocumentNumber` (BC's Code[35]), the customer by number (the account number), each product line an
///   `Item` line by item number at the Dynamics unit price, a line without product a `Comment` line. Before each
///   create, `salesOrders?$filter=externalDocumentNumber eq '…'` finds an order sent already. BC's order `number` is
///   the id sopd keeps, since shipments and invoices name their order by it.
/// - back: three lists read by `lastModifiedDateTime`: the posted shipments (shipped in part), the orders (released,
///   `Open` in the API: accepted; fully shipped: shipped) and the posted invoices (invoiced, with their lines and
///   totals), in that order, so that a shipment in part comes before the order's complete shipment. BC deletes an
///   order once it is fully invoiced; its invoice still names it.
public enum BusinessCentralProfile {
    /// The scope of Business Central's API for OAuth client credentials.
    public static let scope = "https://api.businesscentral.dynamics.com/.default"

    /// The mapping's name in errors: where a mistake in it would be.
    public static let file = "(built-in business-central profile)"

    /// The mapping.
    public static func mapping() throws(MappingError) -> HTTPMapping {
        try HTTPMapping.parse(text, file: file)
    }

    /// The mapping's text, as `docs/adapters.md` shows it.
    public static let text = #"""
        name: Business Central
        outbound:
          lookup:
            url: /salesOrders?$filter=externalDocumentNumber eq '{{odata(orderNumber)}}'&$select=id,number,externalDocumentNumber
            matches: /value
            id: /number
          create:
            method: POST
            url: /salesOrders
            body: |
              {
                "externalDocumentNumber": {{orderNumber}},
                "customerNumber": {{customer.accountNumber}},
                {{#requestedDeliveryDate}}"requestedDeliveryDate": {{date(requestedDeliveryDate)}},{{/requestedDeliveryDate}}
                "salesOrderLines": [{{#lines}}
                  {{#product}}{"lineType": "Item", "lineObjectNumber": {{number}}, {{#description}}"description": {{description}}, {{/description}}"quantity": {{quantity}}, "unitPrice": {{unitPrice}}}{{/product}}{{^product}}{"lineType": "Comment", "description": {{description}}}{{/product}}{{^last()}},{{/last()}}{{/lines}}
                ]
              }
            id: /number
          answers:
            accepted: [201]
            refused: [400-499]
            retryable: [408, 429, 500-599]
          reason: /error/message
          settleSeconds: 120
        inbound:
          polls:
            - name: shipments
              url: /salesShipments?$filter=lastModifiedDateTime ge {{cursor}}&$orderby=lastModifiedDateTime asc&$top={{limit}}&$select=id,number,externalDocumentNumber,orderNumber,postingDate,lastModifiedDateTime
              items: /value
              cursor: /lastModifiedDateTime
              start: now
              orderId: /orderNumber
              orderNumber: /externalDocumentNumber
              recordId: /id
              events:
                - kind: accepted
                  data: '{"backOfficeOrderNumber": {{orderNumber}}}'
                - kind: shipped
                  data: '{"complete": false, "shippedAt": {{postingDate}}, "shipmentNumber": {{number}}}'
            - name: orders
              url: /salesOrders?$filter=lastModifiedDateTime ge {{cursor}}&$orderby=lastModifiedDateTime asc&$top={{limit}}&$select=id,number,externalDocumentNumber,status,fullyShipped,lastModifiedDateTime
              items: /value
              cursor: /lastModifiedDateTime
              start: now
              orderId: /number
              orderNumber: /externalDocumentNumber
              recordId: /id
              events:
                - when: {/status: Open}
                  kind: accepted
                  data: '{"backOfficeOrderNumber": {{number}}}'
                - when: {/fullyShipped: "true"}
                  kind: accepted
                  data: '{"backOfficeOrderNumber": {{number}}}'
                - when: {/fullyShipped: "true"}
                  kind: shipped
                  data: '{"complete": true}'
            - name: invoices
              url: /salesInvoices?$filter=lastModifiedDateTime ge {{cursor}}&$orderby=lastModifiedDateTime asc&$top={{limit}}&$expand=salesInvoiceLines
              items: /value
              cursor: /lastModifiedDateTime
              start: now
              orderId: /orderNumber
              orderNumber: /externalDocumentNumber
              recordId: /id
              events:
                - when: {/status: [Open, Paid]}
                  kind: accepted
                  data: '{"backOfficeOrderNumber": {{orderNumber}}}'
                - when: {/status: [Open, Paid]}
                  kind: invoiced
                  data: |
                    {
                      "invoiceNumber": {{number}},
                      "invoiceDate": {{invoiceDate}},
                      "lines": [{{#salesInvoiceLines}}
                        {"lineNumber": {{sequence}}, "product": {"number": {{lineObjectNumber}}}, "description": {{description}},
                         "quantity": {{quantity}}, "unitPrice": {{unitPrice}}, "baseAmount": {{amountExcludingTax}},
                         "tax": {{totalTaxAmount}}, "extendedAmount": {{amountIncludingTax}}}{{^last()}},{{/last()}}{{/salesInvoiceLines}}
                      ],
                      "totals": {
                        "amountLessFreight": {{totalAmountExcludingTax}}, "tax": {{totalTaxAmount}},
                        "totalAmount": {{totalAmountIncludingTax}}
                      }
                    }
        """#
}
