import Foundation
import Testing
@testable import DeadLetterSend
@testable import DeadLetterBackfill
@testable import DeadLetterAWS
@testable import DeadLetterQuery
import DeadLetterSupport

/// The OpenSearch, Splunk HEC and HTTP endpoint targets read in-process against scripted answers: what each
/// answer means item by item (the expectations are the services' documented semantics, written out by hand).
@Suite struct SendTargetTests {
    /// Answers in order and keeps every request.
    final class Scripted: HTTPTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [Result<(Int, String), TransportError>]
        private var requests: [HTTPRequest] = []
        init(_ answers: [(Int, String)]) { self.answers = answers.map { .success($0) } }
        init(results: [Result<(Int, String), TransportError>]) { answers = results }
        func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
            let next: Result<(Int, String), TransportError> = lock.withLock {
                requests.append(request)
                return answers.isEmpty ? .success((599, "script ran out")) : answers.removeFirst()
            }
            switch next {
            case .success(let (status, body)): return HTTPResponse(status: status, body: .bytes(Array(body.utf8)))
            case .failure(let error): throw error
            }
        }
        var seen: [HTTPRequest] { lock.withLock { requests } }
    }

    static func web(_ transport: Scripted, url: String = "http://127.0.0.1:9", auth: WebAuth = .none) -> WebService {
        WebService(transport: transport, url: HTTPURL(string: url)!, auth: auth, trace: .off, now: { 1_700_000_000_000 })
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    // MARK: OpenSearch

    @Test func openSearchSendsCreateForKnownIdsAndReadsEveryItem() async throws {
        let transport = Scripted([(200, """
            {"took":3,"errors":true,"items":[
             {"create":{"_index":"a","_id":"1","status":201}},
             {"create":{"_index":"a","_id":"2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[2]: version conflict, document already exists"}}},
             {"index":{"_index":"a","_id":"x","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}},
             {"create":{"_index":"a","_id":"4","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n]"}}},
             {"create":{"_index":"a","_id":"5","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}]}
            """)])
        let items = [#"{"index":{"_index":"a","_id":"1"}}"#, #"{"index":{"_index":"a","_id":"2"}}"#, #"{"index":{"_index":"a"}}"#,
                     #"{"index":{"_index":"a","_id":"4"}}"#, #"{"create":{"_index":"a","_id":"5"}}"#].map { Self.bytes($0 + "\n{\"n\":1}\n") }
        let outcomes = await OpenSearchSend(service: Self.web(transport, url: "http://127.0.0.1:9/")).send(items)
        #expect(outcomes == [.delivered, .present(message: "a document with this _id is in the index (409 version_conflict_engine_exception)"),
                             .retry(code: "es_rejected_execution_exception", message: "rejected execution"),
                             .reject(code: "mapper_parsing_exception", message: "status 400: failed to parse field [n]"),
                             .retry(code: "unavailable_shards_exception", message: "primary shard is not active")])
        let request = try #require(transport.seen.first)
        #expect(request.url.path == "/_bulk")
        #expect(request.header("Content-Type") == "application/x-ndjson")
        let lines = String(decoding: request.body, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 10 && request.body.last == 0x0A)
        #expect(lines[0] == #"{"create":{"_index":"a","_id":"1"}}"#)
        #expect(lines[4] == #"{"index":{"_index":"a"}}"#)   // no id: a replay would not be caught, so index stays
        #expect(lines[8] == #"{"create":{"_index":"a","_id":"5"}}"#)
    }

    @Test func aConflictOnAnIndexActionIsNotDelivered() async throws {
        // Only `create` makes a 409 mean "already there"; an index action's 409 is an ordinary refusal.
        let transport = Scripted([(200, #"{"errors":true,"items":[{"index":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"v"}}}]}"#)])
        let outcomes = await OpenSearchSend(service: Self.web(transport)).send([Self.bytes("{\"index\":{\"_index\":\"a\"}}\n{}\n")])
        #expect(outcomes == [.reject(code: "version_conflict_engine_exception", message: "status 409: v")])
    }

    @Test func openSearchWholeCallAnswers() async throws {
        let item = Self.bytes("{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n")
        let cases: [(Int, String, ItemOutcome)] = [
            (429, #"{"error":{"type":"es_rejected_execution_exception","reason":"queue full"},"status":429}"#,
             .retry(code: "es_rejected_execution_exception", message: "queue full")),
            (502, "<html>Bad Gateway</html>", .retry(code: "HTTP502", message: "HTTP 502")),
            (401, #"{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}"#,
             .reject(code: "security_exception", message: "HTTP 401: missing authentication credentials")),
            (403, #"{"message":"The security token included in the request is invalid."}"#,
             .reject(code: "HTTP403", message: "HTTP 403: The security token included in the request is invalid.")),
            (200, #"{"errors":false,"items":[]}"#, .retry(code: "MalformedAnswer", message: "the _bulk answer did not list one result per item")),
        ]
        for (status, body, expected) in cases {
            let outcomes = await OpenSearchSend(service: Self.web(Scripted([(status, body)]), url: "http://127.0.0.1:9/logs/_bulk")).send([item, item])
            #expect(outcomes == [expected, expected], "HTTP \(status)")
        }
        let lost = await OpenSearchSend(service: Self.web(Scripted(results: [.failure(.connectionLost("reset"))]))).send([item])
        #expect(lost.first?.mayHaveArrived == true)
        let refused = await OpenSearchSend(service: Self.web(Scripted(results: [.failure(.connect("refused"))]))).send([item])
        #expect(refused.first?.code == "NotSent" && refused.first?.mayHaveArrived == false)
    }

    @Test func bulkPathAndAuthHeaders() async throws {
        #expect(OpenSearchSend.bulkPath("/") == "/_bulk")
        #expect(OpenSearchSend.bulkPath("/logs") == "/logs/_bulk")
        #expect(OpenSearchSend.bulkPath("/logs/_bulk") == "/logs/_bulk")
        let transport = Scripted([(200, #"{"errors":false,"items":[{"create":{"status":201}}]}"#)])
        _ = await OpenSearchSend(service: Self.web(transport, auth: .basic(user: "admin", password: "pa:ss"))).send([Self.bytes("{\"index\":{}}\n{}\n")])
        // RFC 7617: base64 of user:password, worked out by hand for admin:pa:ss.
        #expect(transport.seen.first?.header("Authorization") == "Basic YWRtaW46cGE6c3M=")
        #expect("\(WebAuth.basic(user: "admin", password: "pa:ss"))" == "basic auth as admin")

        let signed = Scripted([(200, #"{"errors":false,"items":[{"create":{"status":201}}]}"#)])
        let credentials = StaticCredentials(AWSCredentials(accessKeyId: "AKIDOS", secretAccessKey: "os-secret", sessionToken: "os-token"))
        _ = await OpenSearchSend(service: Self.web(signed, auth: .sigV4(credentials: credentials, region: "eu-west-1", service: "aoss")))
            .send([Self.bytes("{\"index\":{}}\n{}\n")])
        let request = try #require(signed.seen.first)
        #expect(request.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDOS/20231114/eu-west-1/aoss/aws4_request") == true)
        #expect(request.header("x-amz-content-sha256") == request.body.withUnsafeBufferPointer { Digest.sha256Hex($0) })
        #expect(request.header("X-Amz-Security-Token") == "os-token")
    }

    // MARK: Splunk HEC

    @Test func hecWithoutAckAndItsErrors() async throws {
        let events = (0..<4).map { Self.bytes("{\"event\":\"e\($0)\"}\n") }
        let ok = Scripted([(200, #"{"text":"Success","code":0}"#)])
        let hec = SplunkHECSend(service: Self.web(ok, url: "http://127.0.0.1:9", auth: .splunk(token: "hec-token")), channel: nil)
        #expect(await hec.send(events) == .all(4, .delivered))
        let request = try #require(ok.seen.first)
        #expect(request.url.path == "/services/collector/event")
        #expect(request.header("Authorization") == "Splunk hec-token")
        #expect(request.header("X-Splunk-Request-Channel") == nil)
        #expect(request.body == events.flatMap { $0 })

        let busy = SplunkHECSend(service: Self.web(Scripted([(503, #"{"text":"Server is busy","code":9}"#)])), channel: nil)
        #expect(await busy.send(events) == .all(4, .retry(code: "HEC9", message: "Server is busy")))
        let token = SplunkHECSend(service: Self.web(Scripted([(403, #"{"text":"Invalid token","code":4}"#)])), channel: nil)
        #expect(await token.send(events) == .all(4, .reject(code: "HEC4", message: "Invalid token (HTTP 403)")))
        // The third event is bad: the two before it were indexed, the one after it was not read.
        let invalid = #"{"text":"Event field is required","code":12,"invalid-event-number":2}"#
        // With acknowledgement on, the events before the bad one have no ack: sent again, possibly duplicated.
        let acked = await SplunkHECSend(service: Self.web(Scripted([(400, invalid)])), channel: "c").send(events)
        #expect(acked[0].code == "Unacknowledged" && acked[0].mayHaveArrived && acked[1] == acked[0])
        #expect(acked[2].code == "HEC12" && acked[3].code == "NotIndexed")
        let bad = SplunkHECSend(service: Self.web(Scripted([(400, invalid)])), channel: nil)
        let outcomes = await bad.send(events)
        #expect(outcomes[0] == .delivered && outcomes[1] == .delivered)
        #expect(outcomes[2] == .reject(code: "HEC12", message: "Event field is required (HTTP 400)"))
        #expect(outcomes[3].code == "NotIndexed" && outcomes[3].mayHaveArrived == false)
    }

    @Test func hecAckPollsUntilIndexedAndGivesUpAsPossiblyDelivered() async throws {
        let events = [Self.bytes("{\"event\":1}\n"), Self.bytes("{\"event\":2}\n")]
        // No timeout can end this part: a loaded test run may leave the poller unscheduled for minutes.
        let transport = Scripted([(200, #"{"text":"Success","code":0,"ackId":7}"#), (200, #"{"acks":{"7":false}}"#), (200, #"{"acks":{"7":true}}"#)])
        let hec = SplunkHECSend(service: Self.web(transport, url: "https://127.0.0.1:9/services/collector/event", auth: .splunk(token: "t")),
                                channel: "0f1e2d3c-0000-4000-8000-00000000abcd", ackTimeout: 1e6, pollDelay: 0.01, maxPollDelay: 0.02)
        #expect(await hec.send(events) == [.delivered, .delivered])
        let seen = transport.seen
        #expect(seen.count == 3)
        #expect(seen.allSatisfy { $0.header("X-Splunk-Request-Channel") == "0f1e2d3c-0000-4000-8000-00000000abcd" })
        #expect(seen[1].url.path == "/services/collector/ack" && seen[1].url.query == "channel=0f1e2d3c-0000-4000-8000-00000000abcd")
        #expect(String(decoding: seen[1].body, as: UTF8.self) == #"{"acks":[7]}"#)

        let never = Scripted([(200, #"{"text":"Success","code":0,"ackId":0}"#)] + Array(repeating: (200, #"{"acks":{"0":false}}"#), count: 50))
        let waiting = SplunkHECSend(service: Self.web(never), channel: "c", ackTimeout: 0.1, pollDelay: 0.01, maxPollDelay: 0.02)
        let outcomes = await waiting.send(events)
        #expect(outcomes.allSatisfy { $0.code == "AckTimeout" && $0.mayHaveArrived })
    }

    // MARK: HTTP endpoint

    @Test func httpEndpointRequestAndAnswers() async throws {
        let items = [#"{"data":"YQ=="}"#, #"{"data":"Yg=="}"#].map(Self.bytes)
        // The request id backfill derives for these items (the same function, so the whole file keeps its id).
        let joined = Self.bytes(#"{"data":"YQ=="},"# + "\n" + #"{"data":"Yg=="}"#)
        let hex = joined.withUnsafeBufferPointer { Digest.sha256Hex($0) }
        let chars = Array(hex)
        let id = String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-" + String(chars[16..<20]) + "-" + String(chars[20..<32])
        let ok = Scripted([(200, "{\"requestId\":\"\(id)\",\"timestamp\":1}")])
        let endpoint = HTTPEndpointSend(service: Self.web(ok, url: "http://127.0.0.1:9/ingest?v=1", auth: .header(name: "X-Amz-Firehose-Access-Key", value: "k-secret")))
        #expect(await endpoint.send(items) == .all(2, .delivered))
        let request = try #require(ok.seen.first)
        #expect(request.url.path == "/ingest" && request.url.query == "v=1")
        #expect(request.header("X-Amz-Firehose-Request-Id") == id)
        #expect(request.header("X-Amz-Firehose-Protocol-Version") == "1.0")
        #expect(request.header("X-Amz-Firehose-Access-Key") == "k-secret")
        let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
        #expect(body?["requestId"] as? String == id)
        #expect(body?["timestamp"] as? Int == 1_700_000_000_000)
        #expect((body?["records"] as? [[String: String]])?.map { $0["data"] ?? "" } == ["YQ==", "Yg=="])

        let cases: [(Int, String, ItemOutcome)] = [
            (200, #"{"requestId":"other","timestamp":1}"#, .retry(code: "MalformedAnswer", message: "the answer did not echo request id \(id)")),
            (503, #"{"requestId":"x","errorMessage":"busy"}"#, .retry(code: "HTTP503", message: "busy")),
            (429, "", .retry(code: "HTTP429", message: "HTTP 429")),
            (401, #"{"errorMessage":"bad access key"}"#, .reject(code: "HTTP401", message: "bad access key")),
        ]
        for (status, body, expected) in cases {
            let outcomes = await HTTPEndpointSend(service: Self.web(Scripted([(status, body)]))).send(items)
            #expect(outcomes == .all(2, expected), "HTTP \(status)")
        }
        let large = await HTTPEndpointSend(service: Self.web(Scripted([(413, "")]))).send(items)
        #expect(large.allSatisfy { $0.code == "HTTP413" && { if case .reject = $0 { true } else { false } }($0) })
    }

    // MARK: EventBridge --event-bus, directory layouts, durations, pace

    @Test func eventBusOverride() {
        let named = Self.bytes(#"{"Source":"s","Detail":"{\"EventBusName\":\"inner\"}","EventBusName":"old"}"#)
        #expect(String(decoding: EventBridgeSend.onBus(named, "new"), as: UTF8.self)
                == #"{"Source":"s","Detail":"{\"EventBusName\":\"inner\"}","EventBusName":"new"}"#)
        let unnamed = Self.bytes(#"{"Source":"s","Detail":"{}"}"#)
        #expect(String(decoding: EventBridgeSend.onBus(unnamed, "b"), as: UTF8.self) == #"{"Source":"s","Detail":"{}","EventBusName":"b"}"#)
    }

    @Test func valueLayoutsSplitItemsThatSpanLines() throws {
        let hec = Self.bytes("{\"event\":\"a\"}\n{\n  \"event\": {\"b\": 1}\n}\n{\"event\":\"c\"}\n")
        let file = try BackfillDirectory.split(hec, name: "d/splunk-hec-00001.json", layout: .values(perItem: 1))
        #expect(file.name == "splunk-hec-00001.json")
        #expect(try file.items().map { String(decoding: $0, as: UTF8.self) }
                == ["{\"event\":\"a\"}\n", "{\n  \"event\": {\"b\": 1}\n}\n", "{\"event\":\"c\"}\n"])
        let bulk = Self.bytes("{\"index\":{}}\n{\"a\":1}\n{\"index\":{}}\n{\"a\":2}\n")
        #expect(try BackfillDirectory.split(bulk, name: "b", layout: .values(perItem: 2)).itemCount == 2)
        #expect(throws: BackfillDirectory.Unreadable.self) { try BackfillDirectory.split(Self.bytes("{\"index\":{}}\n"), name: "b", layout: .values(perItem: 2)) }
        #expect(throws: BackfillDirectory.Unreadable.self) { try BackfillDirectory.split(Self.bytes("{\"event\":1}\n{broken\n"), name: "h", layout: .values(perItem: 1)) }
    }

    @Test func durations() throws {
        #expect(try TimeArgument.seconds("900", flag: "--max-time") == 900)
        #expect(try TimeArgument.seconds("0.5", flag: "--max-time") == 0.5)
        #expect(try TimeArgument.seconds("90s", flag: "--max-time") == 90)
        #expect(try TimeArgument.seconds("15m", flag: "--max-time") == 900)
        #expect(try TimeArgument.seconds("2h", flag: "--max-time") == 7200)
        #expect(try TimeArgument.seconds("1d", flag: "--max-time") == 86400)
        for bad in ["", "0", "-5", "15x", "m", "1e3", "inf", "nan", "+5"] {
            #expect(throws: UsageError.self, "\(bad)") { try TimeArgument.seconds(bad, flag: "--max-time") }
        }
    }

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var t: Double = 1000
        func now() -> Double { lock.withLock { t } }
        func advance(_ s: Double) { lock.withLock { t += s } }
    }

    @Test func paceHalvesWhenThrottledAndRisesByATenthASecond() async {
        let clock = Clock()
        let pace = Pace(limit: 100, now: { clock.now() })
        await pace.throttled()
        #expect(await pace.rate == 50)
        await pace.throttled()   // the same second: once only
        #expect(await pace.rate == 50)
        clock.advance(1)
        await pace.throttled()
        #expect(await pace.rate == 25)
        clock.advance(3)
        await pace.admit(0)
        #expect(await pace.rate == 55)   // 25 + 3 × 10
        clock.advance(10)
        await pace.admit(0)
        #expect(await pace.rate == 100)  // never above the limit
        for _ in 0..<20 {
            clock.advance(1)
            await pace.throttled()
        }
        #expect(await pace.rate == Pace.floor)
    }
}

/// Credentials that never change (tests).
struct StaticCredentials: CredentialProvider {
    let value: AWSCredentials
    init(_ value: AWSCredentials) { self.value = value }
    var source: String { "test" }
    func credentials() async throws(AWSError) -> AWSCredentials { value }
    func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials {
        throw AWSError(code: "ExpiredToken", message: "static")
    }
}
