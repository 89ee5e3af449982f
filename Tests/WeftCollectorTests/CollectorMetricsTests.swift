import Prometheus
import Testing
import WeftCollector
import WeftTestSupport

/// The collector's counters reach swift-metrics (here a Prometheus registry of the test's own) as they grow,
/// counted once however often they are published.
@Suite struct CollectorMetricsTests {

    @Test func publishedCountersFollowTheCollector() throws {
        let workspace = try CollectorTests.Workspace()
        workspace.append(
            "app.log", "one\ntwo\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n")
        workspace.append("app.log", "ValueError: bad\n")
        var run = try CollectorTests.Run(workspace)
        let registry = PrometheusCollectorRegistry()
        var metrics = CollectorMetrics(factory: PrometheusMetricsFactory(registry: registry))
        try run.settle(advancing: 200)
        metrics.publish(run.collector.statistics, pipeline: run.collector.pipeline)
        var samples = prometheusSamples(registry.emitToString())
        #expect(samples["weft_input_lines_total"] == 5)
        #expect(samples["weft_input_bytes_total"] == 94)
        #expect(samples["weft_files_discovered_total"] == 1)
        #expect(samples["weft_files_open"] == 1)
        #expect(samples[#"weft_multiline_records_total{parser="python"}"#] == 1)
        let records = samples.filter { $0.key.hasPrefix("weft_records_total{") }.values.reduce(0, +)
        #expect(records == 3)

        // Published again, with and without growth: counters add only what is new.
        metrics.publish(run.collector.statistics, pipeline: run.collector.pipeline)
        workspace.append("app.log", "three\n")
        workspace.rename("app.log", "app.log.1")
        try run.settle(advancing: 1000)
        metrics.publish(run.collector.statistics, pipeline: run.collector.pipeline)
        samples = prometheusSamples(registry.emitToString())
        #expect(samples["weft_input_lines_total"] == 6)
        #expect(samples["weft_input_bytes_total"] == 100)
        #expect(samples[#"weft_rotations_total{kind="renamed"}"#] == 1)
        #expect(samples["weft_files_released_total"] == 1)
        #expect(samples["weft_files_open"] == 0)
        #expect(samples["weft_pending_bytes"] == 0)
    }
}
