/// What the AWS layer needs from HTTP, and no more: one request out, a status, headers and a streamed body
/// back. Everything above (signing, retries, S3, credentials) talks to this protocol, so unit tests run
/// against an in-memory transport and the real one (AsyncHTTPClient) is swapped in by the executable.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; returns once the status line and headers arrived. The body is read from the answer.
    /// Throws `TransportError` when no answer came (refused, reset, timed out).
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse

    /// Sends a GET whose body is wanted in `channel`: if the answer has the `expected` status, its body goes
    /// into the channel as it arrives (with the channel's back-pressure); any other answer's body (an
    /// error's XML) is returned instead. Throws only when no answer came; a body that breaks off is in the
    /// outcome, after the bytes delivered before it. The real transport does this on its event loop, with no
    /// thread hop per chunk; the default goes through `send`.
    func fetch(_ request: HTTPRequest, expecting expected: Int, into channel: ByteChannel) async throws(TransportError) -> FetchOutcome
}

/// What `fetch` brought back.
public struct FetchOutcome: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    /// Body bytes put into the channel (only when the status was the expected one).
    public var delivered: Int64 = 0
    /// The body of any other answer (an error's XML), its first MiB.
    public var otherBody: [UInt8] = []
    /// The body broke off after the head (reset, timeout); the bytes before it were delivered.
    public var failure: TransportError?
    /// The channel's reader left, so the rest was not read.
    public var abandoned = false
    /// The body broke off while it waited for the reader to make room (the read timeout ran on while the
    /// reader was behind, `| less`): not the server's fault, so not a failed attempt.
    public var stalledByReader = false

    public init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

extension HTTPTransport {
    public func fetch(_ request: HTTPRequest, expecting expected: Int, into channel: ByteChannel) async throws(TransportError) -> FetchOutcome {
        let response = try await send(request)
        var outcome = FetchOutcome(status: response.status, headers: response.headers)
        guard response.status == expected else {
            outcome.otherBody = (try? await response.body.collect(upTo: 1 << 20)) ?? []
            return outcome
        }
        do {
            while let chunk = try await response.body.next() {
                outcome.delivered += Int64(chunk.count)
                guard await channel.send(chunk) else {
                    outcome.abandoned = true
                    return outcome
                }
            }
        } catch {
            outcome.failure = error
        }
        return outcome
    }
}

/// A URL as the AWS layer builds them: scheme, host, optional port, a path already percent-encoded, an
/// encoded query. Kept apart so the signer signs exactly what goes on the request line.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// Percent-encoded, starting with `/`.
    public var path: String
    /// Encoded, without `?`; empty for none.
    public var query: String

    public init(scheme: String, host: String, port: Int? = nil, path: String = "/", query: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
    }

    /// Parses `http(s)://host[:port][/path][?query]`, as given to `--endpoint-url` or in an environment
    /// variable; nil for anything else (no user info, no fragment).
    public init?(string: String) {
        let parts = string.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var rest = Substring(parts[1])
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        var path = "/"
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        guard !rest.isEmpty, !rest.contains("@"), !rest.contains("#"), !path.contains("#") else { return nil }
        var host = String(rest)
        var port: Int?
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { return nil }
        self.init(scheme: scheme, host: host, port: port, path: path, query: query)
    }

    /// The URL as shown to people: without its query, which may hold a token.
    public var withoutQuery: HTTPURL {
        var url = self
        url.query = ""
        return url
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    public var hostHeader: String {
        guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    public var description: String {
        "\(scheme)://\(hostHeader)\(path)" + (query.isEmpty ? "" : "?\(query)")
    }
}

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: HTTPURL
    /// Sent as given (the signer adds its own); `Host` is added by the transport from the URL.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, url: HTTPURL, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: HTTPBody

    public init(status: Int, headers: [(name: String, value: String)] = [], body: HTTPBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A response body read chunk by chunk, with back-pressure: nothing more is read from the connection until
/// `next()` is called again. One reader only.
public final class HTTPBody: @unchecked Sendable {
    // @unchecked: `nextChunk` is called by one task at a time (the body's single reader), as the transport
    // that made it requires.
    private let nextChunk: () async throws(TransportError) -> [UInt8]?

    public init(_ nextChunk: @escaping () async throws(TransportError) -> [UInt8]?) {
        self.nextChunk = nextChunk
    }

    /// A body already in memory, handed out in chunks of at most `chunk` bytes.
    public static func bytes(_ bytes: [UInt8], chunk: Int = 64 << 10) -> HTTPBody {
        var offset = 0
        return HTTPBody {
            guard offset < bytes.count else { return nil }
            let end = min(bytes.count, offset + max(1, chunk))
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
    }

    /// The next chunk; nil at the end of the body. Throws when the connection failed mid-body.
    public func next() async throws(TransportError) -> [UInt8]? { try await nextChunk() }

    /// The whole body, for small answers (XML listings, errors, credentials). Reads at most `limit` bytes and
    /// throws past it, so a hostile or broken server cannot make the tool hold gigabytes.
    public func collect(upTo limit: Int = 16 << 20) async throws(TransportError) -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await next() {
            all += chunk
            if all.count > limit { throw .other("answer larger than \(limit) bytes") }
        }
        return all
    }
}

/// Why no (complete) answer came. Each reads as a sentence after "request failed: ".
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Refused, unreachable, name not found, TLS failure: nothing was sent.
    case connect(String)
    /// No byte within the read timeout (before the headers or between body chunks).
    case timeout(String)
    /// The connection closed or reset mid-answer.
    case connectionLost(String)
    case other(String)

    public var description: String {
        switch self {
        case .connect(let why): return "cannot connect: \(why)"
        case .timeout(let why): return "timed out: \(why)"
        case .connectionLost(let why): return "connection lost: \(why)"
        case .other(let why): return why
        }
    }

    /// Every transport failure is worth another try: the request was idempotent (GET, or a signed call the
    /// caller chose to repeat).
    public var isRetryable: Bool { true }
}
