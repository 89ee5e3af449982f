/// A growable byte buffer written through a raw pointer: the output path's working memory, and the multiline engine's
/// pending records.
///
/// Writing to it is a capacity check and a store, with none of `Array`'s per-append uniqueness and generic
/// machinery. It has value semantics: ``makeUnique()`` gives a copy its own memory before writing (callers that may
/// have been copied call it first), and growing always moves to new memory, so a copy never sees its bytes freed.
public struct RawBuffer {
    @usableFromInline
    final class Storage {
        @usableFromInline let base: UnsafeMutableRawPointer
        @usableFromInline init(capacity: Int) { base = .allocate(byteCount: capacity, alignment: 16) }
        deinit { base.deallocate() }
    }

    // Stored under underscored names so that the inlinable methods below (inlined into the encoder and the engine,
    // in other modules) can write them while the public view stays read-only.
    @usableFromInline var storage: Storage
    @usableFromInline var _base: UnsafeMutableRawPointer
    @usableFromInline var _count = 0
    @usableFromInline var _capacity: Int

    public init(capacity: Int) {
        let capacity = Swift.max(capacity, 16)
        storage = Storage(capacity: capacity)
        _base = storage.base
        _capacity = capacity
    }

    /// Where the bytes are (changes when the buffer grows).
    @inlinable public var base: UnsafeMutableRawPointer { _base }
    /// Bytes written so far.
    @inlinable public var count: Int { _count }
    /// Bytes it can hold before it grows.
    @inlinable public var capacity: Int { _capacity }

    /// The bytes written so far.
    @inlinable
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    /// Gives this buffer its own memory if a copy shares it.
    @inlinable @inline(__always)
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { move(toCapacity: capacity) }
    }

    /// Makes room for `extra` more bytes.
    @inlinable @inline(__always)
    public mutating func reserve(_ extra: Int) {
        if extra > capacity &- count { move(toCapacity: Swift.max(count + extra, capacity * 2)) }
    }

    @inlinable @inline(__always)
    public mutating func write(_ pointer: UnsafeRawPointer, count extra: Int) {
        reserve(extra)
        (base + count).copyMemory(from: pointer, byteCount: extra)
        _count &+= extra
    }

    @inlinable @inline(__always)
    public mutating func write(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        _count &+= 1
    }

    /// Counts `extra` bytes written directly at `base + count` (after ``reserve(_:)``) as part of the contents.
    @inlinable @inline(__always)
    public mutating func advance(by extra: Int) {
        assert(extra >= 0 && extra <= capacity - count)
        _count &+= extra
    }

    /// Grows the capacity to exactly `total` bytes if it is smaller (``reserve(_:)`` doubles instead).
    public mutating func reserveCapacity(_ total: Int) {
        if total > capacity { move(toCapacity: total) }
    }

    /// Forgets the contents; keeps the memory unless it is larger than `maxRetainedCapacity`.
    public mutating func removeAll(maxRetainedCapacity: Int = .max) {
        _count = 0
        if capacity > maxRetainedCapacity { move(toCapacity: maxRetainedCapacity) }
    }

    /// Keeps the first `length` bytes and forgets the rest.
    @inlinable
    public mutating func removeSuffix(from length: Int) {
        precondition(length >= 0 && length <= count)
        _count = length
    }

    /// Drops the first `prefix` bytes, keeping the rest.
    public mutating func removeFirst(_ prefix: Int) {
        precondition(prefix >= 0 && prefix <= count)
        makeUnique()
        base.copyMemory(from: base + prefix, byteCount: count - prefix)
        _count -= prefix
    }

    @usableFromInline @inline(never)
    mutating func move(toCapacity newCapacity: Int) {
        let newStorage = Storage(capacity: Swift.max(newCapacity, 16))
        newStorage.base.copyMemory(from: base, byteCount: count)
        storage = newStorage
        _base = newStorage.base
        _capacity = Swift.max(newCapacity, 16)
    }
}

/// Decimal text of an integer without a `String`: the encoders' one way to write numbers.
public enum DecimalText {
    /// Calls `body` with the digits of `magnitude` (preceded by `-` when `negative`), built backwards in a stack
    /// buffer: twenty digits hold any `UInt64`.
    @inlinable @inline(__always)
    public static func withDigits<R>(
        _ magnitude: UInt64, negative: Bool = false, _ body: (UnsafeRawPointer, Int) -> R
    ) -> R {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = magnitude
            var index = 24
            repeat {
                index &-= 1
                buffer[index] = UInt8(truncatingIfNeeded: 0x30 &+ rest % 10)
                rest /= 10
            } while rest != 0
            if negative {
                index &-= 1
                buffer[index] = UInt8(ascii: "-")
            }
            return body(UnsafeRawPointer(buffer.baseAddress.unsafelyUnwrapped + index), 24 &- index)
        }
    }
}

extension RawBuffer {
    /// Appends the UTF-8 bytes of a literal.
    @inlinable @inline(__always)
    public mutating func append(_ literal: StaticString) {
        write(literal.utf8Start, count: literal.utf8CodeUnitCount)
    }

    /// Appends `value` in decimal.
    @inlinable @inline(__always)
    public mutating func appendDecimal(_ value: UInt64) {
        DecimalText.withDigits(value) { write($0, count: $1) }
    }
}
