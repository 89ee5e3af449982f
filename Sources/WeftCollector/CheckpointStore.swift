import FoundationEssentials
import WeftCore
import WeftIO
import WeftOutput

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a followed file's reading may resume: the file's identity and the offset before which every byte is in a
/// record the output acknowledged.
public struct Checkpoint: Hashable, Sendable, Codable {
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var fingerprint: UInt64
    public var fingerprintLength: Int
    public var offset: Int64

    public init(path: String, identity: FileIdentity, offset: Int64) {
        self.path = path
        device = identity.device
        inode = identity.inode
        fingerprint = identity.fingerprint
        fingerprintLength = identity.fingerprintLength
        self.offset = offset
    }

    public var identity: FileIdentity {
        FileIdentity(device: device, inode: inode, fingerprint: fingerprint, fingerprintLength: fingerprintLength)
    }

    enum CodingKeys: String, CodingKey {
        case path, device, inode, fingerprint, offset
        case fingerprintLength = "fingerprint_length"
    }
}

/// The collector's checkpoints, kept in one JSON file in the state directory and replaced atomically: written to a
/// temporary file, `fsync`ed, renamed over the old one, and the directory `fsync`ed, so a crash at any moment
/// leaves either the old file or the new one, never a torn one.
public struct CheckpointStore {
    public let directory: String
    public var path: String { directory + "/checkpoints.json" }

    struct Contents: Codable {
        var version: Int
        var files: [Checkpoint]
    }

    public init(directory: String) {
        self.directory = directory
    }

    /// What a load found.
    public enum Loaded: Equatable {
        /// No state yet: the first start.
        case none
        case checkpoints([Checkpoint])
        /// The file could not be read as checkpoints; it was moved aside to `movedTo` (nil if that failed too).
        case damaged(reason: String, movedTo: String?)
    }

    /// Creates the directory if needed (mode 0700).
    public func prepare() throws(CheckpointError) {
        // Parents too (`weft run` keeps each source's checkpoints in STATE_DIR/NAME).
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for part in directory.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw CheckpointError(operation: "create", path: prefix, errno: errno)
            }
            prefix += "/"
        }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw CheckpointError(operation: "use", path: directory, errno: ENOTDIR)
        }
        guard access(directory, W_OK) == 0 else {
            throw CheckpointError(operation: "write to", path: directory, errno: errno)
        }
    }

    public func load() -> Loaded {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return errno == ENOENT ? .none : damaged("cannot open it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return damaged("cannot read it: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > 256 << 20 { return damaged("it is larger than 256 MiB") }
        }
        do {
            let contents = try JSONDecoder().decode(Contents.self, from: Data(bytes))
            guard contents.version == 1 else { return damaged("unknown version \(contents.version)") }
            guard contents.files.allSatisfy({ $0.offset >= 0 && $0.fingerprintLength >= 0 }) else {
                return damaged("a negative offset or fingerprint length")
            }
            return .checkpoints(contents.files)
        } catch {
            return damaged("it is not valid checkpoint JSON (\(bytes.count) bytes)")
        }
    }

    private func damaged(_ reason: String) -> Loaded {
        let aside = path + ".damaged-\(time(nil))"
        return .damaged(reason: reason, movedTo: rename(path, aside) == 0 ? aside : nil)
    }

    /// Replaces the checkpoints atomically.
    ///
    /// Written as it is encoded, 64 KiB at a time, in the format `JSONEncoder` gave (sorted keys, by path; a path's
    /// rare `\b`, `\f` or DEL is escaped as Weft's output escapes it, which `load()` reads the same): with
    /// 100,000 files `JSONEncoder` held its tree of the whole document, about 850 bytes a file, beside the 13 MB it
    /// produced, and that was the collector's peak.
    public func save(_ checkpoints: [Checkpoint]) throws(CheckpointError) {
        var checkpoints = checkpoints
        checkpoints.sort { $0.path < $1.path }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CheckpointError(operation: "create", path: temporary, errno: errno) }
        var failure: Int32 = 0
        var text: [UInt8] = []
        text.reserveCapacity(80 << 10)
        func emit() {
            if failure == 0 { text.withUnsafeBytes { failure = writeAll(fd, $0).1 ?? 0 } }
            text.removeAll(keepingCapacity: true)
        }
        text += #"{"files":["#.utf8
        for (index, checkpoint) in checkpoints.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ",")) }
            Self.append(checkpoint, to: &text)
            if text.count >= 64 << 10 { emit() }
        }
        text += #"],"version":1}"#.utf8
        emit()
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure != 0 {
            unlink(temporary)
            throw CheckpointError(operation: "write", path: temporary, errno: failure)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw CheckpointError(operation: "replace", path: path, errno: code)
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)  // the rename itself survives a crash once the directory is synced
            close(directoryFD)
        }
    }
}

extension CheckpointStore {
    /// One checkpoint as a JSON object, keys in sorted order (what `load()` reads back with `JSONDecoder`).
    static func append(_ checkpoint: Checkpoint, to text: inout [UInt8]) {
        text += #"{"device":"#.utf8
        appendDecimal(checkpoint.device, to: &text)
        text += #","fingerprint":"#.utf8
        appendDecimal(checkpoint.fingerprint, to: &text)
        text += #","fingerprint_length":"#.utf8
        appendDecimal(UInt64(clamping: checkpoint.fingerprintLength), to: &text)
        text += #","inode":"#.utf8
        appendDecimal(checkpoint.inode, to: &text)
        text += #","offset":"#.utf8
        appendDecimal(UInt64(clamping: checkpoint.offset), to: &text)  // never negative: load() refuses that
        text += #","path":""#.utf8
        JSONString.appendEscaped(checkpoint.path, to: &text)
        text += #""}"#.utf8
    }

    /// `value` in decimal digits, without a String in between.
    static func appendDecimal(_ value: UInt64, to text: inout [UInt8]) {
        DecimalText.withDigits(value) { text.append(contentsOf: UnsafeRawBufferPointer(start: $0, count: $1)) }
    }
}

/// A checkpoint could not be written (or the state directory used).
public struct CheckpointError: Error, Sendable, CustomStringConvertible, Equatable {
    public var operation: String
    public var path: String
    public var errno: Int32

    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
