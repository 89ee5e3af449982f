import CWeftSystem
import Testing
import WeftCore
import WeftIO
import WeftTestSupport

@testable import WeftCollector

#if canImport(Glibc)
    import Glibc
#endif

/// A let-go file is skipped at a glob scan, unopened, only when its change time, its size and its birth time all say
/// it is the file that was let go: a deleted file's inode given to a new file within one tick of the kernel's coarse
/// clock could carry the same change time, but the new file is born anew.
@Suite struct LetGoFileTests {
    typealias Released = Collector<CollectingSink>.Released

    /// Whether the file system of the tests' temporary directory keeps birth times (ext4, XFS and Btrfs do; where it
    /// does not, Weft compares every let-go file's first bytes at each scan, and the tests of skipping step aside).
    static let birthTimesAreKept: Bool = {
        guard let workspace = try? CollectorTests.Workspace() else { return false }
        workspace.append("probe.log", "probe\n")
        return weft_birth_time(workspace.logs + "/probe.log") != Int64.min
    }()

    @Test(.enabled(if: birthTimesAreKept)) func untouchedOnlyWhenChangeTimeSizeAndBirthTimeAgree() throws {
        let workspace = try CollectorTests.Workspace()
        workspace.append("a.log", "one\n")
        let path = workspace.logs + "/a.log"
        var info = stat()
        #expect(stat(path, &info) == 0)
        let born = weft_birth_time(path)
        let changed = Collector<CollectingSink>.changeTime(info)
        let identity = FileIdentity(device: 1, inode: 2, fingerprint: 3, fingerprintLength: 4)
        let checkpoint = Checkpoint(path: path, identity: identity, offset: 4)

        #expect(Released(checkpoint, changed: changed, born: born).isUntouched(info, born: born))
        // Another file on the same inode, with the same change time: born at another time.
        #expect(!Released(checkpoint, changed: changed, born: born).isUntouched(info, born: born + 1))
        // Written since, or grown.
        #expect(!Released(checkpoint, changed: changed - 1, born: born).isUntouched(info, born: born))
        #expect(
            !Released(Checkpoint(path: path, identity: identity, offset: 3), changed: changed, born: born)
                .isUntouched(info, born: born))
        // A file system that keeps no birth time: always opened and compared.
        #expect(!Released(checkpoint, changed: changed, born: Int64.min).isUntouched(info, born: Int64.min))
    }

    @Test func withoutABirthTimeALetGoFileIsNeverTakenAsUntouched() throws {
        let workspace = try CollectorTests.Workspace()
        workspace.append("c.log", "three\n")
        var info = stat()
        #expect(stat(workspace.logs + "/c.log", &info) == 0)
        let identity = FileIdentity(device: 1, inode: 2, fingerprint: 3, fingerprintLength: 4)
        let released = Released(
            Checkpoint(path: "c.log", identity: identity, offset: 6),
            changed: Collector<CollectingSink>.changeTime(info),
            born: Int64.min)
        #expect(!released.isUntouched(info, born: Int64.min))
    }

    @Test func theBirthTimeOfADescriptorIsThatOfItsPath() throws {
        let workspace = try CollectorTests.Workspace()
        workspace.append("b.log", "two\n")
        let path = workspace.logs + "/b.log"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        #expect(weft_birth_time_fd(fd) == weft_birth_time(path))
        #expect(weft_birth_time(workspace.logs + "/missing.log") == Int64.min)
    }
}
