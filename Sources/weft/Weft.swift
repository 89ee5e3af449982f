import ArgumentParser
import WeftIO

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
            stack trace (Go, Java, Python, Ruby, Node.js, PHP, .NET, Rust, Perl, Dart) into one record, and writes \
            one JSON object per record to standard output.

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
        occupyClosedStandardDescriptors()
        var parsed: (any ParsableCommand)?
        do {
            var command = try parseAsRoot()
            parsed = command
            try command.run()
        } catch {
            if let failure = error as? WriteError, failure.isBrokenPipe, !(parsed is Tail || parsed is Run) {
                endByBrokenPipe()
            }
            if exitCode(for: error) == .validationFailure {
                writeStandardError(fullMessage(for: error) + "\n")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }

    /// The filter's or replay's reader went away (`weft … | head`): end as SIGPIPE ends `cat`, without a message,
    /// also when SIGPIPE was ignored by whoever started Weft (the disposition is inherited) and the write failed
    /// with `EPIPE` instead. `weft tail` reports it and exits 1: there, a lost output is a failure.
    static func endByBrokenPipe() -> Never {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        sigprocmask(SIG_UNBLOCK, &pipeSignal, nil)
        signal(SIGPIPE, SIG_DFL)
        raise(SIGPIPE)
        Glibc.exit(128 + SIGPIPE)
    }

    /// A standard descriptor closed at exec (`weft … >&-`) would be taken by the first file Weft opens: records meant
    /// for stdout would go into the state directory's temporary file or the inotify descriptor, and log lines into
    /// `--output`. Each closed one is opened on /dev/null first, stdout read-only so that writing records to it fails
    /// with a clear error (`cannot write to stdout: Bad file descriptor`, exit 1) instead of dropping them.
    static func occupyClosedStandardDescriptors() {
        for (descriptor, flags) in [(STDIN_FILENO, O_RDONLY), (STDOUT_FILENO, O_RDONLY), (STDERR_FILENO, O_WRONLY)]
        where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", flags)
            if opened >= 0 && opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
    }
}
