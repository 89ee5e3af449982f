/// What a run knows about each of its inputs: where it came from and the resource attributes its records carry.
///
/// Stages pass a compact ``SourceID``; the output looks the rest up here once per record.
public struct SourceInfo: Sendable, Equatable {
    /// The file path (`log.file.path`), or nil for standard input.
    public var path: String?
    /// OpenTelemetry resource attributes (`k8s.pod.name`, `container.id`, …), in output order.
    public var resource: [(key: String, value: String)]
    /// Extra attributes every record of this source carries (e.g. `container.runtime.name` once detected).
    public var attributes: [(key: String, value: String)]

    public init(
        path: String?, resource: [(key: String, value: String)] = [],
        attributes: [(key: String, value: String)] = []
    ) {
        self.path = path
        self.resource = resource
        self.attributes = attributes
    }

    public static func == (lhs: SourceInfo, rhs: SourceInfo) -> Bool {
        lhs.path == rhs.path && lhs.resource.elementsEqual(rhs.resource, by: { $0 == $1 })
            && lhs.attributes.elementsEqual(rhs.attributes, by: { $0 == $1 })
    }
}

/// The run's inputs, indexed by ``SourceID``.
public struct SourceTable: Sendable {
    public private(set) var sources: [SourceInfo] = []

    public init() {}

    /// Registers a source and returns its id.
    public mutating func add(_ info: SourceInfo) -> SourceID {
        sources.append(info)
        return SourceID(sources.count - 1)
    }

    public subscript(id: SourceID) -> SourceInfo {
        // Yielded, not returned: the output looks a source up once per record, and a copy would retain its strings.
        _read { yield sources[Int(id)] }
        _modify { yield &sources[Int(id)] }
    }
}
