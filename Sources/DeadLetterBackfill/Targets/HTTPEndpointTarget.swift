import DeadLetterBytes
import DeadLetterRecords
/// Firehose HTTP-endpoint request bodies, as Firehose itself sends them:
/// `{"requestId": ..., "timestamp": ms, "records": [{"data": base64}, ...]}`. The requestId is derived from
/// the content and the timestamp is the latest arrival in the batch, so a rerun writes the same bytes.
/// Send with: `curl -H 'Content-Type: application/json' -H 'X-Amz-Firehose-Protocol-Version: 1.0'
/// -H "X-Amz-Firehose-Request-Id: $(jq -r .requestId http-endpoint-00001.json)" --data-binary @http-endpoint-00001.json URL`.
public struct HTTPEndpointTarget: BackfillTarget {
    public init() {}

    public var name: String { "http-endpoint" }
    public var serviceLimits: BatchLimits { BatchLimits(maxRecords: 10_000, maxBytes: 4 << 20) }
    /// The request body; its header holds an id derived from the items and their latest arrival.
    public var packaging: FilePackaging {
        FilePackaging(prefix: name, fileExtension: "json", header: .derived(Self.requestHeader), separator: Array(",\n".utf8),
                      footer: Array("\n]}\n".utf8), overhead: Self.envelopeBytes)
    }
    /// The envelope with the longest timestamp an Int64 can print, so byte limits hold for any batch.
    static let envelopeBytes =
        "{\"requestId\":\"00000000-0000-0000-0000-000000000000\",\"timestamp\":-9223372036854775808,\"records\":[\n\n]}\n".utf8.count

    public func rejection(for record: FailureRecord) -> Rejection? { payloadRejection(record) }

    public func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
        switch payloadBytes(record) {
        case .failure(let r): return .failure(r)
        case .success(let payload):
            return .success([BackfillItem(bytes: Array("{\"data\":\"\(Base64.encode(payload))\"}".utf8), arrival: record.arrival)])
        }
    }

    @Sendable package static func requestHeader(body: UnsafeBufferPointer<UInt8>, latestArrival: Int64?) -> [UInt8] {
        let hex = Digest.sha256Hex(body)
        let chars = Array(hex.prefix(32))
        let requestId = String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
            + String(chars[16..<20]) + "-" + String(chars[20..<32])
        return Array("{\"requestId\":\"\(requestId)\",\"timestamp\":\(latestArrival ?? 0),\"records\":[\n".utf8)
    }
}
