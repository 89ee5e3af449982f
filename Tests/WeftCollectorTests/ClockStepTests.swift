import Foundation
import Testing
import WeftCollector
import WeftTestSupport

/// The wall clock stepped back an hour while `weft tail` runs (the collector's rounds take the wall clock's time):
/// its own timers start again from the new time instead of waiting the hour out.
@Suite struct ClockStepTests {
    typealias Workspace = CollectorTests.Workspace

    @Test func aClockSteppedBackAnHourDoesNotStopScansOrCheckpoints() throws {
        let workspace = try Workspace()
        workspace.append("a.log", "one\n")
        var run = try CollectorTests.Run(workspace)
        try run.settle(advancing: 2000)
        #expect(run.bodies == ["one"])
        #expect(CheckpointStore(directory: workspace.state).loadedCheckpoints()?.count == 1)

        run.clock.advance(bySeconds: -3600)
        workspace.append("b.log", "two\n")  // found only by a glob scan (the test collector does not use inotify)
        try run.settle(advancing: 200)
        #expect(run.bodies == ["one", "two"])
        try run.settle(advancing: 1000)  // the checkpoint interval, in the new time
        #expect(CheckpointStore(directory: workspace.state).loadedCheckpoints()?.count == 2)
    }
}

extension ClockStepTests {
    /// A trace still pending when the clock is set back an hour leaves one flush timeout later, in the new time.
    @Test func aPendingTraceStillLeavesAfterTheFlushTimeout() throws {
        let workspace = try Workspace()
        workspace.append("a.log", "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n")
        var run = try CollectorTests.Run(workspace, flushTimeout: 1_000_000_000)
        try run.settle(advancing: 100)
        #expect(run.bodies.isEmpty)

        run.clock.advance(bySeconds: -3600)
        try run.settle(advancing: 600)
        #expect(run.bodies == ["Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>"])
    }
}
