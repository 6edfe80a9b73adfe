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

/// One unit a target writes for a record: an entry, an event, a document. `size` is what counts toward
/// the per-file byte limit (for Firehose, the data before base64; elsewhere, the bytes in the file).
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

/// Per-file limits: the service's own, which flags may tighten but never loosen.
public struct BatchLimits: Sendable, Equatable {
    public var maxRecords: Int?
    public var maxBytes: Int?

    public init(maxRecords: Int? = nil, maxBytes: Int? = nil) {
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
    }

    /// Applies `--max-records`/`--max-bytes`, keeping the smaller of each.
    public func tightened(records: Int?, bytes: Int?) -> BatchLimits {
        func smaller(_ a: Int?, _ b: Int?) -> Int? {
            guard let a else { return b }
            guard let b else { return a }
            return Swift.min(a, b)
        }
        return BatchLimits(maxRecords: smaller(maxRecords, records), maxBytes: smaller(maxBytes, bytes))
    }
}

/// A backfill target: how a record becomes items, and how a batch of items becomes one file. `items(for:)`
/// runs on the reading threads, so it must not change the target; state gathered across records belongs
/// in `absorb`, which runs in input order.
public protocol BackfillTarget: Sendable {
    /// The `--target` name; also the prefix of the files written.
    var name: String { get }
    var fileExtension: String { get }
    /// The service's own limits per file (request).
    var serviceLimits: BatchLimits { get }
    /// What the reader must keep of each payload.
    var payloadNeeds: PayloadNeeds { get }
    /// The items for a record (several for HEC events or log events), or why it cannot be written.
    func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection>
    /// The bytes before a file's items; `body` is the items already joined (the HTTP endpoint derives its
    /// request id from it) and `latestArrival` the latest arrival among them.
    func fileHeader(body: UnsafeBufferPointer<UInt8>, latestArrival: Int64?) -> [UInt8]
    /// Whether `fileHeader` looks at the items (the HTTP endpoint's request id does). When it does not, the
    /// engine hashes a file as it fills it.
    var headerDependsOnItems: Bool { get }
    /// The bytes between two items.
    var itemSeparator: [UInt8] { get }
    /// The bytes after a file's items.
    var fileFooter: [UInt8] { get }
    /// Bytes the file adds around its items (brackets, headers), so byte limits on the file hold exactly.
    var fileOverhead: Int { get }

    /// Takes a record whose items were made, in input order, before de-duplication (Redshift merges the
    /// manifests' entries here).
    func absorb(_ record: PreparedRecord)
    /// Extra files written once at the end (Redshift's merged manifest and copy.sql).
    func extraFiles() -> [(name: String, bytes: [UInt8])]
    /// Lines for the manifest's `options` object, `"key": value` JSON.
    var manifestOptions: [(String, String)] { get }
    /// Whether byte limits count the item sizes only (Firehose's 4 MiB of data) or the whole file.
    var limitsCountItemSizeOnly: Bool { get }
}

extension BackfillTarget {
    public var fileOverhead: Int { 0 }
    public func fileHeader(body: UnsafeBufferPointer<UInt8>, latestArrival: Int64?) -> [UInt8] { [] }
    public var headerDependsOnItems: Bool { false }
    public var itemSeparator: [UInt8] { [] }
    public var fileFooter: [UInt8] { [] }
    public func absorb(_ record: PreparedRecord) {}
    public func extraFiles() -> [(name: String, bytes: [UInt8])] { [] }
    public var manifestOptions: [(String, String)] { [] }
    public var limitsCountItemSizeOnly: Bool { false }
    public var payloadNeeds: PayloadNeeds { PayloadNeeds(bytes: true) }

    /// The decoded payload of a record that has one worth writing.
    func payloadBytes(_ record: FailureRecord) -> Result<[UInt8], Rejection> {
        switch record.payload.type {
        case nil: return .failure(.noPayload)
        case .invalidBase64?: return .failure(.invalidBase64)
        default: break
        }
        if record.payload.cloudWatch?.isControlMessage == true { return .failure(.controlMessage) }
        return .success(record.payload.bytes ?? [])
    }
}
