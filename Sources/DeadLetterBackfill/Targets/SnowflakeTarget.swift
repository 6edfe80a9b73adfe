import DeadLetterBytes
import DeadLetterRecords
/// NDJSON for Snowflake (Snowpipe Streaming, or `COPY INTO ... FILE_FORMAT = (TYPE = JSON)`): one JSON object
/// per line. Anything else is rejected with the reason Snowflake gives (`Snowflake.InvalidInput`).
public struct SnowflakeTarget: BackfillTarget {
    public init() {}

    public var name: String { "snowflake" }
    public var packaging: FilePackaging { FilePackaging(prefix: name, fileExtension: "ndjson") }
    public var serviceLimits: BatchLimits { BatchLimits(maxBytes: 16 << 20) }

    static let notAnObject = Rejection("not-a-json-object",
                                       "The input is not a single JSON object. Arrays and scalar values are not supported. (Snowflake.InvalidInput)")

    /// The reader's own JSON scan says whether the payload is one object.
    public func rejection(for record: FailureRecord) -> Rejection? {
        payloadRejection(record) ?? (record.payload.isOneObject ? nil : Self.notAnObject)
    }

    public func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
        let payload: [UInt8]
        switch payloadBytes(record) {
        case .failure(let r): return .failure(r)
        case .success(let p): payload = p
        }
        guard record.payload.type == .json, let values = JSONText.values(payload), values.count == 1,
              values[0].first == UInt8(ascii: "{") else {
            return .failure(Self.notAnObject)
        }
        // Byte for byte unless the object spans lines; NDJSON needs it on one.
        let line = values[0].contains(0x0A) || values[0].contains(0x0D) ? JSONText.compact(values[0]) : Array(values[0])
        return .success([BackfillItem(bytes: line + [0x0A])])
    }
}
