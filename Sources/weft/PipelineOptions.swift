import ArgumentParser
import WeftDecoding
import WeftMultiline
import WeftOutput
import WeftPipeline

extension LogFormat: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}

/// Options every mode shares: input format, parsers, bounds, output.
struct PipelineOptions: ParsableArguments {
    @Option(
        help: """
            Input format: auto (detect per source from its first lines), docker, cri, plain, or what a tool prints on \
            a pipe: timestamped (kubectl --timestamps, docker logs -t), kubectl (--prefix), compose, stern, journal \
            (journalctl short, short-iso, short-precise; syslog files), journal-json (journalctl -o json).
            """)
    var format: LogFormat = .auto

    @Option(
        help: ArgumentHelp(
            "Built-in parsers to run, comma-separated (see `weft parsers list`), all, or none.",
            valueName: "names"))
    var parsers = "all"

    @Option(name: .customLong("parsers-file"), help: "A rule file of your own (repeatable); tried after the built-ins.")
    var parsersFiles: [String] = []

    @Option(help: "Flush a stream's pending record after it has been quiet this long (e.g. 500ms, 2s).")
    var flushTimeout: Duration = Duration(nanoseconds: MultilineConfiguration().flushTimeout)

    @Option(
        help: """
            Longest pause inside one trace (e.g. 250ms; 0 for none): a weak join (a message going on, a header line, \
            a line on trial) does not cross a longer gap between the lines' timestamps (or arrivals).
            """)
    var burstWindow: Duration = Duration(nanoseconds: MultilineConfiguration().burstWindow)

    @Option(help: "Cut a record (marked weft.truncated) at this many lines.")
    var maxLines = MultilineConfiguration().maxLines

    @Option(help: "Cut a record (marked weft.truncated) at this many bytes (e.g. 512KiB, 1MiB).")
    var maxBytes = ByteCount(MultilineConfiguration().maxBytes)

    @Option(help: "Cut a physical or rejoined line at this many bytes.")
    var maxLineBytes = ByteCount(PipelineConfiguration().maxLineBytes)

    @Option(help: "Bound on the bytes held in pending records across all streams.")
    var maxPendingBytes = ByteCount(MultilineConfiguration().maxPendingBytes)

    @Option(help: "Backtracking work one rule may spend on one line before it counts as not matching.")
    var regexMatchLimit: UInt32 = MultilineConfiguration().regexMatchLimit

    @Option(help: "Match limit of a rule once it has hit --regex-match-limit (catastrophic backtracking).")
    var regexProbationLimit: UInt32 = MultilineConfiguration().regexProbationLimit

    @Option(help: "Output: json (OpenTelemetry-shaped JSON lines) or body (each record's text, for the shell).")
    var outputFormat: OutputFormat = .json

    func parserSet() throws -> ParserSet {
        let extra = try parsersFiles.map { try loadRuleFile($0, given: "--parsers-file").file }
        let names: [String]? =
            switch parsers {
            case "all": nil
            case "none", "": []
            default: parsers.split(separator: ",").map { String($0).trimmingSpaces() }
            }
        return try ParserSet.make(builtIns: names, extra: extra)
    }

    func configuration() -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.format = format
        configuration.maxLineBytes = maxLineBytes.value
        configuration.multiline.flushTimeout = flushTimeout.nanoseconds
        configuration.multiline.burstWindow = burstWindow.nanoseconds
        configuration.multiline.maxLines = maxLines
        configuration.multiline.maxBytes = maxBytes.value
        configuration.multiline.maxPendingBytes = maxPendingBytes.value
        configuration.multiline.regexMatchLimit = regexMatchLimit
        configuration.multiline.regexProbationLimit = regexProbationLimit
        return configuration
    }

    func validate() throws {
        guard maxLines >= 1 else { throw ValidationError("--max-lines must be at least 1") }
        guard maxBytes.value >= 64 else { throw ValidationError("--max-bytes must be at least 64 bytes") }
        guard maxLineBytes.value >= 64 else { throw ValidationError("--max-line-bytes must be at least 64 bytes") }
        guard flushTimeout.nanoseconds > 0 else { throw ValidationError("--flush-timeout must be positive") }
        guard regexMatchLimit >= 1000 else { throw ValidationError("--regex-match-limit must be at least 1000") }
        guard regexProbationLimit >= 100, regexProbationLimit <= regexMatchLimit else {
            throw ValidationError("--regex-probation-limit must be at least 100 and at most --regex-match-limit")
        }
    }
}

/// A time span written as `250ms`, `1s`, `1.5s`, `2m`, `24h`, `7d` (a bare number means milliseconds).
struct Duration: ExpressibleByArgument, CustomStringConvertible {
    var nanoseconds: Int64

    init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    init?(argument: String) {
        let units: [(String, Double)] = [
            ("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9),
        ]
        for (suffix, scale) in units where argument.hasSuffix(suffix) {
            guard let value = Double(argument.dropLast(suffix.count)), value >= 0 else { return nil }
            nanoseconds = Int64(value * scale)
            return
        }
        guard let value = Double(argument), value >= 0 else { return nil }
        nanoseconds = Int64(value * 1e6)
    }

    var description: String {
        nanoseconds % 1_000_000_000 == 0 ? "\(nanoseconds / 1_000_000_000)s" : "\(nanoseconds / 1_000_000)ms"
    }
    var defaultValueDescription: String { description }
}

/// A byte count written as `4096`, `64KiB`, `1MiB`, `1GiB` (also KB/MB/GB, meaning the same powers of two).
struct ByteCount: ExpressibleByArgument, CustomStringConvertible {
    var value: Int

    init(_ value: Int) { self.value = value }

    init?(argument: String) {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30),
        ]
        for (suffix, scale) in units where argument.hasSuffix(suffix) {
            guard let number = Int(argument.dropLast(suffix.count)), number >= 0 else { return nil }
            value = number * scale
            return
        }
        guard let number = Int(argument), number >= 0 else { return nil }
        value = number
    }

    var description: String {
        if value % (1 << 20) == 0 { return "\(value >> 20)MiB" }
        if value % (1 << 10) == 0 { return "\(value >> 10)KiB" }
        return "\(value)"
    }
    var defaultValueDescription: String { description }
}

extension String {
    func trimmingSpaces() -> String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
