/// A scalar's text and how it was written: a plain `true` is a boolean and a plain empty value is null, while
/// `'true'` and `''` are strings (YAML 1.1's rules, which the readers of rule files and configs follow).
public struct YAMLScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable {
        case plain
        case singleQuoted
        case doubleQuoted
        /// `|`
        case literal
        /// `>`
        case folded
    }

    public var string: String
    public var style: Style

    public init(_ string: String, style: Style = .plain) {
        self.string = string
        self.style = style
    }
}
