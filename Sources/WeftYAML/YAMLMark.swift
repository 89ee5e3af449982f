/// A place in a YAML document, as people count: the first line is 1, the first column is 1, and columns count
/// characters (Unicode scalars), not bytes. Every node and every error carries one, so that `weft config check`
/// and rule-file errors can say where the mistake is.
public struct YAMLMark: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}
