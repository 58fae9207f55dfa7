import CoreMetrics
import Prometheus
import Sync

/// sopd's metrics in the Prometheus text format (swift-prometheus): a swift-metrics factory whose
/// metrics carry the help texts and buckets of `MetricCatalogue`, so that `promtool check metrics`
/// finds every family documented. One per process, shared by every runtime a reload builds.
public final class PrometheusExposition: MetricsFactory, Sendable {
    private let registry = PrometheusCollectorRegistry()

    /// Creates an empty registry.
    public init() {}

    /// Every metric recorded so far, in the text format (version 0.0.4).
    public func text() -> String {
        registry.emitToString()
    }

    private func help(_ label: String) -> String {
        MetricCatalogue.definition(named: label)?.help ?? ""
    }

    private func buckets(_ label: String) -> [Double] {
        MetricCatalogue.definition(named: label)?.buckets ?? [0.01, 0.1, 1, 10, 100]
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(name: label, labels: dimensions, help: help(label)) }
        return registry.makeValueHistogram(name: label, labels: dimensions, buckets: buckets(label), help: help(label))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help(label))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            name: label, labels: dimensions, buckets: buckets(label).map { .nanoseconds(Int64($0 * 1e9)) }, help: help(label))
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}
