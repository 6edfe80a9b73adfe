import DeadLetterBackfill
import DeadLetterRecords

/// A record shown as an example of its failure: where it is, its error message and the start of its payload.
/// All of it is record content: the page escapes it.
public struct ReportSample: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var errorMessage: String?
    public var excerpt: String

    /// The longest payload excerpt a sample shows, in bytes of the decoded payload.
    static let excerptBytes = 240

    init(_ record: __shared FailureRecord) {
        file = record.file.path
        line = record.line
        errorMessage = record.errorMessage.map { String($0.prefix(600)) }
        if record.payload.type == .cloudWatchLogs, let cwl = record.payload.cloudWatch {
            // The bytes are gzip: say what they hold instead.
            excerpt = "(CloudWatch Logs: \(cwl.eventCount) events of \(cwl.logGroup ?? "a log group"))"
        } else if let bytes = record.payload.bytes {
            excerpt = String(decoding: bytes.prefix(Self.excerptBytes), as: UTF8.self) + (bytes.count > Self.excerptBytes ? "…" : "")
        } else {
            excerpt = ""
        }
    }

    /// Samples are the first by file and line: the same whichever thread read which file.
    func precedes(_ other: ReportSample) -> Bool {
        file != other.file ? file < other.file : line < other.line
    }
}

/// The backfill target each kind of record goes back through, made once and shared by the reading threads.
public struct ReportTargets: Sendable {
    /// Each kind's natural target, by the kind's ordinal: asked of every record, so an array.
    private let targetOfKind: [any BackfillTarget]

    /// Where a kind goes back: Firehose for what failed before its destination (split by stream when
    /// written), the destination's own API otherwise.
    public static func natural(for kind: FailureKind) -> BackfillTargetName {
        switch kind {
        case .openSearch, .openSearchServerless: return .opensearch
        case .splunk: return .splunkHEC
        case .httpEndpoint: return .httpEndpoint
        case .snowflake: return .snowflake
        case .redshiftManifest: return .redshift
        case .eventBridgeDLQ: return .eventbridge
        case .processingFailed, .formatConversionFailed, .decompressionFailed, .iceberg: return .firehose
        default: return .raw
        }
    }

    public init() {
        var settings = BackfillTargetSettings()
        // Which stream is the backfill's business (`--split-by stream`); whether a record is taken does not depend on it.
        settings.stream = "(each stream its own)"
        let targets = Dictionary(uniqueKeysWithValues: BackfillTargetName.allCases.map { name in
            (name, (try? settings.makeTarget(name)) ?? RawTarget(explode: false))
        })
        targetOfKind = FailureKind.allCases.map { targets[Self.natural(for: $0)]! }
    }

    /// Why the record's natural target would refuse it, or nil.
    func rejection(for record: FailureRecord) -> Rejection? {
        targetOfKind[record.kind.ordinal].rejection(for: record)
    }

    /// What the reader must keep for every target's `rejection(for:)`: the decoded bytes. Not the log events
    /// (a check counts them, it needs no list), so the reading is `summarize`'s, values out of range included.
    public static let payloadNeeds = PayloadNeeds(bytes: true)
}
