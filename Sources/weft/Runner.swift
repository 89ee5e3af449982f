import ArgumentParser
import WeftCore
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
    private var buffer = [UInt8](repeating: 0, count: 256 << 10)

    init(options: PipelineOptions, clock: any PipelineClock, explain: Bool) throws {
        pipeline = Pipeline(parsers: try options.parserSet(), configuration: options.configuration())
        output = WriterOutput(writer: OutputWriter(fd: STDOUT_FILENO, name: "stdout", format: options.outputFormat))
        self.clock = clock
        if explain {
            let printer = ExplainPrinter()
            pipeline.setExplain { printer.print($0) }
        }
        installTerminationHandler()
    }

    /// Reads a file to its end as its own source.
    mutating func runFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RunError.open(path: path, errno: errno) }
        defer { close(fd) }
        let source = pipeline.addSource(SourceInfo(path: path))
        while true {
            let count = try readChunk(fd, name: path)
            if count == 0 { break }
            try feed(count, source: source)
            if terminationRequested != 0 { break }
        }
        pipeline.endOfSource(source, now: clock.now(), into: &output)
        try output.check()
    }

    /// Reads standard input until it closes, firing flush timeouts while it is idle.
    mutating func runStandardInput() throws {
        let source = pipeline.addSource(SourceInfo(path: nil))
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
            let count = try readChunk(STDIN_FILENO, name: "stdin")
            if count == 0 { break }
            try feed(count, source: source)
        }
        pipeline.endOfSource(source, now: clock.now(), into: &output)
        try output.check()
    }

    /// Flushes everything pending and writes it out.
    mutating func finish() throws {
        pipeline.finish(into: &output)
        try output.check()
        try output.flush()
    }

    private mutating func feed(_ count: Int, source: SourceID) throws {
        let now = clock.now()
        buffer.withUnsafeBytes { bytes in
            pipeline.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count]), from: source, now: now, into: &output)
        }
        pipeline.advance(to: now, into: &output)
        try output.check()
    }

    private mutating func readChunk(_ fd: Int32, name: String) throws -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count >= 0 { return count }
            if errno == EINTR {
                if terminationRequested != 0 { return 0 }
                continue
            }
            throw RunError.read(path: name, errno: errno)
        }
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

    mutating func write(_ record: Record, source: SourceInfo) {
        guard failure == nil else { return }
        do { try writer.write(record, source: source) } catch { failure = error }
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
    case open(path: String, errno: Int32)
    case read(path: String, errno: Int32)
    case write(WriteError)

    var description: String {
        switch self {
        case .open(let path, let code): "cannot open \(path): \(String(cString: strerror(code)))"
        case .read(let path, let code): "cannot read \(path): \(String(cString: strerror(code)))"
        case .write(let error): "\(error)"
        }
    }
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

/// Reads a whole (small) text file: rule files.
func readTextFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw RunError.open(path: path, errno: errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw RunError.read(path: path, errno: errno)
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
