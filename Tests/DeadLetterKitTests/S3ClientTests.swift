import Foundation
import Testing
@testable import DeadLetterAWS
@testable import DeadLetterInput

/// The S3 client against an in-memory transport: each answer is scripted, each request recorded, so
/// retries, resumes and redirects are checked request by request without a server or a clock.
@Suite struct S3ClientTests {
    /// Answers requests from a script, in order; records what was asked.
    final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
        enum Answer {
            case respond(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], cutAfter: Int? = nil)
            case fail(TransportError)
        }
        private let lock = NSLock()
        private var answers: [Answer]
        private(set) var requests: [HTTPRequest] = []

        init(_ answers: [Answer]) { self.answers = answers }

        func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
            let answer: Answer = lock.withLock {
                requests.append(request)
                return answers.isEmpty ? .respond(status: 599) : answers.removeFirst()
            }
            switch answer {
            case .fail(let error):
                throw error
            case .respond(let status, let headers, let body, let cutAfter):
                var sent = 0
                let limit = cutAfter ?? body.count
                let response = HTTPResponse(status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: HTTPBody { () async throws(TransportError) -> [UInt8]? in
                    if sent >= limit {
                        if cutAfter != nil { throw .connectionLost("reset by the script") }
                        return nil
                    }
                    let end = min(limit, sent + 7)   // small chunks: boundaries everywhere
                    defer { sent = end }
                    return Array(body[sent..<end])
                })
                return response
            }
        }

        var sent: [HTTPRequest] { lock.withLock { requests } }
    }

    struct FixedCredentials: CredentialProvider {
        var keys: [AWSCredentials]
        let renewals = Counter()
        var source: String { "test keys" }
        func credentials() async throws(AWSError) -> AWSCredentials { keys[0] }
        func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials {
            renewals.add()
            return keys[1]
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.withLock { n += 1 } }
        var value: Int { lock.withLock { n } }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var all: [String] = []
        func add(_ line: String) { lock.withLock { all.append(line) } }
        var text: String { lock.withLock { all.joined(separator: "\n") } }
    }

    static func client(_ transport: ScriptedTransport, credentials: (any CredentialProvider)? = nil, endpoint: String? = "http://127.0.0.1:9",
                       attempts: Int = 4, trace: Lines? = nil) -> S3Client {
        S3Client(.init(transport: transport, credentials: credentials, region: "us-east-1", endpoint: endpoint.flatMap(HTTPURL.init(string:)),
                       retry: RetryPolicy(maxAttempts: attempts, random: { 0 }),
                       trace: trace.map { lines in AWSTrace { lines.add($0) } } ?? .off, now: { 1_700_000_000_000 }))
    }

    /// Reads a channel to its end on this thread (the engine's side), as the reader threads do.
    static func drain(_ channel: ByteChannel) -> ([UInt8], InputError?) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 5)
        while true {
            let n: Int
            do throws(InputError) {
                let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 5, alignment: 1)
                defer { raw.deallocate() }
                n = try channel.read(into: raw)
                buffer = Array(raw)
            } catch {
                return (out, error)
            }
            if n == 0 { return (out, nil) }
            out += buffer[0..<n]
        }
    }

    /// The reader blocks, so it runs on a thread of its own, never on one of the concurrency pool's few.
    static func download(_ client: S3Client, size: Int64?, capacity: Int = 16) async -> ([UInt8], InputError?) {
        let channel = ByteChannel(capacity: capacity)
        Task { await client.download(bucket: "b", key: "k/x y", etag: "\"e1\"", size: size, into: channel) }
        return await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: drain(channel)) }.start()
        }
    }

    let body: [UInt8] = Array((0..<200).map { UInt8($0) })

    @Test func aBodyCutMidStreamResumesFromTheByteReachedPinnedToTheETag() async throws {
        let transport = ScriptedTransport([
            .respond(status: 200, headers: [("ETag", "\"e1\"")], body: body, cutAfter: 61),
            .respond(status: 206, headers: [("ETag", "\"e1\"")], body: Array(body[61...]), cutAfter: 100),
            .respond(status: 206, headers: [("ETag", "\"e1\"")], body: Array(body[161...])),
        ])
        let (bytes, error) = await Self.download(Self.client(transport), size: 200)
        #expect(error == nil)
        #expect(bytes == body)   // every byte once, in order
        let sent = transport.sent
        #expect(sent.count == 3)
        #expect(sent.map { $0.header("Range") } == [nil, "bytes=61-", "bytes=161-"])
        #expect(sent.allSatisfy { $0.header("If-Match") == "\"e1\"" })
        #expect(sent[0].url.description == "http://127.0.0.1:9/b/k/x%20y")
    }

    @Test func throttlingAndServerErrorsAreRetriedThenTheObjectIsRead() async throws {
        let slowDown = Array("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".utf8)
        let transport = ScriptedTransport([
            .respond(status: 503, body: slowDown),
            .respond(status: 500, body: Array("<Error><Code>InternalError</Code></Error>".utf8)),
            .fail(.timeout("no answer")),
            .respond(status: 200, body: body),
        ])
        let trace = Lines()
        let (bytes, error) = await Self.download(Self.client(transport, attempts: 5, trace: trace), size: 200)
        #expect(error == nil)
        #expect(bytes == body)
        #expect(transport.sent.count == 4)
        #expect(trace.text.contains("503 SlowDown"))
        #expect(trace.text.contains("retry 3 of 4"))
    }

    @Test func anObjectThatStillFailsAfterTheAttemptsEndsItsStreamWithTheKey() async throws {
        let transport = ScriptedTransport(Array(repeating: .respond(status: 503, body: Array("<Error><Code>SlowDown</Code></Error>".utf8)), count: 3))
        let (bytes, error) = await Self.download(Self.client(transport, attempts: 3), size: 200)
        #expect(bytes.isEmpty)
        #expect(transport.sent.count == 3)
        guard case .readFailed(let why)? = error else { Issue.record("no error: \(String(describing: error))"); return }
        #expect(why.contains("reading s3://b/k/x y"))
        #expect(why.contains("SlowDown (HTTP 503) after 3 attempts"))
    }

    @Test func aReplacedObjectIsNotStitchedTogether() async throws {
        let transport = ScriptedTransport([
            .respond(status: 200, body: body, cutAfter: 50),
            .respond(status: 412, body: Array("<Error><Code>PreconditionFailed</Code></Error>".utf8)),
        ])
        let (bytes, error) = await Self.download(Self.client(transport), size: 200)
        #expect(bytes == Array(body[..<50]))
        guard case .readFailed(let why)? = error else { Issue.record("no error"); return }
        #expect(why.contains("replaced after it was listed"))
    }

    @Test func aBucketInAnotherRegionIsFollowedAndSignedForThatRegion() async throws {
        let transport = ScriptedTransport([
            .respond(status: 301, headers: [("x-amz-bucket-region", "eu-west-1")],
                     body: Array("<Error><Code>PermanentRedirect</Code></Error>".utf8)),
            .respond(status: 200, body: Array("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>".utf8)),
            .respond(status: 200, body: Array("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>".utf8)),
        ])
        let keys = FixedCredentials(keys: [AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret-one")])
        let client = Self.client(transport, credentials: keys, endpoint: nil)
        _ = try await client.listPage(bucket: "bucket", prefix: "p/")
        _ = try await client.listPage(bucket: "bucket", prefix: "q/")
        let auth = transport.sent.map { $0.header("Authorization") ?? "" }
        #expect(auth[0].contains("/us-east-1/s3/aws4_request"))
        #expect(auth[1].contains("/eu-west-1/s3/aws4_request"))
        #expect(auth[2].contains("/eu-west-1/s3/aws4_request"))   // remembered
        #expect(transport.sent[1].url.host == "bucket.s3.eu-west-1.amazonaws.com")
        #expect(!auth.joined().contains("secret-one"))
    }

    @Test func expiredCredentialsAreRenewedOnceAndTheRequestRepeated() async throws {
        let transport = ScriptedTransport([
            .respond(status: 400, body: Array("<Error><Code>ExpiredToken</Code></Error>".utf8)),
            .respond(status: 200, body: Array("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>".utf8)),
        ])
        let keys = FixedCredentials(keys: [AWSCredentials(accessKeyId: "OLD", secretAccessKey: "s1", sessionToken: "t1"),
                                           AWSCredentials(accessKeyId: "NEW", secretAccessKey: "s2", sessionToken: "t2")])
        _ = try await Self.client(transport, credentials: keys).listPage(bucket: "b", prefix: "")
        #expect(keys.renewals.value == 1)
        #expect(transport.sent.map { $0.header("X-Amz-Security-Token") } == ["t1", "t2"])
    }

    @Test func accessDeniedNamesTheBucketAndTheCredentialSourceNeverASecret() async throws {
        let transport = ScriptedTransport([.respond(status: 403, body: Array("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".utf8))])
        let keys = FixedCredentials(keys: [AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret-one", sessionToken: "token-one")])
        do {
            _ = try await Self.client(transport, credentials: keys).listPage(bucket: "logs", prefix: "splunk-failed/")
            Issue.record("no error")
        } catch {
            #expect(error.code == "AccessDenied")
            #expect(error.message.contains("listing s3://logs/splunk-failed/ with test keys"))
            #expect(!error.message.contains("secret-one") && !error.message.contains("token-one"))
        }
        #expect(transport.sent.count == 1)   // not retried
    }

    @Test func listingXMLIsParsedWithEntitiesAndURLEncodedKeys() throws {
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><EncodingType>url</EncodingType>
        <Contents><Key>a%2Bb/c%20d%26e</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>
        <Contents><Key>x/%E2%9C%93</Key><Size>3</Size><ETag>"d"</ETag></Contents>
        <CommonPrefixes><Prefix>p%2F</Prefix></CommonPrefixes>
        <IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>
        """
        var page = try S3XML.listPage(Array(xml.utf8))
        #expect(page.encodedAsURL)
        #expect(page.objects.map(\.etag) == ["\"abc\"", "\"d\""])
        #expect(page.nextContinuationToken == "tok/+=")
        page.objects = page.objects.map { var o = $0; o.key = S3Client.percentDecoded(o.key); return o }
        #expect(page.objects.map(\.key) == ["a+b/c d&e", "x/✓"])
        #expect(page.objects.map(\.size) == [12, 3])
        #expect(throws: S3XML.Malformed.self) { try S3XML.listPage(Array("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>".utf8)) }
        #expect(throws: S3XML.Malformed.self) { try S3XML.listPage(Array("<html>".utf8)) }
    }

    @Test func objectsAreReadInTheOrderALocalWalkReadsTheTree() {
        let keys = ["a.json", "a/b", "a/c/d", "a-b", "b", "a/b.x"]
        let objects = keys.map { S3ListPage.Object(key: $0, size: 1, etag: "") }
        // A local walk sorts the names of one folder by their bytes: "a" < "a-b" < "a.json" < "b", and the
        // folder "a" is read whole where its name sorts. Plain key order would put "a-b" and "a.json" first.
        #expect(S3Objects.inTreeOrder(objects).map(\.key) == ["a/b", "a/b.x", "a/c/d", "a-b", "a.json", "b"])
    }

    @Test func datedFoldersAndTheWindow() {
        #expect(DatedFolder.level("2024", after: []) == [2024])
        #expect(DatedFolder.level("02", after: [2024]) == [2024, 2])
        #expect(DatedFolder.level("29", after: [2024, 2]) == [2024, 2, 29])
        #expect(DatedFolder.level("29", after: [2023, 2]) == nil)
        #expect(DatedFolder.level("24", after: [2024, 2, 29]) == nil)
        #expect(DatedFolder.level("logs", after: []) == nil)
        #expect(DatedFolder.level("202", after: []) == nil)
        #expect(S3Client.datedSuffix("errors/processing-failed/2024/03/") == [2024, 3])
        #expect(S3Client.datedSuffix("2024/02/29/23/") == [2024, 2, 29, 23])
        #expect(S3Client.datedSuffix("logs/2024/13/") == [])          // no month 13: not dated at all
        #expect(S3Client.datedSuffix("a/03/05/") == [])               // no year above
        #expect(S3Client.datedSuffix("x/2024") == [])                 // not a folder
        // 2024-03-05T13:00Z = 1709643600000
        let (start, end) = DatedFolder.span([2024, 3, 5, 13])
        #expect(start == 1_709_643_600_000 && end == start + 3_600_000)
        #expect(DatedFolder.span([2024, 12]).1 == 1_735_689_600_000)   // 2025-01-01
        let window = TimeWindow(since: 1_709_643_600_000, until: 1_709_647_200_000)
        #expect(window.overlaps(start: start, end: end))
        // Slack for a folder named in another time zone: 16 hours before `since`, 15 after `until`.
        let hour: Int64 = 3_600_000
        #expect(window.overlaps(start: start - 16 * hour, end: start - 15 * hour))   // ends 15 h before since: in
        #expect(!window.overlaps(start: start - 17 * hour, end: start - 16 * hour))  // ends 16 h before: out
        #expect(window.overlaps(start: 1_709_647_200_000 + 14 * hour, end: 1_709_647_200_000 + 15 * hour)) // 14 h after until: in
        #expect(!window.overlaps(start: 1_709_647_200_000 + 15 * hour, end: 1_709_647_200_000 + 16 * hour)) // 15 h after: out
    }

    @Test func theChannelHoldsAtMostItsCapacityAheadOfTheReader() async throws {
        let channel = ByteChannel(capacity: 10)
        let progress = Counter()
        let producer = Task {
            for i in 0..<20 {
                guard await channel.send([UInt8(i), UInt8(i)]) else { return }
                progress.add()
            }
            channel.finish()
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        // 10 bytes fit; the send that went past them waits for the reader.
        #expect(progress.value == 4)
        let reader = Thread { _ = Self.drain(channel) }
        reader.start()
        await producer.value
        #expect(progress.value == 20)
    }
}
