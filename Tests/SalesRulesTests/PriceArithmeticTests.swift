import Foundation
import SalesRules
import Testing

@Suite struct PriceArithmeticTests {
    @Test func lineAmountsFollowTheFormulas() {
        let line = OrderLineAmounts(
            quantity: 3, pricePerUnit: Decimal(string: "19.99")!, volumeDiscountPerUnit: 1, manualDiscount: 5,
            tax: Decimal(string: "4.56")!)
        #expect(line.baseAmount == Decimal(string: "56.97"))
        #expect(line.extendedAmount == Decimal(string: "56.53"))
    }

    @Test func headerTotalsFollowTheFormulas() {
        let totals = OrderTotals(
            lines: [.init(baseAmount: 100, manualDiscount: 10, tax: 8), .init(baseAmount: 50, tax: 4)],
            discountAmount: 5, discountPercentage: 10, freightAmount: 15)
        #expect(totals.totalLineItemDiscountAmount == 10)
        #expect(totals.totalLineItemAmount == 140)
        #expect(totals.totalTax == 12)
        #expect(totals.totalDiscountAmount == 29)
        #expect(totals.totalAmountLessFreight == 121)
        #expect(totals.totalAmount == 148)
    }

    @Test func moneyLiteralsCarryTheCurrencyPrecision() {
        #expect(Money.literal(Decimal(string: "129.9")!) == "129.90")
        #expect(Money.literal(450) == "450.00")
        #expect(Money.literal(Decimal(string: "-0.005")!) == "-0.01")
        #expect(Money.round(Decimal(string: "2.345")!, precision: 2) == Decimal(string: "2.35"))
    }

    @Test func everyStatusBelongsToOneState() {
        for state in OrderState.allCases { #expect(!state.statuses.isEmpty) }
        #expect(OrderStatus.inProgress.state == .submitted)
        #expect(OrderState.submitted.statuses == [.inProgress])
    }
}
