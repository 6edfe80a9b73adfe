import DeadLetterBytes
import DeadLetterRecords
/// Entry files for `aws events put-events --entries file://eventbridge-00001.json`: a JSON array of
/// `{Source, DetailType, Detail (a JSON string), Resources, Time, EventBusName}` built from the event in
/// each message body.
public struct EventBridgeTarget: BackfillTarget {
    /// `--event-bus`: else the custom bus named in RULE_ARN, else the default bus.
    public var eventBus: String?
    /// `--source`: re-put under this source; events from AWS services (`aws.*`) cannot be put otherwise.
    public var sourceOverride: String?
    /// EventBridge's limit on one entry (and on one PutEvents request's entries).
    public static let maxEntryBytes = 256 * 1024

    public init(eventBus: String? = nil, sourceOverride: String? = nil) {
        self.eventBus = eventBus
        self.sourceOverride = sourceOverride
    }

    public var name: String { "eventbridge" }
    /// For `aws events put-events --entries file://`: a JSON array of entries.
    public var packaging: FilePackaging {
        FilePackaging(prefix: name, fileExtension: "json", header: .fixed(Array("[\n".utf8)), separator: Array(",\n".utf8),
                      footer: Array("\n]\n".utf8))
    }
    /// PutEvents: 10 entries per call, 256 KiB in all, sized as EventBridge sizes entries.
    public var serviceLimits: BatchLimits { BatchLimits(maxRecords: 10, maxBytes: Self.maxEntryBytes) }
    public var limitsCountItemSizeOnly: Bool { true }
    public var manifestOptions: [(String, String)] {
        [("eventBus", JSONOutput.quoteOrNull(eventBus)), ("source", JSONOutput.quoteOrNull(sourceOverride))]
    }

    /// The size EventBridge counts for an entry: 14 bytes for Time, plus the UTF-8 bytes of Source,
    /// DetailType, Detail and each Resource.
    public static func entrySize(source: String, detailType: String, detail: String, resources: [String], hasTime: Bool) -> Int {
        (hasTime ? 14 : 0) + source.utf8.count + detailType.utf8.count + detail.utf8.count
            + resources.reduce(0) { $0 + $1.utf8.count }
    }

    public func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
        let payload: [UInt8]
        switch payloadBytes(record) {
        case .failure(let r): return .failure(r)
        case .success(let p): payload = p
        }
        guard let values = JSONText.values(payload), values.count == 1, values[0].first == UInt8(ascii: "{") else {
            return .failure(Rejection("not-an-event", "the payload is not an EventBridge event (one JSON object)"))
        }
        let event = Array(values[0])
        var source: String?, detailType: String?, time: String?
        var detail: [UInt8]?
        var resources: [String] = []
        var scanner = JSONScanner()
        var members: [ScannedMember] = []
        event.withUnsafeBufferPointer { b in
            guard case .complete = scanner.scan(b.baseAddress!, start: 0, end: b.count, atEOF: true, members: &members) else { return }
            for m in members {
                let key = JSONText.string(b, m.keyStart, m.keyEnd, escaped: m.keyEscaped)
                let text = m.valueKind == .string ? JSONText.string(b, m.valueStart, m.valueEnd, escaped: m.valueEscaped) : nil
                switch key {
                case "source": source = text
                case "detail-type": detailType = text
                case "time": time = text
                case "detail" where m.valueKind == .object:
                    detail = JSONText.compact(UnsafeBufferPointer(rebasing: b[m.valueStart..<m.valueEnd]))
                case "resources" where m.valueKind == .array:
                    var inner = JSONScanner()
                    var scratch: [ScannedMember] = []
                    JSONText.forEachElement(b, arrayStart: m.valueStart, arrayEnd: m.valueEnd, scanner: &inner, members: &scratch) { s, e, _ in
                        if b[s] == UInt8(ascii: "\"") { resources.append(JSONText.string(b, s + 1, e - 1, escaped: b[(s + 1)..<(e - 1)].contains(0x5C))) }
                    }
                default: break
                }
            }
        }
        guard let originalSource = source, let detailType, let detail else {
            return .failure(Rejection("not-an-event", "the event lacks source, detail-type or an object detail"))
        }
        let putSource = sourceOverride ?? originalSource
        if putSource.hasPrefix("aws.") {
            return .failure(Rejection("aws-source", "events from AWS services (source \(originalSource)) cannot be re-put; give --source NAME to re-put them under your own source"))
        }
        let detailText = String(decoding: detail, as: UTF8.self)
        let size = Self.entrySize(source: putSource, detailType: detailType, detail: detailText, resources: resources, hasTime: time != nil)
        if size > Self.maxEntryBytes {
            return .failure(Rejection("too-large", "entry of \(size) bytes as EventBridge counts them; the limit is \(Self.maxEntryBytes)"))
        }
        let bus = eventBus ?? EventBridgeDLQFamily.eventBus(fromRuleARN: record.ruleArn)
        var entry = "{\"Source\":\(JSONOutput.quote(putSource)),\"DetailType\":\(JSONOutput.quote(detailType)),"
        entry += "\"Detail\":\(JSONOutput.quote(detailText)),\"Resources\":[\(resources.map(JSONOutput.quote).joined(separator: ","))]"
        if let time { entry += ",\"Time\":\(JSONOutput.quote(time))" }
        if let bus { entry += ",\"EventBusName\":\(JSONOutput.quote(bus))" }
        entry += "}"
        return .success([BackfillItem(bytes: Array(entry.utf8), size: size)])
    }
}
