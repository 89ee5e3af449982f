import WeftCore

/// Each source's attributes and resource, and each parser's name, encoded once (in an encoder's own form: protobuf
/// or OTLP/JSON) and kept in one byte arena addressed by integer ranges, so that a record reuses them with a copy.
///
/// A source's fragments carry a version, new whenever they are encoded again (its ``SourceInfo`` changed, or its id
/// was released and given to another source), which tells a batch that records of the same id belong to another
/// resource from then on.
struct SourceFragments {
    /// Ids below this get a slot each (slot id + 1); larger ones share slot 0, encoded again whenever the id changes,
    /// so that one large id does not size the table. The pipeline's ids are dense (it reuses released ones).
    static let maxSlot = 1 << 20

    @inline(__always)
    static func slot(_ id: SourceID) -> Int {
        let index = Int(id)
        return index < maxSlot ? index &+ 1 : 0
    }
    /// Parsers beyond this many distinct names are encoded per record by the caller.
    static let maxParsers = 256

    struct Entry {
        /// The attributes every record of the source carries (`log.file.path`, then the source's own).
        var attributes: Range<Int>
        /// The resource's attributes.
        var resource: Range<Int>
        /// Never 0 for a cached entry; unique among the fragments this cache ever encoded.
        var version: UInt32
        var id: SourceID
        var identity: SourceStorageIdentity

        var isCached: Bool { version != 0 }
        static var none: Entry {
            Entry(attributes: 0..<0, resource: 0..<0, version: 0, id: 0, identity: .none)
        }
    }

    /// How an encoder writes a description's attributes and its resource.
    let encodeAttributes: (SourceInfo, inout RawBuffer) -> Void
    let encodeResource: (SourceInfo, inout RawBuffer) -> Void
    /// How it writes a parser's `weft.parser` attribute.
    let encodeParser: (String, inout RawBuffer) -> Void

    private(set) var arena = RawBuffer(capacity: 4096)
    private var entries: [Entry] = []
    private var infos: [SourceInfo] = []
    private var nextVersion: UInt32 = 1
    private var parserNames: [String] = []
    private var parserRanges: [Range<Int>] = []
    /// Arena bytes no longer referenced.
    private var garbage = 0

    init(
        attributes: @escaping (SourceInfo, inout RawBuffer) -> Void,
        resource: @escaping (SourceInfo, inout RawBuffer) -> Void,
        parser: @escaping (String, inout RawBuffer) -> Void
    ) {
        encodeAttributes = attributes
        encodeResource = resource
        encodeParser = parser
    }

    /// The fragments of source `id` described as `info`, encoding them if they are new or changed.
    @inline(__always)
    mutating func entry(_ id: SourceID, _ info: SourceInfo) -> Entry {
        let slot = Self.slot(id)
        if slot < entries.count {
            let entry = entries[slot]
            if entry.isCached, entry.id == id, entry.identity == SourceStorageIdentity(info),
                infos.withUnsafeBufferPointer({ $0[slot].path == info.path })
            {
                return entry
            }
            if entry.isCached, entry.id == id, infos.withUnsafeBufferPointer({ $0[slot] == info }) {
                entries[slot].identity = SourceStorageIdentity(info)  // equal, in other buffers
                return entries[slot]
            }
        }
        return encode(slot, id, info)
    }

    /// Drops a released source's fragments.
    mutating func forget(_ id: SourceID) {
        let slot = Self.slot(id)
        guard slot < entries.count, entries[slot].isCached, entries[slot].id == id else { return }
        garbage += entries[slot].attributes.count + entries[slot].resource.count
        entries[slot] = .none
        infos[slot] = SourceInfo(path: nil)
        compactIfWasteful()
    }

    /// The arena range of `name`'s `weft.parser` attribute; nil past ``maxParsers`` names.
    @inline(__always)
    mutating func parser(_ name: String) -> Range<Int>? {
        for index in parserNames.indices where parserNames[index] == name {
            return parserRanges[index]
        }
        return addParser(name)
    }

    @inline(never)
    private mutating func addParser(_ name: String) -> Range<Int>? {
        guard parserNames.count < Self.maxParsers else { return nil }
        arena.makeUnique()
        let start = arena.count
        encodeParser(name, &arena)
        parserNames.append(name)
        parserRanges.append(start..<arena.count)
        return start..<arena.count
    }

    @inline(never)
    private mutating func encode(_ slot: Int, _ id: SourceID, _ info: SourceInfo) -> Entry {
        if slot < entries.count {
            if entries[slot].isCached {
                garbage += entries[slot].attributes.count + entries[slot].resource.count
                entries[slot] = .none
            }
        } else {
            entries.append(contentsOf: repeatElement(.none, count: slot + 1 - entries.count))
            infos.append(contentsOf: repeatElement(SourceInfo(path: nil), count: slot + 1 - infos.count))
        }
        infos[slot] = info
        arena.makeUnique()
        compactIfWasteful()
        var entry = encodeFragments(info)
        entry.id = id
        entry.version = nextVersion
        nextVersion = nextVersion == .max ? 1 : nextVersion + 1
        entries[slot] = entry
        return entry
    }

    private mutating func encodeFragments(_ info: SourceInfo) -> Entry {
        let start = arena.count
        encodeAttributes(info, &arena)
        let middle = arena.count
        encodeResource(info, &arena)
        return Entry(
            attributes: start..<middle, resource: middle..<arena.count, version: 0, id: 0,
            identity: SourceStorageIdentity(info))
    }

    /// Encodes the live fragments into a fresh arena once dead ones take more room than live ones.
    private mutating func compactIfWasteful() {
        guard garbage > Swift.max(64 << 10, arena.count / 2) else { return }
        arena = RawBuffer(capacity: Swift.max(4096, arena.count - garbage))
        garbage = 0
        for slot in entries.indices where entries[slot].isCached {
            let fresh = encodeFragments(infos[slot])
            entries[slot].attributes = fresh.attributes
            entries[slot].resource = fresh.resource
        }
        for index in parserNames.indices {
            let start = arena.count
            encodeParser(parserNames[index], &arena)
            parserRanges[index] = start..<arena.count
        }
    }
}
