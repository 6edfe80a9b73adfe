import DeadLetterRecords
/// Limits per batch (one file, one request): the service's own, which flags may tighten but never loosen.
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

/// What a batch's bytes are, as the byte limit counts them.
public enum ByteCounting: Sendable, Equatable {
    /// The items' own sizes, nothing around them (Firehose's 4 MiB of data, EventBridge's entry sizes).
    case itemSizes
    /// The file: every item with a separator (one more than the file holds, which keeps the limit safe)
    /// and the bytes the packaging adds around the items.
    case fileBytes(separator: Int, overhead: Int)

    func cost(of item: BackfillItem) -> Int {
        switch self {
        case .itemSizes: return item.size
        case .fileBytes(let separator, _): return item.bytes.count + separator
        }
    }

    var overhead: Int {
        switch self {
        case .itemSizes: return 0
        case .fileBytes(_, let overhead): return overhead
        }
    }
}

/// How much a batch keeps of each item besides its bytes; the sink says which it needs.
public enum BatchDetail: Sendable, Equatable {
    /// Counts only: enough to package and write the file. The batch costs its items' bytes and nothing per
    /// item, however small the items are (a 16 MiB raw file can hold millions of 1-byte payloads).
    case counts
    /// Also where each item lies and which record it came from (file, line, kind, error code, natural id),
    /// for a sink that reports every item's outcome: about 8 bytes an item and 40 a record more.
    case origins
}

/// The items of one batch and the records they came from. The items are joined as the file holds them
/// (by the packaging's separator), so writing or hashing the batch needs no copy. With `.origins` each item
/// remembers where it ends and which record it came from, so a sink can report on every item. Its arrays
/// are reused by the next batch, so items and records cost no allocation of their own.
public struct Batch: Sendable {
    /// Where an item ends in `body`, and the index of its record in `records`.
    struct ItemEnd: Sendable {
        var end: Int32
        var record: Int32
    }

    /// A record's identity in 40 bytes, its file and error code by index in `files` and `errorCodes`: a
    /// batch holds tens of thousands of records, and keeping each one's own copy of its error code (a heap
    /// string) cost more memory than the rest of its identity.
    struct StoredRecord: Sendable {
        var line: Int
        var naturalId: String?
        var file: Int32
        /// -1: none.
        var errorCode: Int32
        var kind: FailureKind
    }

    /// The items joined by `separator`: the file between its header and footer.
    public private(set) var body: [UInt8] = []
    public let detail: BatchDetail
    public private(set) var itemCount = 0
    /// The records whose items this batch holds. A record without items (Redshift's manifests, which the
    /// collector takes) is in no batch: it would be counted in the next file, or kept forever when no file
    /// ever comes.
    public private(set) var recordCount = 0
    /// With `.origins`: each item's end, and its record's identity, in input order.
    private var ends = ChunkedArray<ItemEnd>()
    private var records = ChunkedArray<StoredRecord>()
    /// The files the records were read from, each once (records come file by file).
    private var files: [SourceFile] = []
    /// The error codes of the records, each once.
    private var errorCodes: [String] = []
    private var errorCodeIndex: [String: Int32] = [:]
    public let separator: [UInt8]
    /// The latest arrival among the items (the HTTP endpoint's timestamp).
    public private(set) var latestArrival: Int64?
    /// The bytes counted against the byte limit so far.
    public private(set) var countedBytes = 0

    init(separator: [UInt8], detail: BatchDetail) {
        self.separator = separator
        self.detail = detail
    }

    public var isEmpty: Bool { itemCount == 0 }

    /// Where item `index` lies in `body`. Needs `.origins`.
    public func itemRange(_ index: Int) -> Range<Int> {
        precondition(detail == .origins, "a batch made with .counts keeps no item bounds")
        let start = index == 0 ? 0 : Int(ends[index - 1].end) + separator.count
        return start..<Int(ends[index].end)
    }

    /// The index (in `0..<recordCount`) of the record item `index` came from. Needs `.origins`.
    public func recordIndex(ofItem index: Int) -> Int {
        precondition(detail == .origins, "a batch made with .counts keeps no origins")
        return Int(ends[index].record)
    }

    /// The record item `index` came from.
    public func origin(ofItem index: Int) -> RecordIdentity { origin(ofRecord: recordIndex(ofItem: index)) }

    /// Needs `.origins`.
    public func origin(ofRecord index: Int) -> RecordIdentity {
        precondition(detail == .origins, "a batch made with .counts keeps no origins")
        let stored = records[index]
        return RecordIdentity(file: files[Int(stored.file)], line: stored.line, kind: stored.kind,
                              errorCode: stored.errorCode < 0 ? nil : errorCodes[Int(stored.errorCode)], naturalId: stored.naturalId)
    }

    mutating func append(_ items: [BackfillItem], cost: Int, origin: RecordIdentity) {
        guard !items.isEmpty else { return }
        if detail == .origins { keepOrigin(origin) }
        for item in items {
            if itemCount > 0 { body.append(contentsOf: separator) }
            body.append(contentsOf: item.bytes)
            itemCount += 1
            // Offsets fit 32 bits: limits keep a batch under 1 GiB (--max-bytes) or 500 items of 1.4 MB (Firehose).
            if detail == .origins { ends.append(ItemEnd(end: Int32(body.count), record: Int32(recordCount))) }
            if let arrival = item.arrival { latestArrival = max(latestArrival ?? arrival, arrival) }
        }
        recordCount += 1
        countedBytes += cost
    }

    private mutating func keepOrigin(_ origin: RecordIdentity) {
        if files.last !== origin.file { files.append(origin.file) }
        var errorCode: Int32 = -1
        if let code = origin.errorCode {
            if let known = errorCodeIndex[code] {
                errorCode = known
            } else {
                errorCode = Int32(errorCodes.count)
                errorCodes.append(code)
                errorCodeIndex[code] = errorCode
            }
        }
        records.append(StoredRecord(line: origin.line, naturalId: origin.naturalId, file: Int32(files.count - 1),
                                    errorCode: errorCode, kind: origin.kind))
    }

    /// Empties the batch, keeping its storage for the next so memory stays flat.
    mutating func removeAll() {
        body.removeAll(keepingCapacity: true)
        itemCount = 0
        recordCount = 0
        ends.removeAll()
        records.removeAll()
        files.removeAll(keepingCapacity: true)
        errorCodes.removeAll(keepingCapacity: true)
        errorCodeIndex.removeAll(keepingCapacity: true)
        latestArrival = nil
        countedBytes = 0
    }
}

/// Groups items into batches within the limits, a record's items always in one batch: a record that cannot
/// fit any batch is refused, and one that does not fit the current batch closes it.
public struct Batcher: Sendable {
    public let limits: BatchLimits
    public let counting: ByteCounting
    /// The batch being filled.
    public private(set) var batch: Batch

    public init(limits: BatchLimits, counting: ByteCounting, separator: [UInt8], detail: BatchDetail) {
        self.limits = limits
        self.counting = counting
        batch = Batch(separator: separator, detail: detail)
    }

    public enum Admission: Equatable {
        /// The record is over a limit on its own.
        case tooLarge(Rejection)
        /// The record fits a batch; when `closesBatch`, not the current one, which must be taken first.
        case fits(cost: Int, closesBatch: Bool)
    }

    /// Whether a record's items fit, and where.
    public func admit(_ items: [BackfillItem]) -> Admission {
        let cost = items.reduce(0) { $0 + counting.cost(of: $1) }
        let overhead = counting.overhead
        if let maxBytes = limits.maxBytes, cost + overhead > maxBytes {
            return .tooLarge(Rejection("too-large", "\(cost + overhead) bytes, over the limit of \(maxBytes) bytes per file"))
        }
        if let maxRecords = limits.maxRecords, items.count > maxRecords {
            return .tooLarge(Rejection("too-large", "\(items.count) entries, over the limit of \(maxRecords) per file"))
        }
        let overRecords = limits.maxRecords.map { batch.itemCount + items.count > $0 } ?? false
        let overBytes = limits.maxBytes.map { overhead + batch.countedBytes + cost > $0 } ?? false
        return .fits(cost: cost, closesBatch: !batch.isEmpty && (overRecords || overBytes))
    }

    /// Adds an admitted record's items to the current batch; a record without items is in no batch.
    public mutating func append(_ items: [BackfillItem], cost: Int, origin: RecordIdentity) {
        batch.append(items, cost: cost, origin: origin)
    }

    /// Starts the next batch once the current one was handed on.
    public mutating func startNextBatch() { batch.removeAll() }
}
