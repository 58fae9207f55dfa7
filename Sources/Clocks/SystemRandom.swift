/// The system's random numbers.
public struct SystemRandom: RandomSource {
    /// Creates the source.
    public init() {}

    /// A uniform draw in `0..<1`.
    public func unit() -> Double { Double.random(in: 0..<1) }
}
