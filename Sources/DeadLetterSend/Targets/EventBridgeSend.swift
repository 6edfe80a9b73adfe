import DeadLetterAWS
import DeadLetterBytes

/// EventBridge `PutEvents`: the file's entries go into `Entries` as they are (at most 10 a call, as
/// `backfill` wrote them). The answer's `Entries` match the request's in order; `ThrottlingException` and
/// `InternalFailure` are worth retrying, `InvalidArgument` and `MalformedDetail` never are.
struct EventBridgeSend: SendTarget {
    let service: AWSJSONService

    var name: String { "eventbridge" }
    var identity: String { "EventBridge at \(service.identity)" }

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
        var body = Array("{\"Entries\":[".utf8)
        for (i, item) in items.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body += Self.wire(item)
        }
        body += Array("]}".utf8)
        let answer: AWSJSONService.Answer
        do { answer = try await service.call("AWSEvents.PutEvents", body: body) } catch {
            return Self.all(items.count, .retry(code: error.code == "NotSent" ? "NotSent" : "Transport", message: error.message))
        }
        guard answer.status == 200 else {
            return Self.all(items.count, AWSJSONError.outcome(status: answer.status, body: answer.body, retryable: Self.retryable))
        }
        let parsed = JSONValue.parse(answer.body)
        guard let entries = parsed?["Entries"]?.array, entries.count == items.count,
              (parsed?["FailedEntryCount"]?.int ?? 0) == entries.filter({ $0["ErrorCode"]?.string != nil }).count else {
            return Self.all(items.count, .retry(code: "MalformedAnswer", message: "the answer did not list one entry per event"))
        }
        return entries.map { entry in
            guard let code = entry["ErrorCode"]?.string else { return .delivered }
            let message = entry["ErrorMessage"]?.string ?? code
            return Self.retryable.contains(code) ? .retry(code: code, message: message) : .reject(code: code, message: message)
        }
    }
}
