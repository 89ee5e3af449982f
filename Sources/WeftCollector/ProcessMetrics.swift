import CoreMetrics
import WeftIO

/// The process' own gauges: `process_resident_memory_bytes` (the name Prometheus' client libraries use), without a
/// `source` label since the process is one whatever its collectors.
///
/// Published just before each scrape (the metrics server's hook), not from the collector's loop: the loop stands
/// still while its output is blocked, which is when memory is worth looking at. One read of `/proc/self/statm` per
/// scrape.
public struct ProcessMetrics: Sendable {
    private let residentMemory: Gauge

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        residentMemory = Gauge(label: "process_resident_memory_bytes", dimensions: [], factory: factory)
    }

    public func publish() {
        if let bytes = ProcessMemory.residentBytes() { residentMemory.record(bytes) }
    }
}
