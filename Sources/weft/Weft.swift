import ArgumentParser

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
        version: "0.1.0",
        subcommands: [Filter.self, Tail.self, Run.self, ConfigCommand.self, Replay.self, Parsers.self],
        defaultSubcommand: Filter.self
    )
}
