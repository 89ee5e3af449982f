import CoreMetrics
import NIOCore
import NIOHTTP1
import Prometheus
import Testing
import WeftCore
import WeftMetricsServer
import WeftTestSupport

/// The metrics server over real loopback HTTP: the registry at /metrics, the probes at /healthz and /readyz.
@Suite struct MetricsServerTests {
    struct Answer {
        var status: Int
        var contentType: String?
        var body: String
    }

    struct NoAnswer: Error {
        var url: String
    }

    static func get(_ url: String, method: String = "GET") async throws -> Answer {
        guard let answer = LoopbackHTTP.request(url, method: method) else {
            throw NoAnswer(url: url)
        }
        return Answer(status: answer.status, contentType: answer.headers["content-type"], body: answer.body)
    }

    @Test func servesTheRegistryAndTheProbes() async throws {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        Counter(label: "weft_test_records_total", dimensions: [("parser", "java")], factory: factory)
            .increment(by: 3)
        Timer(label: "weft_test_duration_seconds", factory: factory).recordMilliseconds(30)
        let healthy = Locked(true)
        let server = try MetricsServer(
            address: "127.0.0.1:0", registry: registry,
            health: { ProbeResult(ok: healthy.withLock { $0 }, detail: "loop") },
            readiness: { ProbeResult(ok: false, detail: "starting: discovering inputs") })
        defer { server.close() }
        let base = "http://\(server.address)"
        #expect(server.address.hasPrefix("127.0.0.1:") && !server.address.hasSuffix(":0"))

        let metrics = try await Self.get(base + "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.body.contains(#"weft_test_records_total{parser="java"} 3"#))
        #expect(metrics.body.contains("# TYPE weft_test_duration_seconds histogram"))
        #expect(metrics.body.contains(#"weft_test_duration_seconds_bucket{le="0.05"} 1"#))

        #expect(
            try await Self.get(base + "/healthz")
                == Answer(status: 200, contentType: "text/plain; charset=utf-8", body: "loop\n"))
        healthy.withLock { $0 = false }
        #expect(try await Self.get(base + "/healthz").status == 503)
        let ready = try await Self.get(base + "/readyz?verbose")
        #expect(ready.status == 503)
        #expect(ready.body == "starting: discovering inputs\n")

        #expect(try await Self.get(base + "/nothing").status == 404)
        #expect(try await Self.get(base + "/metrics", method: "POST").status == 405)
        let head = try await Self.get(base + "/metrics", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
    }

    /// The hook runs before every /metrics answer (and only then), so what it records is in that very answer: how a
    /// collector blocked on its output still shows its wait and the process' memory.
    @Test func beforeMetricsRunsBeforeEachScrape() async throws {
        let registry = PrometheusCollectorRegistry()
        let gauge = Gauge(label: "weft_test_scrapes", factory: PrometheusMetricsFactory(registry: registry))
        let scrapes = Locked(0)
        let server = try MetricsServer(
            address: "127.0.0.1:0", registry: registry, health: { .init(ok: true, detail: "") },
            readiness: { .init(ok: true, detail: "") },
            beforeMetrics: {
                gauge.record(
                    scrapes.withLock {
                        $0 += 1; return $0
                    })
            })
        defer { server.close() }
        let base = "http://\(server.address)"
        func scraped() async throws -> Double? {
            let line = try await Self.get(base + "/metrics").body.split(separator: "\n").first {
                $0.hasPrefix("weft_test_scrapes ")
            }
            return line.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect(try await scraped() == 1)
        _ = try await Self.get(base + "/healthz")
        #expect(try await scraped() == 2)
    }

    @Test func aTakenPortOrABadAddressIsAClearError() throws {
        let registry = PrometheusCollectorRegistry()
        let first = try MetricsServer(
            address: "127.0.0.1:0", registry: registry, health: { .init(ok: true, detail: "") },
            readiness: { .init(ok: true, detail: "") })
        defer { first.close() }
        #expect(throws: (any Error).self) {
            try MetricsServer(
                address: first.address, registry: registry, health: { .init(ok: true, detail: "") },
                readiness: { .init(ok: true, detail: "") })
        }
        for bad in ["localhost", "127.0.0.1:99999", "127.0.0.1:http"] {
            #expect(throws: MetricsServerError.self) {
                try MetricsServer(
                    address: bad, registry: registry, health: { .init(ok: true, detail: "") },
                    readiness: { .init(ok: true, detail: "") })
            }
        }
    }

    @Test func livenessIsATurnOfTheLoopWithinTheWindow() {
        #expect(ProbeResult.liveness(sinceLastTurn: 2_000_000_000, window: 30_000_000_000).ok)
        let stuck = ProbeResult.liveness(sinceLastTurn: 31_000_000_000, window: 30_000_000_000)
        #expect(!stuck.ok)
        #expect(stuck.detail == "stuck: the loop has not turned for 31000 ms")
    }

    struct Gone: Error, CustomStringConvertible {
        var description: String { "EPIPE writing stdout" }
    }

    @Test func readinessNeedsInputsDiscoveredAndAnOutputWithinBounds() {
        let bound: Int64 = 60_000_000_000
        #expect(ProbeResult.readiness(started: false, failure: nil, failingFor: nil, unreadyAfter: bound).ok == false)
        #expect(
            ProbeResult.readiness(started: true, failure: nil, failingFor: nil, unreadyAfter: bound)
                == ProbeResult(ok: true, detail: "ready"))
        #expect(
            ProbeResult.readiness(started: true, failure: nil, failingFor: 5_000_000_000, unreadyAfter: bound)
                == ProbeResult(ok: true, detail: "ready: output retrying for 5 s, within bounds"))
        #expect(
            ProbeResult.readiness(started: true, failure: nil, failingFor: 61_000_000_000, unreadyAfter: bound)
                == ProbeResult(ok: false, detail: "output unreachable: sends failing for 61 s, retrying"))
        #expect(
            ProbeResult.readiness(started: true, failure: Gone(), failingFor: nil, unreadyAfter: bound)
                == ProbeResult(ok: false, detail: "output failed: EPIPE writing stdout"))
    }
}

extension MetricsServerTests.Answer: Equatable {}
