import DeadLetterAWS
import DeadLetterBytes

/// Firehose `PutRecordBatch`: the file's `{"Data": base64}` items go into `Records` as they are. The answer
/// holds one `RequestResponses` entry per record, in order; an entry with `ErrorCode` failed
/// (`ServiceUnavailableException` and `InternalFailure` are worth retrying). A whole-call
/// `ServiceUnavailableException` (HTTP 400) is throttling.
struct FirehoseSend: SendTarget {
    let service: AWSJSONService
    let stream: String

    var name: String { "firehose" }
    var identity: String { "Firehose stream \(stream) at \(service.identity)" }

    static let retryable: Set<String> = ["ServiceUnavailableException", "InternalFailure", "ThrottlingException"]

    func send(_ items: [[UInt8]]) async -> [ItemOutcome] {
        var body = Array("{\"DeliveryStreamName\":".utf8) + Array(JSONOutput.quote(stream).utf8) + Array(",\"Records\":[".utf8)
        for (i, item) in items.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body += item
        }
        body += Array("]}".utf8)
        let answer: AWSJSONService.Answer
        do { answer = try await service.call("Firehose_20150804.PutRecordBatch", body: body) } catch {
            return Self.all(items.count, .retry(code: error.code == "NotSent" ? "NotSent" : "Transport", message: error.message))
        }
        guard answer.status == 200 else {
            return Self.all(items.count, AWSJSONError.outcome(status: answer.status, body: answer.body, retryable: Self.retryable))
        }
        let parsed = JSONValue.parse(answer.body)
        guard let responses = parsed?["RequestResponses"]?.array, responses.count == items.count,
              parsed?["FailedPutCount"]?.int == responses.filter({ $0["ErrorCode"]?.string != nil }).count else {
            // Unknown which were taken: retry all; a duplicate is better than a loss, and is counted.
            return Self.all(items.count, .retry(code: "MalformedAnswer", message: "the answer did not list one response per record"))
        }
        return responses.map { response in
            guard let code = response["ErrorCode"]?.string else { return .delivered }
            let message = response["ErrorMessage"]?.string ?? code
            return Self.retryable.contains(code) ? .retry(code: code, message: message) : .reject(code: code, message: message)
        }
    }
}
