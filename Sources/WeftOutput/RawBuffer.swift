/// A growable byte buffer written through a raw pointer: the output path's working memory.
///
/// Writing to it is a capacity check and a store, with none of `Array`'s per-append uniqueness and generic
/// machinery. It has value semantics: ``makeUnique()`` gives a copy its own memory before writing, and growing always
/// moves to new memory, so a copy never sees its bytes freed.
struct RawBuffer: ByteSink {
    private final class Storage {
        let base: UnsafeMutableRawPointer
        init(capacity: Int) { base = .allocate(byteCount: capacity, alignment: 16) }
        deinit { base.deallocate() }
    }

    private var storage: Storage
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        let capacity = Swift.max(capacity, 16)
        storage = Storage(capacity: capacity)
        base = storage.base
        self.capacity = capacity
    }

    /// The bytes written so far.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    var isEmpty: Bool { count == 0 }

    /// Gives this buffer its own memory if a copy shares it.
    @inline(__always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { move(toCapacity: capacity) }
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if extra > capacity &- count { move(toCapacity: Swift.max(count + extra, capacity * 2)) }
    }

    @inline(__always)
    mutating func write(_ pointer: UnsafeRawPointer, count extra: Int) {
        reserve(extra)
        (base + count).copyMemory(from: pointer, byteCount: extra)
        count &+= extra
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count &+= 1
    }

    @inline(__always)
    mutating func write(_ first: UInt8, _ second: UInt8) {
        reserve(2)
        base.storeBytes(of: first, toByteOffset: count, as: UInt8.self)
        base.storeBytes(of: second, toByteOffset: count &+ 1, as: UInt8.self)
        count &+= 2
    }

    @inline(__always)
    mutating func writeEscaped(_ bytes: UnsafeRawBufferPointer) -> Bool {
        JSONString.escape(bytes, into: &self)
    }

    /// Counts `extra` bytes written directly at `base + count` (after ``reserve(_:)``) as part of the contents.
    @inline(__always)
    mutating func advance(by extra: Int) {
        assert(extra >= 0 && extra <= capacity - count)
        count &+= extra
    }

    /// Forgets the contents; keeps the memory unless it is larger than `maxRetainedCapacity`.
    mutating func removeAll(maxRetainedCapacity: Int = .max) {
        count = 0
        if capacity > maxRetainedCapacity { move(toCapacity: maxRetainedCapacity) }
    }

    /// Drops the first `prefix` bytes, keeping the rest.
    mutating func removeFirst(_ prefix: Int) {
        precondition(prefix >= 0 && prefix <= count)
        makeUnique()
        base.copyMemory(from: base + prefix, byteCount: count - prefix)
        count -= prefix
    }

    @inline(never)
    private mutating func move(toCapacity newCapacity: Int) {
        let newStorage = Storage(capacity: Swift.max(newCapacity, 16))
        newStorage.base.copyMemory(from: base, byteCount: count)
        storage = newStorage
        base = newStorage.base
        capacity = Swift.max(newCapacity, 16)
    }
}
