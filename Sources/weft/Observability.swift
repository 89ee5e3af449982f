import ArgumentParser
import CoreMetrics
import Logging
import Prometheus
import WeftCollector
import WeftCore
import WeftExportHTTP
import WeftIO
import WeftMetricsServer

/// `--metrics-address` and what it serves: the Prometheus registry that swift-metrics is bootstrapped with,
/// `/healthz` from the collector's heartbeat and `/readyz` from its start and the output's state.
struct Observability {
    let heartbeat = Heartbeat()
    /// The factory the collector and the sender count through: Prometheus' when serving, swift-metrics' no-op one
    /// otherwise.
    let factory: any MetricsFactory
    private let registry: PrometheusCollectorRegistry?
    private(set) var server: MetricsServer?

    var isServing: Bool { registry != nil }

    init(serving: Bool) {
        if serving {
            let registry = PrometheusCollectorRegistry()
            let factory = PrometheusMetricsFactory(registry: registry)
            MetricsSystem.bootstrap(factory)
            self.registry = registry
            self.factory = factory
        } else {
            registry = nil
            factory = NOOPMetricsHandler.instance
        }
    }

    /// Starts serving at `address` (no-op without a registry).
    ///
    /// - Parameters:
    ///   - liveWindow: nanoseconds without a heartbeat after which `/healthz` says the loop is stuck.
    ///   - unreadyAfter: nanoseconds of failing sends after which `/readyz` says the output is not reachable.
    ///   - senders: the OTLP senders, when records go to them (one per source).
    ///   - outputWaits: the collectors' waits for their outputs, published before each scrape (a collector blocked
    ///     on a stalled backend publishes nothing itself until the wait ends), as is the process' memory.
    mutating func serve(
        at address: String, liveWindow: Int64, unreadyAfter: Int64, acknowledgements: [Acknowledgements],
        senders: [OTLPSender], outputWaits: [OutputWaitMeter], logger: Logger
    ) throws {
        guard let registry else { return }
        let heartbeat = self.heartbeat
        let process = ProcessMetrics(factory: factory)
        do {
            server = try MetricsServer(
                address: address, registry: registry,
                health: { .liveness(sinceLastTurn: heartbeat.age, window: liveWindow) },
                readiness: {
                    .readiness(
                        started: heartbeat.started, failure: acknowledgements.lazy.compactMap(\.failure).first,
                        failingFor: senders.compactMap(\.statistics.failingSince).min().map {
                            MonotonicClock.now() - $0
                        },
                        unreadyAfter: unreadyAfter)
                },
                beforeMetrics: {
                    for meter in outputWaits { meter.publish(at: MonotonicClock.now()) }
                    process.publish()
                })
        } catch {
            throw ValidationError("cannot serve --metrics-address \(address): \(error)")
        }
        logger.info(
            "serving /metrics, /healthz and /readyz", metadata: ["address": "http://\(server!.address)"])
    }

    func close() {
        server?.close()
    }
}
