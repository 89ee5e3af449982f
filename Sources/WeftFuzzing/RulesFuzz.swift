import WeftCore
import WeftMultiline
import WeftRules

/// A rule file (the bytes up to the first NUL), parsed and compiled, then run over the lines after it.
///
/// Rule files are untrusted input: whatever their text, loading ends with a rule file or a ``RuleFileError`` that
/// says where, and matching stays within the configured regex work per line.
enum RulesFuzz {
    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        let split = data.firstIndex(of: 0) ?? data.count
        let text = String(decoding: data[..<split], as: UTF8.self)
        let file: RuleFile
        let parsers: ParserSet
        do {
            file = try RuleFile.parse(text, origin: "fuzz.yaml")
            parsers = try ParserSet([file])
        } catch {
            try require(!error.message.isEmpty, .rules, "a rule-file error without a message")
            return
        }
        try require(!file.name.isEmpty, .rules, "a rule file without a name loaded")
        var configuration = EngineFuzz.configuration
        configuration.regexMatchLimit = 10_000
        var engine = MultilineEngine(parsers: parsers, configuration: configuration)
        var output = EngineFuzz.Tally(configuration: configuration)
        var lines = 0
        var reader = FuzzReader(Array(data[min(data.count, split + 1)...]))
        while !reader.isAtEnd {
            let line = reader.line()
            lines += 1
            line.withUnsafeBytes {
                engine.push(LogLine(source: 1, stream: .stderr, text: $0), now: Int64(lines), into: &output)
            }
        }
        engine.finish(into: &output)
        if let violation = output.violation { throw FuzzViolation(.rules, violation.message) }
        try require(output.lines == lines, .rules, "\(lines) lines in, \(output.lines) out")
    }
}
