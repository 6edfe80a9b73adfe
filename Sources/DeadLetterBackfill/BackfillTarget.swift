import DeadLetterRecords
/// Why a record is not written, in words a user can act on. `code` is stable for scripts.
public struct Rejection: Error, Sendable, Equatable {
    public var code: String
    public var reason: String

    public init(_ code: String, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static let invalidBase64 = Rejection("invalid-base64", "rawData is not valid base64; the payload cannot be recovered")
    public static let noPayload = Rejection("no-payload", "the record has no rawData")
    public static let controlMessage = Rejection("control-message", "CloudWatch Logs CONTROL_MESSAGE: a destination health check, not data")
    public static let damagedPayload = Rejection("damaged-payload", "the gzip payload inside rawData could not be inflated")
}

/// One unit a target makes of a record: an entry, an event, a document. `size` is what counts toward the
/// byte limit of a batch when the target counts item sizes only (for Firehose, the data before base64).
public struct BackfillItem: Sendable {
    public var bytes: [UInt8]
    public var size: Int
    /// The record's arrival, for targets whose files carry a time (HTTP endpoint requests).
    public var arrival: Int64?

    public init(bytes: [UInt8], size: Int? = nil, arrival: Int64? = nil) {
        self.bytes = bytes
        self.size = size ?? bytes.count
        self.arrival = arrival
    }
}

/// A backfill target's encoding: how a record becomes items, or why it cannot. Pure: `items(for:)` runs on
/// the reading threads and reads nothing that changes. How items are grouped (`serviceLimits`), wrapped
/// into files (`packaging`) and what is gathered across records (`makeCollector`) are values the engine
/// takes from the target and owns.
public protocol BackfillTarget: Sendable {
    /// The `--target` name.
    var name: String { get }
    /// What the reader must keep of each payload.
    var payloadNeeds: PayloadNeeds { get }
    /// The items for a record (several for HEC events or log events), or why it cannot be written.
    func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection>
    /// Why `items(for:)` would refuse the record, nil when it would take it; targets whose refusals are
    /// known before encoding say so without making the items (`report` asks this of every record).
    func rejection(for record: FailureRecord) -> Rejection?

    /// The service's own limits per batch (request), which flags may tighten but never loosen.
    var serviceLimits: BatchLimits { get }
    /// Whether byte limits count the item sizes only (Firehose's 4 MiB of data) or the whole file.
    var limitsCountItemSizeOnly: Bool { get }
    /// How a batch becomes a file.
    var packaging: FilePackaging { get }
    /// Lines for the manifest's `options` object, `"key": value` JSON.
    var manifestOptions: [(String, String)] { get }
    /// What the engine gathers across records, in input order, for files written once at the end
    /// (Redshift's merged manifest); nil for targets that gather nothing.
    func makeCollector() -> (any RecordCollector)?
}

extension BackfillTarget {
    public var payloadNeeds: PayloadNeeds { PayloadNeeds(bytes: true) }
    public var limitsCountItemSizeOnly: Bool { false }
    public var manifestOptions: [(String, String)] { [] }
    public func rejection(for record: FailureRecord) -> Rejection? {
        if case .failure(let why) = items(for: record) { return why }
        return nil
    }
    public func makeCollector() -> (any RecordCollector)? { nil }

    /// How the batcher counts bytes for this target.
    var byteCounting: ByteCounting {
        limitsCountItemSizeOnly ? .itemSizes : .fileBytes(separator: packaging.separator.count, overhead: packaging.overhead)
    }

    /// The decoded payload of a record that has one worth writing.
    func payloadBytes(_ record: FailureRecord) -> Result<[UInt8], Rejection> {
        if let why = payloadRejection(record) { return .failure(why) }
        return .success(record.payload.bytes ?? [])
    }

    /// Why a record has no payload worth writing; nil when it has one.
    func payloadRejection(_ record: FailureRecord) -> Rejection? {
        switch record.payload.type {
        case nil: return .noPayload
        case .invalidBase64?: return .invalidBase64
        default: break
        }
        if record.payload.cloudWatch?.isControlMessage == true { return .controlMessage }
        return nil
    }
}

/// State a target gathers across the written records, in input order, before de-duplication; a value the
/// engine owns, so the target itself stays immutable and shareable with the reading threads.
public protocol RecordCollector: Sendable {
    mutating func absorb(_ record: PreparedRecord)
    /// Lines added to the manifest's `options` after the target's own.
    var manifestOptions: [(String, String)] { get }
    /// Files written once at the end, after the batches.
    func extraFiles() -> [(name: String, bytes: [UInt8])]
}
