import DeadLetterBytes
import DeadLetterRecords
/// Splunk HTTP Event Collector bodies for `/services/collector/event`: HEC events one per line.
/// Payloads that already are HEC events (an object with `event`) pass through byte for byte, several per
/// record if the record carried several; other payloads are wrapped as `{"time": arrival, "event": ...}`;
/// CloudWatch Logs events become one HEC event each.
/// Send with: `curl -H "Authorization: Splunk $TOKEN" --data-binary @splunk-hec-00001.json https://HOST:8088/services/collector/event`.
public struct SplunkHECTarget: BackfillTarget {
    public init() {}

    public var name: String { "splunk-hec" }
    /// HEC events one per line, as `/services/collector/event` takes them.
    public var packaging: FilePackaging { FilePackaging(prefix: name, fileExtension: "json") }
    /// Splunk's default `max_content_length` for HEC is 1 MB (Splunk Cloud: 1 MiB).
    public var serviceLimits: BatchLimits { BatchLimits(maxBytes: 1 << 20) }
    public var payloadNeeds: PayloadNeeds { PayloadNeeds(events: true, bytes: true) }

    /// Epoch seconds with milliseconds, as HEC reads `time`.
    static func seconds(_ ms: Int64) -> String {
        let sign = ms < 0 ? "-" : ""
        let m = ms.magnitude
        let frac = String(m % 1000)
        return sign + String(m / 1000) + "." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    static func wrap(event: String, time: Int64?, source: String? = nil) -> BackfillItem {
        var text = "{"
        if let time { text += "\"time\":\(seconds(time)),"}
        if let source { text += "\"source\":\(JSONOutput.quote(source)),"}
        text += "\"event\":\(event)}\n"
        return BackfillItem(bytes: Array(text.utf8))
    }

    public func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
        let payload: [UInt8]
        switch payloadBytes(record) {
        case .failure(let r): return .failure(r)
        case .success(let p): payload = p
        }
        switch record.payload.type {
        case .cloudWatchLogs?:
            let events = record.payload.cloudWatch?.events ?? []
            guard !events.isEmpty else { return .failure(Rejection("no-log-events", "the CloudWatch Logs payload holds no events")) }
            return .success(events.map { e in
                Self.wrap(event: JSONOutput.quote(e.message ?? ""), time: e.timestamp, source: record.payload.cloudWatch?.logGroup)
            })
        case .json?:
            guard let values = JSONText.values(payload) else { return .failure(Rejection("not-json", "the payload is not JSON")) }
            if values.allSatisfy({ JSONText.memberNames($0).contains("event") }) {
                return .success(values.map { BackfillItem(bytes: Array($0) + [0x0A]) })
            }
            let event = values.count == 1 ? JSONText.compact(values[0])
                : Array(("[" + values.map { String(decoding: JSONText.compact($0), as: UTF8.self) }.joined(separator: ",") + "]").utf8)
            return .success([Self.wrap(event: String(decoding: event, as: UTF8.self), time: record.arrival)])
        case .text?:
            var bytes = payload[...]
            if bytes.last == 0x0A { bytes = bytes.dropLast() }
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            let text = String(decoding: bytes, as: UTF8.self)
            return .success([Self.wrap(event: JSONOutput.quote(text), time: record.arrival)])
        case .empty?:
            return .failure(Rejection("empty", "the payload is empty: there is no event to send"))
        default:
            return .failure(Rejection("binary", "the payload is binary; HEC events are text or JSON"))
        }
    }
}
