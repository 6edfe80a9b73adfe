import DeadLetterInput
import DeadLetterSupport

/// `s3://BUCKET/PREFIX`, as given on the command line.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    public var prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// nil unless `text` starts with `s3://` and names a bucket.
    public init?(_ text: String) {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else { return nil }
        self.init(bucket: String(bucket), prefix: String(rest.dropFirst(bucket.count + 1)))
    }

    public var description: String { "s3://\(bucket)/\(prefix)" }
}

/// The few S3 calls deadletter makes (ListObjectsV2, GetObject), signed, retried and traced. Addressing is
/// virtual-host style on AWS (`BUCKET.s3.REGION.amazonaws.com`) and path style on a custom endpoint (moto,
/// MinIO, LocalStack), as the AWS CLI and s5cmd do. A bucket in another region is followed: its region is
/// learnt from the redirect (`x-amz-bucket-region`) and kept for the rest of the run.
public final class S3Client: Sendable {
    public struct Configuration: Sendable {
        public var transport: any HTTPTransport
        /// nil: unsigned requests (`--no-sign-request`).
        public var credentials: (any CredentialProvider)?
        public var region: String
        /// `--endpoint-url` and friends; nil for AWS.
        public var endpoint: HTTPURL?
        public var retry: RetryPolicy
        public var trace: AWSTrace
        /// Epoch milliseconds, for signing.
        public var now: @Sendable () -> Int64

        public init(transport: any HTTPTransport, credentials: (any CredentialProvider)?, region: String,
                    endpoint: HTTPURL?, retry: RetryPolicy, trace: AWSTrace, now: @escaping @Sendable () -> Int64) {
            self.transport = transport
            self.credentials = credentials
            self.region = region
            self.endpoint = endpoint
            self.retry = retry
            self.trace = trace
            self.now = now
        }
    }

    public let configuration: Configuration
    private let learntRegions = Lock()
    nonisolated(unsafe) private var bucketRegions: [String: String] = [:]

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Where the credentials come from, for messages.
    var credentialSource: String {
        configuration.credentials?.source ?? "no credentials (--no-sign-request)"
    }

    private func region(of bucket: String) -> String {
        learntRegions.withLock { bucketRegions[bucket] } ?? configuration.region
    }

    private func learn(_ region: String, for bucket: String) {
        learntRegions.withLock { bucketRegions[bucket] = region }
    }

    /// The URL of `key` in `bucket` (the bucket itself for nil), with the path as signed.
    func url(bucket: String, key: String?, region: String) -> HTTPURL {
        let encodedKey = key.map { "/" + SigV4Signer.encodePath($0) } ?? "/"
        if var endpoint = configuration.endpoint {
            let base = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
            endpoint.path = base + "/" + SigV4Signer.encodePath(bucket) + (key == nil ? "" : encodedKey)
            endpoint.query = ""
            return endpoint
        }
        // A bucket name with dots cannot be a TLS host name under *.s3.amazonaws.com: path style for those.
        if bucket.contains(".") {
            return HTTPURL(scheme: "https", host: "s3.\(region).amazonaws.com",
                           path: "/" + SigV4Signer.encodePath(bucket) + (key == nil ? "" : encodedKey))
        }
        return HTTPURL(scheme: "https", host: "\(bucket).s3.\(region).amazonaws.com", path: encodedKey)
    }

    // MARK: requests

    /// What a request is about, for messages: `listing s3://b/p/`, `reading s3://b/k`.
    struct Subject: Sendable {
        var bucket: String
        var text: String
    }

    /// One exchange as `perform` sees it: the answer's status and headers, its body when it is an error, and
    /// what the caller keeps of a success.
    struct Exchange<Result: Sendable>: Sendable {
        var status: Int
        var headers: [(name: String, value: String)]
        var errorBody: @Sendable () async -> [UInt8]
        var result: Result

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Sends a GET, retrying throttling, server errors, transport failures; following a region redirect once;
    /// renewing expired credentials once. Returns the first 2xx answer (its body unread).
    func get(_ subject: Subject, key: String?, query: [(name: String, value: String)],
             headers extra: [(name: String, value: String)] = []) async throws(AWSError) -> HTTPResponse {
        let transport = configuration.transport
        return try await perform(subject, key: key, query: query, headers: extra) { request throws(TransportError) in
            let response = try await transport.send(request)
            return Exchange(status: response.status, headers: response.headers,
                            errorBody: { (try? await response.body.collect(upTo: 1 << 20)) ?? [] }, result: response)
        }
    }

    /// The request loop behind every call: signs for the bucket's region, sends through `exchange`, and
    /// decides what an answer means. Only a 2xx answer returns.
    func perform<Result: Sendable>(_ subject: Subject, key: String?, query: [(name: String, value: String)],
                                   headers extra: [(name: String, value: String)],
                                   exchange: (HTTPRequest) async throws(TransportError) -> Exchange<Result>) async throws(AWSError) -> Result {
        let retry = configuration.retry
        var attempt = 1
        var redirects = 0
        var renewed: AWSCredentials?
        while true {
            let region = region(of: subject.bucket)
            var url = url(bucket: subject.bucket, key: key, region: region)
            var headers: [(name: String, value: String)] = [("host", url.hostHeader)] + extra
            var credentials: AWSCredentials?
            if let provider = configuration.credentials {
                let current: AWSCredentials
                if let renewed { current = renewed } else { current = try await provider.credentials() }
                credentials = current
                let signer = SigV4Signer(credentials: current, region: region, service: "s3")
                let signed = signer.sign(.init(method: "GET", path: url.path, query: query, headers: headers), at: configuration.now())
                headers += signed.headers
                url.query = signed.encodedQuery
            } else {
                url.query = SigV4Signer.canonicalQuery(query)
            }
            let shown = "GET \(url)" + (attempt > 1 ? " (attempt \(attempt) of \(retry.maxAttempts))" : "")
            configuration.trace("s3: \(shown)" + Self.traced(extra))
            let answer: Exchange<Result>
            do {
                answer = try await exchange(HTTPRequest(method: "GET", url: url, headers: headers))
            } catch {
                configuration.trace("s3: \(subject.text): \(error)")
                if attempt < retry.maxAttempts, retry.acquireRetry() {
                    await backoff(before: attempt, because: "\(error)", subject)
                    attempt += 1
                    continue
                }
                throw AWSError(code: "Transport", message: "\(subject.text): request failed after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(error)")
            }
            let requestId = answer.header("x-amz-request-id").map { " (request id \($0))" } ?? ""
            if (200..<300).contains(answer.status) {
                configuration.trace("s3: \(answer.status) for \(subject.text)\(requestId)")
                retry.recordSuccess()
                return answer.result
            }
            let body = await answer.errorBody()
            let parsed = S3XML.error(body)
            let code = parsed?.code ?? Self.codeForStatus(answer.status)
            configuration.trace("s3: \(answer.status) \(code) for \(subject.text)\(requestId)")
            // The bucket lives in another region: sign for that one and ask again.
            if [301, 307, 400].contains(answer.status), redirects < 2,
               let other = answer.header("x-amz-bucket-region") ?? parsed?.region, other != region {
                configuration.trace("s3: bucket \(subject.bucket) is in \(other), not \(region): asking there")
                learn(other, for: subject.bucket)
                redirects += 1
                continue
            }
            if code == "ExpiredToken" || code == "TokenRefreshRequired", renewed == nil,
               let provider = configuration.credentials, let credentials {
                configuration.trace("s3: credentials from \(provider.source) expired: renewing")
                renewed = try await provider.renew(after: credentials)
                continue
            }
            if RetryPolicy.isRetryable(status: answer.status, code: code), attempt < retry.maxAttempts, retry.acquireRetry() {
                await backoff(before: attempt, because: "\(answer.status) \(code)", subject)
                attempt += 1
                continue
            }
            throw describe(code: code, status: answer.status, serverMessage: parsed?.message, subject, attempts: attempt)
        }
    }

    private func backoff(before attempt: Int, because reason: String, _ subject: Subject) async {
        let delay = configuration.retry.delay(beforeRetry: attempt)
        configuration.trace("s3: retry \(attempt) of \(configuration.retry.maxAttempts - 1) for \(subject.text) in \(Self.seconds(delay)) s after \(reason)")
        await sleep(seconds: delay)
    }

    static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - String(millis % 1000).count))\(millis % 1000)"
    }

    /// The request headers worth showing in a trace (never Authorization or the token).
    private static func traced(_ headers: [(name: String, value: String)]) -> String {
        headers.isEmpty ? "" : " [" + headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "]"
    }

    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: return "PermanentRedirect"
        case 403: return "AccessDenied"
        case 404: return "NotFound"
        case 412: return "PreconditionFailed"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        default: return "HTTP\(status)"
        }
    }

    /// An answer a user can act on; names what was asked and the credential source, never a secret.
    func describe(code: String, status: Int, serverMessage: String?, _ subject: Subject, attempts: Int) -> AWSError {
        let source = credentialSource
        let text: String
        switch code {
        case "AccessDenied", "AllAccessDisabled":
            text = "access denied \(subject.text) with \(source): the identity needs s3:ListBucket on the bucket and "
                + "s3:GetObject on its objects (for a public bucket, try --no-sign-request)"
        case "NoSuchBucket":
            text = "bucket \(subject.bucket) does not exist (\(subject.text)); check the name, --region and --endpoint-url"
        case "NoSuchKey", "NotFound":
            text = "\(subject.text): not found (deleted after it was listed?)"
        case "PreconditionFailed":
            text = "\(subject.text): the object was replaced after it was listed (its ETag changed), so it was not "
                + "stitched together from two versions; run again to read the new one"
        case "ExpiredToken", "TokenRefreshRequired":
            text = "the credentials from \(source) have expired and could not be renewed (\(subject.text)); "
                + "get new ones (for SSO: aws sso login) and run again"
        case "InvalidAccessKeyId":
            text = "AWS does not know the access key id from \(source) (\(subject.text))"
        case "SignatureDoesNotMatch":
            text = "the secret key from \(source) does not match its access key id (\(subject.text))"
        case "InvalidToken":
            text = "the session token from \(source) is not valid (\(subject.text))"
        case "RequestTimeTooSkewed":
            text = "this machine's clock is more than 15 minutes off, so AWS refuses the signature (\(subject.text))"
        default:
            let detail = serverMessage.map { ": \($0)" } ?? ""
            let tries = attempts > 1 ? " after \(attempts) attempts" : ""
            text = "\(subject.text): \(code) (HTTP \(status))\(tries)\(detail)"
        }
        return AWSError(code: code, message: text, status: status)
    }

    // MARK: ListObjectsV2

    /// One page of the listing under `prefix`; `delimiter` "/" gives the folders as common prefixes.
    public func listPage(bucket: String, prefix: String, delimiter: String? = nil, continuationToken: String? = nil,
                         maxKeys: Int? = nil) async throws(AWSError) -> S3ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix), ("encoding-type", "url")]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let subject = Subject(bucket: bucket, text: "listing s3://\(bucket)/\(prefix)")
        let response = try await get(subject, key: nil, query: query)
        let body: [UInt8]
        do { body = try await response.body.collect(upTo: 64 << 20) } catch {
            throw AWSError(code: "Transport", message: "\(subject.text): \(error)")
        }
        do {
            var page = try S3XML.listPage(body)
            if page.encodedAsURL {
                for i in page.objects.indices { page.objects[i].key = Self.percentDecoded(page.objects[i].key) }
                page.commonPrefixes = page.commonPrefixes.map(Self.percentDecoded)
            }
            return page
        } catch {
            throw AWSError(code: "MalformedAnswer", message: "\(subject.text): the answer is not a ListBucketResult (\(error.reason))")
        }
    }

    /// `encoding-type=url` answers: keys percent-encoded (`+` for space is not used by S3 here, but a literal
    /// `+` arrives as `%2B`).
    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") || text.contains("+") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: GetObject

    /// Streams the object into `channel`, from the first byte to the last exactly once: a body cut short is
    /// resumed with `Range: bytes=N-` from the byte reached, pinned with `If-Match` on the listed ETag so a
    /// replaced object is never stitched together. Ends the channel with the error after the retries.
    public func download(bucket: String, key: String, etag: String, size: Int64?, into channel: ByteChannel) async {
        let subject = Subject(bucket: bucket, text: "reading s3://\(bucket)/\(key)")
        var offset: Int64 = 0
        var failures = 0
        let retry = configuration.retry
        let transport = configuration.transport
        while true {
            var headers: [(name: String, value: String)] = []
            if !etag.isEmpty { headers.append(("If-Match", etag)) }
            if offset > 0 { headers.append(("Range", "bytes=\(offset)-")) }
            let expected = offset > 0 ? 206 : 200
            let outcome: FetchOutcome
            do {
                outcome = try await perform(subject, key: key, query: [], headers: headers) { request throws(TransportError) in
                    let outcome = try await transport.fetch(request, expecting: expected, into: channel)
                    return Exchange(status: outcome.status, headers: outcome.headers, errorBody: { outcome.otherBody }, result: outcome)
                }
            } catch {
                channel.finish(.readFailed(error.message))
                return
            }
            if outcome.status != expected {
                channel.finish(.readFailed("\(subject.text): the server answered \(outcome.status) to a request for bytes \(offset) on, "
                    + "so the rest could not be read without reading bytes twice"))
                return
            }
            if outcome.abandoned { return }
            offset += outcome.delivered
            if outcome.delivered > 0 { failures = 0 }
            if outcome.failure != nil && outcome.stalledByReader {
                // The connection gave up while the reader was behind: carry on from the byte reached once the
                // reader has made room. Not the server's failure: no attempt counted, no retry token spent.
                configuration.trace("s3: \(subject.text): paused after byte \(offset) while the reader was behind; resuming when it catches up")
                guard await channel.waitForRoom() else { return }
                continue
            }
            var cut = outcome.failure
            if cut == nil, let size, offset < size {
                cut = .connectionLost("the body ended after \(offset) of \(size) bytes")
            }
            guard let cut else {
                channel.finish()
                return
            }
            failures += 1
            configuration.trace("s3: \(subject.text): \(cut) after byte \(offset)")
            if etag.isEmpty {
                // Without an ETag the rest could come from a replaced object: never stitch two versions.
                channel.finish(.readFailed("\(subject.text): \(cut) after \(offset) bytes, and the listing gave no ETag to resume safely with"))
                return
            }
            guard failures < retry.maxAttempts else {
                channel.finish(.readFailed("\(subject.text): \(cut) after \(offset) bytes; gave up after \(failures) attempts without progress"))
                return
            }
            guard retry.acquireRetry() else {
                channel.finish(.readFailed("\(subject.text): \(cut) after \(offset) bytes; not retried: this run's retry budget is spent (too many failures)"))
                return
            }
            let delay = retry.delay(beforeRetry: failures)
            configuration.trace("s3: resuming s3://\(bucket)/\(key) from byte \(offset) in \(Self.seconds(delay)) s")
            await sleep(seconds: delay)
        }
    }
}
