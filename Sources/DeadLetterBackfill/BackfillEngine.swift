import DeadLetterInput
/// A file the engine wrote (or, in a dry run, would write).
public struct BackfillFile: Sendable, Equatable {
    public var name: String
    public var records: Int
    public var items: Int
    public var bytes: Int
    public var sha256: String
}

/// Totals of a backfill. `selected = written + rejected + duplicates`, always.
public struct BackfillTotals: Sendable, Equatable {
    public var selected = 0
    public var written = 0
    public var rejected = 0
    public var duplicates = 0
    /// Written records that may already be at the destination (Splunk.AckTimeout).
    public var possiblyDelivered = 0
    public var items = 0
    public var bytes = 0
}

/// A backfill's pipeline, the same for every target: each record's items (made on the reading threads by
/// the target's encoding) go through de-duplication and the batcher; each finished batch is packaged as a
/// file and handed to the sink, with the records its items came from. Records are taken in input order,
/// so the same input gives the same batches and bytes. A value, used on one thread: its batch is changed
/// in place, never copied.
public struct BackfillEngine {
    public let target: any BackfillTarget
    public let dedupe: Bool
    public let packaging: FilePackaging
    /// nil: a dry run, which computes the same plan and hands nothing on.
    private let sink: (any BatchSink)?
    private var batcher: Batcher
    /// What the target gathers across records (Redshift's manifests), owned here and changed in input order.
    private var collector: (any RecordCollector)?
    public private(set) var plan: BackfillPlan
    private var seen = Set<[UInt8]>()
    /// The current batch's file hash, when its header is known before the items.
    private var running: FileDigest?
    /// Each written record's key and place, for `merge --dedupe` across shards: a shard cannot see the
    /// other shards' records, so repeats between them are found afterwards.
    private let logsWrittenRecords: Bool

    /// `shard`: the shard of the input this backfill reads (`--shard`), named in its files and manifest.
    public init(target: any BackfillTarget, limits: BatchLimits, dedupe: Bool, sink: (any BatchSink)?, shard: ShardMark? = nil) {
        self.target = target
        self.dedupe = dedupe
        self.sink = sink
        var packaging = target.packaging
        if let shard { packaging.prefix += "-" + shard.shard.tag }
        self.packaging = packaging
        batcher = Batcher(limits: limits, counting: target.byteCounting, separator: packaging.separator,
                          detail: sink?.batchDetail ?? .counts)
        collector = target.makeCollector()
        plan = BackfillPlan(target: target.name, options: [])
        plan.shard = shard
        logsWrittenRecords = dedupe && shard != nil && sink != nil
        // Its size and hash are filled in by the sink that writes it.
        if logsWrittenRecords { plan.writtenRecordLog = WrittenRecord.LogFile(name: WrittenRecord.fileName, bytes: 0, sha256: "") }
    }

    public var limits: BatchLimits { batcher.limits }
    public var totals: BackfillTotals { plan.totals }
    public var files: [BackfillFile] { plan.files }

    /// Takes a record prepared on any thread; called in input order.
    public mutating func add(_ record: PreparedRecord) throws(BackfillFailure) {
        plan.totals.selected += 1
        let items: [BackfillItem]
        switch record.items {
        case .failure(let rejection):
            try reject(record.identity, rejection)
            return
        case .success(let list):
            items = list
        }
        collector?.absorb(record)
        if let key = record.dedupeKey, !seen.insert(key).inserted {
            plan.totals.duplicates += 1
            return
        }
        let cost: Int
        switch batcher.admit(items) {
        case .tooLarge(let rejection):
            // Its key was taken: later copies are repeats of it, across shards as here.
            if logsWrittenRecords, record.dedupeKey != nil { try logWritten(record, items: nil, start: 0) }
            try reject(record.identity, rejection)
            return
        case .fits(let recordCost, let closesBatch):
            cost = recordCost
            if closesBatch { try flush() }
        }
        if batcher.batch.isEmpty, let header = packaging.fixedHeader { running = FileDigest(header: header) }
        let start = batcher.batch.isEmpty ? 0 : batcher.batch.body.count + packaging.separator.count
        batcher.append(items, cost: cost, origin: record.identity)
        running?.advance(over: batcher.batch.body)
        if logsWrittenRecords, !items.isEmpty { try logWritten(record, items: items, start: start) }
        plan.totals.written += 1
        plan.mix.kinds.insert(record.identity.kind.rawValue)
        if let stream = record.sourceStream { plan.mix.streams.insert(stream) }
        if record.mappingError { plan.mix.mappingErrors += 1 }
        // Splunk may have indexed these despite the timeout: re-sending can duplicate them.
        if record.identity.errorCode == "Splunk.AckTimeout" { plan.totals.possiblyDelivered += 1 }
    }

    /// `items` nil: the record was refused as too large, and is in no file.
    private func logWritten(_ record: PreparedRecord, items: [BackfillItem]?, start: Int) throws(BackfillFailure) {
        let written = WrittenRecord(
            file: items == nil ? nil : packaging.fileName(number: plan.files.count + 1), start: start,
            end: items == nil ? 0 : batcher.batch.body.count, items: items?.count ?? 0,
            // A unit missing from the positions would be a bug; it then sorts last, and is still found as a repeat.
            unit: plan.shard?.position(of: record.identity.file.path) ?? Int.max,
            arrival: items?.compactMap(\.arrival).max(), possiblyDelivered: items != nil && record.identity.errorCode == "Splunk.AckTimeout",
            key: record.dedupeKey.flatMap(DedupeKey.init(bytes:)))
        try sink?.wrote(written)
    }

    private mutating func reject(_ record: RecordIdentity, _ rejection: Rejection) throws(BackfillFailure) {
        plan.totals.rejected += 1
        plan.rejectCounts[rejection.code, default: 0] += 1
        try sink?.reject(record, rejection)
    }

    /// Packages the current batch, hands it to the sink and starts the next. The batch is read in place, never
    /// copied out, so its storage stays unique and is reused by the next batch.
    private mutating func flush() throws(BackfillFailure) {
        guard !batcher.batch.isEmpty else { return }
        let file = try package(batcher.batch, number: plan.files.count + 1)
        try sink?.receive(batcher.batch, as: file)
        plan.files.append(BackfillFile(name: file.name, records: batcher.batch.recordCount, items: batcher.batch.itemCount,
                                       bytes: file.bytes, sha256: file.sha256))
        plan.totals.items += batcher.batch.itemCount
        plan.totals.bytes += file.bytes
        batcher.startNextBatch()
    }

    private mutating func package(_ batch: Batch, number: Int) throws(BackfillFailure) -> PackagedFile {
        let header = packaging.header(for: batch)
        var digest = running ?? FileDigest(header: header)
        running = nil
        let sha256 = digest.finish(body: batch.body, footer: packaging.footer)
        let size = header.count + batch.body.count + packaging.footer.count
        if case .fileBytes = batcher.counting, let maxBytes = batcher.limits.maxBytes, size > maxBytes {
            // The size model of a target is wrong: refuse to write a file the service would reject.
            throw .io("internal error: \(target.name) file \(number) is \(size) bytes, over \(maxBytes)")
        }
        return PackagedFile(number: number, name: packaging.fileName(number: number), header: header,
                            footer: packaging.footer, bytes: size, sha256: sha256)
    }

    /// Hands on the last batch and the collector's files, then the plan.
    public mutating func finish() throws(BackfillFailure) {
        try flush()
        for extra in collector?.extraFiles() ?? [] {
            try sink?.receiveExtraFile(name: extra.name, bytes: extra.bytes)
            let sha256 = extra.bytes.withUnsafeBufferPointer { Digest.sha256Hex($0) }
            plan.files.append(BackfillFile(name: extra.name, records: 0, items: 0, bytes: extra.bytes.count, sha256: sha256))
            // The bytes written in all: the summary line must agree with the files it lists.
            plan.totals.bytes += extra.bytes.count
        }
        plan.options = manifestOptions()
        try sink?.finish(plan)
    }

    private func manifestOptions() -> [BackfillPlan.Option] {
        var options = target.manifestOptions + (collector?.manifestOptions ?? [])
        options.append(("maxRecords", limits.maxRecords.map(String.init) ?? "null"))
        options.append(("maxBytes", limits.maxBytes.map(String.init) ?? "null"))
        options.append(("dedupe", dedupe ? "true" : "false"))
        return options.map { BackfillPlan.Option(key: $0.0, json: $0.1) }
    }
}
