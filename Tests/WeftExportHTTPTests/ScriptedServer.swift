import Foundation
import WeftCore

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback HTTP server on a plain socket that answers each request with bytes the test wrote, byte for byte: what
/// ``WeftExportHTTP/HTTP1Connection`` must cope with (chunked bodies, closing after an answer, never answering) is
/// exactly what goes on the wire, not what a server library chooses to send. One connection at a time, as the client
/// uses them.
final class ScriptedServer: Sendable {
    enum Step: Sendable {
        /// Send these bytes (a whole response); then close the connection if `close`.
        case answer(String, close: Bool = false)
        /// Read the request and close the connection without answering (an idle connection the server closed just as
        /// the request went out looks like this to the client).
        case drop
        /// Read the request and never answer (the connection stays open until the client closes it).
        case silent
    }

    /// A request as received: its head (request line and headers) and its body.
    struct Request: Sendable {
        var head: String
        var body: [UInt8]
    }

    let port: Int
    private let listener: Int32
    private let steps: [Step]
    private let state = Locked((accepted: 0, requests: [Request](), connection: Int32(-1), stopped: false))
    private let done = DispatchSemaphore(value: 0)

    /// Listens on 127.0.0.1 (or ::1) on a free port; the steps are used one per request, the last one repeating.
    init(_ steps: [Step], ipv6: Bool = false) throws {
        precondition(!steps.isEmpty)
        self.steps = steps
        let listener = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var bound: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard bound == 0, listen(listener, 8) == 0 else {
            close(listener)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        var storage = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        // sin_port and sin6_port are at the same offset, in network byte order.
        port = Int(UInt16(bigEndian: storage.sin6_port))
        self.listener = listener
        Thread { [self] in serve() }.start()
    }

    /// Connections accepted so far.
    var accepted: Int { state.withLock { $0.accepted } }
    var requests: [Request] { state.withLock { $0.requests } }

    /// Stops listening and closes the connection (the serving thread holds the server: a test must call this).
    func stop() {
        let connection = state.withLock { state -> Int32? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.connection
        }
        guard let connection else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        if connection >= 0 { shutdown(connection, Int32(SHUT_RDWR)) }
        done.wait()
        close(listener)
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            let stopped = state.withLock { state -> Bool in
                if !state.stopped, connection >= 0 {
                    state.accepted += 1
                    state.connection = connection
                }
                return state.stopped
            }
            if connection < 0 || stopped {
                if connection >= 0 { close(connection) }
                break
            }
            handle(connection)
            state.withLock { $0.connection = -1 }
            close(connection)
        }
        done.signal()
    }

    /// Answers requests on `connection` until the client closes it or a step closes it.
    private func handle(_ connection: Int32) {
        var pending: [UInt8] = []
        while let request = read(from: connection, buffer: &pending) {
            let step = state.withLock { state -> Step in
                state.requests.append(request)
                return steps[min(state.requests.count, steps.count) - 1]
            }
            switch step {
            case .answer(let text, let close):
                let bytes = Array(text.utf8)
                _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if close { return }
            case .drop:
                return
            case .silent:
                continue
            }
        }
    }

    /// The next request (head up to the blank line, then `Content-Length` bytes of body); nil at the end of the
    /// connection.
    private func read(from connection: Int32, buffer: inout [UInt8]) -> Request? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = headEnd(buffer) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").compactMap { line -> Int? in
                        guard line.lowercased().hasPrefix("content-length:") else { return nil }
                        return Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces))
                    }.first ?? 0
                if buffer.count >= end + 4 + length {
                    let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                    buffer.removeFirst(end + 4 + length)
                    return Request(head: head, body: body)
                }
            }
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return nil }
            buffer += chunk[0..<count]
        }
    }

    private func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first {
            bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10
        }
    }
}
