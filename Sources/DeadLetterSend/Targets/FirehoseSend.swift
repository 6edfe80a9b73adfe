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
        await AWSJSONBatch(service: service, operation: "Firehose_20150804.PutRecordBatch",
                           opening: Array("{\"DeliveryStreamName\":\(JSONOutput.quote(stream)),\"Records\":[".utf8),
                           closing: Array("]}".utf8), responses: "RequestResponses", failedCount: "FailedPutCount",
                           countRequired: true, retryable: Self.retryable).send(items)
    }
}
