import Testing
import WeftCore
import WeftFraming
import WeftIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct FileDescriptorReaderTests {
    /// Writes `bytes` to a fresh temporary file and returns its path.
    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        var template = Array("/tmp/weft-framing-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        try #require(fd >= 0)
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        try #require(written == bytes.count)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func readsAFileIntoLines() throws {
        var input: [UInt8] = []
        for index in 0..<20_000 { input.append(contentsOf: Array("line \(index)\n".utf8)) }
        input.append(contentsOf: Array("no newline".utf8))
        let path = try temporaryFile(input)
        defer { unlink(path) }

        var reader = try FileDescriptorReader.open(path, bufferSize: 4096)
        defer { reader.close() }
        var framer = LineFramer()
        var lines: [String] = []
        let collect = { (line: UnsafeRawBufferPointer, _: LineFlags) in
            lines.append(String(decoding: line, as: UTF8.self))
        }
        var total = 0
        var reads = 0
        while case let count = try reader.read(into: &framer, emit: collect), count > 0 {
            total += count
            reads += 1
        }
        framer.finish(emit: collect)
        #expect(total == input.count)
        #expect(reads > 1)
        #expect(lines.count == 20_001)
        #expect(lines[12_345] == "line 12345")
        #expect(lines.last == "no newline")
        #expect(framer.consumedOffset == Int64(input.count - 10))
    }

    #if os(Linux)
        @Test func aPipeGetsALargerBufferAndAFileIsLeftAlone() throws {
            var ends: [Int32] = [0, 0]
            try #require(pipe(&ends) == 0)
            defer {
                close(ends[0])
                close(ends[1])
            }
            let reader = FileDescriptorReader(fd: ends[0], path: "pipe")
            #expect(reader.growPipeBuffer() == FileDescriptorReader.pipeBufferSize)
            #expect(fcntl(ends[1], 1032) == Int32(FileDescriptorReader.pipeBufferSize))  // one buffer, both ends

            let path = try temporaryFile(Array("x\n".utf8))
            defer { unlink(path) }
            let file = try FileDescriptorReader.open(path)
            defer { file.close() }
            #expect(file.growPipeBuffer() == nil)
        }
    #endif

    @Test func openFailureCarriesErrnoAndPath() {
        #expect(throws: ReadError(operation: .open, errno: ENOENT, path: "/nonexistent/weft.log")) {
            _ = try FileDescriptorReader.open("/nonexistent/weft.log")
        }
    }

    @Test func readFailureCarriesErrnoAndPath() throws {
        var reader = try FileDescriptorReader.open("/")
        defer { reader.close() }
        var framer = LineFramer()
        do {
            try reader.read(into: &framer) { _, _ in }
            Issue.record("reading a directory should fail")
        } catch {
            #expect(error == ReadError(operation: .read, errno: EISDIR, path: "/"))
            #expect(error.description.hasPrefix("cannot read /: "))
        }
    }
}
