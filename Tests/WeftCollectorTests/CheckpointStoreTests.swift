import Foundation
import Testing
import WeftTestSupport

@testable import WeftCollector

/// The checkpoint file: written by hand, read back by `JSONDecoder`, in the format `JSONEncoder` gave.
@Suite struct CheckpointStoreTests {
    static func checkpoint(_ path: String, fingerprint: UInt64, offset: Int64) -> Checkpoint {
        Checkpoint(
            path: path,
            identity: FileIdentity(device: 65024, inode: 16_270_428, fingerprint: fingerprint, fingerprintLength: 256),
            offset: offset)
    }

    /// Paths with every character JSON must escape, and the extremes of the numbers, come back as they went.
    @Test func whatIsSavedLoadsBackTheSame() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-store-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CheckpointStore(directory: directory)
        try store.prepare()
        let saved = [
            Self.checkpoint("/var/log/pods/a_b_1/c/0.log", fingerprint: .max, offset: .max),
            Self.checkpoint("logs/quote\"back\\slash.log", fingerprint: 0, offset: 0),
            Self.checkpoint("logs/new\nline\ttab\r\u{1}\u{1f}.log", fingerprint: 1, offset: 7),
            Self.checkpoint("logs/ünïcødé ✓/日志.log", fingerprint: 14_695_981_039_346_656_037, offset: 123_456_789),
        ]
        try store.save(saved)
        guard case .checkpoints(let loaded) = store.load() else {
            Issue.record("not loaded: \(store.load())")
            return
        }
        #expect(loaded == saved.sorted { $0.path < $1.path })
    }

    /// Byte for byte what `JSONEncoder` (sorted keys, slashes unescaped) wrote before, so that a file written by
    /// either reads the same and diffs stay quiet across the change.
    @Test func theFormatIsJSONEncodersSortedKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-store-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CheckpointStore(directory: directory)
        try store.prepare()
        let saved = (0..<3000).map {
            Self.checkpoint(
                "/var/log/pods/ns_pod-\($0)_uid/app/0.log", fingerprint: UInt64($0) &* 0x9E37_79B9_7F4A_7C15,
                offset: Int64($0) * 1000)
        }
        try store.save(saved)
        struct Contents: Encodable {
            var version: Int
            var files: [Checkpoint]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = try encoder.encode(Contents(version: 1, files: saved.sorted { $0.path < $1.path }))
        let written = try #require(FileManager.default.contents(atPath: store.path))
        #expect(written.count > 64 << 10, "written in more than one piece")
        #expect(written == expected)
    }
}
