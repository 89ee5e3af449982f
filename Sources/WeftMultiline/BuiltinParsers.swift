@_exported import WeftRules

/// The parsers compiled into the binary from `Parsers/*.yaml` at build time.
///
/// The rule files are parsed and checked by ``WeftRules/RuleFile/parse(_:origin:)`` when weft is built (a file it
/// rejects fails the build), so starting weft reads no YAML: it saves the time and the memory of the YAML parser for
/// everyone who brings no rule file of their own. Their regexes are compiled, and so checked, only when a
/// ``ParserSet`` is made (``ParserSet/make(builtIns:extra:)``, at start-up); `RuleFileTests` makes one from every
/// built-in.
///
/// ```swift
/// let parsers = try ParserSet.make(builtIns: ["java", "python"], extra: [try RuleFile.parse(text, origin: path)])
/// ```
public enum BuiltinParsers {
    /// Built-in parser names, in priority order (the order their start rules are tried).
    public static var names: [String] { ruleFiles.map(\.name) }

    /// The embedded rule files, parsed at build time.
    public static var ruleFiles: [RuleFile] { EmbeddedRuleFiles.parsed }

    /// The embedded rule files' text, by file name (for `weft parsers show` and the consistency test).
    public static var sources: [(name: String, text: String)] { EmbeddedRuleFiles.files }
}

extension ParserSet {
    /// Built-in parsers, all of them or the named ones, followed by users' rule files.
    ///
    /// - Parameters:
    ///   - names: nil or `["all"]` for every built-in; otherwise the built-ins to enable, in this order. An empty
    ///     list enables none (only `extra`).
    ///   - extra: users' own rule files, tried after the built-ins.
    /// - Throws: ``RuleFileError`` for an unknown built-in name or an invalid user file.
    public static func make(builtIns names: [String]? = nil, extra: [RuleFile] = []) throws(RuleFileError) -> ParserSet
    {
        var files: [RuleFile] = []
        if let names, names != ["all"] {
            for name in names {
                guard let file = BuiltinParsers.ruleFiles.first(where: { $0.name == name }) else {
                    let known = BuiltinParsers.names.joined(separator: ", ")
                    throw RuleFileError(
                        origin: "--parsers", location: "",
                        message: "unknown parser '\(name)' (built-ins: \(known), or all)")
                }
                files.append(file)
            }
        } else {
            files = BuiltinParsers.ruleFiles
        }
        return try ParserSet(files + extra)
    }
}
