import NIOCore
import NIOHTTP1

/// One request written to a connection, with the promise its answer completes.
struct HTTP1Exchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var answer: EventLoopPromise<HTTP1Response>
}

/// The end of an ``HTTP1Connection``'s pipeline (after NIOHTTP1's encoder and decoder, and TLS for https): writes one
/// request at a time and collects its answer (status, headers, body) into the exchange's promise.
///
/// A connection that closes, or an error, fails the exchange in flight; a response that does not allow keep-alive
/// (`Connection: close`, HTTP/1.0) closes the connection once it is read, so the next request opens a new one.
final class HTTP1ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTP1Exchange
    typealias OutboundOut = HTTPClientRequestPart

    /// A response body is kept up to this size, the rest read and dropped: an OTLP answer is a few bytes (a
    /// partial-success message), and a misbehaving server must not grow the agent's memory.
    static let bodyLimit = 1 << 20

    private var pending: EventLoopPromise<HTTP1Response>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.answer.fail(HTTP1Error(.connection, "a request is already in flight on this connection"))
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        guard context.channel.isActive else {
            exchange.answer.fail(HTTP1Error(.closed(answered: false), "the connection is closed"))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        pending = exchange.answer
        head = nil
        body = nil
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        let answer = exchange.answer
        written.futureResult.whenFailure { error in
            answer.fail(HTTP1Error(.connection, "writing the request failed", underlying: error))
        }
        written.futureResult.cascade(to: promise)
        context.write(wrapOutboundOut(.end(nil)), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            // 1xx answers (100 Continue) come before the real one; NIOHTTP1 hands them on as heads of their own.
            if (100..<200).contains(responseHead.status.code) { return }
            head = responseHead
        case .body(let part):
            if body == nil, part.readableBytes <= Self.bodyLimit {
                body = part  // the usual case: the whole body in one part, kept without a copy
            } else {
                var collected = body ?? context.channel.allocator.buffer(capacity: 0)
                let room = Self.bodyLimit - collected.readableBytes
                if room > 0, let slice = part.getSlice(at: part.readerIndex, length: min(room, part.readableBytes)) {
                    collected.writeImmutableBuffer(slice)
                }
                body = collected
            }
        case .end:
            guard let answer = pending, let responseHead = head else { return }
            pending = nil
            head = nil
            let response = HTTP1Response(
                status: Int(responseHead.status.code), headers: responseHead.headers,
                body: body ?? ByteBuffer())
            body = nil
            if !responseHead.isKeepAlive { context.close(promise: nil) }
            answer.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let answer = pending {
            pending = nil
            answer.fail(HTTP1Error(.closed(answered: head != nil), "the server closed the connection"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let answer = pending {
            pending = nil
            answer.fail(HTTP1Error(.connection, "the connection failed", underlying: error))
        }
        context.close(promise: nil)
    }
}
