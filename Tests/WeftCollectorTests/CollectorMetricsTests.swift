import Foundation
import Prometheus
import Synchronization
import Testing
import WeftCollector
import WeftCore
import WeftIO
import WeftMultiline
import WeftPipeline
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

    /// A clock that only its owner moves, read by the collector around each flush.
    final class Stopwatch: Sendable {
        let now = Atomic<Int64>(0)
    }

    /// An output whose every flush with records in it takes 250 ms of the stopwatch's time: a slow backend.
    struct SlowSink: RecordOutput {
        var inner: CollectingSink
        let stopwatch: Stopwatch
        var unflushed = false
        var slowFlushes = 0

        mutating func write(_ record: Record) {
            inner.write(record)
            unflushed = true
        }

        mutating func flush() {
            if unflushed {
                stopwatch.now.add(250_000_000, ordering: .relaxed)
                slowFlushes += 1
            }
            unflushed = false
            inner.flush()
        }
    }

    /// The time the collector spends in its output's flush (reading paused) reaches
    /// `weft_backpressure_seconds_total`, to the nanosecond of the clock it reads.
    @Test func timeInTheOutputIsPublishedAsBackpressure() throws {
        let workspace = try CollectorTests.Workspace()
        workspace.append("app.log", "one\ntwo\n")
        let acknowledgements = Acknowledgements()
        let stopwatch = Stopwatch()
        var collector = try Collector(
            configuration: CollectorConfiguration(globs: [workspace.logs + "/*.log"], stateDirectory: workspace.state),
            pipeline: Pipeline(parsers: try .make()),
            output: SlowSink(inner: CollectingSink(acknowledgements: acknowledgements), stopwatch: stopwatch),
            acknowledgements: acknowledgements, useInotify: false, logger: CapturingLogHandler.silent)
        collector.stopwatch = { stopwatch.now.load(ordering: .relaxed) }
        var clock = ManualClock()
        func settle() throws {
            while try collector.step(now: clock.now) {}
            clock.advance(byMilliseconds: 200)
            while try collector.step(now: clock.now) {}
        }
        let registry = PrometheusCollectorRegistry()
        let metrics = CollectorMetrics(factory: PrometheusMetricsFactory(registry: registry))
        try settle()
        workspace.append("app.log", "three\n")
        try settle()
        metrics.publish(collector.outputWaits, at: stopwatch.now.load(ordering: .relaxed))
        let slow = collector.output.slowFlushes
        #expect(slow >= 2, "two appends, each flushed once it left the engine")
        #expect(collector.statistics.outputWaitNanoseconds == Int64(slow) * 250_000_000)
        #expect(prometheusSamples(registry.emitToString())["weft_backpressure_seconds_total"] == Double(slow) * 0.25)

        // Published again after more waiting: the counter adds what is new.
        workspace.append("app.log", "four\n")
        try settle()
        metrics.publish(collector.outputWaits, at: stopwatch.now.load(ordering: .relaxed))
        metrics.publish(collector.outputWaits, at: stopwatch.now.load(ordering: .relaxed))  // counted once
        let samples = prometheusSamples(registry.emitToString())
        #expect(samples["weft_backpressure_seconds_total"] == Double(collector.output.slowFlushes) * 0.25)
        #expect(collector.output.slowFlushes > slow)
    }

    /// An output in front of a slow backend with a full queue: every flush with records in it waits 3 s of the
    /// stopwatch's time and acknowledges only what the flush before it took.
    struct LaggingSink: RecordOutput {
        var inner = CollectingSink()
        let acknowledgements: Acknowledgements
        let stopwatch: Stopwatch
        var written: UInt64 = 0
        var flushed: UInt64 = 0

        mutating func write(_ record: Record) {
            inner.write(record)
            written = record.sequence
        }

        mutating func flush() {
            guard written != flushed else { return }
            stopwatch.now.add(3_000_000_000, ordering: .relaxed)
            acknowledgements.acknowledge(through: flushed)
            flushed = written
        }
    }

    /// The records of a round whose flush waited are as old as that wait when it ends: the round's clock reading was
    /// taken before the flush, and the age of the oldest unacknowledged record must not read 0 while a full queue
    /// holds the collector (as it did in the dashboard's soak run).
    @Test func theOldestUnacknowledgedRecordAgesWhileTheFlushWaits() throws {
        let workspace = try CollectorTests.Workspace()
        workspace.append("app.log", "one\ntwo\nthree\n")
        let acknowledgements = Acknowledgements()
        let stopwatch = Stopwatch()
        var collector = try Collector(
            configuration: CollectorConfiguration(globs: [workspace.logs + "/*.log"], stateDirectory: workspace.state),
            pipeline: Pipeline(parsers: try .make()),
            output: LaggingSink(acknowledgements: acknowledgements, stopwatch: stopwatch),
            acknowledgements: acknowledgements, useInotify: false, logger: CapturingLogHandler.silent)
        collector.stopwatch = { stopwatch.now.load(ordering: .relaxed) }
        let clock = ManualClock()
        while collector.output.flushed == 0 { try collector.step(now: clock.now) }
        #expect(collector.statistics.oldestUnacknowledgedAge == 3_000_000_000)
    }

    /// `process_resident_memory_bytes` is this process' resident set, as the kernel counts it in /proc/self/status.
    @Test func residentMemoryIsPublished() throws {
        let registry = PrometheusCollectorRegistry()
        ProcessMetrics(factory: PrometheusMetricsFactory(registry: registry)).publish()
        let published = try #require(prometheusSamples(registry.emitToString())["process_resident_memory_bytes"])
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try #require(Double(line.split(separator: " ")[1]))
        #expect(published > Double(4 << 20), "a Swift test process holds more than 4 MiB")
        #expect(abs(published - kilobytes * 1024) < kilobytes * 1024 * 0.1, "statm \(published), VmRSS \(kilobytes) kB")
    }
}
