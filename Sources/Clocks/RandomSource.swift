/// Where the data path draws chance (retry jitter, timer jitter). sopd uses `SystemRandom`; tests pass
/// a source that answers what they choose.
public protocol RandomSource: Sendable {
    /// A number in `0..<1`.
    func unit() -> Double
}
