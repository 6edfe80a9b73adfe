import DeadLetterAWS
import DeadLetterBytes

/// EventBridge `PutEvents`: the file's entries go into `Entries` as they are (at most 10 a call, as
/// `backfill` wrote them). The answer's `Entries` match the request's in order; `ThrottlingException` and
/// `InternalFailure` are worth retrying, `InvalidArgument` and `MalformedDetail` never are.
struct EventBridgeSend: SendTarget {
    let service: AWSJSONService
    /// `--event-bus`: instead of the bus each entry names (or the default bus where it names none).
    var eventBus: String?

    var name: String { "eventbridge" }
    var identity: String { "EventBridge " + (eventBus.map { "bus \($0)" } ?? "(the buses the entries name)") + " at \(service.identity)" }

    /// The entry sent to `bus`: `backfill` writes `EventBusName` last, so a top-level one is the last
    /// `,"EventBusName":"` (inside `Detail` its quotes are escaped).
    static func onBus(_ item: [UInt8], _ bus: String) -> [UInt8] {
        let member = Array(",\"EventBusName\":".utf8) + Array(JSONOutput.quote(bus).utf8)
        var body = item
        guard body.last == UInt8(ascii: "}") else { return item }
        body.removeLast()
        let marker = Array(",\"EventBusName\":\"".utf8)
        if let found = body.ranges(of: marker).last { body.removeSubrange(found.lowerBound...) }
        return body + member + [UInt8(ascii: "}")]
    }

    /// The files carry `Time` as RFC 3339 text, as `aws events put-events --cli-input-json` reads it; on the
    /// wire the JSON protocol wants epoch seconds. Only the entry's own `"Time":"..."` matches: inside
    /// `Detail` (a JSON string) its quotes are escaped.
    static func wire(_ item: [UInt8]) -> [UInt8] {
        let marker = Array("\"Time\":\"".utf8)
        guard let start = item.firstRange(of: marker) else { return item }
        let valueStart = start.upperBound
        guard let end = item[valueStart...].firstIndex(of: UInt8(ascii: "\"")),
              let millis = UTCTime.parseRFC3339(String(decoding: item[valueStart..<end], as: UTF8.self)) else { return item }
        let seconds = millis % 1000 == 0 ? "\(millis / 1000)" : "\(Double(millis) / 1000)"
        return Array(item[..<start.lowerBound]) + Array("\"Time\":\(seconds)".utf8) + Array(item[(end + 1)...])
    }

    static let retryable: Set<String> = ["ThrottlingException", "InternalFailure", "InternalException", "ServiceUnavailableException"]

    func send(_ items: [[UInt8]]) async -> [ItemOutcome] {
        await AWSJSONBatch(service: service, operation: "AWSEvents.PutEvents", opening: Array("{\"Entries\":[".utf8),
                           closing: Array("]}".utf8), responses: "Entries", failedCount: "FailedEntryCount",
                           countRequired: false, retryable: Self.retryable).send(items.map { item in Self.wire(eventBus.map { Self.onBus(item, $0) } ?? item) })
    }
}
