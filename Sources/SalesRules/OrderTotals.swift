import Foundation

/// The header totals of an order, computed from its lines as Dynamics does when price calculation runs.
public struct OrderTotals: Sendable, Equatable {
    /// `sum(baseamount) − totallineitemdiscountamount`.
    public var totalLineItemAmount: Decimal
    /// `sum(manualdiscountamount)`.
    public var totalLineItemDiscountAmount: Decimal
    /// `sum(tax)`.
    public var totalTax: Decimal
    /// Header discount plus line discounts.
    public var totalDiscountAmount: Decimal
    /// `totallineitemamount − header discount`.
    public var totalAmountLessFreight: Decimal
    /// `totalamountlessfreight + freightamount + totaltax`.
    public var totalAmount: Decimal

    /// One line's inputs to the header totals.
    public struct Line: Sendable {
        /// The line's base amount.
        public var baseAmount: Decimal
        /// The line's manual discount.
        public var manualDiscount: Decimal
        /// The line's tax.
        public var tax: Decimal

        /// Creates a line.
        public init(baseAmount: Decimal, manualDiscount: Decimal = 0, tax: Decimal = 0) {
            self.baseAmount = baseAmount
            self.manualDiscount = manualDiscount
            self.tax = tax
        }
    }

    /// Computes the totals.
    /// - Parameters:
    ///   - lines: The order's lines.
    ///   - discountAmount: The header discount amount (`discountamount`).
    ///   - discountPercentage: The header discount percentage (`discountpercentage`).
    ///   - freightAmount: The freight amount (`freightamount`).
    ///   - precision: Decimal places of the currency.
    public init(
        lines: [Line], discountAmount: Decimal = 0, discountPercentage: Decimal = 0, freightAmount: Decimal = 0,
        precision: Int = 2
    ) {
        totalLineItemDiscountAmount = lines.reduce(0) { $0 + $1.manualDiscount }
        totalLineItemAmount = lines.reduce(0) { $0 + $1.baseAmount } - totalLineItemDiscountAmount
        totalTax = lines.reduce(0) { $0 + $1.tax }
        let headerDiscount = discountAmount + Money.round(totalLineItemAmount * discountPercentage / 100, precision: precision)
        totalDiscountAmount = headerDiscount + totalLineItemDiscountAmount
        totalAmountLessFreight = totalLineItemAmount - headerDiscount
        totalAmount = totalAmountLessFreight + freightAmount + totalTax
    }
}
