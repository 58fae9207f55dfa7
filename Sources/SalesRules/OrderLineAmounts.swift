import Foundation

/// The amounts of one order line, computed as Dynamics computes them when price calculation runs.
public struct OrderLineAmounts: Sendable, Equatable {
    /// `(priceperunit − volumediscountamount) × quantity`.
    public var baseAmount: Decimal
    /// `baseamount − manualdiscountamount + tax`.
    public var extendedAmount: Decimal

    /// Computes a line's amounts, rounded to the currency's precision.
    /// - Parameters:
    ///   - quantity: Units ordered.
    ///   - pricePerUnit: The unit price.
    ///   - volumeDiscountPerUnit: The volume discount per unit.
    ///   - manualDiscount: The manual discount for the whole line.
    ///   - tax: The tax for the whole line.
    ///   - precision: Decimal places of the currency.
    public init(
        quantity: Decimal, pricePerUnit: Decimal, volumeDiscountPerUnit: Decimal = 0, manualDiscount: Decimal = 0,
        tax: Decimal = 0, precision: Int = 2
    ) {
        baseAmount = Money.round((pricePerUnit - volumeDiscountPerUnit) * quantity, precision: precision)
        extendedAmount = Money.round(baseAmount - manualDiscount + tax, precision: precision)
    }
}
