import CoreMetrics

/// The sender's counters through the swift-metrics API (exposed by whatever backend the program bootstrapped:
/// `weft tail --metrics-address` serves them in the Prometheus format). Names follow Prometheus conventions; every
/// one is also in ``SenderStatistics`` for the `--stats-interval` line.
struct SenderMetrics: Sendable {
    let batchesSent: Counter
    let recordsSent: Counter
    let retriesConnection: Counter
    let retriesTimeout: Counter
    let retriesThrottled: Counter
    let retriesServer: Counter
    let bytesUncompressed: Counter
    let bytesCompressed: Counter
    let partialRejected: Counter
    let deadLetteredBatches: Counter
    let deadLetteredRecords: Counter
    let queueDepth: Gauge
    /// Every request, successful or not, from sending to the answer (or the failure).
    let requestDuration: Timer

    init(factory: any MetricsFactory, dimensions common: [(String, String)]) {
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
            Counter(label: name, dimensions: common + dimensions, factory: factory)
        }
        batchesSent = counter("weft_otlp_batches_sent_total")
        recordsSent = counter("weft_otlp_records_sent_total")
        retriesConnection = counter("weft_otlp_retries_total", [("cause", "connection")])
        retriesTimeout = counter("weft_otlp_retries_total", [("cause", "timeout")])
        retriesThrottled = counter("weft_otlp_retries_total", [("cause", "throttled")])
        retriesServer = counter("weft_otlp_retries_total", [("cause", "server")])
        bytesUncompressed = counter("weft_otlp_payload_bytes_total", [("stage", "uncompressed")])
        bytesCompressed = counter("weft_otlp_payload_bytes_total", [("stage", "sent")])
        partialRejected = counter("weft_otlp_partial_success_rejected_records_total")
        deadLetteredBatches = counter("weft_otlp_dead_lettered_batches_total")
        deadLetteredRecords = counter("weft_otlp_dead_lettered_records_total")
        queueDepth = Gauge(label: "weft_otlp_queue_batches", dimensions: common, factory: factory)
        requestDuration = Timer(label: "weft_otlp_request_duration_seconds", dimensions: common, factory: factory)
    }
}
