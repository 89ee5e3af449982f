import WeftCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The prefix streams of one source (`pod/api-1/app`, `web-1`, …), each with the id its records carry.
///
/// Looked up once per line by the key's bytes, without building an array: the last key found is compared first (a
/// tool prints runs of lines from one stream), then a hash of the bytes.
struct Lanes {
    /// Keys and ids in the order they were added: the oldest first.
    private var keys: [[UInt8]] = []
    private(set) var ids: [SourceID] = []
    private var positions: [UInt64: [Int]] = [:]
    private var last = -1

    var count: Int { ids.count }
    var oldest: SourceID? { ids.first }

    /// The ids of the `count` oldest lanes.
    func oldest(_ count: Int) -> [SourceID] { Array(ids.prefix(count)) }

    /// The id of `key`, or nil if it has none yet.
    mutating func id(for key: UnsafeRawBufferPointer) -> SourceID? {
        if last >= 0, Self.equal(keys[last], key) { return ids[last] }
        if keys.count <= 8 {
            // A few streams (the usual pipe): comparing them is cheaper than hashing.
            for position in keys.indices where Self.equal(keys[position], key) {
                last = position
                return ids[position]
            }
            return nil
        }
        guard let candidates = positions[Self.hash(key)] else { return nil }
        for position in candidates where Self.equal(keys[position], key) {
            last = position
            return ids[position]
        }
        return nil
    }

    @inline(__always)
    private static func equal(_ stored: [UInt8], _ key: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == key.count, !key.isEmpty else { return stored.count == key.count }
        return stored.withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }

    mutating func add(_ key: UnsafeRawBufferPointer, _ id: SourceID) {
        keys.append(Array(key))
        ids.append(id)
        positions[Self.hash(key), default: []].append(ids.count - 1)
        last = ids.count - 1
    }

    /// Forgets the lanes whose id satisfies `shouldRemove`; returns their ids.
    mutating func remove(where shouldRemove: (SourceID) -> Bool) -> [SourceID] {
        var removed: [SourceID] = []
        var keptKeys: [[UInt8]] = []
        var keptIDs: [SourceID] = []
        for (key, id) in zip(keys, ids) {
            if shouldRemove(id) {
                removed.append(id)
            } else {
                keptKeys.append(key)
                keptIDs.append(id)
            }
        }
        guard !removed.isEmpty else { return removed }
        keys = keptKeys
        ids = keptIDs
        positions.removeAll(keepingCapacity: true)
        for (position, key) in keys.enumerated() {
            key.withUnsafeBytes { positions[Self.hash($0), default: []].append(position) }
        }
        last = -1
        return removed
    }

    /// FNV-1a.
    private static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}

/// The ids of a pipeline's sources and their prefix streams: dense, released ones reused (the last released first),
/// and the highest given back shrinks the range.
struct SourceIDs {
    private var free: [SourceID] = []
    private var end: SourceID = 0

    mutating func take() -> SourceID {
        if let id = free.popLast() { return id }
        end += 1
        return end - 1
    }

    mutating func give(_ id: SourceID) {
        free.append(id)
        while end > 0, let position = free.lastIndex(of: end - 1) {
            free.remove(at: position)
            end -= 1
        }
    }
}
