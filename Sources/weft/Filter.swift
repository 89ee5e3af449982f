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

/// The default command: standard input or files in, JSON lines out.
struct Filter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Read standard input or files, write records to standard output (the default command).",
        discussion: """
            With no file (or -), reads standard input until it closes; a stream's pending record is flushed when it \
            has been quiet for --flush-timeout, so `kubectl logs -f pod | weft` shows each trace once it is whole. \
            Files are read in order, each as its own source (log.file.path), and everything pending is flushed at \
            the end. A slow reader of standard output pauses reading: nothing is dropped.
            """
    )

    @OptionGroup var options: PipelineOptions

    @Flag(help: "Explain on standard error which parser, state and rule took each line, and why each record ended.")
    var explain = false

    @Flag(help: "Print a summary (lines, records by parser and flush reason, bounds hit) on standard error at the end.")
    var summary = false

    @Argument(help: "Files to read, in order; none or - for standard input.")
    var files: [String] = []

    @OptionGroup(title: "OTLP/HTTP output") var otlp: OTLPOptions

    /// Reads the files (or standard input) in order, each as its own source.
    private func read<O: RecordOutput>(into runner: inout Runner<O>) throws {
        for path in files.isEmpty ? ["-"] : files {
            if path == "-" {
                try runner.runStandardInput()
            } else {
                try runner.runFile(path)
            }
        }
    }

    func run() throws {
        let signals = try SignalSource()
        if let endpoint = try otlp.endpoint() {
            var runner = try Runner(
                options: options, output: try otlp.makeOutput(endpoint: endpoint), clock: SystemClock(),
                explain: explain, signals: signals)
            try read(into: &runner)
            try otlp.finish(&runner)
            if summary { writeStandardError(runner.summary()) }
            return
        }
        var runner = try Runner(
            options: options, output: FileOutput(fd: STDOUT_FILENO, name: "stdout", format: options.outputFormat),
            clock: SystemClock(), explain: explain, signals: signals)
        try read(into: &runner)
        try runner.finish()
        if summary { writeStandardError(runner.summary()) }
    }
}
