import ArgumentParser
import WeftCore
import WeftExportHTTP
import WeftIO
import WeftPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `weft replay`: what the live agent would have produced from a captured log, deterministically and fast.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay captured logs on a virtual clock driven by their own timestamps.",
        discussion: """
            Each entry's timestamp (Docker and CRI times, or a time printed at the start of a plain-text line: \
            RFC 3339 / ISO 8601, `YYYY-MM-DD HH:MM:SS[.,]fff`, Go's `YYYY/MM/DD HH:MM:SS`, syslog's \
            `Mon dd HH:MM:SS` in the current year; times without a zone are UTC) moves the clock, so flush timeouts \
            fire exactly where they would have live, and replaying the same file twice gives byte-identical output. \
            Lines without a time happen at the time of the line before them. Files are replayed one after another, \
            each as its own source. A summary goes to standard error at the end.
            """
    )

    @OptionGroup var options: PipelineOptions

    @Option(
        help: "Re-emit records in real time scaled by this factor (2 = twice as fast); default: as fast as possible.")
    var speed: Double?

    @Flag(help: "Explain on standard error which parser, state and rule took each line, and why each record ended.")
    var explain = false

    @Flag(inversion: .prefixedNo, help: "Print the summary on standard error at the end.")
    var summary = true

    @Flag(help: "Show a progress bar on standard error even when it is not a terminal.")
    var progress = false

    @Argument(help: "Captured log files, replayed in order.")
    var files: [String]

    func validate() throws {
        if let speed, !(speed > 0) { throw ValidationError("--speed must be a positive number") }
        if files.isEmpty { throw ValidationError("name at least one file to replay") }
    }

    @OptionGroup(title: "OTLP/HTTP output") var otlp: OTLPOptions

    func run() throws {
        let signals = try SignalSource()
        if let endpoint = try otlp.endpoint() {
            var runner = try Runner(
                options: options, output: try otlp.makeOutput(endpoint: endpoint), clock: FixedClock(),
                explain: explain, clockMode: .logTimestamps, speed: speed, signals: signals)
            try replay(&runner)
            try otlp.finish(&runner)
            if summary { writeStandardError(runner.summary()) }
            return
        }
        var runner = try Runner(
            options: options, output: FileOutput(fd: STDOUT_FILENO, name: "stdout", format: options.outputFormat),
            clock: FixedClock(), explain: explain, clockMode: .logTimestamps, speed: speed, signals: signals)
        try replay(&runner)
        try runner.finish()
        if summary { writeStandardError(runner.summary()) }
    }

    private func replay<O: RecordOutput>(_ runner: inout Runner<O>) throws {
        if progress || isatty(STDERR_FILENO) == 1 { runner.progress = Progress() }
        for path in files { try runner.runFile(path) }
    }
}

/// Replay's wall clock stands still: only the log's timestamps move time.
struct FixedClock: PipelineClock {
    func now() -> Int64 { 0 }
}
