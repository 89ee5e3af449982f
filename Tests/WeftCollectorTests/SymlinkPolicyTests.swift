import Foundation
import Logging
import Testing
import WeftCollector
import WeftCore
import WeftIO
import WeftMultiline
import WeftPipeline
import WeftTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A file found through a glob is followed only where its symlinks lead under the glob's own directory, a configured
/// root, or the runtimes' log directories (`FollowedRoots`): a writer of a watched directory cannot have Weft ship
/// `/etc/shadow` or a service account token by planting a symlink.
@Suite struct SymlinkPolicyTests {
    typealias Workspace = CollectorTests.Workspace

    /// A collector on `logs/<glob>` with a capturing log.
    struct Run {
        var collector: Collector<CollectingSink>
        var clock = ManualClock()
        let log = CapturingLogHandler.Store()

        init(_ workspace: Workspace, glob: String = "*.log", roots: [String]?) throws {
            var configuration = CollectorConfiguration(
                globs: [workspace.logs + "/" + glob], stateDirectory: workspace.state)
            configuration.globInterval = 100_000_000
            configuration.followedRoots = roots
            let acknowledgements = Acknowledgements()
            collector = try Collector(
                configuration: configuration, pipeline: Pipeline(parsers: try .make()),
                output: CollectingSink(acknowledgements: acknowledgements), acknowledgements: acknowledgements,
                useInotify: false, logger: CapturingLogHandler.logger(log))
        }

        mutating func settle() throws {
            for _ in 0..<3 {
                clock.advance(byMilliseconds: 2000)
                while try collector.step(now: clock.now) {}
            }
        }

        var bodies: [String] { collector.output.records.map(\.body) }
        var refusals: Int { log.messages.filter { $0.hasPrefix("file lies outside the followed directories") }.count }
    }

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func link(_ path: String, to target: String) {
        precondition(symlink(target, path) == 0, "symlink \(path)")
    }

    @Test func theDefaultRootsAreWhereTheRuntimesSymlinksLead() {
        let configuration = CollectorConfiguration(globs: ["/var/log/containers/*.log"], stateDirectory: "/tmp/s")
        #expect(configuration.followedRoots == ["/var/log/pods", "/var/lib/docker/containers"])
    }

    @Test func aSymlinkOutOfTheGlobsDirectoryIsNotFollowed() throws {
        let workspace = try Workspace()
        try Self.write(workspace.root + "/secret/token", "s3cr3t\n")
        try Self.write(workspace.logs + "/app.log", "ordinary\n")
        Self.link(workspace.logs + "/evil.log", to: workspace.root + "/secret/token")
        var run = try Run(workspace, roots: [])
        try run.settle()
        #expect(run.bodies == ["ordinary"])
        #expect(run.collector.statistics.openFailures == 1)
        #expect(run.refusals == 1, "reported once, not at every scan")
        let event = try #require(run.log.all.first { $0.message.hasPrefix("file lies outside") })
        #expect(event.metadata["target"]?.description == workspace.root + "/secret/token")
    }

    /// A directory symlink on the way (`logs/*/*.log` with `logs/x -> ../secret`) is resolved the same way.
    @Test func aDirectorySymlinkOutOfTheRootIsNotFollowed() throws {
        let workspace = try Workspace()
        try Self.write(workspace.root + "/secret/a.log", "s3cr3t\n")
        try Self.write(workspace.logs + "/pod/a.log", "ordinary\n")
        Self.link(workspace.logs + "/x", to: workspace.root + "/secret")
        var run = try Run(workspace, glob: "*/*.log", roots: [])
        try run.settle()
        #expect(run.bodies == ["ordinary"])
        #expect(run.refusals == 1)
    }

    /// `--follow-symlinks-outside`: no roots, every symlink followed.
    @Test func followingOutsideWhenToldTo() throws {
        let workspace = try Workspace()
        try Self.write(workspace.root + "/elsewhere/app.log", "followed\n")
        Self.link(workspace.logs + "/app.log", to: workspace.root + "/elsewhere/app.log")
        var run = try Run(workspace, roots: nil)
        try run.settle()
        #expect(run.bodies == ["followed"])
        #expect(run.refusals == 0)
    }

    /// kubelet's layout in small: `containers/*.log` are symlinks into `pods/`, a configured root (as
    /// `/var/log/pods` is by default), and one of them leads on to a Docker container's file (the cri-dockerd
    /// chain) in another root. Symlinks between files of the glob's own directory are followed too.
    @Test func symlinksIntoAConfiguredRootAreFollowed() throws {
        let workspace = try Workspace()
        let pods = workspace.root + "/pods"
        let docker = workspace.root + "/docker"
        try Self.write(pods + "/ns_api_1/api/0.log", "from pods\n")
        try Self.write(docker + "/abc/abc-json.log", "from docker\n")
        try FileManager.default.createDirectory(atPath: pods + "/ns_web_2/web", withIntermediateDirectories: true)
        Self.link(pods + "/ns_web_2/web/0.log", to: docker + "/abc/abc-json.log")
        Self.link(workspace.logs + "/api.log", to: pods + "/ns_api_1/api/0.log")
        Self.link(workspace.logs + "/web.log", to: pods + "/ns_web_2/web/0.log")
        try Self.write(workspace.logs + "/real.txt", "local\n")
        Self.link(workspace.logs + "/local.log", to: "real.txt")
        var run = try Run(workspace, roots: [pods, docker])
        try run.settle()
        #expect(run.bodies.sorted() == ["from docker", "from pods", "local"])
        #expect(run.refusals == 0)
    }

    /// A refused path is looked at again when it names another file: pointed back inside, it is followed.
    @Test func aSymlinkRetargetedInsideIsFollowed() throws {
        let workspace = try Workspace()
        try Self.write(workspace.root + "/secret/token", "s3cr3t\n")
        try Self.write(workspace.logs + "/real.txt", "inside\n")
        Self.link(workspace.logs + "/app.log", to: workspace.root + "/secret/token")
        var run = try Run(workspace, roots: [])
        try run.settle()
        #expect(run.bodies.isEmpty)
        precondition(unlink(workspace.logs + "/app.log") == 0)
        Self.link(workspace.logs + "/app.log", to: workspace.logs + "/real.txt")
        try run.settle()
        #expect(run.bodies == ["inside"])
    }
}
