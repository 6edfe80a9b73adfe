import DeadLetterBytes
/// EventBridge dead-letter queues: undeliverable events parked in SQS. Read from what
/// `aws sqs receive-message --attribute-names All --message-attribute-names All` prints (`{"Messages": [...]}`),
/// files of several such outputs, NDJSON of messages, or one message; the Lambda spelling of SQS messages
/// (`messageId`, `body`, `messageAttributes.X.stringValue`) is read too, one by one or as the event a Lambda
/// function gets from the queue (`{"Records": [...]}`). EventBridge Scheduler's dead-letter messages are read
/// as the same kind: they carry SCHEDULE_ARN, SCHEDULED_TIME and EXECUTION_ID where a rule's carry RULE_ARN.
public struct EventBridgeDLQFamily: FailureFamily {
    public var kind: FailureKind { .eventBridgeDLQ }
    // Recognised by the message shape, never by a folder: SQS has none.
    public var folderMarkers: [String] { [] }
    public func evidence(_ clues: FieldClues) -> Evidence { .none }

    /// The message attributes EventBridge sets on a dead-lettered event.
    public static let attributes = ["RULE_ARN", "TARGET_ARN", "ERROR_CODE", "ERROR_MESSAGE", "EXHAUSTED_RETRY_CONDITION", "RETRY_ATTEMPTS"]

    /// The message attributes EventBridge Scheduler sets on a schedule's dead-letter message (no RULE_ARN).
    public static let schedulerAttributes = ["SCHEDULE_ARN", "SCHEDULED_TIME", "EXECUTION_ID", "TARGET_ARN", "ERROR_CODE",
                                             "ERROR_MESSAGE", "EXHAUSTED_RETRY_CONDITION", "RETRY_ATTEMPTS"]

    /// `arn:aws:scheduler:REGION:ACCOUNT:schedule/GROUP/NAME` → `GROUP/NAME` (a schedule's name is unique
    /// within its group only, and every schedule has one: `default` when none was chosen).
    public static func scheduleName(fromARN arn: String) -> String {
        guard let range = arn.firstRange(of: ":schedule/") else { return arn }
        return String(arn[range.upperBound...])
    }

    /// `arn:aws:events:REGION:ACCOUNT:rule/NAME` → `NAME`; on a custom bus `.../rule/BUS/NAME` → `BUS/NAME`.
    public static func ruleName(fromARN arn: String) -> String {
        guard let range = arn.firstRange(of: ":rule/") else { return arn }
        return String(arn[range.upperBound...])
    }

    /// The custom event bus a rule ARN names, if any.
    public static func eventBus(fromRuleARN arn: String?) -> String? {
        guard let arn else { return nil }
        let name = ruleName(fromARN: arn)
        guard let slash = name.lastIndex(of: "/") else { return nil }
        return String(name[..<slash])
    }
}

/// What an EventBridge Scheduler dead-letter message says of its schedule: `schedule` (`GROUP/NAME` from
/// SCHEDULE_ARN), `scheduledTime` (SCHEDULED_TIME as written) and `executionId` (EXECUTION_ID). A class, so that
/// the record of every other kind holds one empty reference for the three.
public final class SchedulerAttributes: Sendable {
    public let schedule: String?
    public let scheduledTime: String?
    public let executionId: String?

    public init(schedule: String?, scheduledTime: String?, executionId: String?) {
        self.schedule = schedule
        self.scheduledTime = scheduledTime
        self.executionId = executionId
    }
}

/// Decodes SQS messages found by the frame reader into records.
struct SQSMessageDecoder {
    let payloads: PayloadDecoder

    /// Records for an object at `start..<end` of `bytes`: one per message of a `Messages` array, or the message itself.
    func records(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, members: [ScannedMember], file: SourceFile, line: Int) -> [FailureRecord] {
        var scanner = JSONScanner()
        var scratch: [ScannedMember] = []
        if let list = members.first(where: { key(bytes, $0).lowercased() == "messages" && $0.valueKind == .array }) {
            var found: [(Int, Int, [ScannedMember])] = []
            JSONText.forEachElement(bytes, arrayStart: list.valueStart, arrayEnd: list.valueEnd, scanner: &scanner, members: &scratch) { s, e, m in
                if bytes[s] == UInt8(ascii: "{") { found.append((s, e, m)) }
            }
            return found.map { s, _, m in
                message(bytes, members: m, file: file, line: line + newlines(bytes, from: start, to: s))
            }
        }
        return [message(bytes, members: members, file: file, line: line)]
    }

    /// Records for the event a Lambda function gets from an SQS queue, `{"Records": [{"messageId", "body",
    /// "messageAttributes", "eventSource": "aws:sqs", ...}]}`: one per message. Nil when no element of
    /// `Records` is an SQS message (other services' events have a `Records` list too), so the object is
    /// judged as any other.
    func lambdaEvent(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, members: [ScannedMember], file: SourceFile, line: Int) -> [FailureRecord]? {
        guard let list = members.first(where: { key(bytes, $0).lowercased() == "records" && $0.valueKind == .array }) else { return nil }
        var scanner = JSONScanner()
        var scratch: [ScannedMember] = []
        var found: [(Int, [ScannedMember])] = []
        var anyMessage = false
        JSONText.forEachElement(bytes, arrayStart: list.valueStart, arrayEnd: list.valueEnd, scanner: &scanner, members: &scratch) { s, _, m in
            guard bytes[s] == UInt8(ascii: "{") else { return }
            found.append((s, m))
            let keys = Set(m.map { key(bytes, $0).lowercased() })
            if keys.contains("messageid") && (keys.contains("body") || keys.contains("receipthandle")) { anyMessage = true }
        }
        guard anyMessage else { return nil }
        return found.map { s, m in message(bytes, members: m, file: file, line: line + newlines(bytes, from: start, to: s)) }
    }

    private func key(_ bytes: UnsafeBufferPointer<UInt8>, _ m: ScannedMember) -> String {
        JSONText.string(bytes, m.keyStart, m.keyEnd, escaped: m.keyEscaped)
    }

    private func string(_ bytes: UnsafeBufferPointer<UInt8>, _ m: ScannedMember) -> String? {
        m.valueKind == .string ? JSONText.string(bytes, m.valueStart, m.valueEnd, escaped: m.valueEscaped) : nil
    }

    private func newlines(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        var n = 0
        for i in from..<to where bytes[i] == 0x0A { n += 1 }
        return n
    }

    /// Members of the object spanning `m`'s value.
    private func children(_ bytes: UnsafeBufferPointer<UInt8>, _ m: ScannedMember) -> [ScannedMember] {
        guard m.valueKind == .object, let base = bytes.baseAddress else { return [] }
        var scanner = JSONScanner()
        var list: [ScannedMember] = []
        guard case .complete = scanner.scan(base, start: m.valueStart, end: m.valueEnd, atEOF: true, members: &list) else { return [] }
        return list
    }

    private func message(_ bytes: UnsafeBufferPointer<UInt8>, members: [ScannedMember], file: SourceFile, line: Int) -> FailureRecord {
        var record = FailureRecord(file: file, line: line)
        record.kind = .eventBridgeDLQ
        var attributes: [String: String] = [:]
        var sentTimestamp: Int64?
        var body: ScannedMember?
        for m in members {
            switch key(bytes, m).lowercased() {
            case "messageid": record.messageId = string(bytes, m)
            case "body": body = m
            case "attributes":
                for a in children(bytes, m) where key(bytes, a) == "SentTimestamp" {
                    let value = string(bytes, a).flatMap { Int64($0) } ?? JSONText.integer(bytes, a.valueStart, a.valueEnd)
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[a.valueStart..<a.valueEnd]), as: UTF8.self)
                    sentTimestamp = bounded(value, text, "SentTimestamp", UTCTime.supported, OutOfRange.time, into: &record)
                }
            case "messageattributes":
                for a in children(bytes, m) {
                    let name = key(bytes, a)
                    for v in children(bytes, a) where key(bytes, v).lowercased() == "stringvalue" {
                        attributes[name] = string(bytes, v)
                    }
                }
            case "receipthandle", "md5ofbody", "md5ofmessageattributes", "eventsource", "eventsourcearn", "awsregion", "md5ofmessagebody":
                break
            default:
                let raw = m.valueKind == .string
                    ? String(decoding: UnsafeBufferPointer(rebasing: bytes[(m.valueStart - 1)..<(m.valueEnd + 1)]), as: UTF8.self)
                    : String(decoding: UnsafeBufferPointer(rebasing: bytes[m.valueStart..<m.valueEnd]), as: UTF8.self)
                record.otherFields.append((key(bytes, m), raw))
            }
        }
        // A schedule's message has no rule: `rule` and `ruleArn` stay empty, and it lacks only what Scheduler sets.
        let ruleArn = attributes["RULE_ARN"]
        let scheduleArn = attributes["SCHEDULE_ARN"], scheduledTime = attributes["SCHEDULED_TIME"], executionId = attributes["EXECUTION_ID"]
        if scheduleArn != nil || scheduledTime != nil || executionId != nil {
            record.scheduler = SchedulerAttributes(schedule: scheduleArn.map(EventBridgeDLQFamily.scheduleName(fromARN:)),
                                                   scheduledTime: scheduledTime, executionId: executionId)
        }
        if let arn = ruleArn { record.rule = EventBridgeDLQFamily.ruleName(fromARN: arn) }
        record.target = attributes["TARGET_ARN"]
        record.errorCode = attributes["ERROR_CODE"]
        record.errorMessage = attributes["ERROR_MESSAGE"]
        record.retryCondition = attributes["EXHAUSTED_RETRY_CONDITION"]
        record.attemptsMade = attributes["RETRY_ATTEMPTS"].flatMap {
            bounded(Int64($0), $0, "RETRY_ATTEMPTS", OutOfRange.attempts, OutOfRange.attemptsText, into: &record)
        }
        // EXHAUSTED_RETRY_CONDITION is only set for retryable errors, so it is not required.
        let expected = ruleArn == nil && record.scheduler != nil ? EventBridgeDLQFamily.schedulerAttributes : EventBridgeDLQFamily.attributes
        record.missingAttributes = expected.filter { $0 != "EXHAUSTED_RETRY_CONDITION" && attributes[$0] == nil }
        record.ruleArn = ruleArn

        if let body, body.valueKind == .string {
            var text: [UInt8] = []
            if body.valueEscaped {
                JSONText.unescape(UnsafeBufferPointer(rebasing: bytes[body.valueStart..<body.valueEnd]), into: &text)
            } else {
                text = Array(bytes[body.valueStart..<body.valueEnd])
            }
            record.messageBodyDigest = Self.digest(text)
            text.withUnsafeBufferPointer { event in
                payloads.decode(plain: event, into: &record)
                readEvent(event, into: &record)
            }
        } else {
            record.payload.type = nil
        }
        if record.arrival == nil { record.arrival = sentTimestamp }
        return record
    }

    /// `value` (read from `text`) if it lies in `range`. A number outside it, or an integer too long for an
    /// Int64, is a problem of the record and reads as missing; text that is no number reads as missing, as before.
    private func bounded(_ value: Int64?, _ text: String, _ field: String, _ range: ClosedRange<Int64>, _ why: String,
                         into record: inout FailureRecord) -> Int64? {
        if let value, range.contains(value) { return value }
        if value != nil || OutOfRange.isInteger(text) { record.refuse(field, text, why) }
        return nil
    }

    /// The event's `time`. A date that does not exist or lies out of range is a problem of the record; text
    /// that is no time at all reads as missing, as before (the arrival is then SentTimestamp).
    private func time(_ text: String, into record: inout FailureRecord) -> Int64? {
        do {
            return try UTCTime.parse(rfc3339: text)
        } catch .notATime {
            return nil
        } catch {
            record.valueProblems.append("time '\(OutOfRange.shown(text))': \(error); read as missing")
            return nil
        }
    }

    /// The event envelope: `id`, `source`, `detail-type`, `time`.
    private func readEvent(_ event: UnsafeBufferPointer<UInt8>, into record: inout FailureRecord) {
        guard let base = event.baseAddress, let start = JSONText.firstNonWhitespace(event), event[start] == UInt8(ascii: "{") else { return }
        var scanner = JSONScanner()
        var list: [ScannedMember] = []
        guard case .complete = scanner.scan(base, start: start, end: event.count, atEOF: true, members: &list) else { return }
        for m in list {
            switch key(event, m) {
            case "id": record.eventId = string(event, m)
            case "source": record.source = string(event, m)
            case "detail-type": record.detailType = string(event, m)
            case "time": record.arrival = string(event, m).flatMap { time($0, into: &record) }
            default: break
            }
        }
    }

    /// Tells two copies of a MessageId apart by content. The standard library's hasher is SipHash keyed
    /// with a random seed per process, so nobody can craft two bodies that collide (and hide one as a
    /// repeat) without knowing the key; by chance, two of a run's bodies share a digest about once in 2^32
    /// messages. Digests are compared within one run only.
    static func digest(_ bytes: [UInt8]) -> UInt64 {
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}
