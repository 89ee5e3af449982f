import Benchmark
import Foundation
import WeftCore
import WeftDecoding
import WeftExport
import WeftMultiline
import WeftOutput
import WeftPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The encodings of the OTLP output against the JSON lines, on the same records: the ones the pipeline makes of the
// generated Docker input (`bench-data/micro-docker-<MiB>.log`, as WeftStages uses; generate it with
// `python3 Benchmarks/generate.py docker 16 bench-data/micro-docker-16.log` or by running WeftStages once).
//
// MiB/s counts record bodies in (as WeftStages' `encoding/json`); batches are cut at 1 MiB of request, as
// `--batch-max-bytes 1MiB` will. gzip is measured on those protobuf requests, MiB/s of request in.

let megabytes = Int(ProcessInfo.processInfo.environment["WEFT_MICRO_MB"] ?? "") ?? 16

let dockerBytes: [UInt8] = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let directory =
        ProcessInfo.processInfo.environment["WEFT_BENCH_DATA"].map { URL(fileURLWithPath: $0) }
        ?? root.appendingPathComponent("bench-data")
    let file = directory.appendingPathComponent("micro-docker-\(megabytes).log")
    guard let data = FileManager.default.contents(atPath: file.path) else {
        fatalError("missing \(file.path): run the WeftStages benchmarks once, or Benchmarks/generate.py")
    }
    return [UInt8](data)
}()

let dockerPath =
    "/var/log/containers/api-7d9f8b6c5-x2x9z_shop_api-"
    + "0b6c3e1f2a4d5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e.log"
let dockerSource = SourceInfo(
    path: dockerPath, resource: KubernetesPath.resource(forPath: dockerPath),
    attributes: [(key: "container.runtime.name", value: "docker")])

/// The records the pipeline makes of the Docker input, their bodies copied into one arena.
struct RecordTable: RecordOutput {
    struct Entry {
        var offset: Int
        var count: Int
        var stream: LogStream
        var time: Int64
        var observedTime: Int64
        var lineCount: Int
        var parser: String?
        var reason: FlushReason
        var truncated: Bool
    }

    var arena: [UInt8] = []
    var entries: [Entry] = []

    mutating func write(_ record: Record) {
        entries.append(
            Entry(
                offset: arena.count, count: record.body.count, stream: record.stream, time: record.time,
                observedTime: record.observedTime, lineCount: record.lineCount, parser: record.parser,
                reason: record.flushReason, truncated: record.truncated))
        arena.append(contentsOf: record.body)
    }

    @inline(__always)
    func forEach(_ body: (Record) -> Void) {
        arena.withUnsafeBytes { all in
            for entry in entries {
                body(
                    Record(
                        source: 0, stream: entry.stream, time: entry.time, observedTime: entry.observedTime,
                        body: UnsafeRawBufferPointer(rebasing: all[entry.offset..<entry.offset + entry.count]),
                        lineCount: entry.lineCount, parser: entry.parser, flushReason: entry.reason,
                        truncated: entry.truncated))
            }
        }
    }
}

let records: RecordTable = {
    do {
        var pipeline = Pipeline(parsers: try ParserSet.make())
        var table = RecordTable()
        let source = pipeline.addSource(SourceInfo(path: nil), format: .docker)
        dockerBytes.withUnsafeBytes { pipeline.feed($0, from: source, now: 1_764_392_400_000_000_000, into: &table) }
        pipeline.endOfSource(source, now: 1_764_392_400_000_000_000, into: &table)
        pipeline.finish(now: 1_764_392_400_000_000_000, into: &table)
        return table
    } catch {
        fatalError("built-in parsers: \(error)")
    }
}()

/// The protobuf requests of all the records, cut at 1 MiB.
let protobufRequests: [[UInt8]] = {
    var encoder = OTLPLogsEncoder(scopeVersion: "bench")
    var requests: [[UInt8]] = []
    records.forEach { record in
        encoder.append(record, source: dockerSource)
        if encoder.byteCount >= 1 << 20 { requests.append(Array(encoder.finish())) }
    }
    requests.append(Array(encoder.finish()))
    return requests
}()

enum Throughput {
    static let mebibytes = BenchmarkMetric.custom("MiB/s", polarity: .prefersLarger, useScalingFactor: false)
    static let records = BenchmarkMetric.custom("K records/s", polarity: .prefersLarger, useScalingFactor: false)
    /// Compressed size per 1000 bytes in.
    static let ratio = BenchmarkMetric.custom("‰ of input", polarity: .prefersSmaller, useScalingFactor: false)

    @inline(__always)
    static func time(_ body: () -> Void) -> Double {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        body()
        clock_gettime(CLOCK_MONOTONIC, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }

    static func report(_ benchmark: Benchmark, seconds: Double, bytes: Int, records: Int? = nil) {
        benchmark.measurement(mebibytes, Int((Double(bytes) / 1_048_576 / seconds).rounded()))
        if let records { benchmark.measurement(Self.records, Int((Double(records) / 1000 / seconds).rounded())) }
    }
}

func configuration(_ custom: [BenchmarkMetric]) -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .mallocCountTotal] + custom,
        timeUnits: .milliseconds,
        units: Dictionary(uniqueKeysWithValues: custom.map { ($0, BenchmarkUnits.count) }),
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 40
    )
}

// One pass over the records each; functions with inout parameters, so that the measured loops do not reach their
// state through a closure's boxes.

func encodeJSONLines(_ encoder: inout JSONLinesEncoder, _ out: inout RawBuffer) -> Int {
    var written = 0
    records.forEach { record in
        encoder.encode(record, source: dockerSource, into: &out)
        if out.count >= 1 << 20 {
            written &+= out.count
            out.removeAll()
        }
    }
    return written
}

func encodeProtobuf(_ encoder: inout OTLPLogsEncoder) -> Int {
    var written = 0
    records.forEach { record in
        encoder.append(record, source: dockerSource)
        if encoder.byteCount >= 1 << 20 { written &+= encoder.finish().count }
    }
    return written &+ encoder.finish().count
}

func encodeOTLPJSON(_ encoder: inout OTLPJSONEncoder) -> Int {
    var written = 0
    records.forEach { record in
        encoder.append(record, source: dockerSource)
        if encoder.byteCount >= 1 << 20 { written &+= encoder.finish().count }
    }
    return written &+ encoder.finish().count
}

let benchmarks: @Sendable () -> Void = {
    let metrics = [Throughput.mebibytes, Throughput.records]

    Benchmark("encoding/json lines, docker records", configuration: configuration(metrics)) { benchmark in
        var encoder = JSONLinesEncoder()
        var out = RawBuffer(capacity: 2 << 20)
        var written = encodeJSONLines(&encoder, &out)  // warm: the allocations counted are a running output's
        benchmark.startMeasurement()
        let seconds = Throughput.time { written &+= encodeJSONLines(&encoder, &out) }
        blackHole(written + out.count)
        Throughput.report(benchmark, seconds: seconds, bytes: records.arena.count, records: records.entries.count)
    }

    Benchmark("encoding/otlp protobuf, docker records", configuration: configuration(metrics)) { benchmark in
        var encoder = OTLPLogsEncoder(scopeVersion: "bench")
        var written = encodeProtobuf(&encoder)  // warm
        benchmark.startMeasurement()
        let seconds = Throughput.time { written &+= encodeProtobuf(&encoder) }
        blackHole(written)
        Throughput.report(benchmark, seconds: seconds, bytes: records.arena.count, records: records.entries.count)
    }

    Benchmark("encoding/otlp json, docker records", configuration: configuration(metrics)) { benchmark in
        var encoder = OTLPJSONEncoder(scopeVersion: "bench")
        var written = encodeOTLPJSON(&encoder)  // warm
        benchmark.startMeasurement()
        let seconds = Throughput.time { written &+= encodeOTLPJSON(&encoder) }
        blackHole(written)
        Throughput.report(benchmark, seconds: seconds, bytes: records.arena.count, records: records.entries.count)
    }

    for level in [1, 6] {
        Benchmark(
            "gzip/otlp protobuf requests, level \(level)",
            configuration: configuration([Throughput.mebibytes, Throughput.ratio])
        ) { benchmark in
            var gzip: Gzip
            do {
                gzip = try Gzip(level: level)
            } catch {
                fatalError("\(error)")
            }
            var bytesIn = 0
            var bytesOut = 0
            func pass() {
                bytesIn = 0
                bytesOut = 0
                for request in protobufRequests {
                    bytesIn &+= request.count
                    bytesOut &+= request.withUnsafeBytes { gzip.compress($0).count }
                }
            }
            pass()  // warm
            benchmark.startMeasurement()
            let seconds = Throughput.time(pass)
            Throughput.report(benchmark, seconds: seconds, bytes: bytesIn)
            benchmark.measurement(Throughput.ratio, bytesOut * 1000 / max(bytesIn, 1))
        }
    }
}
