import WeftYAML

/// A parser as written in a rule file: states, and in each state an ordered list of (regex → next state).
///
/// Rule files are YAML (see `Parsers/README.md`). ``parse(_:origin:)`` checks the file's shape (keys, states, that
/// `start` exists, that every `next` names a state, that every `{{define}}` is known) and reports a mistake with the
/// file and the place in it; the regexes themselves are compiled, and a bad one reported the same way, when the
/// multiline engine's `ParserSet` is built from the files. Either way before any line is read.
///
/// ```yaml
/// name: python
/// description: Python tracebacks
/// header: ['\b(?:ERROR|CRITICAL)\b']
/// states:
///   start:
///     - match: '^Traceback \(most recent call last\):'
///       next: frames
///   frames:
///     - match: '^\s+File "'
///       next: frames
/// ```
public struct RuleFile: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        /// The PCRE2 pattern, after `{{define}}` substitution.
        public var pattern: String
        public var next: String
        /// The line is taken on trial: it stays in the record only if a later line continues the record; otherwise
        /// the record ends before it and the line is read again on its own (blank lines between goroutines).
        public var tentative: Bool
        /// For `start` rules: whether the held line before may become this record's header (default true).
        public var takesHeader: Bool = true
        /// The rule does not take a line that starts a trace of any parser: catch-all continuations (more lines of
        /// an exception message) must not swallow the next trace when two are printed back to back.
        public var weak: Bool = false

        public init(
            pattern: String, next: String, tentative: Bool = false, takesHeader: Bool = true, weak: Bool = false
        ) {
            self.pattern = pattern
            self.next = next
            self.tentative = tentative
            self.takesHeader = takesHeader
            self.weak = weak
        }
    }

    public var name: String
    public var description: String
    /// Patterns for a line that introduces a trace (a logger's message line): when the line just before this
    /// parser's first line matches one, it becomes the record's first line.
    public var header: [String]
    /// States in file order; `start` is where every record begins.
    public var states: [(name: String, rules: [Rule])]
    /// Where the definition came from (`built-in`, or a path).
    public var origin: String

    public init(
        name: String, description: String, header: [String], states: [(name: String, rules: [Rule])], origin: String
    ) {
        self.name = name
        self.description = description
        self.header = header
        self.states = states
        self.origin = origin
    }

    public static func == (lhs: RuleFile, rhs: RuleFile) -> Bool {
        lhs.name == rhs.name && lhs.description == rhs.description && lhs.header == rhs.header
            && lhs.origin == rhs.origin
            && lhs.states.elementsEqual(rhs.states, by: { $0.name == $1.name && $0.rules == $1.rules })
    }

    /// Parses and validates a rule file's text.
    public static func parse(_ text: String, origin: String) throws(RuleFileError) -> RuleFile {
        let node: YAMLNode?
        do {
            node = try YAMLParser().parse(text)
        } catch {
            throw RuleFileError(origin: origin, location: "", message: "not valid YAML: \(error)")
        }
        guard let root = node?.mapping else {
            throw RuleFileError(origin: origin, location: "", message: "expected a mapping with name, states")
        }
        func string(_ key: String, in map: YAMLMapping, at location: String) throws(RuleFileError) -> String? {
            guard let value = map[key] else { return nil }
            guard let scalar = value.scalar else {
                throw RuleFileError(origin: origin, location: location + key, message: "expected a string")
            }
            return scalar.string
        }
        for key in root.keys.compactMap(\.string)
        where !["name", "description", "defines", "header", "states"].contains(key) {
            throw RuleFileError(
                origin: origin, location: key,
                message: "unknown key (expected name, description, defines, header, states)")
        }
        guard let name = try string("name", in: root, at: ""), !name.isEmpty else {
            throw RuleFileError(origin: origin, location: "name", message: "missing parser name")
        }
        let description = try string("description", in: root, at: "") ?? ""

        var defines: [(String, String)] = []
        if let definesNode = root["defines"] {
            guard let map = definesNode.mapping else {
                throw RuleFileError(origin: origin, location: "defines", message: "expected a mapping of name: regex")
            }
            for (key, value) in map {
                guard let k = key.string, let v = value.string else {
                    throw RuleFileError(origin: origin, location: "defines", message: "expected name: regex strings")
                }
                defines.append((k, v))
            }
        }
        func expand(_ pattern: String, at location: String) throws(RuleFileError) -> String {
            var result = pattern
            for (key, value) in defines { result = result.replacing("{{\(key)}}", with: value) }
            if let open = result.firstRange(of: "{{"), let close = result[open.upperBound...].firstRange(of: "}}") {
                let unknown = result[open.upperBound..<close.lowerBound]
                throw RuleFileError(origin: origin, location: location, message: "unknown define {{\(unknown)}}")
            }
            return result
        }

        var header: [String] = []
        if let headerNode = root["header"] {
            guard let sequence = headerNode.sequence else {
                throw RuleFileError(origin: origin, location: "header", message: "expected a list of regexes")
            }
            for (index, item) in sequence.enumerated() {
                guard let pattern = item.string else {
                    throw RuleFileError(
                        origin: origin, location: "header[\(index)]", message: "expected a regex string")
                }
                header.append(try expand(pattern, at: "header[\(index)]"))
            }
        }

        guard let statesNode = root["states"]?.mapping, !statesNode.isEmpty else {
            throw RuleFileError(
                origin: origin, location: "states", message: "missing states (a mapping of state name to rules)")
        }
        var states: [(name: String, rules: [Rule])] = []
        for (key, value) in statesNode {
            guard let stateName = key.string else {
                throw RuleFileError(origin: origin, location: "states", message: "state names must be strings")
            }
            var rules: [Rule] = []
            if !value.isNull {
                guard let sequence = value.sequence else {
                    throw RuleFileError(
                        origin: origin, location: "states.\(stateName)", message: "expected a list of rules")
                }
                for (index, item) in sequence.enumerated() {
                    let location = "states.\(stateName)[\(index)]"
                    guard let map = item.mapping else {
                        throw RuleFileError(origin: origin, location: location, message: "expected {match, next}")
                    }
                    for key in map.keys.compactMap(\.string)
                    where !["match", "next", "tentative", "header", "weak"].contains(key) {
                        throw RuleFileError(
                            origin: origin, location: location,
                            message: "unknown key \(key) (expected match, next, tentative, header, weak)")
                    }
                    guard let pattern = try string("match", in: map, at: location + ".") else {
                        throw RuleFileError(origin: origin, location: location, message: "missing match")
                    }
                    guard let next = try string("next", in: map, at: location + ".") else {
                        throw RuleFileError(origin: origin, location: location, message: "missing next")
                    }
                    let tentative = map["tentative"]?.bool ?? false
                    let takesHeader = map["header"]?.bool ?? true
                    let weak = map["weak"]?.bool ?? false
                    rules.append(
                        Rule(
                            pattern: try expand(pattern, at: location), next: next, tentative: tentative,
                            takesHeader: takesHeader, weak: weak))
                }
            }
            if states.contains(where: { $0.name == stateName }) {
                throw RuleFileError(origin: origin, location: "states.\(stateName)", message: "duplicate state")
            }
            states.append((stateName, rules))
        }
        guard let start = states.first(where: { $0.name == "start" }), !start.rules.isEmpty else {
            throw RuleFileError(
                origin: origin, location: "states", message: "a 'start' state with at least one rule is required")
        }
        for state in states {
            for (index, rule) in state.rules.enumerated() where !states.contains(where: { $0.name == rule.next }) {
                throw RuleFileError(
                    origin: origin, location: "states.\(state.name)[\(index)].next",
                    message: "unknown state '\(rule.next)'")
            }
        }
        return RuleFile(name: name, description: description, header: header, states: states, origin: origin)
    }
}

/// A rule file that cannot be used: which file, where in it, and what is wrong.
public struct RuleFileError: Error, CustomStringConvertible, Equatable {
    public var origin: String
    /// A path into the document, e.g. `states.frames[2].match`.
    public var location: String
    public var message: String

    public init(origin: String, location: String, message: String) {
        self.origin = origin
        self.location = location
        self.message = message
    }

    public var description: String {
        location.isEmpty ? "\(origin): \(message)" : "\(origin): \(location): \(message)"
    }
}
