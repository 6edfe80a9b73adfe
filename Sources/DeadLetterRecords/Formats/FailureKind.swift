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

    /// The kind's place among `allCases`, for tables indexed by kind.
    public var ordinal: Int {
        switch self {
        case .processingFailed: 0
        case .formatConversionFailed: 1
        case .redshiftManifest: 2
        case .openSearch: 3
        case .openSearchServerless: 4
        case .splunk: 5
        case .httpEndpoint: 6
        case .snowflake: 7
        case .iceberg: 8
        case .decompressionFailed: 9
        case .eventBridgeDLQ: 10
        case .unknown: 11
        }
    }

    /// Hashed by its place, not by its raw value (what `RawRepresentable` would do): dictionaries keyed by
    /// kind are looked up once per record, and hashing the name showed in `report`'s profile.
    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
}
