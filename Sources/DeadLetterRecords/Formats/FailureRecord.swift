import DeadLetterBytes
/// Where a record came from: the input file (or `-` for stdin) and what its object key says.
public final class SourceFile: Sendable {
    /// The path as the user will recognise it (joined from the argument and the walk), or `-`.
    /// Its folders mirror the S3 key: a bucket synced to `./bucket` keeps `splunk-failed/2024/...` below it.
    public let path: String
    public let objectKey: ObjectKey
    /// The family the key's folders name, if any.
    public let kindFromPath: FailureKind?

    public init(path: String) {
        self.path = path
        self.objectKey = ObjectKey(path)
        self.kindFromPath = FailureFamilies.kind(forKey: path)
    }
}

/// A Redshift COPY manifest entry.
public struct ManifestEntry: Sendable, Equatable {
    public var url: String
    public var mandatory: Bool?
}

/// One failure record, normalised across the spellings real records use.
public struct FailureRecord: Sendable {
    public var kind: FailureKind = .unknown
    /// How many of `valueProblems` are values that are not numbers at all, kept in `otherFields` (the rest
    /// are out of range). Beside `kind`, in the room its alignment leaves, so the record grows by nothing.
    public var valuesNotNumbers: Int32 = 0
    public var errorCode: String?
    public var errorMessage: String?
    public var attemptsMade: Int64?
    public var arrival: Int64?
    public var attemptEnding: Int64?
    public var lambdaArn: String?
    public var documentId: String?
    public var indexName: String?
    public var typeName: String?
    public var eventId: String?
    public var dataId: String?
    public var subsequenceNumber: String?
    public var sequenceNumber: String?
    /// Raw JSON of `dataCatalogTable` (format conversion).
    public var dataCatalogTable: String?
    /// Redshift manifest entries (nil for other kinds).
    public var manifestEntries: [ManifestEntry]?
    /// EventBridge DLQ: the rule (name, `bus/name` on a custom bus), target ARN, retry condition, the event's
    /// source and detail type, the SQS message id, and the EventBridge attributes the message lacks.
    public var rule: String?
    public var target: String?
    public var retryCondition: String?
    public var source: String?
    public var detailType: String?
    public var messageId: String?
    /// A digest of the SQS message body, so a MessageId read again with another body is a conflict, not a repeat.
    public var messageBodyDigest: UInt64?
    public var missingAttributes: [String] = []
    /// The full RULE_ARN (region and account included).
    public var ruleArn: String?
    /// EventBridge Scheduler: what a schedule's dead-letter message says of the schedule (nil for every other
    /// record: one reference, so the fields cost other records nothing).
    public var scheduler: SchedulerAttributes?
    /// Keys this tool does not interpret, with their raw JSON values, in input order.
    public var otherFields: [(key: String, json: String)] = []
    public var payload = PayloadInfo()
    /// Numbers and times in the record outside their range (an `arrivalTimestamp` near Int64's limit): each
    /// such field reads as missing and is reported here, like a damaged payload.
    public var valueProblems: [String] = []
    public var file: SourceFile
    public var line: Int

    public init(file: SourceFile, line: Int) {
        self.file = file
        self.line = line
    }

    /// What is wrong with a record without stopping it being read, one warning and one count each: values
    /// out of range (event timestamps inside the payload too), then a damaged gzip payload. Static, from the
    /// two fields: a property on the record cost every record a copy of itself, problems or not (measured: a
    /// memcpy of the whole record per record).
    package static func problems(_ values: [String], payload: String?) -> [String] {
        guard let payload else { return values }
        return values + [payload]
    }

    /// Records `field` (as the record spells it in messages) holding `value` as out of range: `why` says so.
    mutating func refuse(_ field: String, _ value: String, _ why: String) {
        valueProblems.append("\(field) \(OutOfRange.shown(value)): \(why); read as missing")
    }

    /// Records `key` (as the record spells it) holding `json`, which is no number (a documentation
    /// placeholder such as `"count"`), as a problem: the value is kept in `otherFields`, not dropped.
    mutating func keepNotANumber(_ key: String, _ json: String) {
        valueProblems.append("\(key) \(OutOfRange.shown(json)): not a number; kept in otherFields")
        valuesNotNumbers += 1
    }

    /// The id that identifies the record at its destination, used to drop repeats.
    public var naturalId: String? {
        if let documentId, !documentId.isEmpty { return documentId }
        return eventId ?? dataId ?? messageId
    }
}

/// The ranges numbers read from records must lie in. A number outside one is a problem of its record (one
/// warning, counted in `payloadProblems`) and its field reads as missing, so no later sum or calendar
/// computation meets it.
public enum OutOfRange {
    /// Times: what `UTCTime` supports.
    static let time = TimeProblem.outOfRange.description
    /// `attemptsMade`, `RETRY_ATTEMPTS`: a count, which the AWS APIs model as a 32-bit integer.
    public static let attempts: ClosedRange<Int64> = 0...Int64(Int32.max)
    package static let attemptsText = "outside 0 to \(Int32.max)"

    /// The value as the message shows it: a number that runs on is cut short.
    static func shown(_ value: String) -> String {
        value.count <= 40 ? value : value.prefix(40) + "…"
    }

    /// True for `-?[0-9]+`: a number as text that did not fit an Int64 is out of range, not garbage.
    static func isInteger(_ text: some StringProtocol) -> Bool {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
