/// A mapping's entries in the order the document wrote them (the readers report errors in file order, and a rule
/// file's states keep theirs). Keys are unique: the parser refuses a mapping that repeats a scalar key.
public struct YAMLMapping: Sendable, Equatable, RandomAccessCollection {
    public typealias Element = (key: YAMLNode, value: YAMLNode)

    public private(set) var keys: [YAMLNode]
    public private(set) var values: [YAMLNode]

    public init(_ entries: [(key: YAMLNode, value: YAMLNode)] = []) {
        keys = entries.map(\.key)
        values = entries.map(\.value)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { keys.count }
    public subscript(position: Int) -> Element { (keys[position], values[position]) }

    /// The value of the entry whose key is the scalar `key`, if there is one.
    public subscript(key: String) -> YAMLNode? {
        keys.firstIndex { $0.scalar?.string == key }.map { values[$0] }
    }

    mutating func append(key: YAMLNode, value: YAMLNode) {
        keys.append(key)
        values.append(value)
    }
}
