import ArgumentParser
import WeftConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `weft run --config FILE`: the collector as a configuration file describes it.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow log files as a configuration file describes (see deploy/weft.yaml).",
        discussion: """
            Every key of the file is one of `weft tail`'s flags, written with underscores (flush_timeout is \
            --flush-timeout) and meaning the same; sources are blocks of their own, each with its globs (paths), \
            format, parsers and per-record bounds, and its checkpoints in STATE_DIR/NAME. ${NAME} in a value is \
            taken from the environment. Flags given after the file override it for every source (options that \
            repeat, such as --otlp-header, add to it).

              weft run --config /etc/weft/weft.yaml
              weft run --config weft.yaml --log-level debug
              weft config check weft.yaml
            """
    )

    @Option(help: "The configuration file (YAML).")
    var config: String

    @Argument(parsing: .allUnrecognized, help: "`weft tail` flags that override the file.")
    var overrides: [String] = []

    func run() throws {
        let file = try ConfigCommand.load(config)
        var tails: [Tail] = []
        for source in file.sources {
            do {
                tails.append(try Tail.parse(file.tailArguments(for: source) + overrides))
            } catch {
                throw ValidationError(
                    "\(config):\(source.line):\(source.column): source \(source.name): " + Tail.message(for: error))
            }
        }
        try Tail.follow(tails, names: file.sources.map(\.name))
    }
}

/// `weft config check FILE`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check configuration files.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every error of a configuration file with its line and column; exit 1 if any.",
            discussion: """
                Unknown keys, bad values (checked as their flags check them), rule files that do not load and regexes \
                that do not compile are errors. A ${NAME} that this environment does not set is a warning: the \
                secret may exist only where the agent runs (weft run makes it an error).

                Example:
                  weft config check deploy/weft.yaml
                """)

        @Argument(help: "The configuration file (YAML).")
        var file: String

        func run() throws {
            // A secret that only the agent's environment holds is a warning here, not an error.
            let config = try ConfigCommand.load(file, unsetVariables: .warning)
            for warning in config.warnings { writeStandardError(warning.description + "\n") }
            print(
                "\(file): ok, \(config.sources.count) source\(config.sources.count == 1 ? "" : "s") "
                    + "(\(config.sources.map(\.name).joined(separator: ", ")))")
        }
    }

    /// Reads, checks and returns a configuration: every key's value as its flag would check it, each source as a
    /// whole (`weft tail`'s own checks), and its rule files compiled. Prints every problem and exits 1 if any.
    static func load(_ path: String, unsetVariables: UnsetVariables = .error) throws -> ConfigFile {
        let text: String
        do {
            text = try readTextFile(path)
        } catch {
            throw ValidationError("--config \(path): \(error)")
        }
        var environment: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        let result = ConfigFile.parse(text, file: path, environment: environment, unsetVariables: unsetVariables) {
            flags in
            do {
                _ = try Tail.parse(["probe", "--state-dir", "probe"] + flags)
                return nil
            } catch {
                return Tail.message(for: error)
            }
        }
        var diagnostics: [ConfigDiagnostic] = []
        var config: ConfigFile?
        switch result {
        case .success(let loaded): config = loaded
        case .failure(let errors): diagnostics = errors.diagnostics
        }
        for source in config?.sources ?? [] {
            func fail(_ message: String) {
                diagnostics.append(
                    ConfigDiagnostic(
                        file: path, line: source.line, column: source.column,
                        message: "source \(source.name): \(message)", hint: nil))
            }
            do {
                let tail = try Tail.parse(config!.tailArguments(for: source))
                _ = try tail.options.parserSet()  // a rule file that does not load or compile names its rule
            } catch {
                fail(Tail.message(for: error))
            }
        }
        if diagnostics.isEmpty, let config { return config }
        diagnostics.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        for diagnostic in diagnostics { writeStandardError(diagnostic.description + "\n") }
        throw ExitCode(1)
    }
}
