import Foundation
import Testing
import WeftCore
import WeftIO

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct AcknowledgementsTests {
    struct Broken: Error, Equatable {}

    @Test func theWatermarkOnlyMovesForward() {
        let acks = Acknowledgements()
        #expect(acks.acknowledged == 0)
        acks.acknowledge(through: 5)
        acks.acknowledge(through: 3)
        #expect(acks.acknowledged == 5)
        #expect(acks.failure == nil)
    }

    @Test func aWaiterResumesWhenAnotherThreadAcknowledgesItsRecord() async throws {
        let acks = Acknowledgements()
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread {
            ready.wait()
            acks.acknowledge(through: 2)
            acks.acknowledge(through: 10)
        }
        thread.start()
        async let waited: Void = acks.wait(through: 7)
        ready.signal()
        try await waited
        #expect(acks.acknowledged >= 7)
        try await acks.wait(through: 3)  // already durable: returns at once
    }

    @Test func aFailureReachesEveryWaiterAndLaterOnes() async {
        let acks = Acknowledgements()
        acks.acknowledge(through: 1)
        let first = Task { try await acks.wait(through: 4) }
        let second = Task { try await acks.wait(through: 9) }
        // Whether a task registered before the failure or asks after it, it gets the failure.
        acks.fail(Broken())
        await #expect(throws: Broken.self) { try await first.value }
        await #expect(throws: Broken.self) { try await second.value }
        await #expect(throws: Broken.self) { try await acks.wait(through: 2) }
        // What was durable before the failure stays so.
        try? await acks.wait(through: 1)
        #expect(acks.acknowledged == 1)
    }
}

@Suite struct SignalSourceTests {
    @Test func aSignalBecomesAReadableDescriptorInsteadOfEndingTheProcess() throws {
        // SIGUSR2 rather than SIGTERM: the test process shares its signals with every other test.
        let signals = try SignalSource(signals: [SIGUSR2])
        #expect(signals.received() == nil)
        var watched = pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&watched, 1, 0) == 0)
        // Sent to this thread, where the mask blocks it: it waits on the descriptor.
        #expect(pthread_kill(pthread_self(), SIGUSR2) == 0)
        #expect(poll(&watched, 1, 1000) == 1)
        #expect(signals.received() == nil, "SIGUSR2 is not a termination request")
        #expect(signals.take(SIGUSR2) == 1)
        #expect(signals.take(SIGUSR2) == 0, "taken once")
        #expect(pthread_kill(pthread_self(), SIGUSR2) == 0)
        #expect(signals.take(SIGUSR2) == 1)
    }
}
