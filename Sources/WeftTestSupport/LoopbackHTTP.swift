#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blocking HTTP/1.1 request over a plain socket, for tests that talk to Weft's own servers (`/metrics`, the
/// probes) on loopback: one request per connection (`Connection: close`), the answer read by its `Content-Length`
/// (or to the end of the connection when it has none). Kept this small on purpose, so that what it checks is the
/// server and not a client library (Weft no longer depends on one).
public enum LoopbackHTTP {
    public struct Answer: Equatable, Sendable {
        public var status: Int
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: String
    }

    /// `url` is `http://HOST:PORT/PATH` with a numeric host (IPv4, or IPv6 in brackets). Nil when nothing answers
    /// within `timeoutSeconds` or the answer is not HTTP.
    public static func request(_ url: String, method: String = "GET", timeoutSeconds: Int = 10) -> Answer? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard let colon = authority.lastIndex(of: ":"), let port = UInt16(authority[authority.index(after: colon)...])
        else { return nil }
        var host = String(authority[..<colon])
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        let descriptor = connectTo(host: host, port: port, timeoutSeconds: timeoutSeconds)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let request = "\(method) \(path) HTTP/1.1\r\nHost: \(authority)\r\nConnection: close\r\n\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            return nil
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
            if let answer = parse(received, method: method), answer.complete { return answer.answer }
        }
        return parse(received, method: method)?.answer
    }

    /// The answer in `bytes`, and whether all of its body is there.
    static func parse(_ bytes: [UInt8], method: String) -> (answer: Answer, complete: Bool)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) })
        else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
            let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers[line[..<colon].lowercased()] = String(value)
        }
        var body = Array(bytes[(end + 4)...])
        var complete = false
        if method == "HEAD" {
            body = []
            complete = true
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            complete = body.count >= length
            body = Array(body.prefix(length))
        }
        return (Answer(status: status, headers: headers, body: String(decoding: body, as: UTF8.self)), complete)
    }

    static func connectTo(host: String, port: UInt16, timeoutSeconds: Int) -> Int32 {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let address = list else { return -1 }
        defer { freeaddrinfo(list) }
        let descriptor = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            close(descriptor)
            return -1
        }
        return descriptor
    }
}
