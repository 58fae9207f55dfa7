/// The samples of a Prometheus text exposition, by series as written (`name{labels}`).
struct MetricSamples {
    private var values: [String: Double] = [:]

    /// Reads `text`; comments and lines that are no sample are skipped.
    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
    }

    /// The sum of the series of metric `name` whose labels include every one of `labels` (`peer="dataverse"`).
    func sum(_ name: String, _ labels: String...) -> Double {
        values.filter { key, _ in key.hasPrefix(name + "{") && labels.allSatisfy { key.contains($0) } }.values.reduce(0, +)
    }
}
