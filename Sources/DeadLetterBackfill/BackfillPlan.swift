import DeadLetterBytes
import DeadLetterInput
/// What a backfill did (or, in a dry run, would do): the files, the totals and the rejects by reason.
/// `manifest.json` says it; a dry run prints it.
public struct BackfillPlan: Sendable, Equatable {
    public var target: String
    /// The `options` object of the manifest, `"key": value` JSON, in order.
    public var options: [Option]
    public var totals = BackfillTotals()
    public var files: [BackfillFile] = []
    public var rejectCounts: [String: Int] = [:]
    /// The shard of the input read (`--shard`): in the manifest, for `merge` to put the shards together.
    public var shard: ShardMark?
    /// The file beside the manifest that lists each written record's de-duplication key and place
    /// (`backfill --shard --dedupe`), for `merge --dedupe`.
    public var writtenRecordLog: WrittenRecord.LogFile?
    /// What the written records are a mix of: for the warnings, not the manifest.
    public var mix = Mix()

    public struct Mix: Sendable, Equatable {
        public var kinds: Set<String> = []
        public var streams: Set<String> = []
        /// Records that failed on the index mapping.
        public var mappingErrors = 0
    }

    public struct Option: Sendable, Equatable {
        public var key: String
        public var json: String
    }

    /// The first member of every manifest, as written: `OutputDirectory` looks for it to tell an earlier
    /// backfill output (the only thing `--force` may replace) from any other directory.
    static let schemaMember = "\"schema\": \"deadletter.backfill/1\""

    public func manifest() -> String {
        var out = "{\n"
        out += "  \(Self.schemaMember),\n"
        out += "  \"target\": \(JSONOutput.quote(target)),\n"
        if let shard { out += "  \"shard\": \(Self.shardJSON(shard)),\n" }
        if let log = writtenRecordLog {
            out += "  \"dedupeKeys\": {\"file\": \(JSONOutput.quote(log.name)), \"bytes\": \(log.bytes), \"sha256\": \"\(log.sha256)\"},\n"
        }
        out += "  \"options\": {" + options.map { "\(JSONOutput.quote($0.key)): \($0.json)" }.joined(separator: ", ") + "},\n"
        out += "  \"totals\": \(totalsJSON),\n"
        out += "  \"files\": \(filesJSON),\n"
        out += "  \"rejects\": \(rejectsJSON)\n"
        out += "}\n"
        return out
    }

    static func shardJSON(_ mark: ShardMark) -> String {
        "{\"index\": \(mark.shard.index), \"count\": \(mark.shard.count), \"listing\": \(JSONOutput.quote(mark.listing))}"
    }

    /// Every file with its records, items, bytes and SHA-256, one a line.
    var filesJSON: String {
        var out = "["
        for (i, f) in files.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"name\": \(JSONOutput.quote(f.name)), \"records\": \(f.records), \"items\": \(f.items), \"bytes\": \(f.bytes), \"sha256\": \"\(f.sha256)\"}"
        }
        return out + (files.isEmpty ? "]" : "\n  ]")
    }

    var rejectsJSON: String { "{\"file\": \"rejects.ndjson\", \"byReason\": {\(rejectsByReasonJSON)}}" }

    var totalsJSON: String {
        let t = totals
        return "{\"selected\": \(t.selected), \"written\": \(t.written), \"rejected\": \(t.rejected), \"duplicates\": \(t.duplicates), "
            + "\"possiblyDelivered\": \(t.possiblyDelivered), \"items\": \(t.items), \"bytes\": \(t.bytes)}"
    }

    var rejectsByReasonJSON: String {
        rejectCounts.sorted { $0.key < $1.key }.map { "\(JSONOutput.quote($0.key)): \($0.value)" }.joined(separator: ", ")
    }
}
