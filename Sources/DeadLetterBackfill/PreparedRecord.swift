import DeadLetterQuery
import DeadLetterRecords
/// The record an item came from, as a reject line, a manifest or a delivery report names it: where it was
/// read and what identifies it. Kept once per record; items refer to it by index (see `Batch`).
public struct RecordIdentity: Sendable, Equatable {
    public var file: SourceFile
    public var line: Int
    public var kind: FailureKind
    public var errorCode: String?
    public var naturalId: String?

    public init(file: SourceFile, line: Int, kind: FailureKind, errorCode: String?, naturalId: String?) {
        self.file = file
        self.line = line
        self.kind = kind
        self.errorCode = errorCode
        self.naturalId = naturalId
    }

    public init(_ record: FailureRecord) {
        self.init(file: record.file, line: record.line, kind: record.kind, errorCode: record.errorCode, naturalId: record.naturalId)
    }

    public static func == (a: RecordIdentity, b: RecordIdentity) -> Bool {
        a.file === b.file && a.line == b.line && a.kind == b.kind && a.errorCode == b.errorCode && a.naturalId == b.naturalId
    }
}

/// What the engine needs of a record, made on the reading threads: the target's items (or why there are
/// none), the key that finds repeats, and the record's identity. Handing this on instead of the whole
/// decoded record keeps the in-order thread light.
public struct PreparedRecord: Sendable {
    public var items: Result<[BackfillItem], Rejection>
    /// nil without `--dedupe`, and for records that are never dropped as repeats.
    public var dedupeKey: [UInt8]?
    public var identity: RecordIdentity
    /// Redshift manifests' entries, merged by the engine's collector in input order.
    public var manifestEntries: [ManifestEntry]?
    /// The delivery stream the record failed in (from its object key), to warn when several go to one target.
    public var sourceStream: String?
    /// It failed on the index mapping (OpenSearch's mapper_parsing_exception): sent as it is, it fails again.
    public var mappingError: Bool
    /// The value of the `--split-by` field: which part of the output the record goes to (nil: it has none).
    public var splitValue: String?

    public init(_ record: FailureRecord, target: any BackfillTarget, dedupe: Bool, splitBy: RecordField? = nil) {
        // An empty value is no value: its records go with those that have none.
        splitValue = splitBy?.value(of: record).flatMap { $0.isEmpty ? nil : $0 }
        items = target.items(for: record)
        if dedupe, case .success = items { dedupeKey = Self.dedupeKey(record) }
        identity = RecordIdentity(record)
        manifestEntries = record.manifestEntries
        sourceStream = record.file.objectKey.stream
        mappingError = [record.errorCode, record.errorMessage].contains { $0?.contains("mapper_parsing_exception") == true }
    }

    /// The natural id (document id, EventId, dataId, event id), else a hash of the payload; records with
    /// neither (Redshift manifests, which de-duplicate by URL) are never dropped.
    static func dedupeKey(_ record: FailureRecord) -> [UInt8]? {
        if let id = record.naturalId { return Digest.sha256(Array(("id:" + id).utf8)) }
        if let bytes = record.payload.bytes { return Digest.sha256(Array("payload:".utf8) + bytes) }
        return nil
    }

    /// Roughly the memory it holds, for the read-ahead bound.
    public var weight: Int {
        guard case .success(let list) = items else { return 256 }
        return list.reduce(256) { $0 + $1.bytes.count }
    }
}
