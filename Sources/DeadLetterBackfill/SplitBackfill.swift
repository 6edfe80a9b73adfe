import DeadLetterInput
import DeadLetterBytes
import DeadLetterQuery

/// `backfill --split-by FIELD`: one backfill per value of the field (the delivery stream, the kind, the
/// OpenSearch index), each in a folder of its own named `FIELD=VALUE`, with its own files, manifest and
/// rejects, so that `send OUT/FOLDER` puts one part back and `send OUT` puts back every part. For
/// Firehose split by stream, each part goes back to the stream it failed in (`--stream` is for records whose
/// stream is not known).
/// Records are taken in input order, so each part's files are what a backfill of that part alone writes.
public struct SplitBackfill {
    /// The fields a backfill can be split by.
    public static let fields: [RecordField] = [.stream, .kind, .index]
    /// A part keeps a batch in memory while it fills (up to the target's limit): beyond this many parts the
    /// selection is too broad to split, and memory would grow with it.
    public static let maxParts = 500

    public struct Part {
        /// The field's value; nil for records without one.
        public var value: String?
        /// The folder's name in the output: `FIELD=VALUE`, made safe for any file system.
        public var folder: String
        public var engine: BackfillEngine
    }

    public let field: RecordField
    /// In the order their values first came; `sorted` is how they are listed.
    public private(set) var parts: [Part] = []
    /// The parts by folder name: the order of the manifest, the summary and `send`.
    public var sorted: [Part] { parts.sorted { $0.folder < $1.folder } }
    private var partOf: [String?: Int] = [:]
    /// Folder names in lower case: "Orders" and "orders" must not share one on a file system that ignores case.
    private var folders: Set<String> = []
    private let makeEngine: (String?, (any BatchSink)?) throws(BackfillFailure) -> BackfillEngine
    private let directory: OutputDirectory?
    private let target: String
    private let shard: ShardMark?
    /// Every part's rejects in one `rejects.ndjson` too, in input order, as an unsplit backfill has them.
    private let rejects: OutputDirectory.Appender?

    /// `makeEngine`: the engine for a part's value and sink (the target made for that value). The output's
    /// own `rejects.ndjson` is made here; every part's sink adds to it.
    public init(field: RecordField, target: String, directory: OutputDirectory?, shard: ShardMark? = nil,
                makeEngine: @escaping (String?, (any BatchSink)?) throws(BackfillFailure) -> BackfillEngine) throws(BackfillFailure) {
        self.shard = shard
        self.field = field
        self.target = target
        self.directory = directory
        self.makeEngine = makeEngine
        rejects = try directory?.appender(name: "rejects.ndjson")
    }

    public mutating func add(_ record: PreparedRecord) throws(BackfillFailure) {
        let index: Int
        if let known = partOf[record.splitValue] {
            index = known
        } else {
            guard parts.count < Self.maxParts else {
                throw .usage("more than \(Self.maxParts) values of \(field.name) to split by: select fewer records (--where, --kind) or split by another field")
            }
            let name = Self.folderName(field: field, value: record.splitValue)
            var folder = name
            // Another value's folder but for case: a name of its own, on any file system. Values are record
            // content, so a hash prefix can be made to collide too: a counter settles it.
            var attempt = 0
            while folders.contains(folder.lowercased()) {
                attempt += 1
                folder = name + "~" + Self.hash(record.splitValue ?? "", length: 8) + (attempt > 1 ? "-\(attempt)" : "")
            }
            folders.insert(folder.lowercased())
            let sink = try directory.map { directory throws(BackfillFailure) in DirectorySink(directory: try directory.folder(folder), alsoRejectingTo: rejects) }
            parts.append(Part(value: record.splitValue, folder: folder, engine: try makeEngine(record.splitValue, sink)))
            index = parts.count - 1
            partOf[record.splitValue] = index
        }
        try parts[index].engine.add(record)
    }

    public mutating func finish() throws(BackfillFailure) {
        for i in parts.indices { try parts[i].engine.finish() }
        try rejects?.finish()
        try directory?.write(name: "manifest.json", bytes: Array(manifest().utf8))
    }

    /// The plan of all parts as one: totals added up, every file under its folder, rejects by reason.
    public var plan: BackfillPlan {
        var plan = BackfillPlan(target: target, options: [])
        plan.shard = shard
        for part in sorted {
            let p = part.engine.plan
            plan.totals.selected += p.totals.selected
            plan.totals.written += p.totals.written
            plan.totals.rejected += p.totals.rejected
            plan.totals.duplicates += p.totals.duplicates
            plan.totals.possiblyDelivered += p.totals.possiblyDelivered
            plan.totals.items += p.totals.items
            plan.totals.bytes += p.totals.bytes
            plan.files += p.files.map { file in
                var file = file
                file.name = part.folder + "/" + file.name
                return file
            }
            plan.rejectCounts.merge(p.rejectCounts, uniquingKeysWith: +)
            plan.mix.mappingErrors += p.mix.mappingErrors
        }
        return plan
    }

    /// `FIELD=VALUE` (the form Hive and Athena partitions take), the value percent-encoded but for letters,
    /// digits, `-`, `_` and `.`: a record's value never becomes a path (`/`), a hidden name (a leading `.`),
    /// or a name a shell or another system misreads. A leading `_` is encoded too, so `_none`, the folder of
    /// records without a value, is no value's folder. Long values are cut and end in a hash of the whole.
    public static func folderName(field: RecordField, value: String?) -> String {
        guard let value, !value.isEmpty else { return "\(field.name)=_none" }
        var encoded = ""
        for (i, byte) in value.utf8.enumerated() {
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || (byte == 0x5F && i > 0) || (byte == 0x2E && i > 0)
            if plain {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        if encoded.utf8.count > 180 {
            encoded = String(encoded.prefix(160)) + "~" + hash(value, length: 16)
        }
        return "\(field.name)=\(encoded)"
    }

    private static func hash(_ value: String, length: Int) -> String {
        String(Array(value.utf8).withUnsafeBufferPointer { Digest.sha256Hex($0) }.prefix(length))
    }

    /// The top manifest: schema `deadletter.backfill/1` (so `--force` knows it), every file by its path
    /// below the output (`FOLDER/NAME`), the rejects of every part, and `parts`, each with its folder, its
    /// value and its totals; each part's folder has a manifest of its own.
    func manifest() -> String {
        let plan = plan
        var out = "{\n"
        out += "  \(BackfillPlan.schemaMember),\n"
        out += "  \"target\": \(JSONOutput.quote(plan.target)),\n"
        out += "  \"splitBy\": \(JSONOutput.quote(field.name)),\n"
        if let shard { out += "  \"shard\": \(BackfillPlan.shardJSON(shard)),\n" }
        out += "  \"totals\": \(plan.totalsJSON),\n"
        out += "  \"files\": \(plan.filesJSON),\n"
        out += "  \"parts\": ["
        for (i, part) in sorted.enumerated() {
            let p = part.engine.plan
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"directory\": \(JSONOutput.quote(part.folder)), \"value\": \(JSONOutput.quoteOrNull(part.value)), "
            out += "\"files\": \(p.files.count), \"totals\": \(p.totalsJSON)}"
        }
        out += parts.isEmpty ? "],\n" : "\n  ],\n"
        out += "  \"rejects\": \(plan.rejectsJSON)\n"
        out += "}\n"
        return out
    }
}
