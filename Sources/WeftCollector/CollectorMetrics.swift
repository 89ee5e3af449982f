import CoreMetrics
import WeftCore
import WeftMultiline
import WeftPipeline

/// The collector's and its pipeline's counters through the swift-metrics API (`weft tail --metrics-address` serves
/// them in the Prometheus format).
///
/// The collector's loop keeps plain counters (``CollectorStatistics``, the pipeline's statistics) and hands them
/// here at most once a second; ``publish(_:pipeline:)`` adds what grew since the last time, so a scrape sees values
/// at most that old and the per-line path touches no shared memory.
public struct CollectorMetrics {
    private let factory: any MetricsFactory
    private var counters: [String: (counter: Counter, last: Int64)] = [:]
    private var gauges: [String: Gauge] = [:]
    /// `source="NAME"` on every metric when several collectors publish side by side (a configuration's blocks).
    private let source: [(String, String)]

    public init(factory: any MetricsFactory = MetricsSystem.factory, source: String? = nil) {
        self.factory = factory
        self.source = source.map { [("source", $0)] } ?? []
    }

    /// Brings every metric up to the given counters.
    public mutating func publish(_ collector: CollectorStatistics, pipeline: Pipeline) {
        let stats = pipeline.statistics
        let engine = pipeline.engine.statistics
        count("weft_files_discovered_total", collector.filesDiscovered)
        count("weft_files_released_total", collector.filesReleased)
        count("weft_file_open_failures_total", collector.openFailures)
        count("weft_input_bytes_total", collector.bytesRead)
        count("weft_input_lines_total", stats.physicalLines)
        count("weft_joined_lines_total", stats.joinedLines)
        count("weft_malformed_lines_total", stats.malformedLines)
        count("weft_truncated_lines_total", stats.truncatedLines)
        count("weft_truncated_records_total", engine.truncatedRecords)
        count("weft_rotations_total", collector.rotationsRenamed, [("kind", "renamed")])
        count("weft_rotations_total", collector.rotationsTruncated, [("kind", "truncated")])
        count("weft_rotations_total", collector.rotationsDeleted, [("kind", "deleted")])
        count("weft_checkpoint_writes_total", collector.checkpointWrites)
        count("weft_checkpoint_failures_total", collector.checkpointFailures)
        for reason in FlushReason.allCases {
            let records = engine.recordsByReason[Int(reason.rawValue)]
            if records > 0 { count("weft_records_total", records, [("flush_reason", "\(reason.name)")]) }
        }
        for (parser, records) in engine.recordsByParser {
            count("weft_multiline_records_total", records, [("parser", parser)])
        }
        gauge("weft_files_open", collector.filesOpen)
        gauge("weft_files_waiting", collector.filesWaiting)
        gauge("weft_pending_bytes", pipeline.engine.pendingByteCount)
        gauge("weft_oldest_unacknowledged_seconds", Double(collector.oldestUnacknowledgedAge) / 1e9)
    }

    /// `weft_backpressure_seconds_total` from the meter (which the metrics server also publishes before a scrape,
    /// so that a wait in progress shows).
    public func publish(_ waits: OutputWaitMeter, at now: Int64) {
        waits.attach {
            FloatingPointCounter(label: "weft_backpressure_seconds_total", dimensions: source, factory: factory)
        }
        waits.publish(at: now)
    }

    private mutating func count(_ name: String, _ value: some BinaryInteger, _ dimensions: [(String, String)] = []) {
        let key = dimensions.isEmpty ? name : name + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let value = Int64(value)
        if var entry = counters[key] {
            if value > entry.last { entry.counter.increment(by: value - entry.last) }
            entry.last = value
            counters[key] = entry
        } else {
            let counter = Counter(label: name, dimensions: source + dimensions, factory: factory)
            counter.increment(by: value)
            counters[key] = (counter, value)
        }
    }

    private mutating func gauge(_ name: String, _ value: some BinaryInteger) {
        gauge(name, Double(value))
    }

    private mutating func gauge(_ name: String, _ value: Double) {
        if let gauge = gauges[name] { return gauge.record(value) }
        let gauge = Gauge(label: name, dimensions: source, factory: factory)
        gauge.record(value)
        gauges[name] = gauge
    }
}
