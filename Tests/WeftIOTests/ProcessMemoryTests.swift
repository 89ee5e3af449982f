import Testing

@testable import WeftIO

/// The resident set read from /proc/self/statm.
@Suite struct ProcessMemoryTests {
    @Test func residentPagesAreTheSecondField() {
        func parse(_ text: String) -> Int64? {
            Array(text.utf8).withUnsafeBufferPointer { ProcessMemory.secondField($0) }
        }
        #expect(parse("1203 2514 987 612 0 1500 0\n") == 2514)
        #expect(parse("1203 2514") == 2514)
        #expect(parse("1203") == nil)
        #expect(parse("") == nil)
    }

    @Test func residentBytesGrowWithTouchedMemory() throws {
        // 64 MiB, every page written: resident until freed, so the process's resident set is at least that much
        // whatever the tests running alongside allocate or free (a difference of two readings is not: they do both).
        let size = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { block.deallocate() }
        block.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        let after = try #require(ProcessMemory.residentBytes())
        #expect(after >= Int64(size), "resident \(after) bytes after touching 64 MiB")
    }
}
