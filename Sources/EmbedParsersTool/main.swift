// Build-time tool: turns the rule files in Parsers/ into a Swift source file, so the built-ins travel inside the
// binary. Usage: EmbedParsersTool OUTPUT.swift INPUT.yaml...
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedParsersTool OUTPUT.swift INPUT.yaml...\n".utf8))
    exit(2)
}
let inputs = arguments.dropFirst().sorted { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }

var source = """
    // Generated at build time from Parsers/*.yaml by EmbedParsersTool. Do not edit; edit the rule files.

    enum EmbeddedRuleFiles {
        /// (file name, contents) of every built-in rule file, sorted by file name.
        static let files: [(name: String, text: String)] = [

    """
for path in inputs {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("EmbedParsersTool: cannot read \(path): \(error)\n".utf8))
        exit(1)
    }
    // A raw string delimiter longer than any run of # that follows a quote in the text.
    var hashes = "#"
    while text.contains("\"" + hashes) { hashes += "#" }
    let name = (path as NSString).lastPathComponent
    source += "        (\"\(name)\", \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)),\n"
}
source += "    ]\n}\n"
do {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("EmbedParsersTool: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
