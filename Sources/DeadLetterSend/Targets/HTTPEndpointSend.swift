import DeadLetterAWS
import DeadLetterBackfill
import DeadLetterBytes

/// A Firehose HTTP endpoint: the items (`{"data": base64}`) go in one request as Firehose sends them, with
/// the protocol headers and the access key. The request succeeds or fails whole: 200 with our request id
/// echoed is delivered; 429 and 5xx are retried; 413 and other 4xx are dead letters. The request id is
/// derived from the items as `backfill` derives it, so the whole file goes with the id in its header, and a
/// retry of the same items carries the same id (the endpoint can tell a retry from new data).
struct HTTPEndpointSend: SendTarget {
    let service: WebService

    var name: String { "http-endpoint" }
    var identity: String { "HTTP endpoint \(service.identity)" }

    func send(_ items: [[UInt8]]) async -> [ItemOutcome] {
        var joined: [UInt8] = []
        for (i, item) in items.enumerated() {
            if i > 0 { joined += Array(",\n".utf8) }
            joined += item
        }
        let header = joined.withUnsafeBufferPointer { HTTPEndpointTarget.requestHeader(body: $0, latestArrival: service.now()) }
        let requestId = JSONValue.parse(header + Array("]}".utf8))?["requestId"]?.string ?? ""
        let body = header + joined + Array("\n]}\n".utf8)
        let answer: WebService.Answer
        do {
            answer = try await service.post(headers: [("Content-Type", "application/json"), ("X-Amz-Firehose-Protocol-Version", "1.0"),
                                                      ("X-Amz-Firehose-Request-Id", requestId)], body: body)
        } catch {
            return .all(items.count, .lost(error))
        }
        let json = JSONValue.parse(answer.body)
        let said = json?["errorMessage"]?.string ?? json?["message"]?.string
        switch answer.status {
        case 200:
            guard json?["requestId"]?.string == requestId else {
                return .all(items.count, .retry(code: "MalformedAnswer", message: "the answer did not echo request id \(requestId)"))
            }
            return .all(items.count, .delivered)
        case 429, 500...:
            return .all(items.count, .retry(code: "HTTP\(answer.status)", message: said ?? "HTTP \(answer.status)"))
        case 413:
            return .all(items.count, .reject(code: "HTTP413", message: "the endpoint refused the request as too large" + (said.map { ": \($0)" } ?? "")
                + "; write smaller files with backfill --max-bytes"))
        default:
            return .all(items.count, .reject(code: "HTTP\(answer.status)", message: said ?? "HTTP \(answer.status)"))
        }
    }

}
