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
    private var rejectLines: [UInt8] = []
    private var batch: [BackfillItem] = []
    private var batchRecords = 0
    private var batchBytes = 0
    private var seen = Set<[UInt8]>()

    /// `directory` nil: a dry run, which computes the same plan and writes nothing.
    public init(target: any BackfillTarget, limits: BatchLimits, dedupe: Bool, directory: OutputDirectory?) {
        self.target = target
        self.limits = limits
        self.dedupe = dedupe
        self.directory = directory
    }

    public func add(_ record: FailureRecord) throws(OutputDirectory.Failure) {
        totals.selected += 1
        let items: [BackfillItem]
        switch target.items(for: record) {
        case .failure(let rejection):
            reject(record, rejection)
            return
        case .success(let list):
            items = list
        }
        if dedupe, let key = Self.dedupeKey(record) {
            if !seen.insert(key).inserted {
                totals.duplicates += 1
                return
            }
        }
        let recordBytes = items.reduce(0) { $0 + itemCost($1) }
        if let maxBytes = limits.maxBytes, recordBytes + fileCost > maxBytes {
            reject(record, Rejection("too-large", "\(recordBytes + fileCost) bytes, over the limit of \(maxBytes) bytes per file"))
            return
        }
        if let maxRecords = limits.maxRecords, items.count > maxRecords {
            reject(record, Rejection("too-large", "\(items.count) entries, over the limit of \(maxRecords) per file"))
            return
        }
        let overRecords = limits.maxRecords.map { batch.count + items.count > $0 } ?? false
        let overBytes = limits.maxBytes.map { fileCost + batchBytes + recordBytes > $0 } ?? false
        if !batch.isEmpty && (overRecords || overBytes) { try flush() }
        batch.append(contentsOf: items)
        batchRecords += 1
        batchBytes += recordBytes
        totals.written += 1
        // Splunk may have indexed these despite the timeout: re-sending can duplicate them.
        if record.errorCode == "Splunk.AckTimeout" { totals.possiblyDelivered += 1 }
    }

    /// The natural id (document id, EventId, dataId, event id), else a hash of the payload; records with
    /// neither (Redshift manifests, which de-duplicate by URL) are never dropped.
    static func dedupeKey(_ record: FailureRecord) -> [UInt8]? {
        if let id = record.naturalId { return Digest.sha256(Array(("id:" + id).utf8)) }
        if let bytes = record.payload.bytes { return Digest.sha256(Array("payload:".utf8) + bytes) }
        return nil
    }

    private var fileCost: Int { target.limitsCountItemSizeOnly ? 0 : target.fileOverhead }

    private func itemCost(_ item: BackfillItem) -> Int {
        target.limitsCountItemSizeOnly ? item.size : item.bytes.count + target.itemOverhead
    }

    private func reject(_ record: FailureRecord, _ rejection: Rejection) {
        totals.rejected += 1
        rejectCounts[rejection.code, default: 0] += 1
        var line = "{\"file\":\(JSONOutput.quote(record.file.path)),\"line\":\(record.line),\"kind\":\(JSONOutput.quote(record.kind.rawValue))"
        line += ",\"errorCode\":\(JSONOutput.quoteOrNull(record.errorCode)),\"id\":\(JSONOutput.quoteOrNull(record.naturalId))"
        line += ",\"code\":\(JSONOutput.quote(rejection.code)),\"reason\":\(JSONOutput.quote(rejection.reason))}\n"
        if directory != nil { rejectLines.append(contentsOf: line.utf8) }
    }

    private func flush() throws(OutputDirectory.Failure) {
        guard !batch.isEmpty else { return }
        let index = files.count + 1
        let bytes = target.file(batch, index: index)
        if !target.limitsCountItemSizeOnly, let maxBytes = limits.maxBytes, bytes.count > maxBytes {
            // The size model of a target is wrong: refuse to write a file the service would reject.
            throw .io("internal error: \(target.name) file \(index) is \(bytes.count) bytes, over \(maxBytes)")
        }
        let name = "\(target.name)-" + Self.pad(index) + "." + target.fileExtension
        try directory?.write(name: name, bytes: bytes)
        files.append(BackfillFile(name: name, records: batchRecords, items: batch.count, bytes: bytes.count,
                                  sha256: Digest.sha256Hex(bytes)))
        totals.items += batch.count
        totals.bytes += bytes.count
        batch.removeAll(keepingCapacity: true)
        batchRecords = 0
        batchBytes = 0
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
            files.append(BackfillFile(name: extra.name, records: 0, items: 0, bytes: extra.bytes.count, sha256: Digest.sha256Hex(extra.bytes)))
        }
        try directory?.write(name: "rejects.ndjson", bytes: rejectLines)
        try directory?.write(name: "manifest.json", bytes: Array(manifest().utf8))
    }

    public func manifest() -> String {
        var out = "{\n"
        out += "  \"schema\": \"deadletter.backfill/1\",\n"
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
