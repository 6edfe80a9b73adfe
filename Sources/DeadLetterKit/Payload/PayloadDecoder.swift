/// Decodes and types `rawData`. One decoder per worker: it owns the reused buffers, so decoding a
/// record allocates nothing in the steady state.
public final class PayloadDecoder {
    public let maxInflatedBytes: Int
    /// The base64-decoded bytes of the last payload.
    public private(set) var decoded: [UInt8] = []
    /// The inflated bytes of the last gzip payload.
    public private(set) var inflated: [UInt8] = []
    private var unescaped: [UInt8] = []
    private let inflater = Inflater()
    private var scanner = JSONScanner()
    private var members: [ScannedMember] = []

    public init(maxInflatedBytes: Int = 64 << 20) {
        self.maxInflatedBytes = maxInflatedBytes
    }

    /// Decodes the JSON string content of `rawData` (quotes excluded) and types it.
    public func decode(rawDataString: UnsafeBufferPointer<UInt8>, escaped: Bool) -> PayloadInfo {
        var info = PayloadInfo()
        var ok: Bool
        if escaped {
            // JSON may escape '/' as "\/"; base64 text is otherwise plain ASCII.
            JSONText.unescape(rawDataString, into: &unescaped)
            ok = unescaped.withUnsafeBufferPointer { Base64.decode($0, into: &decoded) }
        } else {
            ok = Base64.decode(rawDataString, into: &decoded)
        }
        guard ok else {
            decoded.removeAll(keepingCapacity: true)
            info.type = .invalidBase64
            return info
        }
        info.decodedBytes = decoded.count
        decoded.withUnsafeBufferPointer { classify($0, into: &info) }
        return info
    }

    private func classify(_ bytes: UnsafeBufferPointer<UInt8>, into info: inout PayloadInfo) {
        if bytes.isEmpty {
            info.type = .empty
            return
        }
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            info.type = .binary
            switch inflater.inflate(bytes, into: &inflated, cap: maxInflatedBytes) {
            case .complete:
                if let cwl = inflated.withUnsafeBufferPointer({ CloudWatchLogsPayload.parse($0, scanner: &scanner, members: &members) }) {
                    info.type = .cloudWatchLogs
                    info.cloudWatch = cwl
                }
            case .exceedsCap(let cap):
                info.problem = "gzip payload inflates to more than \(cap) bytes (--max-payload-bytes); not inspected"
            case .truncated:
                info.problem = "gzip payload is truncated"
            case .corrupt(let why):
                info.problem = "gzip payload is corrupt (\(why))"
            }
            return
        }
        if JSONText.isJSONSequence(bytes, scanner: &scanner, members: &members) {
            info.type = .json
        } else if UTF8Validation.isPrintableText(bytes) {
            info.type = .text
        } else {
            info.type = .binary
        }
    }
}
