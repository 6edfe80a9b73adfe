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

/// What the engine needs of a record, made on the reading threads: the target's items (or why there are
/// none), the key that finds repeats, and what a reject line and the totals say of the record. Handing
/// this on instead of the whole decoded record keeps the in-order thread light.
public struct PreparedRecord: Sendable {
    public var items: Result<[BackfillItem], Rejection>
    /// nil without `--dedupe`, and for records that are never dropped as repeats.
    public var dedupeKey: [UInt8]?
    public var file: SourceFile
    public var line: Int
    public var kind: FailureKind
    public var errorCode: String?
    public var naturalId: String?
    /// Redshift manifests' entries, merged by the target in input order.
    public var manifestEntries: [ManifestEntry]?

    public init(_ record: FailureRecord, target: any BackfillTarget, dedupe: Bool) {
        items = target.items(for: record)
        if dedupe, case .success = items { dedupeKey = Self.dedupeKey(record) }
        file = record.file
        line = record.line
        kind = record.kind
        errorCode = record.errorCode
        naturalId = record.naturalId
        manifestEntries = record.manifestEntries
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

/// Shared by every target: limits, batching into files, de-duplication, rejects and the manifest.
/// Records are written in input order, so the same input gives the same bytes.
public final class BackfillEngine {
    public let target: any BackfillTarget
    public let limits: BatchLimits
    public let dedupe: Bool
    private let directory: OutputDirectory?
    public private(set) var totals = BackfillTotals()
    public private(set) var files: [BackfillFile] = []
    public private(set) var rejectCounts: [String: Int] = [:]
    /// `rejects.ndjson`, written as rejects come (there can be many).
    private var rejects: OutputDirectory.Appender?
    /// The items of the file being filled, joined; reused from file to file so memory stays flat.
    private var body: [UInt8] = []
    private var batchItems = 0
    private var batchRecords = 0
    private var batchBytes = 0
    private var batchLatestArrival: Int64?
    private var seen = Set<[UInt8]>()
    /// The SHA-256 of the file being filled, taken up to `hashed` bytes of `body` in steps of 64 KiB as items
    /// come, after `runningHeader`. Hashing a 16 MiB file at the end held this thread for tens of
    /// milliseconds, while the reading threads filled their read-ahead and stopped. Only for targets whose
    /// header does not depend on the items.
    private var running: Digest.Incremental?
    private var runningHeader: [UInt8] = []
    private var hashed = 0

    /// `directory` nil: a dry run, which computes the same plan and writes nothing.
    public init(target: any BackfillTarget, limits: BatchLimits, dedupe: Bool, directory: OutputDirectory?) throws(OutputDirectory.Failure) {
        self.target = target
        self.limits = limits
        self.dedupe = dedupe
        self.directory = directory
        rejects = try directory?.appender(name: "rejects.ndjson")
    }

    /// Takes a record prepared on any thread; called in input order.
    public func add(_ record: PreparedRecord) throws(OutputDirectory.Failure) {
        totals.selected += 1
        let items: [BackfillItem]
        switch record.items {
        case .failure(let rejection):
            try reject(record, rejection)
            return
        case .success(let list):
            items = list
        }
        target.absorb(record)
        if let key = record.dedupeKey {
            if !seen.insert(key).inserted {
                totals.duplicates += 1
                return
            }
        }
        let recordBytes = items.reduce(0) { $0 + itemCost($1) }
        let separator = target.itemSeparator
        if let maxBytes = limits.maxBytes, recordBytes + fileCost > maxBytes {
            try reject(record, Rejection("too-large", "\(recordBytes + fileCost) bytes, over the limit of \(maxBytes) bytes per file"))
            return
        }
        if let maxRecords = limits.maxRecords, items.count > maxRecords {
            try reject(record, Rejection("too-large", "\(items.count) entries, over the limit of \(maxRecords) per file"))
            return
        }
        let overRecords = limits.maxRecords.map { batchItems + items.count > $0 } ?? false
        let overBytes = limits.maxBytes.map { fileCost + batchBytes + recordBytes > $0 } ?? false
        if batchItems > 0 && (overRecords || overBytes) { try flush() }
        if batchItems == 0 && !target.headerDependsOnItems {
            runningHeader = target.fileHeader(body: UnsafeBufferPointer(start: nil, count: 0), latestArrival: nil)
            running = Digest.Incremental()
            runningHeader.withUnsafeBufferPointer { running!.update($0) }
            hashed = 0
        }
        for item in items {
            if batchItems > 0 { body.append(contentsOf: separator) }
            body.append(contentsOf: item.bytes)
            batchItems += 1
            if let arrival = item.arrival { batchLatestArrival = max(batchLatestArrival ?? arrival, arrival) }
        }
        if running != nil && body.count - hashed >= 1 << 16 { hashBody() }
        batchRecords += 1
        batchBytes += recordBytes
        totals.written += 1
        // Splunk may have indexed these despite the timeout: re-sending can duplicate them.
        if record.errorCode == "Splunk.AckTimeout" { totals.possiblyDelivered += 1 }
    }

    private var fileCost: Int { target.limitsCountItemSizeOnly ? 0 : target.fileOverhead }

    private func itemCost(_ item: BackfillItem) -> Int {
        // Counting a separator for every item (one more than the file holds) keeps the byte limit safe.
        target.limitsCountItemSizeOnly ? item.size : item.bytes.count + target.itemSeparator.count
    }

    private func reject(_ record: PreparedRecord, _ rejection: Rejection) throws(OutputDirectory.Failure) {
        totals.rejected += 1
        rejectCounts[rejection.code, default: 0] += 1
        var line = "{\"file\":\(JSONOutput.quote(record.file.path)),\"line\":\(record.line),\"kind\":\(JSONOutput.quote(record.kind.rawValue))"
        line += ",\"errorCode\":\(JSONOutput.quoteOrNull(record.errorCode)),\"id\":\(JSONOutput.quoteOrNull(record.naturalId))"
        line += ",\"code\":\(JSONOutput.quote(rejection.code)),\"reason\":\(JSONOutput.quote(rejection.reason))}\n"
        try rejects?.append(line.utf8)
    }

    private func flush() throws(OutputDirectory.Failure) {
        guard batchItems > 0 else { return }
        let index = files.count + 1
        var digest: Digest.Incremental
        let header: [UInt8]
        if running != nil {
            hashBody()
            digest = running!
            header = runningHeader
        } else {
            header = body.withUnsafeBufferPointer { target.fileHeader(body: $0, latestArrival: batchLatestArrival) }
            digest = Digest.Incremental()
            header.withUnsafeBufferPointer { digest.update($0) }
            body.withUnsafeBufferPointer { digest.update($0) }
        }
        running = nil
        let footer = target.fileFooter
        let size = header.count + body.count + footer.count
        if !target.limitsCountItemSizeOnly, let maxBytes = limits.maxBytes, size > maxBytes {
            // The size model of a target is wrong: refuse to write a file the service would reject.
            throw .io("internal error: \(target.name) file \(index) is \(size) bytes, over \(maxBytes)")
        }
        let name = "\(target.name)-" + Self.pad(index) + "." + target.fileExtension
        try header.withUnsafeBufferPointer { h throws(OutputDirectory.Failure) in
            try body.withUnsafeBufferPointer { b throws(OutputDirectory.Failure) in
                try footer.withUnsafeBufferPointer { f throws(OutputDirectory.Failure) in
                    digest.update(f)
                    try directory?.write(name: name, parts: [h, b, f])
                }
            }
        }
        files.append(BackfillFile(name: name, records: batchRecords, items: batchItems, bytes: size, sha256: digest.finalizeHex()))
        totals.items += batchItems
        totals.bytes += size
        body.removeAll(keepingCapacity: true)
        batchItems = 0
        batchRecords = 0
        batchBytes = 0
        batchLatestArrival = nil
    }

    private func hashBody() {
        body.withUnsafeBufferPointer { running!.update(UnsafeBufferPointer(rebasing: $0[hashed...])) }
        hashed = body.count
    }

    static func pad(_ n: Int) -> String {
        let s = String(n)
        return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
    }

    /// Writes the last batch, the target's extra files, `rejects.ndjson` and `manifest.json`.
    public func finish() throws(OutputDirectory.Failure) {
        try flush()
        for extra in target.extraFiles() {
            try directory?.write(name: extra.name, bytes: extra.bytes)
            files.append(BackfillFile(name: extra.name, records: 0, items: 0, bytes: extra.bytes.count, sha256: extra.bytes.withUnsafeBufferPointer { Digest.sha256Hex($0) }))
        }
        try rejects?.finish()
        try directory?.write(name: "manifest.json", bytes: Array(manifest().utf8))
    }

    /// The first member of every manifest, as written: `OutputDirectory` looks for it to tell an earlier
    /// backfill output (the only thing `--force` may replace) from any other directory.
    static let schemaMember = "\"schema\": \"deadletter.backfill/1\""

    public func manifest() -> String {
        var out = "{\n"
        out += "  \(Self.schemaMember),\n"
        out += "  \"target\": \(JSONOutput.quote(target.name)),\n"
        var options = target.manifestOptions
        options.append(("maxRecords", limits.maxRecords.map(String.init) ?? "null"))
        options.append(("maxBytes", limits.maxBytes.map(String.init) ?? "null"))
        options.append(("dedupe", dedupe ? "true" : "false"))
        out += "  \"options\": {" + options.map { "\(JSONOutput.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "},\n"
        let t = totals
        out += "  \"totals\": {\"selected\": \(t.selected), \"written\": \(t.written), \"rejected\": \(t.rejected), "
        out += "\"duplicates\": \(t.duplicates), \"possiblyDelivered\": \(t.possiblyDelivered), \"items\": \(t.items), \"bytes\": \(t.bytes)},\n"
        out += "  \"files\": ["
        for (i, f) in files.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"name\": \(JSONOutput.quote(f.name)), \"records\": \(f.records), \"items\": \(f.items), \"bytes\": \(f.bytes), \"sha256\": \"\(f.sha256)\"}"
        }
        out += files.isEmpty ? "],\n" : "\n  ],\n"
        let reasons = rejectCounts.sorted { $0.key < $1.key }.map { "\(JSONOutput.quote($0.key)): \($0.value)" }.joined(separator: ", ")
        out += "  \"rejects\": {\"file\": \"rejects.ndjson\", \"byReason\": {\(reasons)}}\n"
        out += "}\n"
        return out
    }
}
