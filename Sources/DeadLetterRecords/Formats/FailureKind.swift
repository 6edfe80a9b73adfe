/// The failure family of a record: which service wrote it and why.
public enum FailureKind: String, CaseIterable, Sendable, Comparable {
    case processingFailed = "processing-failed"
    case formatConversionFailed = "format-conversion-failed"
    case redshiftManifest = "redshift-manifest"
    case openSearch = "opensearch"
    case openSearchServerless = "opensearch-serverless"
    case splunk
    case httpEndpoint = "http-endpoint"
    case snowflake
    case iceberg
    case decompressionFailed = "decompression-failed"
    /// An EventBridge event parked in an SQS dead-letter queue.
    case eventBridgeDLQ = "eventbridge-dlq"
    /// A failure record (it has `rawData` or an error code) whose family neither its fields nor its path reveal.
    case unknown

    public static func < (a: FailureKind, b: FailureKind) -> Bool { a.rawValue < b.rawValue }

    /// The kinds a user may name with `--kind`.
    public static var selectable: [FailureKind] { allCases.filter { $0 != .unknown } }
}
