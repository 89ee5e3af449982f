import WeftCore

/// The JSON fragments that repeat from record to record — each source's attributes and resource, each parser's name —
/// encoded once and kept in one byte arena addressed by integer ranges, so that reusing one costs a copy and no
/// reference counting.
struct FragmentCache {
    /// Sources with a larger id are encoded on every record rather than cached. The pipeline's ids are dense (it
    /// reuses released ones), so only a run with this many sources open at once, or a caller numbering sources its
    /// own way, gets there.
    static let maxSourceID = 1 << 20
    /// Parsers beyond this many distinct names are encoded on every record.
    static let maxParsers = 256

    private var arena: [UInt8] = []
    /// Bytes the cache holds: encoded fragments, live and dead, and one entry per source id.
    var heldBytes: Int { arena.capacity + sourceRanges.capacity * MemoryLayout<SourceRanges>.stride }
    /// What each cached source's fragments were encoded from, to notice a changed ``SourceInfo`` for the same id.
    private var sources: [SourceInfo] = []

    private var sourceRanges: [SourceRanges] = []
    private var parserNames: [String] = []
    private var parserRanges: [Range<Int>] = []
    /// Arena bytes no longer referenced (fragments of sources that changed).
    private var garbage = 0

    struct SourceRanges {
        /// `"log.file.path":"…","key":"value",`: each pair followed by a comma (the `weft.` keys always follow).
        var attributes: Range<Int>
        /// `"key":"value","key":"value"`: without the braces.
        var resource: Range<Int>
        /// Of the description they were encoded from.
        var identity = SourceStorageIdentity.none
        var isCached: Bool { attributes.lowerBound >= 0 }
        static var none: SourceRanges { SourceRanges(attributes: -1 ..< -1, resource: -1 ..< -1) }
    }

    /// The arena ranges of `info`'s fragments, encoding them first if this id is new or its info changed; nil if
    /// the id is too large to cache. ``forget(_:)`` drops a released source's fragments.
    @inline(__always)
    mutating func ranges(forSource id: SourceID, _ info: SourceInfo) -> SourceRanges? {
        let index = Int(id)
        if index < sourceRanges.count {
            let ranges = sourceRanges[index]
            if ranges.isCached, ranges.identity == SourceStorageIdentity(info),
                sources.withUnsafeBufferPointer({ $0[index].path == info.path })
            {
                return ranges
            }
            if ranges.isCached, sources.withUnsafeBufferPointer({ Self.same($0[index], info) }) {
                sourceRanges[index].identity = SourceStorageIdentity(info)  // equal, in other buffers
                return ranges
            }
        }
        return encodeSource(index, info)
    }

    /// Drops a released source's fragments; its arena bytes count as garbage until the next compaction.
    mutating func forget(_ id: SourceID) {
        let index = Int(id)
        guard index < sourceRanges.count, sourceRanges[index].isCached else { return }
        garbage += sourceRanges[index].attributes.count + sourceRanges[index].resource.count
        sourceRanges[index] = .none
        sources[index] = SourceInfo(path: nil)
        compactIfWasteful()
    }

    @inline(never)
    private mutating func encodeSource(_ index: Int, _ info: SourceInfo) -> SourceRanges? {
        guard index <= Self.maxSourceID else { return nil }
        if index < sourceRanges.count {
            let old = sourceRanges[index]
            if old.isCached {
                garbage += old.attributes.count + old.resource.count
                sourceRanges[index] = .none
            }
        } else {
            sourceRanges.append(contentsOf: repeatElement(.none, count: index + 1 - sourceRanges.count))
            sources.append(contentsOf: repeatElement(SourceInfo(path: nil), count: index + 1 - sources.count))
        }
        sources[index] = info
        compactIfWasteful()
        let ranges = encode(info)
        sourceRanges[index] = ranges
        return ranges
    }

    /// The arena range of `name` encoded (without quotes); nil if too many parsers were seen to cache another.
    mutating func range(forParser name: String) -> Range<Int>? {
        for index in parserNames.indices where parserNames[index] == name {
            return parserRanges[index]
        }
        guard parserNames.count < Self.maxParsers else { return nil }
        let start = arena.count
        JSONString.escape(name, to: &arena)
        parserNames.append(name)
        parserRanges.append(start..<arena.count)
        return start..<arena.count
    }

    /// Appends the cached bytes in `range` to `out`.
    @inline(__always)
    func write(_ range: Range<Int>, to out: inout RawBuffer) {
        arena.withUnsafeBytes { out.write($0.baseAddress.unsafelyUnwrapped + range.lowerBound, count: range.count) }
    }

    private mutating func encode(_ info: SourceInfo) -> SourceRanges {
        let start = arena.count
        Self.writeAttributes(of: info, to: &arena)
        let middle = arena.count
        Self.writeResource(of: info, to: &arena)
        return SourceRanges(
            attributes: start..<middle, resource: middle..<arena.count, identity: SourceStorageIdentity(info))
    }

    /// Re-encodes the live fragments into a fresh arena once dead ones take more room than live ones.
    private mutating func compactIfWasteful() {
        guard garbage > Swift.max(64 << 10, arena.count / 2) else { return }
        arena = []
        garbage = 0
        for index in sourceRanges.indices where sourceRanges[index].isCached {
            sourceRanges[index] = encode(sources[index])
        }
        for index in parserNames.indices {
            let start = arena.count
            JSONString.escape(parserNames[index], to: &arena)
            parserRanges[index] = start..<arena.count
        }
    }

    /// Whether two source descriptions are equal, cheaply when they share storage (the usual case: the same table
    /// entry passed again).
    @inline(__always)
    static func same(_ lhs: SourceInfo, _ rhs: SourceInfo) -> Bool {
        lhs.path == rhs.path && same(lhs.attributes, rhs.attributes) && same(lhs.resource, rhs.resource)
    }

    @inline(__always)
    static func same(_ lhs: [(key: String, value: String)], _ rhs: [(key: String, value: String)]) -> Bool {
        lhs.withUnsafeBufferPointer { left in
            rhs.withUnsafeBufferPointer { right in
                left.count == right.count
                    && (left.baseAddress == right.baseAddress || left.elementsEqual(right, by: { $0 == $1 }))
            }
        }
    }

    static func writeAttributes(of info: SourceInfo, to out: inout some ByteSink) {
        if let path = info.path {
            out.writeLiteral(#""log.file.path":""#)
            JSONString.escape(path, to: &out)
            out.writeLiteral(#"","#)
        }
        for (key, value) in info.attributes {
            writePair(key, value, to: &out)
            out.write(UInt8(ascii: ","))
        }
    }

    static func writeResource(of info: SourceInfo, to out: inout some ByteSink) {
        for (index, (key, value)) in info.resource.enumerated() {
            if index > 0 { out.write(UInt8(ascii: ",")) }
            writePair(key, value, to: &out)
        }
    }

    private static func writePair(_ key: String, _ value: String, to out: inout some ByteSink) {
        out.write(UInt8(ascii: "\""))
        JSONString.escape(key, to: &out)
        out.writeLiteral(#"":""#)
        JSONString.escape(value, to: &out)
        out.write(UInt8(ascii: "\""))
    }
}
