// Build-time tool: turns the rule files in Parsers/ into Swift source, so the built-ins travel inside the binary
// already parsed and validated (no YAML is read when weft starts; an invalid built-in fails the build).
// Usage: EmbedParsersTool OUTPUT.swift INPUT.yaml...
import Foundation
import WeftRules

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EmbedParsersTool: \(message)\n".utf8))
    exit(1)
}

/// A Swift string literal for `text`.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else { fail("usage: EmbedParsersTool OUTPUT.swift INPUT.yaml...") }
let inputs = arguments.dropFirst().sorted { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }

var texts = ""
var parsed = ""
for path in inputs {
    let name = (path as NSString).lastPathComponent
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        fail("cannot read \(path): \(error)")
    }
    let file: RuleFile
    do {
        file = try RuleFile.parse(text, origin: "built-in \(name)")
    } catch {
        fail("invalid built-in rule file: \(error)")
    }
    texts += "        (\(literal(name)), \(literal(text))),\n"
    parsed += "        RuleFile(\n"
    parsed += "            name: \(literal(file.name)), description: \(literal(file.description)),\n"
    parsed += "            header: [\(file.header.map(literal).joined(separator: ", "))],\n"
    parsed += "            states: [\n"
    for state in file.states {
        parsed += "                (\(literal(state.name)), [\n"
        for rule in state.rules {
            parsed +=
                "                    RuleFile.Rule(pattern: \(literal(rule.pattern)), next: \(literal(rule.next)), "
            parsed += "tentative: \(rule.tentative), takesHeader: \(rule.takesHeader), weak: \(rule.weak)),\n"
        }
        parsed += "                ]),\n"
    }
    parsed += "            ],\n"
    parsed += "            origin: \(literal(file.origin))),\n"
}

let source = """
    // Generated at build time from Parsers/*.yaml by EmbedParsersTool. Do not edit; edit the rule files.
    import WeftRules

    enum EmbeddedRuleFiles {
        /// (file name, contents) of every built-in rule file, sorted by file name.
        static let files: [(name: String, text: String)] = [
    \(texts)    ]

        /// The same files, parsed and validated at build time.
        static let parsed: [RuleFile] = [
    \(parsed)    ]
    }

    """
do {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    fail("cannot write \(output): \(error)")
}
