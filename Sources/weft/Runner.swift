import ArgumentParser
import WeftCore
import WeftFraming
import WeftMultiline
import WeftOutput
import WeftPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The imperative shell around the pure ``Pipeline``: reads inputs, passes the clock, writes output.
///
/// Single-threaded on purpose: the output is written with blocking `write(2)`, so when the reader of standard
/// output is slow, the loop stops reading its inputs (backpressure) and nothing is dropped.
struct Runner {
    var pipeline: Pipeline
    var output: WriterOutput
    let clock: any PipelineClock
    let explain: Bool
    var progress: Progress?
    let started = SystemClock().now()
    private var notedUntimed = false

    /// - Parameters:
    ///   - clockMode: `.external` for live input (the wall clock), `.logTimestamps` for replay.
    ///   - speed: replay only: re-emit records in real time scaled by this factor (nil: as fast as possible).
    init(
        options: PipelineOptions, clock: any PipelineClock, explain: Bool, clockMode: ClockMode = .external,
        speed: Double? = nil
    ) throws {
        var configuration = options.configuration()
        configuration.clock = clockMode
        configuration.plainTimestampYear = Int64(currentUTCYear())
        pipeline = Pipeline(parsers: try options.parserSet(), configuration: configuration)
        output = WriterOutput(writer: OutputWriter(fd: STDOUT_FILENO, name: "stdout", format: options.outputFormat))
        if let speed { output.pacing = Pacing(speed: speed) }
        self.clock = clock
        self.explain = explain
        if explain {
            let printer = ExplainPrinter()
            pipeline.setExplain { printer.print($0) }
        }
        installTerminationHandler()
    }

    /// Reads a file to its end as its own source.
    mutating func runFile(_ path: String) throws {
        var reader = try FileDescriptorReader.open(path)
        defer { reader.close() }
        let source = pipeline.addSource(SourceInfo(path: path))
        var info = stat()
        let size = fstat(reader.fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : 0
        progress?.begin(path: path, size: size)
        while terminationRequested == 0, try feed(from: &reader, source: source) > 0 {}
        pipeline.endOfSource(source, now: clock.now(), into: &output)
        progress?.end()
        try output.check()
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

    /// Reads standard input until it closes, firing flush timeouts while it is idle.
    mutating func runStandardInput() throws {
        let source = pipeline.addSource(SourceInfo(path: nil))
        var reader = FileDescriptorReader(fd: STDIN_FILENO, path: "stdin")
        reader.growPipeBuffer()
        var poller = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        while terminationRequested == 0 {
            var ready = poll(&poller, 1, 0)
            if ready == 0 {
                // Nothing to read right now: hand the output everything before waiting.
                try output.flush()
                ready = poll(&poller, 1, waitMilliseconds())
            }
            if ready < 0 {
                if errno == EINTR { continue }
                throw RunError.read(path: "stdin", errno: errno)
            }
            if ready == 0 {
                pipeline.advance(to: clock.now(), into: &output)
                try output.check()
                continue
            }
            if try feed(from: &reader, source: source) == 0 { break }
        }
        pipeline.endOfSource(source, now: clock.now(), into: &output)
        try output.check()
    }

    /// Flushes everything pending and writes it out.
    mutating func finish() throws {
        pipeline.finish(now: clock.now(), into: &output)
        try output.check()
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
        let count = try reader.readChunk { bytes in
            pipeline.feed(bytes, from: source, now: now, into: &output)
        }
        progress?.advance(by: count)
        pipeline.advance(to: now, into: &output)
        try output.check()
        return count
    }

    private func waitMilliseconds() -> Int32 {
        guard let deadline = pipeline.nextDeadline else { return -1 }
        let remaining = (deadline - clock.now() + 999_999) / 1_000_000
        return Int32(clamping: max(0, remaining))
    }
}

/// Writes records through an ``OutputWriter``, keeping the first write error for the loop to raise.
struct WriterOutput: RecordOutput {
    var writer: OutputWriter
    var failure: WriteError?
    var pacing: Pacing?

    mutating func write(_ record: Record, source: SourceInfo) {
        guard failure == nil else { return }
        do {
            if pacing != nil, let wait = pacing!.delay(for: record.observedTime) {
                try writer.flush()
                sleepNanoseconds(wait)
            }
            try writer.write(record, source: source)
        } catch { failure = error }
    }

    mutating func flush() throws {
        try check()
        try writer.flush()
    }

    func check() throws {
        if let failure { throw RunError.write(failure) }
    }
}

enum RunError: Error, CustomStringConvertible {
    case read(path: String, errno: Int32)
    case write(WriteError)

    var description: String {
        switch self {
        case .read(let path, let code): "cannot read \(path): \(String(cString: strerror(code)))"
        case .write(let error): "\(error)"
        }
    }
}

/// `--speed`: records leave at the pace their lines were written, scaled.
struct Pacing {
    let speed: Double
    private var firstLogTime: Int64?
    private var startWall: Int64 = 0

    init(speed: Double) { self.speed = speed }

    /// How long to wait before writing a record that started at `logTime`, or nil.
    mutating func delay(for logTime: Int64) -> Int64? {
        let wall = SystemClock().now()
        guard let first = firstLogTime else {
            firstLogTime = logTime
            startWall = wall
            return nil
        }
        let due = startWall + Int64(Double(logTime - first) / speed)
        return due > wall ? due - wall : nil
    }
}

func sleepNanoseconds(_ nanoseconds: Int64) {
    var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR && terminationRequested == 0 { request = remaining }
}

func writeStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

func currentUTCYear() -> Int {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    return Int(parts.tm_year) + 1900
}

/// Set by SIGINT/SIGTERM: stop reading, flush what is pending, exit.
nonisolated(unsafe) var terminationRequested: sig_atomic_t = 0

private func installTerminationHandler() {
    var action = sigaction()
    #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in terminationRequested = 1 }
    #else
        action.__sigaction_u.__sa_handler = { _ in terminationRequested = 1 }
    #endif
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0  // no SA_RESTART: a blocked poll/read returns EINTR and the loop sees the request
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
}

/// Reads a whole (small) file: rule files, samples, expectations.
func readFileBytes(_ path: String) throws -> [UInt8] {
    var reader = try FileDescriptorReader.open(path, bufferSize: 64 << 10)
    defer { reader.close() }
    var bytes: [UInt8] = []
    while try reader.readChunk({ bytes.append(contentsOf: $0) }) > 0 {}
    return bytes
}

/// Reads a whole (small) text file.
func readTextFile(_ path: String) throws -> String {
    String(decoding: try readFileBytes(path), as: UTF8.self)
}
