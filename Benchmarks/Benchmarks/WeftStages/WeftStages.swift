import Benchmark
import WeftCore
import WeftDecoding
import WeftFraming
import WeftJoin
import WeftMultiline
import WeftOutput
import WeftPipeline
import WeftRegex

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Per-stage micro-benchmarks: each one runs one stage over a whole in-memory input (see `Inputs`) per iteration, with
// the stages before it done ahead of time, so its time is that stage's alone.
//
// Throughput is reported as custom metrics (MiB/s of the stage's input, thousands of items/s), measured around the
// stage's loop only; `wallClock` is the time of one pass over the input, `mallocCountTotal` the allocations of one
// pass (the hot path should allocate nothing per line).

// MARK: - Inputs, prepared once per process (each benchmark runs in a process of its own)

let plainLines = LineTable(Inputs.bytes("plain"))
let dockerBytes = Inputs.bytes("docker")
let dockerLines = LineTable(dockerBytes)
let containerdLines = LineTable(Inputs.bytes("containerd"))
let crioLines = LineTable(Inputs.bytes("crio"))
let chunkedDockerLines = LineTable(Inputs.bytes("docker", longEvery: 25))

let plainDecoded = DecodedTable(plainLines, format: .plain)
let dockerDecoded = DecodedTable(dockerLines, format: .docker)
let dockerJoined = DecodedTable(joining: dockerDecoded)
let chunkedDockerDecoded = DecodedTable(chunkedDockerLines, format: .docker)

let allParsers: ParserSet = {
    do {
        return try ParserSet.make()
    } catch {
        fatalError("built-in parsers: \(error)")
    }
}()

/// The start rules of every built-in parser, as the engine combines them (see `ParserSet`).
func startPatterns() -> [Pattern] {
    var patterns: [Pattern] = []
    for file in BuiltinParsers.ruleFiles {
        guard let start = file.states.first(where: { $0.name == "start" }) else { continue }
        for rule in start.rules {
            do {
                patterns.append(try Pattern(rule.pattern))
            } catch {
                fatalError("\(file.name): \(error)")
            }
        }
    }
    return patterns
}

let dockerRecords = RecordTable(dockerJoined, parsers: allParsers)

let dockerSource = SourceInfo(
    path: "/var/log/containers/api-7d9f8b6c5-x2x9z_shop_api-"
        + "0b6c3e1f2a4d5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e.log",
    resource: KubernetesPath.resource(
        forPath: "/var/log/containers/api-7d9f8b6c5-x2x9z_shop_api-"
            + "0b6c3e1f2a4d5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e.log"),
    attributes: [(key: "container.runtime.name", value: "docker")])

// MARK: - Reporting

enum Throughput {
    static let mebibytes = BenchmarkMetric.custom("MiB/s", polarity: .prefersLarger, useScalingFactor: false)
    static let lines = BenchmarkMetric.custom("K lines/s", polarity: .prefersLarger, useScalingFactor: false)
    static let records = BenchmarkMetric.custom("K records/s", polarity: .prefersLarger, useScalingFactor: false)

    /// Seconds on the monotonic clock spent in `body`.
    @inline(__always)
    static func time(_ body: () -> Void) -> Double {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        body()
        clock_gettime(CLOCK_MONOTONIC, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }

    static func report(_ benchmark: Benchmark, seconds: Double, bytes: Int, lines: Int? = nil, records: Int? = nil) {
        benchmark.measurement(mebibytes, Int((Double(bytes) / 1_048_576 / seconds).rounded()))
        if let lines { benchmark.measurement(Self.lines, Int((Double(lines) / 1000 / seconds).rounded())) }
        if let records { benchmark.measurement(Self.records, Int((Double(records) / 1000 / seconds).rounded())) }
    }
}

/// Wall time per pass in milliseconds, allocations per pass, and the stage's throughput as plain numbers.
///
/// CPU time is left out: Linux reports it in 10 ms ticks, coarser than one pass; the stages are single-threaded, so
/// wall time is their CPU time on an idle core.
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

/// Passes over the input per iteration for the fast stages, so one iteration lasts tens of milliseconds (a 16 MiB
/// input frames in about 4 ms).
enum Passes {
    static let framing = 8
    static let decoding = 2
    static let join = 4
}

/// Bytes of the lines in `table`, without their newlines.
func textBytes(_ table: LineTable) -> Int { table.lengths.reduce(0, +) }

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    // Framing: memchr over 256 KiB reads, the read size of the CLI.
    for (name, input) in [("plain", { plainLines.bytes }), ("docker", { dockerBytes })] {
        Benchmark("framing/\(name)", configuration: configuration([Throughput.mebibytes, Throughput.lines])) {
            benchmark in
            let bytes = input()
            var lines = 0
            var total = 0
            let seconds = Throughput.time {
                for _ in 0..<Passes.framing {
                    var framer = LineFramer()
                    bytes.withUnsafeBytes { all in
                        var offset = 0
                        while offset < all.count {
                            let end = min(offset + (256 << 10), all.count)
                            framer.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { line, _ in
                                lines += 1
                                total &+= line.count
                            }
                            offset = end
                        }
                    }
                    framer.finish { line, _ in
                        lines += 1
                        total &+= line.count
                    }
                }
            }
            blackHole(total)
            Throughput.report(benchmark, seconds: seconds, bytes: bytes.count * Passes.framing, lines: lines)
        }
    }

    // Decoding: one physical line to an entry. Docker json-file, and CRI as containerd and CRI-O write it.
    for (name, format, input) in [
        ("docker", LogFormat.docker, { dockerLines }), ("cri containerd", LogFormat.cri, { containerdLines }),
        ("cri crio", LogFormat.cri, { crioLines }),
    ] {
        Benchmark("decoding/\(name)", configuration: configuration([Throughput.mebibytes, Throughput.lines])) {
            benchmark in
            let table = input()
            var decoder = LineDecoder(format: format, source: 0)
            var check = 0
            benchmark.startMeasurement()
            let seconds = Throughput.time {
                for _ in 0..<Passes.decoding {
                    table.forEach { physical in
                        let line = decoder.decode(physical, flags: [])
                        check &+= line.text.count &+ Int(line.stream.rawValue)
                    }
                }
            }
            blackHole(check)
            if decoder.malformedCount > 0 { benchmark.error("\(decoder.malformedCount) malformed lines") }
            Throughput.report(
                benchmark, seconds: seconds, bytes: table.bytes.count * Passes.decoding,
                lines: table.count * Passes.decoding)
        }
    }

    // Partial join: decoded Docker entries (16 KiB chunks of long lines) rejoined per stream. "typical" has one long
    // line in 5000 records: nearly every line passes straight through. "chunk-heavy" has one in 25: most bytes are in
    // chunks that are copied and joined.
    for (name, input) in [("docker typical", { dockerDecoded }), ("docker chunk-heavy", { chunkedDockerDecoded })] {
        Benchmark("join/\(name)", configuration: configuration([Throughput.mebibytes, Throughput.lines])) {
            benchmark in
            let table = input()
            var joiner = PartialJoiner()
            var joined = 0
            var check = 0
            benchmark.startMeasurement()
            let seconds = Throughput.time {
                for _ in 0..<Passes.join {
                    table.forEach { line in
                        joiner.push(line, now: 0) { whole in
                            joined += 1
                            check &+= whole.text.count
                        }
                    }
                    joiner.finish { whole in
                        joined += 1
                        check &+= whole.text.count
                    }
                }
            }
            blackHole(check)
            Throughput.report(
                benchmark, seconds: seconds, bytes: table.byteCount * Passes.join, lines: table.count * Passes.join)
        }
    }

    // Rule matching: the multiline engine with every built-in parser, over whole lines. Plain text (one stream), and
    // the joined lines of the Docker input (stdout and stderr apart).
    for (name, input) in [("plain", { plainDecoded }), ("docker joined", { dockerJoined })] {
        Benchmark(
            "multiline/\(name), all built-ins",
            configuration: configuration([Throughput.mebibytes, Throughput.lines, Throughput.records])
        ) { benchmark in
            let table = input()
            var engine = MultilineEngine(parsers: allParsers)
            var output = CountingOutput()
            var now: Int64 = 1_764_392_400_000_000_000
            benchmark.startMeasurement()
            let seconds = Throughput.time {
                table.forEach { line in
                    now &+= 1_000
                    engine.push(line, now: now, into: &output)
                }
                engine.finish(into: &output)
            }
            blackHole(output.bytes)
            if engine.matchLimitHits > 0 { benchmark.error("\(engine.matchLimitHits) match-limit hits") }
            Throughput.report(
                benchmark, seconds: seconds, bytes: table.byteCount, lines: table.count, records: output.records)
        }
    }

    // The start rules alone: every parser's start patterns as one alternation, tried on every plain line, as the
    // engine does for each line outside a trace (reject-first), and with marks for comparison.
    for (name, strategy) in [("reject-first", AlternationSet.Strategy.rejectFirst), ("marks", .marks)] {
        Benchmark(
            "start rules/plain, \(name)", configuration: configuration([Throughput.mebibytes, Throughput.lines])
        ) { benchmark in
            let set = AlternationSet(startPatterns(), strategy: strategy)
            let matcher = Matcher()
            let table = plainLines
            var hits = 0
            benchmark.startMeasurement()
            let seconds = Throughput.time {
                table.forEach { line in
                    if set.firstMatch(in: line, using: matcher) != nil { hits += 1 }
                }
            }
            blackHole(hits)
            Throughput.report(benchmark, seconds: seconds, bytes: textBytes(table), lines: table.count)
        }
    }

    // Encoding: the records the engine made of the Docker input, as OpenTelemetry JSON lines, into a buffer drained
    // at 64 KiB (the file output's threshold). MiB/s counts record bodies in.
    Benchmark(
        "encoding/json, docker records", configuration: configuration([Throughput.mebibytes, Throughput.records])
    ) { benchmark in
        let table = dockerRecords
        let source = dockerSource
        var encoder = JSONLinesEncoder()
        var out: [UInt8] = []
        out.reserveCapacity(128 << 10)
        var written = 0
        benchmark.startMeasurement()
        let seconds = Throughput.time {
            table.forEach { record in
                encoder.encode(record, source: source, into: &out)
                if out.count >= 64 << 10 {
                    written &+= out.count
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        blackHole(written + out.count)
        Throughput.report(benchmark, seconds: seconds, bytes: table.bodyBytes, records: table.count)
    }

    // Everything but I/O: bytes in (256 KiB chunks), JSON lines out into a reused buffer. Compare with the sum of
    // the stages above and with the end-to-end runner (run.sh), which adds read(2) and write(2).
    for (name, input) in [("plain", { plainLines.bytes }), ("docker", { dockerBytes })] {
        Benchmark(
            "pipeline/\(name), in memory",
            configuration: configuration([Throughput.mebibytes, Throughput.lines, Throughput.records])
        ) { benchmark in
            let bytes = input()
            var pipeline = Pipeline(parsers: allParsers)
            let source = pipeline.addSource(SourceInfo(path: nil))
            var output = EncodingOutput()
            benchmark.startMeasurement()
            let seconds = Throughput.time {
                var now: Int64 = 1_764_392_400_000_000_000
                bytes.withUnsafeBytes { all in
                    var offset = 0
                    while offset < all.count {
                        let end = min(offset + (256 << 10), all.count)
                        now &+= 1_000_000
                        do {
                            try pipeline.feed(
                                UnsafeRawBufferPointer(rebasing: all[offset..<end]), from: source, now: now,
                                into: &output)
                            try pipeline.advance(to: now, into: &output)
                        } catch {
                            fatalError("EncodingOutput does not throw")
                        }
                        offset = end
                    }
                }
                do {
                    try pipeline.endOfSource(source, now: now, into: &output)
                    try pipeline.finish(now: now, into: &output)
                } catch {
                    fatalError("EncodingOutput does not throw")
                }
            }
            blackHole(output.written)
            Throughput.report(
                benchmark, seconds: seconds, bytes: bytes.count, lines: pipeline.statistics.physicalLines,
                records: pipeline.engine.statistics.records)
        }
    }
}

/// JSON lines into a buffer drained at 64 KiB, as the CLI's `FileOutput` does, without the write(2): sources are
/// kept from `describe` in a `SourceTable` and looked up once per record.
///
/// It cannot fail, yet it has an error type, as `FileOutput` (`WriteError`) has, so the measured loop pays the same
/// error checks after each write as the CLI's.
struct EncodingOutput: RecordOutput {
    struct Failure: Error {}

    var encoder = JSONLinesEncoder()
    var sources = SourceTable()
    var buffer: [UInt8] = []
    var written = 0

    mutating func describe(_ source: SourceID, as info: SourceInfo) {
        sources.set(source, info)
    }

    mutating func release(_ source: SourceID) {
        sources.remove(source)
        encoder.forget(source)
    }

    mutating func write(_ record: Record) throws(Failure) {
        encoder.encode(record, source: sources[record.source], into: &buffer)
        if buffer.count >= 64 << 10 {
            written &+= buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
