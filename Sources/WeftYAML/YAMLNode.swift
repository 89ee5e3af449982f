/// One node of a parsed YAML document: a scalar, a sequence or a mapping, with where it starts and its explicit
/// tag. Aliases are resolved by the parser (a `*name` is a copy of the node its anchor named), so readers never
/// meet one.
public struct YAMLNode: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping(YAMLMapping)
    }

    public var content: Content
    /// Where the node starts (for a block mapping or sequence, its first key or `-`).
    public var mark: YAMLMark
    /// The explicit tag, resolved by libyaml (`!!str` is `tag:yaml.org,2002:str`); nil when the document wrote none.
    public var tag: String?

    public init(_ content: Content, mark: YAMLMark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The text of a scalar, however it was written (`a`, `'a'` and `"a"` are all `a`).
    public var string: String? { scalar?.string }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: YAMLMapping? {
        if case .mapping(let mapping) = content { return mapping }
        return nil
    }

    /// A plain, untagged (or `!!null`) `~`, `null`, `Null`, `NULL` or nothing at all (`key:`); a quoted `''` or
    /// `'null'` is a string.
    public var isNull: Bool {
        guard let scalar, scalar.style == .plain, tag == nil || tag == Self.nullTag else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// YAML 1.1's booleans (`true`, `yes`, `on` and their opposites, in lower, title or upper case), written plain
    /// and untagged (or `!!bool`); nil for anything else, a quoted `'true'` included.
    public var bool: Bool? {
        guard let scalar, scalar.style == .plain, tag == nil || tag == Self.boolTag else { return nil }
        switch scalar.string {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    static let nullTag = "tag:yaml.org,2002:null"
    static let boolTag = "tag:yaml.org,2002:bool"
}
