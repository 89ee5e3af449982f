import WeftCore

/// The records of one batch, encoded, grouped by resource: an encoder writes each record into ``records`` and
/// commits it to its source's group; assembling the request walks the groups in the order they first appeared,
/// each group's records in the order they came.
///
/// Everything is kept in reused buffers and arrays: once warm, a batch of the usual shape allocates nothing.
struct RecordBatch {
    struct Group {
        var source: SourceID
        /// The version of the source's fragments the group's records were encoded with.
        var version: UInt32
        /// A copy of the resource's encoded attributes, in ``RecordBatch/resources`` (the source's fragments may
        /// change or be compacted before the batch is assembled).
        var resource: Range<Int>
        var first: Int32
        var last: Int32
        /// Encoded bytes of its records.
        var recordBytes: Int
    }

    struct Entry {
        var start: Int
        var count: Int
        /// The next record of the same group, or -1.
        var next: Int32
    }

    /// Source ids below this find their group through an array; larger ones search the groups.
    static let maxIndexedSource = 1 << 20

    var records = RawBuffer(capacity: 1 << 16)
    private(set) var resources = RawBuffer(capacity: 4096)
    private(set) var entries: [Entry] = []
    private(set) var groups: [Group] = []
    /// Per source id, its group in this batch or -1.
    private var groupOfSource: [Int32] = []

    var recordCount: Int { entries.count }

    /// The group of source `id` with fragments `version`, opened (copying `resource`) if there is none yet: a source
    /// whose fragments changed gets a new group. `isNew` says which.
    @inline(__always)
    mutating func group(
        for id: SourceID, version: UInt32, resource: UnsafeRawBufferPointer
    ) -> (index: Int, isNew: Bool) {
        let slot = Int(id)
        if slot < groupOfSource.count {
            let index = Int(groupOfSource[slot])
            if index >= 0 && groups[index].version == version { return (index, false) }
        } else if slot >= Self.maxIndexedSource {
            for index in groups.indices.reversed() where groups[index].source == id {
                if groups[index].version == version { return (index, false) }
                break
            }
        }
        return (open(id, version: version, resource: resource), true)
    }

    @inline(never)
    private mutating func open(_ id: SourceID, version: UInt32, resource: UnsafeRawBufferPointer) -> Int {
        let slot = Int(id)
        if slot < Self.maxIndexedSource && slot >= groupOfSource.count {
            groupOfSource.append(contentsOf: repeatElement(-1, count: slot + 1 - groupOfSource.count))
        }
        resources.makeUnique()
        let start = resources.count
        if let base = resource.baseAddress { resources.write(base, count: resource.count) }
        groups.append(
            Group(
                source: id, version: version, resource: start..<resources.count, first: -1, last: -1,
                recordBytes: 0))
        if slot < groupOfSource.count { groupOfSource[slot] = Int32(groups.count - 1) }
        return groups.count - 1
    }

    /// Adds the record written at `start..<records.count` to group `index`.
    @inline(__always)
    mutating func commit(_ index: Int, from start: Int) {
        let entry = Int32(entries.count)
        entries.append(Entry(start: start, count: records.count &- start, next: -1))
        if groups[index].last >= 0 {
            entries[Int(groups[index].last)].next = entry
        } else {
            groups[index].first = entry
        }
        groups[index].last = entry
        groups[index].recordBytes &+= records.count &- start
    }

    /// Calls `body` with each record of group `index`, in order.
    @inline(__always)
    func forEachRecord(in index: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        var entry = groups[index].first
        while entry >= 0 {
            let record = entries[Int(entry)]
            body(UnsafeRawBufferPointer(start: records.base + record.start, count: record.count))
            entry = record.next
        }
    }

    /// The bytes of group `index`'s resource.
    func resource(of index: Int) -> UnsafeRawBufferPointer {
        let range = groups[index].resource
        return UnsafeRawBufferPointer(start: resources.base + range.lowerBound, count: range.count)
    }

    /// Empties the batch; keeps up to `maxRetainedCapacity` bytes of record memory.
    mutating func reset(maxRetainedCapacity: Int) {
        for group in groups where Int(group.source) < groupOfSource.count {
            groupOfSource[Int(group.source)] = -1
        }
        groups.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        records.removeAll(maxRetainedCapacity: maxRetainedCapacity)
        resources.removeAll(maxRetainedCapacity: 1 << 20)
    }
}
