import Foundation
import PackagePlugin

/// Compiles the rule files in the package's `Parsers/` folder into the target, so one copied binary carries the
/// built-in parsers. `Parsers/` stays the readable source of truth; a test checks the two agree.
@main struct EmbedParsers: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let parsers = context.package.directoryURL.appending(path: "Parsers")
        let files = try FileManager.default.contentsOfDirectory(at: parsers, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedRuleFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) rule files from Parsers/",
                executable: try context.tool(named: "EmbedParsersTool").url,
                arguments: [output.path()] + files.map { $0.path() },
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
