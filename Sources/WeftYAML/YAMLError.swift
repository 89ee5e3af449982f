/// Why a document could not be parsed, and where.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// libyaml refused the text (bad indentation, an unclosed bracket, a control character, …).
        case syntax
        /// The text is YAML but not one document of nodes this parser builds: several documents, an undefined
        /// alias, a repeated key.
        case structure
        /// A bound of ``YAMLParser/Limits`` was reached (the input is untrusted).
        case limit
    }

    public var kind: Kind
    /// What is wrong, in libyaml's words for syntax errors (`did not find expected key`).
    public var problem: String
    public var mark: YAMLMark
    /// What the parser was in the middle of (`while parsing a block mapping`), and where that began.
    public var context: String?
    public var contextMark: YAMLMark?

    public init(
        _ kind: Kind, problem: String, mark: YAMLMark, context: String? = nil, contextMark: YAMLMark? = nil
    ) {
        self.kind = kind
        self.problem = problem
        self.mark = mark
        self.context = context
        self.contextMark = contextMark
    }

    public var description: String {
        var text = "\(mark): \(problem)"
        if let context {
            text += " (\(context)" + (contextMark.map { " at \($0)" } ?? "") + ")"
        }
        return text
    }
}
