import Clocks

/// A random source that always draws the same number, so a retry's jitter is what the test says.
public struct FixedRandom: RandomSource {
    /// The number drawn, in `0..<1`.
    public var value: Double

    /// A source that draws `value`.
    public init(_ value: Double) { self.value = value }

    /// `value`.
    public func unit() -> Double { value }
}
