import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The real transport: AsyncHTTPClient (pooled keep-alive connections, TLS, streamed bodies with
/// back-pressure). One client per process, never shut down: it lives as long as the process, and the
/// process exiting closes its sockets.
public struct AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient

    /// `connections`: at most this many connections per host (the GETs in flight); `readTimeout`: seconds
    /// without a byte, before the headers or between two body chunks, before the request fails.
    public init(connections: Int, connectTimeout: Double, readTimeout: Double) {
        var configuration = HTTPClient.Configuration(
            // Redirects are S3's region answers, handled by the S3 client; never followed blindly.
            redirectConfiguration: .disallow,
            timeout: .init(connect: Self.amount(connectTimeout), read: Self.amount(readTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60),
                                  concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connections)),
            // Bytes as stored: gzip is recognised by content later, never undone by the transport.
            decompression: .disabled)
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        // Kept for the life of the process: a client must be shut down before it is released, and shutting
        // down would wait for connections a stopped run no longer cares about.
        Self.living.withLockedValue { $0.append(client) }
    }

    private static let living = NIOLockedValueBox<[HTTPClient]>([])

    private static func amount(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64(max(0.001, seconds) * 1e9))
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.description)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers where header.name.lowercased() != "host" {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        if !request.body.isEmpty { outgoing.body = .bytes(request.body) }
        let response: HTTPClientResponse
        do {
            // No overall deadline: a large object may take long; a stalled one is caught by the read timeout.
            response = try await client.execute(outgoing, deadline: .distantFuture)
        } catch {
            throw Self.transportError(error)
        }
        // The iterator is used by the body's single reader only.
        nonisolated(unsafe) var iterator = response.body.makeAsyncIterator()
        let body = HTTPBody { () async throws(TransportError) -> [UInt8]? in
            do {
                guard var buffer = try await iterator.next() else { return nil }
                return buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch {
                throw Self.transportError(error)
            }
        }
        return HTTPResponse(status: Int(response.status.code),
                            headers: response.headers.map { (name: $0.name, value: $0.value) },
                            body: body)
    }

    /// Names the failure in a user's words; the request URL is added by the caller.
    static func transportError(_ error: any Error) -> TransportError {
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .deadlineExceeded: return .timeout("no answer within the read timeout")
            case .connectTimeout: return .connect("connection timed out")
            case .remoteConnectionClosed: return .connectionLost("the server closed the connection")
            case .cancelled: return .other("cancelled")
            default: return .other(String(describing: error))
            }
        }
        if let error = error as? IOError { return .connectionLost(error.description) }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return .connect("connection timed out")
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                return .connectionLost("the connection closed")
            default: return .other(String(describing: error))
            }
        }
        if error is NIOConnectionError { return .connect(String(describing: error)) }
        return .other(String(describing: error))
    }
}
