/// The system's random numbers.
public struct SystemRandom: RandomSource {
    /// Creates the source.
    public init() {}

    public func unit() -> Double { Double.random(in: 0..<1) }
}
