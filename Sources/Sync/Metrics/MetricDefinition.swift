/// One metric sopd exposes: its Prometheus name, type, help text, label names and, for a histogram,
/// its buckets in seconds. `MetricCatalogue` lists them all; docs/metrics.md documents each.
public struct MetricDefinition: Sendable, Equatable {
    /// The Prometheus type.
    public enum Kind: String, Sendable {
        /// Only goes up (or restarts at zero).
        case counter
        /// A value that goes up and down.
        case gauge
        /// Observations counted into buckets.
        case histogram
    }

    /// The name, with its unit and `_total` for a counter.
    public var name: String
    /// The type.
    public var kind: Kind
    /// The `# HELP` line.
    public var help: String
    /// The label names, in order.
    public var labels: [String]
    /// Bucket upper bounds in seconds, for a histogram.
    public var buckets: [Double]

    init(_ name: String, _ kind: Kind, labels: [String] = [], buckets: [Double] = [], help: String) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.buckets = buckets
    }
}
