#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What makes a followed file the same file, whatever its name: device and inode, plus a fingerprint of its first
/// bytes, so that an inode reused by a new file after the old one was deleted is not taken for it.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    /// FNV-1a of the file's first ``fingerprintLength`` bytes.
    public var fingerprint: UInt64
    /// How many bytes the fingerprint covers: up to ``fingerprintSpan``, fewer while the file is shorter.
    public var fingerprintLength: Int

    /// The most bytes a fingerprint covers.
    public static let fingerprintSpan = 256

    public init(device: UInt64, inode: UInt64, fingerprint: UInt64, fingerprintLength: Int) {
        self.device = device
        self.inode = inode
        self.fingerprint = fingerprint
        self.fingerprintLength = fingerprintLength
    }

    /// The identity of the open file `fd`, or nil if it cannot be read.
    public static func of(fd: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let length = Int(min(Int64(info.st_size), Int64(fingerprintSpan)))
        guard let hash = fingerprint(fd: fd, length: length) else { return nil }
        return FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), fingerprint: hash, fingerprintLength: length)
    }

    /// Whether the open file `fd` is this file: same device and inode, and its first ``fingerprintLength`` bytes
    /// hash the same (a file now shorter than that is not).
    public func matches(fd: Int32, device: UInt64, inode: UInt64) -> Bool {
        guard device == self.device, inode == self.inode else { return false }
        return Self.fingerprint(fd: fd, length: fingerprintLength) == fingerprint
    }

    /// FNV-1a of the first `length` bytes of `fd` (read with `pread`, the file offset untouched), or nil if the
    /// file has fewer.
    static func fingerprint(fd: Int32, length: Int) -> UInt64? {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        guard length > 0 else { return hash }
        var bytes = [UInt8](repeating: 0, count: length)
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, 0) }
        guard read == length else { return nil }
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        return hash
    }

    public var description: String { "dev \(device) ino \(inode) fp \(fingerprintLength)B" }
}
