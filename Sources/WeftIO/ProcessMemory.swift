#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process' resident memory, for `process_resident_memory_bytes` on `/metrics`: what a Kubernetes memory limit
/// is compared with, so an operator sees how close Weft runs to it next to the bounds that keep it there.
///
/// Read from `/proc/self/statm` (its second field: resident pages), one small `read(2)` with no allocation beyond
/// the stack: cheap enough for the collector's once-a-second publishing.
public enum ProcessMemory {
    /// Resident bytes now, or nil where `/proc` is not mounted (macOS; a chroot without `/proc`).
    public static func residentBytes() -> Int64? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // "size resident shared text lib data dt\n": seven numbers of pages, well under 128 bytes.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer -> Int64? in
            var count = 0
            while count < buffer.count {
                let got = read(fd, buffer.baseAddress! + count, buffer.count - count)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { break }
                count += got
            }
            guard let pages = secondField(UnsafeBufferPointer(rebasing: buffer[..<count])) else { return nil }
            return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
        }
    }

    /// The second space-separated decimal number of `text` (statm's resident pages).
    static func secondField(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var field = 0
        var value: Int64 = 0
        var inNumber = false
        for byte in text {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if !inNumber { value = 0 }
                inNumber = true
                value = value &* 10 &+ Int64(byte - UInt8(ascii: "0"))
            } else {
                if inNumber {
                    field += 1
                    if field == 2 { return value }
                }
                inNumber = false
            }
        }
        return inNumber && field == 1 ? value : nil
    }
}
