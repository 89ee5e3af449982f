import ArgumentParser
import WeftCore
import WeftIO
import WeftPipeline

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

    func run() throws {
        var runner = try Runner(options: options, clock: SystemClock(), explain: explain)
        let inputs = files.isEmpty ? ["-"] : files
        for path in inputs {
            if path == "-" {
                try runner.runStandardInput()
            } else {
                try runner.runFile(path)
            }
        }
        try runner.finish()
        if summary { writeStandardError(runner.summary()) }
    }
}
