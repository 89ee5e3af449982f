import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT, as a container runtime or a terminal sends them: weft stops reading, flushes what it holds,
/// and exits 0 (no record lost, none cut short by the signal itself).
@Suite struct SignalTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalFlushesThePendingTraceAndExitsCleanly(signal: Int32) throws {
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = ["--flush-timeout", "3600s"]  // only the signal can end the trace
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(30), execute: watchdog)
        defer { watchdog.cancel() }

        // "ready" leaves once the trace starts, which shows the trace's lines were read; stdin stays open.
        let text = "ready\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nValueError: x\n"
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        let reader = output.fileHandleForReading
        var received = Data()
        while !String(decoding: received, as: UTF8.self).contains("\n") {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            received += chunk
        }
        #expect(String(decoding: received, as: UTF8.self).contains(#""body":"ready""#))

        kill(pid, signal)
        received += reader.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last?.contains(#""weft.parser":"python""#) == true)
        #expect(lines.last?.contains(#""weft.flush_reason":"end_of_input""#) == true)
        try? input.fileHandleForWriting.close()
    }
}
