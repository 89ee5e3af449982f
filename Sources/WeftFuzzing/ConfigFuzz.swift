import WeftConfig

/// A configuration file through the parser behind `weft config check` and `weft run --config`.
///
/// Whatever the text, the result is a configuration or a list of diagnostics, each at a real line and column of the
/// file, with a message.
enum ConfigFuzz {
    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        let text = String(decoding: data, as: UTF8.self)
        let lines = yamlLines(text)
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
                    // A problem at the end of a file without a final newline is on the line after its last.
                    diagnostic.line >= 1 && diagnostic.line <= lines + 1 && diagnostic.column >= 1, .config,
                    "a diagnostic at \(diagnostic.line):\(diagnostic.column) of a \(lines)-line file")
            }
        }
    }

    /// Lines as YAML counts them: `\r\n`, `\r` and `\n` each end one (and so do NEL, LS and PS, YAML 1.1's breaks).
    static func yamlLines(_ text: String) -> Int {
        var lines = 1
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if previous != "\r" { lines += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
            default: break
            }
            previous = scalar
        }
        return lines
    }
}
