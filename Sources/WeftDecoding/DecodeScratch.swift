/// Memory the Docker decoder unescapes `log` values into, reused across lines.
///
/// A class so that the pointer handed out in ``WeftCore/LogLine/text`` stays put until the next decode (an array's
/// storage may not be borrowed past a `withUnsafe…` call). ``LineDecoder`` copies it before writing when it is shared,
/// so decoders keep value semantics.
final class DecodeScratch {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 64)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `count` bytes; the old contents are not kept.
    @inline(__always)
    func reserve(_ count: Int) {
        if count > capacity { grow(count) }
    }

    @inline(never)
    private func grow(_ count: Int) {
        var newCapacity = capacity
        while newCapacity < count { newCapacity *= 2 }
        base.deallocate()
        base = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        capacity = newCapacity
    }
}
