import Foundation
import DeadLetterBytes
import DeadLetterRecords
/// Splunk HTTP Event Collector bodies for `/services/collector/event`: HEC events one per line.
/// Payloads that already are HEC events (an object with `event`) pass through byte for byte, several per
/// record if the record carried several; other payloads are wrapped as `{"time": arrival, "event": ...}`;
/// CloudWatch Logs events become one HEC event each.
/// Send with: `curl -H "Authorization: Splunk $TOKEN" --data-binary @splunk-hec-00001.json https://HOST:8088/services/collector/event`.
/// The HEC event fields `backfill --hec-*` sets; nil fields are left out.
public struct HECMetadata: Sendable, Equatable {
    public var index: String?
    public var sourcetype: String?
    public var source: String?
    public var host: String?
    /// Set them on payloads that already are HEC events too (replacing theirs).
    public var override = false

    public init(index: String? = nil, sourcetype: String? = nil, source: String? = nil, host: String? = nil, override: Bool = false) {
        (self.index, self.sourcetype, self.source, self.host, self.override) = (index, sourcetype, source, host, override)
    }

    var isEmpty: Bool { index == nil && sourcetype == nil && source == nil && host == nil }

    /// In the order Splunk's own examples write them: host, source, sourcetype, index.
    func members(source defaultSource: String?) -> [(String, String)] {
        [("host", host), ("source", source ?? defaultSource), ("sourcetype", sourcetype), ("index", index)].compactMap { key, value in
            value.map { (key, $0) }
        }
    }
}

public struct SplunkHECTarget: BackfillTarget {
    public var metadata: HECMetadata

    public init(metadata: HECMetadata = HECMetadata()) { self.metadata = metadata }

    public var manifestOptions: [(String, String)] {
        guard !metadata.isEmpty || metadata.override else { return [] }
        return [("hecIndex", JSONOutput.quoteOrNull(metadata.index)), ("hecSourcetype", JSONOutput.quoteOrNull(metadata.sourcetype)),
                ("hecSource", JSONOutput.quoteOrNull(metadata.source)), ("hecHost", JSONOutput.quoteOrNull(metadata.host)),
                ("hecOverride", metadata.override ? "true" : "false")]
    }

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

    func wrap(event: String, time: Int64?, source: String? = nil) -> BackfillItem {
        var text = "{"
        if let time { text += "\"time\":\(Self.seconds(time)),"}
        for (key, value) in metadata.members(source: source) { text += "\(JSONOutput.quote(key)):\(JSONOutput.quote(value))," }
        text += "\"event\":\(event)}\n"
        return BackfillItem(bytes: Array(text.utf8))
    }

    /// A payload's own HEC event, byte for byte, unless --hec-override asks for the --hec-* fields on it too.
    func passThrough(_ value: ArraySlice<UInt8>) -> BackfillItem {
        guard metadata.override, !metadata.isEmpty,
              var object = (try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any] else {
            return BackfillItem(bytes: Array(value) + [0x0A])
        }
        for (key, text) in metadata.members(source: nil) { object[key] = text }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(value)
        return BackfillItem(bytes: Array(data) + [0x0A])
    }

    static let noLogEvents = Rejection("no-log-events", "the CloudWatch Logs payload holds no events")
    static let notJSON = Rejection("not-json", "the payload is not JSON")
    static let empty = Rejection("empty", "the payload is empty: there is no event to send")
    static let binary = Rejection("binary", "the payload is binary; HEC events are text or JSON")

    /// Decided from what the reader learnt (the number of log events, the payload's type), without the events
    /// themselves or the bytes: `report` asks this of every record and does not collect events.
    public func rejection(for record: FailureRecord) -> Rejection? {
        if let why = payloadRejection(record) { return why }
        switch record.payload.type {
        case .cloudWatchLogs?: return (record.payload.cloudWatch?.eventCount ?? 0) == 0 ? Self.noLogEvents : nil
        // The reader types a payload `.json` only when it is a JSON sequence, what `items` needs.
        case .json?, .text?: return nil
        case .empty?: return Self.empty
        default: return Self.binary
        }
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
            guard !events.isEmpty else { return .failure(Self.noLogEvents) }
            return .success(events.map { e in
                wrap(event: JSONOutput.quote(e.message ?? ""), time: e.timestamp, source: record.payload.cloudWatch?.logGroup)
            })
        case .json?:
            guard let values = JSONText.values(payload) else { return .failure(Self.notJSON) }
            if values.allSatisfy({ JSONText.memberNames($0).contains("event") }) {
                return .success(values.map(passThrough))
            }
            let event = values.count == 1 ? JSONText.compact(values[0])
                : Array(("[" + values.map { String(decoding: JSONText.compact($0), as: UTF8.self) }.joined(separator: ",") + "]").utf8)
            return .success([wrap(event: String(decoding: event, as: UTF8.self), time: record.arrival)])
        case .text?:
            var bytes = payload[...]
            if bytes.last == 0x0A { bytes = bytes.dropLast() }
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            let text = String(decoding: bytes, as: UTF8.self)
            return .success([wrap(event: JSONOutput.quote(text), time: record.arrival)])
        case .empty?:
            return .failure(Self.empty)
        default:
            return .failure(Self.binary)
        }
    }
}
