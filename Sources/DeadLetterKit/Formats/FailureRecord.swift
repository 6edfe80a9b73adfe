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
    /// Keys this tool does not interpret, with their raw JSON values, in input order.
    public var otherFields: [(key: String, json: String)] = []
    public var payload = PayloadInfo()
    public var file: SourceFile
    public var line: Int

    public init(file: SourceFile, line: Int) {
        self.file = file
        self.line = line
    }

    /// The id that identifies the record at its destination, used to drop repeats.
    public var naturalId: String? {
        if let documentId, !documentId.isEmpty { return documentId }
        return eventId ?? dataId ?? messageId
    }
}
