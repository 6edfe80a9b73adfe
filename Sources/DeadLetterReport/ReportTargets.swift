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

    init(_ record: FailureRecord) {
        file = record.file.path
        line = record.line
        errorMessage = record.errorMessage.map { String($0.prefix(600)) }
        if let bytes = record.payload.bytes {
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
    private let targets: [BackfillTargetName: any BackfillTarget]

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
        var made: [BackfillTargetName: any BackfillTarget] = [:]
        for name in BackfillTargetName.allCases {
            if let target = try? settings.makeTarget(name) { made[name] = target }
        }
        targets = made
    }

    func target(_ name: BackfillTargetName) -> any BackfillTarget {
        targets[name] ?? RawTarget(explode: false)
    }

    /// What the reader must keep for every target's checks.
    var payloadNeeds: PayloadNeeds {
        var needs = PayloadNeeds(keep: false)
        for target in targets.values {
            let n = target.payloadNeeds
            needs.keep = needs.keep || n.keep
            needs.bytes = needs.bytes || n.bytes
            needs.events = needs.events || n.events
        }
        return needs
    }
}
