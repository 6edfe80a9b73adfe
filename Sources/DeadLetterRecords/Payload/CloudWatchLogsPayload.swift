import DeadLetterBytes
/// CloudWatch Logs subscription data: `{"messageType","owner","logGroup","logStream","subscriptionFilters","logEvents":[...]}`.
public enum CloudWatchLogsPayload {
    /// Reads the envelope and counts the events without building them. Returns nil if the JSON is not
    /// a subscription payload (no `messageType` and `logEvents`).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, collectEvents: Bool = false,
                             scanner: inout JSONScanner, members: inout [ScannedMember]) -> CloudWatchLogsInfo? {
        var span = (0, 0)
        var outOfRange: String?
        return parse(bytes, collectEvents: collectEvents, scanner: &scanner, members: &members, span: &span, outOfRange: &outOfRange)
    }

    /// Also gives the bounds of the envelope object, so a caller that keeps the payload need not scan it again,
    /// and, when events are collected, the problem their out-of-range timestamps make (those read as missing).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, collectEvents: Bool,
                             scanner: inout JSONScanner, members: inout [ScannedMember], span: inout (Int, Int),
                             outOfRange problem: inout String?) -> CloudWatchLogsInfo? {
        problem = nil
        guard let base = bytes.baseAddress, let start = JSONText.firstNonWhitespace(bytes),
              bytes[start] == UInt8(ascii: "{") else { return nil }
        guard case .complete(let end, _) = scanner.scan(base, start: start, end: bytes.count, atEOF: true, members: &members) else { return nil }
        span = (start, end)
        var info = CloudWatchLogsInfo()
        var eventsSpan: (Int, Int)?
        var eventCount = 0
        for m in members {
            let key = JSONText.string(bytes, m.keyStart, m.keyEnd, escaped: m.keyEscaped)
            switch key {
            case "messageType" where m.valueKind == .string:
                info.messageType = JSONText.string(bytes, m.valueStart, m.valueEnd, escaped: m.valueEscaped)
            case "owner" where m.valueKind == .string:
                info.owner = JSONText.string(bytes, m.valueStart, m.valueEnd, escaped: m.valueEscaped)
            case "logGroup" where m.valueKind == .string:
                info.logGroup = JSONText.string(bytes, m.valueStart, m.valueEnd, escaped: m.valueEscaped)
            case "logStream" where m.valueKind == .string:
                info.logStream = JSONText.string(bytes, m.valueStart, m.valueEnd, escaped: m.valueEscaped)
            case "logEvents" where m.valueKind == .array:
                eventsSpan = (m.valueStart, m.valueEnd)
                eventCount = m.elements
            default:
                break
            }
        }
        guard info.messageType != nil, let span = eventsSpan else { return nil }
        info.eventCount = eventCount
        guard collectEvents else { return info }
        var events: [LogEvent] = []
        var outOfRange: (first: String, count: Int)?
        JSONText.forEachElement(bytes, arrayStart: span.0, arrayEnd: span.1, scanner: &scanner, members: &members) { start, _, fields in
            guard bytes[start] == UInt8(ascii: "{") else { return }
            var event = LogEvent()
            for m in fields {
                switch JSONText.string(bytes, m.keyStart, m.keyEnd, escaped: m.keyEscaped) {
                case "id": event.id = m.valueKind == .string
                    ? JSONText.string(bytes, m.valueStart, m.valueEnd, escaped: m.valueEscaped)
                    : String(decoding: UnsafeBufferPointer(rebasing: bytes[m.valueStart..<m.valueEnd]), as: UTF8.self)
                case "timestamp":
                    let value = JSONText.integer(bytes, m.valueStart, m.valueEnd)
                    if let value, UTCTime.supported.contains(value) {
                        event.timestamp = value
                    } else if value != nil || m.valueKind == .number {
                        // Read as missing; the payload reports the first and counts the rest.
                        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[m.valueStart..<m.valueEnd]), as: UTF8.self)
                        outOfRange = (outOfRange?.first ?? "logEvents[\(events.count)].timestamp \(OutOfRange.shown(text))",
                                      (outOfRange?.count ?? 0) + 1)
                    }
                case "message" where m.valueKind == .string:
                    event.message = JSONText.string(bytes, m.valueStart, m.valueEnd, escaped: m.valueEscaped)
                default: break
                }
            }
            events.append(event)
        }
        info.events = events
        if let outOfRange {
            let more = outOfRange.count > 1 ? " (and \(outOfRange.count - 1) more events)" : ""
            problem = "\(outOfRange.first)\(more): \(OutOfRange.time); read as missing"
        }
        return info
    }
}
