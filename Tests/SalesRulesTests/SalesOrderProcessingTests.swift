import SalesRules
import Testing

@Suite struct SalesOrderProcessingTests {
    @Test func theTableHasEveryCellAndTheNotApplicableOnesAreExplicit() {
        #expect(PriceComputationTable.cells.count == 8)
        #expect(PriceComputationTable.cells.values.allSatisfy { $0.count == 4 })
        let notApplicable = PricedTable.allCases.flatMap { table in
            PriceOperation.allCases.filter { PriceComputationTable.rule(table, $0) == .notApplicable }.map { "\(table.rawValue).\($0)" }
        }
        #expect(
            Set(notApplicable)
                == [
                    "opportunity.delete", "quote.delete", "salesorder.delete", "invoice.delete",
                    "opportunityproduct.recalculate", "quotedetail.recalculate", "salesorderdetail.recalculate",
                    "invoicedetail.recalculate",
                ])
    }

    @Test func withTheSwitchOffEverythingApplicableCalculates() {
        for table in PricedTable.allCases {
            for operation in PriceOperation.allCases where PriceComputationTable.rule(table, operation) != .notApplicable {
                for integration in [false, true] {
                    for submitted in [false, true] {
                        let context = PriceContext(
                            sopIntegrationEnabled: false, callerIsIntegrationUser: integration, orderSubmitted: submitted)
                        #expect(PriceComputationTable.decide(table, operation, in: context) == .calculate)
                    }
                }
            }
        }
    }

    @Test func submittingNeedsTheSwitchAndAnActiveOrder() {
        #expect(SalesOrderProcessing.submit(sopIntegrationEnabled: true, state: .active) == .allowed)
        #expect(SalesOrderProcessing.submit(sopIntegrationEnabled: false, state: .active) != .allowed)
        #expect(SalesOrderProcessing.submit(sopIntegrationEnabled: true, state: .fulfilled) != .allowed)
    }

    /// The seed: "When sales order processing is turned on: … When the order is submitted, … the order is made
    /// read-only, unless it was created by an integration user." With the switch off nothing locks a submitted
    /// order; a closed one stays read-only, as inactive records are in Dynamics.
    @Test func theLockHoldsWhileTheSwitchIsOnAndBendsOnlyForAnIntegrationUser() {
        let readOnly = RuleVerdict.refused("Cannot perform the action because the record is read only")
        for sop in [false, true] {
            for integration in [false, true] {
                #expect(SalesOrderProcessing.edit(orderState: .active, sopIntegrationEnabled: sop, callerIsIntegrationUser: integration) == .allowed)
                #expect(SalesOrderProcessing.edit(orderState: .fulfilled, sopIntegrationEnabled: sop, callerIsIntegrationUser: integration) == (integration ? .allowed : readOnly))
            }
        }
        #expect(SalesOrderProcessing.edit(orderState: .submitted, sopIntegrationEnabled: true, callerIsIntegrationUser: false) == readOnly)
        #expect(SalesOrderProcessing.edit(orderState: .submitted, sopIntegrationEnabled: true, callerIsIntegrationUser: true) == .allowed)
        #expect(SalesOrderProcessing.edit(orderState: .submitted, sopIntegrationEnabled: false, callerIsIntegrationUser: false) == .allowed)
    }

    @Test func theSwitchTurnsOffOnlyWithoutSubmittedOrdersOrWhenForced() {
        #expect(SalesOrderProcessing.disable(submittedOrders: 0, force: false) == .allowed)
        #expect(SalesOrderProcessing.disable(submittedOrders: 3, force: false) != .allowed)
        #expect(SalesOrderProcessing.disable(submittedOrders: 3, force: true) == .allowed)
        #expect(SalesOrderProcessing.createInvoiceFromOrder(sopIntegrationEnabled: true) != .allowed)
        #expect(SalesOrderProcessing.createInvoiceFromOrder(sopIntegrationEnabled: false) == .allowed)
    }
}
