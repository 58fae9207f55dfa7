/// The samples of a Prometheus text exposition, parsed line by line (names, labels with their
/// escapes, values), so that tests read values as Prometheus would, not by substring.
public struct PrometheusSamples: Sendable {
    /// One sample.
    public struct Sample: Sendable, Equatable {
        /// The series name (`_bucket`, `_sum`, `_count` included for a histogram).
        public var name: String
        /// The labels.
        public var labels: [String: String]
        /// The value.
        public var value: Double
    }

    /// Every sample, in order.
    public let samples: [Sample]

    /// Parses `text`; a line that is not a comment and cannot be parsed is an error.
    public init(_ text: String) throws {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            guard let sample = Self.parse(Array(line.unicodeScalars)) else {
                throw ExpositionError(line: String(line))
            }
            samples.append(sample)
        }
        self.samples = samples
    }

    /// The value of series `name` whose labels include `labels`; nil when there is none, or more than one.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.count == 1 ? matching[0].value : nil
    }

    private static func parse(_ scalars: [Unicode.Scalar]) -> Sample? {
        var index = 0
        var name = ""
        while index < scalars.count, scalars[index] != "{", scalars[index] != " " {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        var labels: [String: String] = [:]
        if index < scalars.count, scalars[index] == "{" {
            index += 1
            while index < scalars.count, scalars[index] != "}" {
                var label = ""
                while index < scalars.count, scalars[index] != "=" {
                    label.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard index + 1 < scalars.count, scalars[index + 1] == "\"" else { return nil }
                index += 2
                var value = ""
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\", index + 1 < scalars.count {
                        index += 1
                        value.unicodeScalars.append(scalars[index] == "n" ? "\n" : scalars[index])
                    } else {
                        value.unicodeScalars.append(scalars[index])
                    }
                    index += 1
                }
                guard index < scalars.count else { return nil }
                labels[label] = value
                index += 1
                if index < scalars.count, scalars[index] == "," { index += 1 }
            }
            index += 1
        }
        let rest = String(String.UnicodeScalarView(scalars[min(index, scalars.count)...])).split(separator: " ")
        guard let first = rest.first else { return nil }
        let value: Double? =
            switch first {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(first)
            }
        guard let value, !name.isEmpty else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}

/// A line of an exposition that is not a sample.
public struct ExpositionError: Error, CustomStringConvertible {
    /// The line.
    public var line: String
    public var description: String { "not a sample line: \(line)" }
}
