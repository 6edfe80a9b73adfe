import DeadLetterBytes
/// What a command needs kept from each payload beyond its type and size.
public struct PayloadNeeds: Sendable {
    /// Keep the payload for output (`records`, `--by payload`).
    public var keep = false
    /// Extract these paths (`payload.a.b`).
    public var paths: [[String]] = []
    /// Keep CloudWatch Logs events (`--explode`).
    public var events = false
    /// Keep the decoded bytes exactly (backfill).
    public var bytes = false

    public init(keep: Bool = false, paths: [[String]] = [], events: Bool = false, bytes: Bool = false) {
        self.keep = keep
        self.paths = paths
        self.events = events
        self.bytes = bytes
    }
}

/// Decodes and types `rawData`. One decoder per worker: it owns the reused buffers, so decoding a
/// record allocates nothing in the steady state.
public final class PayloadDecoder {
    public let maxInflatedBytes: Int
    /// The base64-decoded bytes of the last payload.
    public private(set) var decoded: [UInt8] = []
    private var unescaped: [UInt8] = []
    private let inflater = Inflater()
    private var scanner = JSONScanner()
    private var members: [ScannedMember] = []
    /// The values of the last JSON payload, reused.
    private var bounds: [(Int, Int)] = []

    public let needs: PayloadNeeds

    public init(maxInflatedBytes: Int = 64 << 20, needs: PayloadNeeds = PayloadNeeds()) {
        self.maxInflatedBytes = maxInflatedBytes
        self.needs = needs
    }

    /// Decodes the JSON string content of `rawData` (quotes excluded) and types it.
    public func decode(rawDataString: UnsafeBufferPointer<UInt8>, escaped: Bool) -> PayloadInfo {
        var ignored: String?
        return decode(rawDataString: rawDataString, escaped: escaped, outOfRange: &ignored)
    }

    /// Decodes `rawData` into `record`, with the problem of out-of-range values inside it (CloudWatch Logs
    /// event timestamps, read only when events are kept).
    func decode(rawDataString: UnsafeBufferPointer<UInt8>, escaped: Bool, into record: inout FailureRecord) {
        var problem: String?
        record.payload = decode(rawDataString: rawDataString, escaped: escaped, outOfRange: &problem)
        if let problem { record.valueProblems.append(problem) }
    }

    /// Types an SQS message body into `record`, with the problem of out-of-range values inside it.
    func decode(plain bytes: UnsafeBufferPointer<UInt8>, into record: inout FailureRecord) {
        var problem: String?
        record.payload = decode(plain: bytes, outOfRange: &problem)
        if let problem { record.valueProblems.append(problem) }
    }

    private func decode(rawDataString: UnsafeBufferPointer<UInt8>, escaped: Bool, outOfRange: inout String?) -> PayloadInfo {
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
            if needs.keep {
                // Not base64: kept as given, so nothing is lost.
                let given = escaped ? unescaped.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
                                    : String(decoding: rawDataString, as: UTF8.self)
                info.view = .base64(given)
            }
            return info
        }
        info.decodedBytes = decoded.count
        if needs.bytes { info.bytes = decoded }
        decoded.withUnsafeBufferPointer { classify($0, into: &info, outOfRange: &outOfRange) }
        return info
    }

    /// Types a payload that is not base64 (an SQS message body).
    public func decode(plain bytes: UnsafeBufferPointer<UInt8>) -> PayloadInfo {
        var ignored: String?
        return decode(plain: bytes, outOfRange: &ignored)
    }

    private func decode(plain bytes: UnsafeBufferPointer<UInt8>, outOfRange: inout String?) -> PayloadInfo {
        var info = PayloadInfo()
        info.decodedBytes = bytes.count
        if needs.bytes { info.bytes = Array(bytes) }
        classify(bytes, into: &info, outOfRange: &outOfRange)
        return info
    }

    /// `outOfRange` is the problem of out-of-range values inside the payload, kept out of `info`: every record
    /// carries an info, and a larger one costs every record a little to copy.
    private func classify(_ bytes: UnsafeBufferPointer<UInt8>, into info: inout PayloadInfo, outOfRange: inout String?) {
        if bytes.isEmpty {
            info.type = .empty
            if needs.keep { info.view = .text("") }
            return
        }
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            info.type = .binary
            switch inflater.inflate(bytes, cap: maxInflatedBytes) {
            case .complete:
                let inflated = inflater.output
                var span = (0, 0)
                if let cwl = CloudWatchLogsPayload.parse(inflated, collectEvents: needs.events, scanner: &scanner, members: &members,
                                                         span: &span, outOfRange: &outOfRange) {
                    info.type = .cloudWatchLogs
                    info.cloudWatch = cwl
                    if needs.keep || !needs.paths.isEmpty {
                        // Subscription payloads are one object; anything after it is scanned as before.
                        if JSONText.firstNonWhitespace(inflated, from: span.1) == nil {
                            bounds.removeAll(keepingCapacity: true)
                            bounds.append(span)
                        } else {
                            bounds = JSONText.sequenceBounds(inflated, scanner: &scanner, members: &members)
                        }
                        keepJSON(inflated, bounds: bounds, into: &info)
                    }
                    return
                }
            case .exceedsCap(let cap):
                info.problem = "gzip payload inflates to more than \(cap) bytes (--max-payload-bytes); not inspected"
            case .truncated:
                info.problem = "gzip payload is truncated"
            case .corrupt(let why):
                info.problem = "gzip payload is corrupt (\(why))"
            }
            if needs.keep { info.view = .base64(Base64.encode(bytes)) }
            return
        }
        if JSONText.isJSONSequence(bytes, scanner: &scanner, members: &members, bounds: &bounds) {
            info.type = .json
            info.isOneObject = bounds.count == 1 && bytes[bounds[0].0] == UInt8(ascii: "{")
            keepJSON(bytes, bounds: bounds, into: &info)
        } else if UTF8Validation.isPrintableText(bytes) {
            info.type = .text
            if needs.keep { info.view = .text(String(decoding: bytes, as: UTF8.self)) }
        } else {
            info.type = .binary
            if needs.keep { info.view = .base64(Base64.encode(bytes)) }
        }
    }

    /// Keeps a JSON payload (one value, or a sequence as an array) and extracts the requested paths
    /// from its first value.
    private func keepJSON(_ bytes: UnsafeBufferPointer<UInt8>, bounds: [(Int, Int)], into info: inout PayloadInfo) {
        guard needs.keep || !needs.paths.isEmpty else { return }
        guard let first = bounds.first else { return }
        for path in needs.paths {
            info.values[path.joined(separator: ".")] = JSONText.value(at: path, in: bytes, start: first.0, scanner: &scanner, members: &members)
        }
        if needs.keep {
            var json: [UInt8] = []
            json.reserveCapacity(bytes.count + 2)
            if bounds.count > 1 { json.append(UInt8(ascii: "[")) }
            for (k, bound) in bounds.enumerated() {
                if k > 0 { json.append(UInt8(ascii: ",")) }
                JSONText.compact(UnsafeBufferPointer(rebasing: bytes[bound.0..<bound.1]), into: &json)
            }
            if bounds.count > 1 { json.append(UInt8(ascii: "]")) }
            info.view = .json(String(decoding: json, as: UTF8.self))
        }
    }
}
