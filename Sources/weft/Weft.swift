import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `weft`: container and application log lines in, whole records out.
@main
struct Weft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Merge stack traces in logs into whole records and write JSON lines.",
        discussion: """
            Reads standard input (or the files named), rejoins lines the container runtime split, merges every \
            stack trace (Go, Java, Python, Ruby, Node.js, PHP, .NET, Rust) into one record, and writes one JSON \
            object per record to standard output.

              kubectl logs my-pod | weft
              weft --format cri /var/log/pods/shop_api-7d9_*/api/0.log
              weft --explain < app.log
              weft replay --flush-timeout 2s capture.log
              weft parsers test my-rules.yaml sample.log --expect sample.expected.jsonl
            """,
        version: "weft \(version) (commit \(BuildInfo.commit))",
        subcommands: [
            Filter.self, Tail.self, Run.self, ConfigCommand.self, Replay.self, Parsers.self, Completions.self,
        ],
        defaultSubcommand: Filter.self
    )

    /// The release; also the OTLP scope's version on every record shipped.
    static let version = "0.1.0"

    /// Exit codes: 0 done, 1 a runtime error (an input, output or endpoint failed), 2 a usage error (an unknown or
    /// invalid option, a bad configuration value) instead of argument-parser's 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                writeStandardError(fullMessage(for: error) + "\n")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
