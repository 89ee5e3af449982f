import WeftYAML

/// One problem in a configuration file, where it is and what to do about it.
public struct ConfigDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public var hint: String?
    /// A warning does not make the file invalid (`weft config check` still exits 0).
    public var isWarning = false

    public init(file: String, line: Int, column: Int, message: String, hint: String?, isWarning: Bool = false) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
        self.isWarning = isWarning
    }

    public var description: String {
        "\(file):\(line):\(column): \(isWarning ? "warning" : "error"): \(message)"
            + (hint.map { " (hint: \($0))" } ?? "")
    }
}

/// What a `${NAME}` that the environment does not set is.
public enum UnsetVariables: Sendable {
    /// An error: `weft run`, which would send an empty secret.
    case error
    /// A warning, and the empty string meanwhile: `weft config check`, which often runs where the secrets are not
    /// (a CI job, a laptop) and checks everything else.
    case warning
}

/// `weft run --config FILE`: the same settings as `weft tail`'s flags, as YAML. Every key is a flag with its
/// dashes turned into underscores and means what the flag means (the flag's own parser checks the value), so the
/// file and the command line cannot drift apart. Sources are blocks of their own (their globs, format, parsers and
/// per-record bounds); those per-source keys may also stand at the top level as defaults for every source.
///
/// ```yaml
/// state_dir: /var/lib/weft
/// metrics_address: 0.0.0.0:2020
/// flush_timeout: 2s                 # default for every source
/// sources:
///   - name: pods
///     paths: ['/var/log/pods/*/*/*.log']
///     parsers: [go, java, python, ruby]
/// output:
///   otlp:
///     endpoint: http://gateway:4318
///     headers: {Authorization: "Bearer ${WEFT_OTLP_TOKEN}"}
/// ```
///
/// `${NAME}` in a value is replaced by the environment variable (an unset one is an error; `$$` is a `$`).
public struct ConfigFile: Sendable {
    public struct Source: Sendable {
        public var name: String
        public var globs: [String]
        /// The flags this source's block (and the top-level defaults) set.
        public var arguments: [String]
        public var line: Int
        public var column: Int
    }

    public var stateDirectory: String
    /// What is worth saying but not wrong (a `${NAME}` not set, with ``UnsetVariables/warning``).
    public var warnings: [ConfigDiagnostic] = []
    /// Flags every source shares (collector, output, metrics, log).
    public var globalArguments: [String]
    public var sources: [Source]

    /// The arguments of `weft tail` for each source: its globs, the shared flags, its own, and its checkpoint
    /// directory `STATE_DIR/NAME`.
    public func tailArguments(for source: Source) -> [String] {
        source.globs + globalArguments + source.arguments + ["--state-dir", stateDirectory + "/" + source.name]
    }

    // MARK: - The keys

    enum Kind {
        /// `--flag value`.
        case value(String)
        /// `--flag value` per item of a list (or one value).
        case repeated(String)
        /// A name or a list of names, joined with commas.
        case names(String)
        /// A boolean: `--flag` when false (an option that is on by default).
        case offWhenFalse(String)
        /// A boolean: `--flag` when true (an option that is off by default).
        case onWhenTrue(String)
        /// A mapping, `--flag name=value` per entry.
        case pairs(String)
    }

    static let globalKeys: [String: Kind] = [
        "log_level": .value("--log-level"), "log_format": .value("--log-format"),
        "metrics_address": .value("--metrics-address"), "unready_after": .value("--unready-after"),
        "shutdown_timeout": .value("--shutdown-timeout"), "checkpoint_interval": .value("--checkpoint-interval"),
        "glob_interval": .value("--glob-interval"), "poll_interval": .value("--poll-interval"),
        "max_open_files": .value("--max-open-files"), "max_buffer_bytes": .value("--max-buffer-bytes"),
        "round_budget": .value("--round-budget"), "rotate_wait": .value("--rotate-wait"),
        "stats_interval": .value("--stats-interval"), "inotify": .offWhenFalse("--no-inotify"),
    ]

    static let sourceKeys: [String: Kind] = [
        "format": .value("--format"), "read_from": .value("--read-from"), "ignore_older": .value("--ignore-older"),
        "parsers": .names("--parsers"), "parser_files": .repeated("--parsers-file"),
        "flush_timeout": .value("--flush-timeout"), "burst_window": .value("--burst-window"),
        "max_lines": .value("--max-lines"),
        "max_bytes": .value("--max-bytes"), "max_line_bytes": .value("--max-line-bytes"),
        "max_pending_bytes": .value("--max-pending-bytes"), "regex_match_limit": .value("--regex-match-limit"),
        "regex_probation_limit": .value("--regex-probation-limit"),
        // Where a symlink a glob finds may lead: beside the source's own globs, so a source's roots are its own.
        "symlink_roots": .repeated("--symlink-root"),
        "follow_symlinks_outside": .onWhenTrue("--follow-symlinks-outside"),
    ]

    static let outputKeys: [String: Kind] = ["file": .value("--output"), "format": .value("--output-format")]

    static let otlpKeys: [String: Kind] = [
        "endpoint": .value("--otlp-endpoint"), "protocol": .value("--otlp-protocol"),
        "compression": .value("--otlp-compression"), "headers": .pairs("--otlp-header"),
        "timeout": .value("--otlp-timeout"), "ca_file": .value("--otlp-ca-file"),
        "batch_max_records": .value("--batch-max-records"), "batch_max_bytes": .value("--batch-max-bytes"),
        "batch_timeout": .value("--batch-timeout"), "max_queued_batches": .value("--max-queued-batches"),
    ]

    static let sections: [(path: String, keys: [String])] = [
        ("the top level", Array(globalKeys.keys) + Array(sourceKeys.keys) + ["state_dir", "sources", "output"]),
        ("a source", Array(sourceKeys.keys) + ["name", "paths"]),
        ("output", Array(outputKeys.keys) + ["otlp"]),
        ("output.otlp", Array(otlpKeys.keys)),
    ]

    // MARK: - Loading

    /// Reads a configuration.
    ///
    /// - Parameters:
    ///   - environment: what `${NAME}` is replaced from.
    ///   - unsetVariables: whether a `${NAME}` the environment does not set is an error or a warning.
    ///   - check: given the flags one key became (`["--flush-timeout", "2s"]`), the message of the error the command
    ///     line would give for them, or nil when they are valid.
    /// - Returns: the configuration, or every problem found (all of them, not only the first).
    public static func parse(
        _ text: String, file: String, environment: [String: String], unsetVariables: UnsetVariables = .error,
        check: @escaping ([String]) -> String? = { _ in nil }
    ) -> Result<ConfigFile, ConfigErrors> {
        var reader = Reader(file: file, environment: environment, unsetVariables: unsetVariables, check: check)
        let root: YAMLNode?
        do {
            root = try YAMLParser().parse(text)
        } catch {
            return .failure(ConfigErrors(diagnostics: [reader.diagnostic(for: error)]))
        }
        guard let root, let mapping = root.mapping else {
            reader.fail(root, "the configuration must be a mapping of keys to values", hint: "see deploy/weft.yaml")
            return .failure(ConfigErrors(diagnostics: reader.diagnostics))
        }
        let config = reader.read(mapping)
        if var config, reader.diagnostics.isEmpty {
            config.warnings = reader.warnings
            return .success(config)
        }
        return .failure(ConfigErrors(diagnostics: reader.diagnostics + reader.warnings))
    }
}

/// Every problem of a configuration file.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Walks the YAML, collecting flags and problems.
struct Reader {
    let file: String
    let environment: [String: String]
    let unsetVariables: UnsetVariables
    let check: ([String]) -> String?
    var diagnostics: [ConfigDiagnostic] = []
    var warnings: [ConfigDiagnostic] = []

    mutating func fail(_ node: YAMLNode?, _ message: String, hint: String? = nil) {
        let mark = node?.mark
        diagnostics.append(
            ConfigDiagnostic(
                file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message, hint: hint))
    }

    func diagnostic(for error: YAMLError) -> ConfigDiagnostic {
        ConfigDiagnostic(
            file: file, line: error.mark.line, column: error.mark.column, message: "not valid YAML: \(error.problem)",
            hint: nil)
    }

    mutating func read(_ root: YAMLMapping) -> ConfigFile? {
        var stateDirectory: String?
        var global: [String] = []
        var defaults: [String] = []
        var sourceNodes: YAMLNode?
        for (keyNode, value) in root {
            let key = keyNode.string ?? ""
            switch key {
            case "state_dir": stateDirectory = scalar(value, key: key)
            case "sources": sourceNodes = value
            case "output": global += output(value)
            default:
                if let kind = ConfigFile.globalKeys[key] {
                    global += flags(kind, value, key: key)
                } else if let kind = ConfigFile.sourceKeys[key] {
                    defaults += flags(kind, value, key: key)
                } else {
                    unknown(keyNode, in: "the top level")
                }
            }
        }
        if stateDirectory == nil {
            fail(nil, "state_dir is missing", hint: "where checkpoints are kept, e.g. state_dir: /var/lib/weft")
        }
        var sources: [ConfigFile.Source] = []
        if let sourceNodes {
            if let list = sourceNodes.sequence, !list.isEmpty {
                for node in list {
                    if let source = source(node, defaults: defaults) { sources.append(source) }
                }
            } else {
                fail(sourceNodes, "sources must be a list of source blocks", hint: "- name: pods\n  paths: [...]")
            }
        } else {
            fail(nil, "sources is missing", hint: "at least one block with a name and paths")
        }
        var seen: [String: Int] = [:]
        for source in sources {
            if let line = seen[source.name] {
                diagnostics.append(
                    ConfigDiagnostic(
                        file: file, line: source.line, column: source.column,
                        message: "two sources are named \(source.name)", hint: "the other one is at line \(line)"))
            }
            seen[source.name] = source.line
        }
        guard let stateDirectory else { return nil }
        return ConfigFile(stateDirectory: stateDirectory, globalArguments: global, sources: sources)
    }

    mutating func source(_ node: YAMLNode, defaults: [String]) -> ConfigFile.Source? {
        guard let mapping = node.mapping else {
            fail(node, "a source must be a mapping", hint: "name: pods, paths: ['/var/log/pods/*/*/*.log']")
            return nil
        }
        var name: String?
        var globs: [String] = []
        var arguments = defaults
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "name":
                name = scalar(value, key: key)
                if let given = name,
                    given.isEmpty || given.contains("/") || given.hasPrefix(".")
                        || !given.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
                {
                    fail(value, "a source's name names its checkpoint directory", hint: "letters, digits, - and _")
                    name = nil
                }
            case "paths": globs = list(value, key: key)
            default:
                if let kind = ConfigFile.sourceKeys[key] {
                    arguments += flags(kind, value, key: key)
                } else {
                    unknown(keyNode, in: "a source")
                }
            }
        }
        if name == nil, !mapping.keys.contains(where: { $0.string == "name" }) {
            fail(node, "a source needs a name", hint: "it names the source's checkpoint directory")
        }
        if globs.isEmpty, !mapping.keys.contains(where: { $0.string == "paths" }) {
            fail(node, "a source needs paths", hint: "globs of the files to follow")
        }
        guard let name, !globs.isEmpty else { return nil }
        return ConfigFile.Source(
            name: name, globs: globs, arguments: arguments, line: node.mark.line, column: node.mark.column)
    }

    mutating func output(_ node: YAMLNode) -> [String] {
        guard let mapping = node.mapping else {
            fail(node, "output must be a mapping", hint: "file: - or otlp: {endpoint: ...}")
            return []
        }
        var arguments: [String] = []
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            if key == "otlp" {
                guard let otlp = value.mapping else {
                    fail(value, "output.otlp must be a mapping", hint: "endpoint: http://collector:4318")
                    continue
                }
                for (otlpKey, otlpValue) in otlp {
                    if let kind = ConfigFile.otlpKeys[otlpKey.string ?? ""] {
                        arguments += flags(kind, otlpValue, key: "output.otlp." + (otlpKey.string ?? ""))
                    } else {
                        unknown(otlpKey, in: "output.otlp")
                    }
                }
            } else if let kind = ConfigFile.outputKeys[key] {
                arguments += flags(kind, value, key: "output." + key)
            } else {
                unknown(keyNode, in: "output")
            }
        }
        return arguments
    }

    /// The flags of one key, checked as the command line checks them.
    mutating func flags(_ kind: ConfigFile.Kind, _ value: YAMLNode, key: String) -> [String] {
        var result: [String] = []
        switch kind {
        case .value(let flag):
            guard let text = scalar(value, key: key) else { return [] }
            result = [flag, text]
        case .repeated(let flag):
            result = list(value, key: key).flatMap { [flag, $0] }
        case .names(let flag):
            let names = value.sequence != nil ? list(value, key: key) : scalar(value, key: key).map { [$0] } ?? []
            guard !names.isEmpty else { return [] }
            result = [flag, names.joined(separator: ",")]
        case .offWhenFalse(let flag), .onWhenTrue(let flag):
            guard let text = scalar(value, key: key) else { return [] }
            let on: Bool
            switch text {
            case "true", "yes", "on": on = true
            case "false", "no", "off": on = false
            default:
                fail(value, "\(key) must be true or false", hint: nil)
                return []
            }
            if case .onWhenTrue = kind { result = on ? [flag] : [] } else { result = on ? [] : [flag] }
        case .pairs(let flag):
            guard let mapping = value.mapping else {
                fail(value, "\(key) must be a mapping of names to values", hint: "Authorization: Bearer ${TOKEN}")
                return []
            }
            for (name, entry) in mapping {
                guard let text = scalar(entry, key: key + "." + (name.string ?? "")) else { continue }
                result += [flag, "\(name.string ?? "")=\(text)"]
            }
        }
        if !result.isEmpty, let message = check(result) {
            fail(value, "\(key): \(message)", hint: nil)
            return []
        }
        return result
    }

    /// A scalar value with `${NAME}` replaced.
    mutating func scalar(_ node: YAMLNode, key: String) -> String? {
        guard let scalar = node.scalar else {
            fail(node, "\(key) must be a single value, not a \(node.mapping != nil ? "mapping" : "list")")
            return nil
        }
        return substitute(scalar.string, at: node)
    }

    mutating func list(_ node: YAMLNode, key: String) -> [String] {
        if node.scalar != nil { return scalar(node, key: key).map { [$0] } ?? [] }
        guard let sequence = node.sequence else {
            fail(node, "\(key) must be a list", hint: "[a, b] or one item per line starting with -")
            return []
        }
        return sequence.compactMap { scalar($0, key: key) }
    }

    mutating func substitute(_ text: String, at node: YAMLNode) -> String? {
        guard text.contains("$") else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") {
                result += "$"
                rest = after.dropFirst()
            } else if after.hasPrefix("{"), let close = after.firstIndex(of: "}") {
                let name = String(after[after.index(after: after.startIndex)..<close])
                if let value = environment[name] {
                    result += value
                } else if unsetVariables == .warning {
                    let mark = node.mark
                    warnings.append(
                        ConfigDiagnostic(
                            file: file, line: mark.line, column: mark.column,
                            message: "${\(name)} is not set in this environment: checked as empty; weft run needs it",
                            hint: nil, isWarning: true))
                } else {
                    fail(node, "${\(name)} is not set in the environment", hint: "export it, or write $$ for a $")
                    return nil
                }
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }

    mutating func unknown(_ keyNode: YAMLNode, in section: String) {
        let key = keyNode.string ?? "?"
        let known = ConfigFile.sections.first { $0.path == section }?.keys ?? []
        var hint: String?
        if let close = known.map({ ($0, editDistance(key, $0)) }).filter({ $0.1 <= 2 }).min(by: { $0.1 < $1.1 }) {
            hint = "did you mean \(close.0)?"
        } else if let home = ConfigFile.sections.first(where: { $0.path != section && $0.keys.contains(key) }) {
            hint = "\(key) belongs in \(home.path)"
        } else {
            hint = "known here: " + known.sorted().joined(separator: ", ")
        }
        fail(keyNode, "unknown key \(key) in \(section)", hint: hint)
    }
}

/// Levenshtein distance, for "did you mean".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
