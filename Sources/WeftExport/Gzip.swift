import CZlib
import WeftCore

/// Compresses payloads into gzip (RFC 1952) for OTLP/HTTP's `Content-Encoding: gzip`, through zlib, into a reused
/// output buffer.
///
/// One zlib stream is set up once and reset for each payload, so compressing allocates nothing once the output
/// buffer has grown to the batch size.
///
/// ```swift
/// var gzip = try Gzip()
/// let body = gzip.compress(encoder.finish())   // valid until the next compress
/// ```
///
/// - Important: ``compress(_:)``'s bytes belong to the value and are valid until its next mutating call. Copies share
///   one zlib stream; compress through one copy at a time.
public struct Gzip {
    /// zlib's level, 1 (fastest) … 9 (smallest).
    public let level: Int

    /// Level 1. Measured on 1 MiB protobuf requests of the generated Docker input (Benchmarks, `ExportEncoding`,
    /// this 2-core machine): level 1 compresses 352 MiB/s of request to 11.7% of its size, level 6 164 MiB/s to
    /// 9.3%. Level 6's fifth fewer bytes cost more than twice the CPU, and the goal of 100 MB/s of Docker input with
    /// compression on the second core needs that headroom; a deployment short of bandwidth can choose 6.
    public static let defaultLevel = 1

    private let stream: Stream
    private var output = RawBuffer(capacity: 1 << 16)

    /// zlib could not set up a stream (out of memory, or a level outside 0…9).
    public struct Failure: Error, CustomStringConvertible {
        public var code: Int32
        public var description: String { "zlib's deflateInit2 failed (\(code))" }
    }

    /// The z_stream, at a fixed address as zlib requires, ended with the value.
    private final class Stream {
        let pointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

        init(level: Int) throws(Failure) {
            pointer.initialize(to: z_stream())
            let code = weft_deflate_init_gzip(pointer, Int32(level))
            guard code == Z_OK else {
                pointer.deallocate()
                throw Failure(code: code)
            }
        }

        deinit {
            deflateEnd(pointer)
            pointer.deallocate()
        }
    }

    public init(level: Int = Gzip.defaultLevel) throws(Failure) {
        guard (0...9).contains(level) else { throw Failure(code: Z_STREAM_ERROR) }
        self.level = level
        stream = try Stream(level: level)
    }

    /// `input` compressed as one gzip member.
    public mutating func compress(_ input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let z = stream.pointer
        deflateReset(z)
        output.makeUnique()
        output.removeAll(maxRetainedCapacity: OTLPLogsEncoder.retainedCapacity)
        // zlib counts in 32 bits: feed at most 1 GiB at a time.
        let chunk = 1 << 30
        var offset = 0
        while true {
            let count = Swift.min(chunk, input.count - offset)
            let last = offset + count == input.count
            z.pointee.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress?.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
            z.pointee.avail_in = uInt(count)
            offset += count
            while true {
                // deflateBound: room for all of it at once, the usual case (one call).
                output.reserve(Int(deflateBound(z, uLong(z.pointee.avail_in))) + 64)
                let room = Swift.min(output.capacity - output.count, Int(UInt32.max))
                z.pointee.next_out = (output.base + output.count).assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_out = uInt(room)
                let code = deflate(z, last ? Z_FINISH : Z_NO_FLUSH)
                output.advance(by: room - Int(z.pointee.avail_out))
                if code == Z_STREAM_END { return output.bytes }
                precondition(code == Z_OK || code == Z_BUF_ERROR, "deflate failed (\(code))")
                if !last && z.pointee.avail_in == 0 { break }
            }
        }
    }
}

/// gzip for an OTLP sender's `compress` closure: one zlib stream, used only from the sender's thread (batches are
/// compressed one at a time there, the next one while the previous is in flight), which is what makes sharing this
/// box across the closure boundary safe.
public final class GzipOnSenderThread: @unchecked Sendable {
    private var gzip: Gzip

    /// Fails (zlib out of memory) before anything is sent, rather than sending `Content-Encoding: gzip` with a body
    /// that is not.
    public init() throws {
        gzip = try Gzip()
    }

    public func compress(_ payload: [UInt8]) -> [UInt8] {
        payload.withUnsafeBytes { Array(gzip.compress($0)) }
    }
}
