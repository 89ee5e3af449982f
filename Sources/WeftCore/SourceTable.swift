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

/// Where a description's arrays keep their elements. An output's per-record check that it has already encoded a
/// source compares these addresses instead of the strings: the same table entry passed again has the same
/// addresses, and as long as the encoder keeps its own copy of the description (which keeps those buffers alive), a
/// changed array always has other addresses.
public struct SourceStorageIdentity: Equatable {
    @usableFromInline var attributes: UnsafeRawPointer?
    @usableFromInline var attributesCount: Int
    @usableFromInline var resource: UnsafeRawPointer?
    @usableFromInline var resourceCount: Int

    @inlinable @inline(__always)
    public init(_ info: borrowing SourceInfo) {
        (attributes, attributesCount) = info.attributes.withUnsafeBufferPointer {
            (UnsafeRawPointer($0.baseAddress), $0.count)
        }
        (resource, resourceCount) = info.resource.withUnsafeBufferPointer {
            (UnsafeRawPointer($0.baseAddress), $0.count)
        }
    }

    /// Written out and inlinable: the synthesized `==` is a call into this module once per record.
    @inlinable @inline(__always)
    public static func == (lhs: SourceStorageIdentity, rhs: SourceStorageIdentity) -> Bool {
        lhs.attributes == rhs.attributes && lhs.attributesCount == rhs.attributesCount && lhs.resource == rhs.resource
            && lhs.resourceCount == rhs.resourceCount
    }

    /// Matches no description (counts of -1).
    public static var none: SourceStorageIdentity { SourceStorageIdentity() }

    private init() {
        (attributes, attributesCount, resource, resourceCount) = (nil, -1, nil, -1)
    }
}

/// An output's view of the run's sources, indexed by ``SourceID``: kept up to date from
/// ``RecordOutput/describe(_:as:)`` and ``RecordOutput/release(_:)``, read once per record.
///
/// Ids are dense (the pipeline reuses released ones), so this is an array; a released entry is emptied, not
/// removed.
public struct SourceTable: Sendable {
    private var sources: [SourceInfo] = []
    /// Entries currently described.
    public private(set) var count = 0
    private var described: [Bool] = []

    public init() {}

    /// Sets what is known of `id`.
    public mutating func set(_ id: SourceID, _ info: SourceInfo) {
        let index = Int(id)
        if index >= sources.count {
            let extra = index + 1 - sources.count
            sources.append(contentsOf: repeatElement(SourceInfo(path: nil), count: extra))
            described.append(contentsOf: repeatElement(false, count: extra))
        }
        if !described[index] { count += 1 }
        sources[index] = info
        described[index] = true
    }

    /// Forgets `id`.
    public mutating func remove(_ id: SourceID) {
        let index = Int(id)
        guard index < sources.count, described[index] else { return }
        sources[index] = SourceInfo(path: nil)
        described[index] = false
        count -= 1
    }

    /// Whether `id` is described.
    public func contains(_ id: SourceID) -> Bool { Int(id) < described.count && described[Int(id)] }

    /// The description of `id` (an undescribed id reads as a source with no path and no attributes).
    public subscript(id: SourceID) -> SourceInfo {
        // Yielded, not returned: an output looks a source up once per record, and a copy would retain its strings.
        _read { yield sources[Int(id)] }
    }
}
