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
        outgoing.headers = Self.headers(request)
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

    public func fetch(_ request: HTTPRequest, expecting expected: Int, into channel: ByteChannel) async throws(TransportError) -> FetchOutcome {
        let headers = Self.headers(request)
        let delegate = ChannelDelegate(expected: expected, channel: channel)
        let task: HTTPClient.Task<FetchOutcome>
        do {
            let outgoing = try HTTPClient.Request(url: request.url.description, method: HTTPMethod(rawValue: request.method),
                                                  headers: headers, body: request.body.isEmpty ? nil : .bytes(request.body))
            task = client.execute(request: outgoing, delegate: delegate)
        } catch {
            throw Self.transportError(error)
        }
        delegate.task = task
        do {
            return try await task.get()
        } catch {
            // After the head, a failure is the body breaking off: the outcome says how far it got.
            if let outcome = delegate.outcomeAfterFailure(Self.transportError(error)) { return outcome }
            throw Self.transportError(error)
        }
    }

    /// The request's headers but `Host`, which AsyncHTTPClient writes from the URL.
    private static func headers(_ request: HTTPRequest) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for header in request.headers where header.name.lowercased() != "host" {
            headers.add(name: header.name, value: header.value)
        }
        return headers
    }

    /// Puts a body into a `ByteChannel` from the event loop: no task or thread hop per chunk; when the channel
    /// is full the read pauses (the future returned for the chunk completes once the reader made room).
    private final class ChannelDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
        // @unchecked: `outcome`, `deliver` and `abandoned` are used on the request's event loop only, and read
        // by `fetch` after the request's future completed; `task` is set once before any callback matters.
        typealias Response = FetchOutcome
        let expected: Int
        let channel: ByteChannel
        var task: HTTPClient.Task<FetchOutcome>?
        private var outcome: FetchOutcome?
        private var deliver = false
        private var abandoned = false
        /// The future of the chunk the channel had no room for: the connection waits on the reader.
        private var waiting: EventLoopPromise<Void>?

        init(expected: Int, channel: ByteChannel) {
            self.expected = expected
            self.channel = channel
        }

        func didReceiveHead(task: HTTPClient.Task<FetchOutcome>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
            outcome = FetchOutcome(status: Int(head.status.code), headers: head.headers.map { (name: $0.name, value: $0.value) })
            deliver = Int(head.status.code) == expected
            return task.eventLoop.makeSucceededVoidFuture()
        }

        func didReceiveBodyPart(task: HTTPClient.Task<FetchOutcome>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
            guard outcome != nil, !abandoned else { return task.eventLoop.makeSucceededVoidFuture() }
            let bytes = Array(buffer.readableBytesView)
            guard deliver else {
                if outcome!.otherBody.count < 1 << 20 { outcome!.otherBody += bytes.prefix((1 << 20) - outcome!.otherBody.count) }
                return task.eventLoop.makeSucceededVoidFuture()
            }
            outcome!.delivered += Int64(bytes.count)
            let wake = Wake()
            switch channel.offer(bytes, whenRoom: { room in wake.fire(room) }) {
            case true?:
                return task.eventLoop.makeSucceededVoidFuture()
            case false?:
                abandon(task)
                return task.eventLoop.makeSucceededVoidFuture()
            case nil:
                let promise = task.eventLoop.makePromise(of: Void.self)
                waiting = promise
                wake.then { room in
                    task.eventLoop.execute {
                        if !room { self.abandon(task) }
                        self.release()
                    }
                }
                return promise.futureResult
            }
        }

        /// Completes the waiting chunk's future, once (a promise must never be dropped or completed twice).
        private func release() {
            let promise = waiting
            waiting = nil
            promise?.succeed(())
        }

        private func abandon(_ task: HTTPClient.Task<FetchOutcome>) {
            abandoned = true
            outcome?.abandoned = true
            task.cancel()
        }

        func didReceiveError(task: HTTPClient.Task<FetchOutcome>, _ error: any Error) {
            // A read timeout while the connection waited on the reader is the reader's doing, not the server's.
            if waiting != nil { outcome?.stalledByReader = true }
            release()
        }

        func didFinishRequest(task: HTTPClient.Task<FetchOutcome>) throws -> FetchOutcome {
            guard let outcome else { throw HTTPClientError.remoteConnectionClosed }
            return outcome
        }

        /// Called once the request failed (its event loop made its last change to `outcome` before that): the
        /// outcome so far, if the head had arrived.
        func outcomeAfterFailure(_ error: TransportError) -> FetchOutcome? {
            guard var outcome else { return nil }
            if !outcome.abandoned { outcome.failure = error }
            return outcome
        }
    }

    /// Joins "the reader made room" (any thread) with "the chunk's future is ready for it" (the event loop),
    /// in whichever order they happen.
    private final class Wake: @unchecked Sendable {
        // @unchecked: both fields are touched only under `lock`.
        private let lock = NIOLock()
        private var fired: Bool?
        private var action: (@Sendable (Bool) -> Void)?

        func fire(_ room: Bool) {
            let run: (@Sendable (Bool) -> Void)? = lock.withLock {
                if let action { return action }
                fired = room
                return nil
            }
            run?(room)
        }

        func then(_ body: @escaping @Sendable (Bool) -> Void) {
            let already: Bool? = lock.withLock {
                if let fired { return fired }
                action = body
                return nil
            }
            if let already { body(already) }
        }
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
        if let error = error as? IOError {
            // Refused or unreachable: nothing was sent.
            if [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) { return .connect(error.description) }
            return .connectionLost(error.description)
        }
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
