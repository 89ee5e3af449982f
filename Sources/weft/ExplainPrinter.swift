import WeftCore
import WeftMultiline

/// Prints the engine's decisions for `--explain`, one line per input line and one per record that ends:
///
/// ```text
/// stderr │ Traceback (most recent call last):   ← python start[0] /^Traceback …/ → frames
/// stderr │   File "app.py", line 3, in <module> ← python frames[0] /^\s+File "/ → frames
/// stderr └─ record: python, 4 lines, next_record (line matched no rule of state python.message)
/// ```
final class ExplainPrinter: Sendable {
    func print(_ event: ExplainEvent) {
        let text: String
        switch event {
        case .started(let key, let line, let parser, let rule, let pattern, let next, let header):
            let joined = header ? " (the line before is its header)" : ""
            text =
                "\(Self.prefix(key)) │ \(Self.show(line))  ← \(parser) start[\(rule)] /\(pattern)/ → \(next)\(joined)"
        case .continued(let key, let line, let parser, let state, let rule, let pattern, let next, let tentative):
            let trial = tentative ? " (on trial: kept only if the record continues)" : ""
            text =
                "\(Self.prefix(key)) │ \(Self.show(line))  ← \(parser) \(state)[\(rule)] /\(pattern)/ → \(next)\(trial)"
        case .ordinary(let key, let line):
            text = "\(Self.prefix(key)) │ \(Self.show(line))  ← no start rule matched: ordinary line"
        case .ended(let key, let reason, let lines, let parser, let why):
            let plural = lines == 1 ? "line" : "lines"
            text = "\(Self.prefix(key)) └─ record: \(parser ?? "ordinary"), \(lines) \(plural), \(reason) (\(why))"
        }
        writeStandardError(text + "\n")
    }

    private static func prefix(_ key: StreamKey) -> String {
        let name = key.stream.description
        return "#\(key.source) " + name + String(repeating: " ", count: max(0, 7 - name.count))
    }

    private static func show(_ line: String) -> String {
        var shown = line.replacing("\t", with: "\\t").replacing("\r", with: "\\r")
        if shown.count > 100 { shown = String(shown.prefix(97)) + "..." }
        return shown
    }
}
