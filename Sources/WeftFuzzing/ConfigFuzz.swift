import WeftConfig

/// A configuration file through the parser behind `weft config check` and `weft run --config`.
///
/// Whatever the text, the result is a configuration or a list of diagnostics, each at a real line and column of the
/// file, with a message.
enum ConfigFuzz {
    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        switch ConfigFile.parse(text, file: "fuzz.yaml", environment: ["TOKEN": "secret"]) {
        case .success(let config):
            for source in config.sources {
                try require(!source.name.isEmpty, .config, "a source block without a name")
            }
        case .failure(let errors):
            try require(!errors.diagnostics.isEmpty, .config, "a failure without a diagnostic")
            for diagnostic in errors.diagnostics {
                try require(!diagnostic.message.isEmpty, .config, "a diagnostic without a message")
                try require(
                    diagnostic.line >= 1 && diagnostic.line <= lines + 1 && diagnostic.column >= 1, .config,
                    "a diagnostic at \(diagnostic.line):\(diagnostic.column) of a \(lines)-line file")
            }
        }
    }
}
