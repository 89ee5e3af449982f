import WeftCore
import WeftIO
import WeftMultiline
import WeftOutput
import WeftPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The read loop around the pure ``Pipeline``: reads inputs, passes the clock, stops on a signal.
///
/// Single-threaded on purpose: the output is written with blocking `write(2)`, so when the reader of standard
/// output is slow, the loop stops reading its inputs (backpressure) and nothing is dropped.
struct Runner<Output: RecordOutput> {
    var pipeline: Pipeline
    var output: PacedOutput<Output>
    let clock: any PipelineClock
    let explain: Bool
    var progress: Progress?
    /// SIGINT/SIGTERM: stop reading, flush what is pending, exit.
    let signals: SignalSource
    let started = SystemClock().now()
    private var notedUntimed = false

    /// - Parameters:
    ///   - clockMode: `.external` for live input (the wall clock), `.logTimestamps` for replay.
    ///   - speed: replay only: re-emit records in real time scaled by this factor (nil: as fast as possible).
    init(
        options: PipelineOptions, output: Output, clock: any PipelineClock, explain: Bool,
        clockMode: ClockMode = .external, speed: Double? = nil, signals: SignalSource
    ) throws {
        self.signals = signals
        var configuration = options.configuration()
        configuration.clock = clockMode
        configuration.plainTimestampYear = Int64(currentUTCYear())
        pipeline = Pipeline(parsers: try options.parserSet(), configuration: configuration)
        self.output = PacedOutput(base: output, pacing: speed.map { Pacing(speed: $0, signals: signals) })
        self.clock = clock
        self.explain = explain
        if explain {
            let printer = ExplainPrinter()
            pipeline.setExplain { printer.print($0) }
        }
    }

    /// Reads a file to its end as its own source.
    mutating func runFile(_ path: String) throws {
        var reader = try FileDescriptorReader.open(path)
        defer { reader.close() }
        let source = pipeline.addSource(SourceInfo(path: path))
        var info = stat()
        let size = fstat(reader.fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : 0
        progress?.begin(path: path, size: size)
        while signals.received() == nil, try feed(from: &reader, source: source) > 0 {}
        try pipeline.endOfSource(source, now: clock.now(), into: &output)
        progress?.end()
        noteUntimedSource(path)
    }

    /// `--explain` in replay: a file whose lines carry no time cannot fire the flush timeout; say so once.
    private mutating func noteUntimedSource(_ path: String) {
        let statistics = pipeline.statistics
        guard explain, pipeline.configuration.clock == .logTimestamps, !notedUntimed, statistics.untimedLines > 0,
            statistics.firstTime == Timestamp.none
        else { return }
        notedUntimed = true
        writeStandardError(
            "note: no line of \(path) starts with a timestamp weft recognises, so replay has no clock there: "
                + "the flush timeout never fires inside the file (records end at the next record or at the end)\n")
    }

    /// Reads standard input until it closes or a signal arrives, firing flush timeouts while it is idle.
    mutating func runStandardInput() throws {
        let source = pipeline.addSource(SourceInfo(path: nil))
        var reader = FileDescriptorReader(fd: STDIN_FILENO, path: "stdin")
        reader.growPipeBuffer()
        var watched = [
            pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
        ]
        let count = nfds_t(signals.fd >= 0 ? 2 : 1)
        while signals.received() == nil {
            var ready = poll(&watched, count, 0)
            if ready == 0 {
                // Nothing to read right now: hand the output everything before waiting.
                try output.flush()
                ready = poll(&watched, count, waitMilliseconds())
            }
            if ready < 0 {
                if errno == EINTR { continue }
                throw RunError.read(path: "stdin", errno: errno)
            }
            if ready == 0 {
                try pipeline.advance(to: clock.now(), into: &output)
                continue
            }
            if watched[0].revents == 0 { continue }  // only the signal descriptor: the loop condition sees it
            if try feed(from: &reader, source: source) == 0 { break }
        }
        try pipeline.endOfSource(source, now: clock.now(), into: &output)
    }

    /// Flushes everything pending and writes it out.
    mutating func finish() throws {
        try pipeline.finish(now: clock.now(), into: &output)
        try output.flush()
    }

    /// The run summary (stderr): lines in, records out by parser and reason, bounds hit, time span.
    func summary() -> String {
        Summary(
            statistics: pipeline.statistics, engine: pipeline.engine.statistics,
            matchLimitHits: pipeline.engine.matchLimitHits, elapsed: SystemClock().now() - started
        ).text
    }

    /// Reads one chunk from `reader` into the pipeline, then fires the timeouts due. Returns the bytes read.
    private mutating func feed(from reader: inout FileDescriptorReader, source: SourceID) throws -> Int {
        let now = clock.now()
        var failure: Output.Failure?
        let count = try reader.readChunk { bytes in
            do throws(Output.Failure) { try pipeline.feed(bytes, from: source, now: now, into: &output) } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        progress?.advance(by: count)
        try pipeline.advance(to: now, into: &output)
        return count
    }

    private func waitMilliseconds() -> Int32 {
        guard let deadline = pipeline.nextDeadline else { return -1 }
        let remaining = (deadline - clock.now() + 999_999) / 1_000_000
        return Int32(clamping: max(0, remaining))
    }
}
