import DeadLetterBytes
import DeadLetterRecords
/// Input files for `aws firehose put-record-batch --cli-input-json file://firehose-00001.json`:
/// `{"DeliveryStreamName": ..., "Records": [{"Data": base64}, ...]}`, the decoded payload re-put as it was.
/// `Data` is base64 text: the blob format of AWS CLI v2, whose default is `--cli-binary-format base64`.
/// AWS CLI v1 (and v2 with `raw-in-base64-out`) sends blob text as it is and would deliver the base64 text
/// itself, so send these files with CLI v2 and its default.
public struct FirehoseTarget: BackfillTarget {
    public var streamName: String
    public static let maxRecordBytes = 1_024_000

    public init(streamName: String) { self.streamName = streamName }

    public var name: String { "firehose" }
    /// The PutRecordBatch request: `{"DeliveryStreamName": ..., "Records": [...]}`.
    public var packaging: FilePackaging {
        FilePackaging(prefix: name, fileExtension: "json",
                      header: .fixed(Array("{\"DeliveryStreamName\":\(JSONOutput.quote(streamName)),\"Records\":[\n".utf8)),
                      separator: Array(",\n".utf8), footer: Array("\n]}\n".utf8))
    }
    /// PutRecordBatch: 500 records and 4 MiB per call.
    public var serviceLimits: BatchLimits { BatchLimits(maxRecords: 500, maxBytes: 4 << 20) }
    /// The 4 MiB counts the records' data, not the JSON around it.
    public var limitsCountItemSizeOnly: Bool { true }
    public var manifestOptions: [(String, String)] { [("stream", JSONOutput.quote(streamName))] }

    public func rejection(for record: FailureRecord) -> Rejection? {
        if let why = payloadRejection(record) { return why }
        let size = record.payload.decodedBytes
        if size > Self.maxRecordBytes {
            return Rejection("too-large", "\(size) bytes; Firehose accepts at most 1,024,000 bytes per record (before base64)")
        }
        return nil
    }

    public func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
        if let why = rejection(for: record) { return .failure(why) }
        let payload = record.payload.bytes ?? []
        let entry = "{\"Data\":\"\(Base64.encode(payload))\"}"
        return .success([BackfillItem(bytes: Array(entry.utf8), size: payload.count)])
    }
}
