import DeadLetterBytes
import DeadLetterInput
import DeadLetterQuery
import DeadLetterSupport
import Foundation

/// `deadletter merge` of the backfill outputs of one run's shards (`backfill --shard I/N`), copied side by
/// side into one folder (`ALL/shard-0/`, `ALL/shard-1/`, ...): one manifest over all of them, in the
/// layout of a split backfill (each shard's output is a part), so `deadletter send ALL` delivers every
/// shard's files, each with its own journal, and the totals are the sums of the shards'.
public enum ShardManifestMerge {
    struct Document: Decodable {
        struct File: Decodable { var name: String, records: Int, items: Int, bytes: Int, sha256: String }
        struct Totals: Decodable { var selected: Int, written: Int, rejected: Int, duplicates: Int, possiblyDelivered: Int?, items: Int, bytes: Int }
        struct Rejects: Decodable { var file: String?, byReason: [String: Int]? }
        var schema: String
        var target: String
        var shard: ShardRecord?
        var splitBy: String?
        /// The shard's key log (`backfill --shard --dedupe`), for `merge --dedupe`.
        struct KeyLog: Decodable { var file: String, bytes: Int, sha256: String }
        var dedupeKeys: KeyLog?
        var totals: Totals
        var files: [File]
        var rejects: Rejects?
    }

    /// Whether `bytes` are a backfill manifest (rather than a summary): merge tells them apart by schema.
    public static func isManifest(_ bytes: [UInt8]) -> Bool {
        struct Schema: Decodable { var schema: String? }
        return (try? JSONDecoder().decode(Schema.self, from: Data(bytes)))?.schema == "deadletter.backfill/1"
    }

    public struct Result: Sendable {
        /// The merged `manifest.json`.
        public var manifest: String
        /// The folder the shards' folders are in: the merged manifest belongs there.
        public var folder: String
        public var missing: MissingShards?
        /// Files a shard's manifest lists that are not beside it at their size.
        public var absentFiles: [String]
    }

    /// `inputs`: each shard's `manifest.json`, by path, with its bytes.
    public static func merge(_ inputs: [(path: String, bytes: [UInt8])]) throws(UsageError) -> Result {
        guard !inputs.isEmpty else { throw UsageError("merge needs at least one manifest") }
        struct Shard {
            var path: String, folder: String, document: Document, info: ShardRecord, options: String
        }
        var shards: [Shard] = []
        var pathOfShard: [Int: String] = [:]
        var top: String?
        for input in inputs {
            let document: Document
            do { document = try JSONDecoder().decode(Document.self, from: Data(input.bytes)) } catch {
                throw UsageError("\(input.path): not a deadletter.backfill/1 manifest that merge can read (\(error))")
            }
            guard let info = document.shard else {
                throw UsageError("\(input.path): this backfill was not made with --shard: merge puts together the outputs of one run's shards")
            }
            guard document.splitBy == nil else {
                throw UsageError("\(input.path): this shard's output is split by \(document.splitBy!) into parts of its own; send each shard's output as it is (deadletter send \(Self.folder(of: input.path)))")
            }
            if let problem = info.problem { throw UsageError("\(input.path): \(problem.field): \(problem.reason)") }
            let here = Self.folder(of: input.path)
            let parent = (here as NSString).deletingLastPathComponent
            let name = (here as NSString).lastPathComponent
            guard !name.isEmpty, name != "/", !name.hasPrefix("."), parent != here else {
                throw UsageError("\(input.path): a shard's output must sit in a folder of its own beside the others' (ALL/shard-0/manifest.json, ALL/shard-1/manifest.json, ...)")
            }
            if let top, top != parent {
                throw UsageError("\(input.path) is not beside \(shards[0].path): put the shards' output folders side by side in one folder, which the merged manifest.json then describes")
            }
            top = parent
            let options = document.options(input.bytes)
            if let earlier = shards.first {
                guard document.target == earlier.document.target else {
                    throw UsageError("\(input.path) is a \(document.target) backfill, \(earlier.path) a \(earlier.document.target) one: only one run's shards merge")
                }
                guard info.listing == earlier.info.listing, info.count == earlier.info.count else {
                    throw UsageError("\(input.path) is shard \(info.index)/\(info.count) of listing \(info.listing), \(earlier.path) shard \(earlier.info.index)/\(earlier.info.count) of listing \(earlier.info.listing): "
                        + "only the shards of one listing merge (shards listed apart see the same units only with the same inputs and --until)")
                }
                guard options == earlier.options else {
                    throw UsageError("\(input.path) was made with options \(options), \(earlier.path) with \(earlier.options): the shards of one backfill share its options")
                }
            }
            if let twin = pathOfShard.updateValue(input.path, forKey: info.index) {
                throw UsageError("\(input.path) and \(twin) are both shard \(info.index)/\(info.count): merging both would send its records twice")
            }
            shards.append(Shard(path: input.path, folder: name, document: document, info: info, options: options))
        }
        shards.sort { $0.info.index < $1.info.index }

        var plan = BackfillPlan(target: shards[0].document.target, options: [])
        var absent: [String] = []
        var parts = ""
        for (i, shard) in shards.enumerated() {
            let t = shard.document.totals
            var totals = BackfillTotals()
            (totals.selected, totals.written, totals.rejected, totals.duplicates) = (t.selected, t.written, t.rejected, t.duplicates)
            (totals.possiblyDelivered, totals.items, totals.bytes) = (t.possiblyDelivered ?? 0, t.items, t.bytes)
            for (field, value) in [("selected", t.selected), ("written", t.written), ("rejected", t.rejected), ("duplicates", t.duplicates),
                                   ("possiblyDelivered", t.possiblyDelivered ?? 0), ("items", t.items), ("bytes", t.bytes)] where value < 0 {
                throw UsageError("\(shard.path): totals.\(field): \(value) is negative")
            }
            // A manifest is a file anyone can edit: sums that do not fit are refused, never a crash.
            func plus(_ sum: inout Int, _ value: Int, _ field: String) throws(UsageError) {
                let (total, overflow) = sum.addingReportingOverflow(value)
                guard !overflow else { throw UsageError("\(shard.path): \(field): \(value) is too large to add up") }
                sum = total
            }
            var accounted = 0
            try plus(&accounted, t.written, "totals.written")
            try plus(&accounted, t.rejected, "totals.rejected")
            try plus(&accounted, t.duplicates, "totals.duplicates")
            guard t.selected == accounted else {
                throw UsageError("\(shard.path): totals: selected (\(t.selected)) is not written + rejected + duplicates (\(accounted))")
            }
            try plus(&plan.totals.selected, t.selected, "totals.selected")
            try plus(&plan.totals.written, t.written, "totals.written")
            try plus(&plan.totals.rejected, t.rejected, "totals.rejected")
            try plus(&plan.totals.duplicates, t.duplicates, "totals.duplicates")
            try plus(&plan.totals.possiblyDelivered, totals.possiblyDelivered, "totals.possiblyDelivered")
            try plus(&plan.totals.items, t.items, "totals.items")
            try plus(&plan.totals.bytes, t.bytes, "totals.bytes")
            for file in shard.document.files {
                guard !file.name.isEmpty, !file.name.contains("/"), !file.name.hasPrefix(".") else {
                    throw UsageError("\(shard.path): '\(TerminalText.escape(file.name))' is not a file name beside the manifest")
                }
                guard file.sha256.utf8.count == 64, file.sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                      file.records >= 0, file.items >= 0, file.bytes >= 0 else {
                    throw UsageError("\(shard.path): '\(TerminalText.escape(file.name))': its sha256 is not 64 hexadecimal digits, or a count is negative")
                }
                let onDisk = (Self.folder(of: shard.path) as NSString).appendingPathComponent(file.name)
                let size = (try? FileManager.default.attributesOfItem(atPath: onDisk)[.size] as? Int) ?? nil
                if size != file.bytes { absent.append(onDisk) }
                plan.files.append(BackfillFile(name: shard.folder + "/" + file.name, records: file.records, items: file.items, bytes: file.bytes, sha256: file.sha256))
            }
            for (reason, count) in shard.document.rejects?.byReason ?? [:] {
                guard count >= 0 else { throw UsageError("\(shard.path): rejects.byReason: \(count) is negative") }
                var sum = plan.rejectCounts[reason] ?? 0
                try plus(&sum, count, "rejects.byReason")
                plan.rejectCounts[reason] = sum
            }
            parts += (i == 0 ? "\n" : ",\n") + "    {\"directory\": \(JSONOutput.quote(shard.folder)), \"value\": \"\(shard.info.index)/\(shard.info.count)\", "
                + "\"files\": \(shard.document.files.count), \"totals\": \(BackfillPlan(target: plan.target, options: [], totals: totals).totalsJSON)}"
        }
        let count = shards[0].info.count, listing = shards[0].info.listing
        let present = Set(shards.map(\.info.index))
        let missing = (0..<count).filter { !present.contains($0) }
        let rejectFiles = shards.map { JSONOutput.quote($0.folder + "/" + ($0.document.rejects?.file ?? "rejects.ndjson")) }

        var out = "{\n"
        out += "  \(BackfillPlan.schemaMember),\n"
        out += "  \"target\": \(JSONOutput.quote(plan.target)),\n"
        out += "  \"splitBy\": \"shard\",\n"
        out += "  \"shards\": {\"count\": \(count), \"listing\": \(JSONOutput.quote(listing)), \"merged\": \(shards.count), "
            + "\"missing\": [\(missing.map(String.init).joined(separator: ", "))]},\n"
        out += "  \"totals\": \(plan.totalsJSON),\n"
        out += "  \"files\": \(plan.filesJSON),\n"
        out += "  \"parts\": [\(parts)\n  ],\n"
        out += "  \"rejects\": {\"files\": [\(rejectFiles.joined(separator: ", "))], \"byReason\": {\(plan.rejectsByReasonJSON)}}\n"
        out += "}\n"
        return Result(manifest: out, folder: top ?? ".", missing: missing.isEmpty ? nil : MissingShards(listing: listing, count: count, missing: missing),
                      absentFiles: absent)
    }

    /// `deadletter merge` given manifests (or the shards' output folders): the merged manifest on stdout.
    /// `dedupe`: first drop the records written by more than one shard (`ShardDedupe`), rewriting the shards.
    public static func run(_ paths: [String], dedupe: Bool = false, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        var inputs: [(path: String, bytes: [UInt8])] = []
        for argument in paths {
            var isFolder: ObjCBool = false
            let path = FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) && isFolder.boolValue
                ? (argument as NSString).appendingPathComponent("manifest.json") : argument
            do { inputs.append((path, try FileContents.read(path))) } catch {
                diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: path), "cannot read: \(error.reason)"))
            }
        }
        if inputs.isEmpty { return diagnostics.exitStatus }
        var result = try merge(inputs)
        func reportAbsentFiles() {
            for file in result.absentFiles {
                diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: file), "listed in its shard's manifest.json but not there at that size: copy the shard's whole output"))
            }
        }
        if dedupe {
            if let gap = result.missing {
                // Dropped now, a record could stay in a shard sent before the missing one, which holds its first copy.
                throw UsageError("\(gap): --dedupe needs every shard of the run, since any of them may hold the copy that stays")
            }
            guard diagnostics.exitStatus == .success, result.absentFiles.isEmpty else {
                reportAbsentFiles()
                diagnostics.report(.error(.backfillOutput, "--dedupe rewrites the shards' files, so it needs every given shard whole: nothing was changed"))
                return diagnostics.exitStatus
            }
            let outcome: ShardDedupe.Outcome
            do {
                outcome = try ShardDedupe.run(inputs) { diagnostics.report(.note(.backfillOutput, $0)) }
            } catch {
                if case .usage(let message) = error { throw UsageError(message) }
                diagnostics.report(.error(.backfillOutput, "\(error)"))
                return diagnostics.exitStatus
            }
            diagnostics.report(.note(.backfillOutput, outcome.droppedRecords == 0
                ? "--dedupe: no record was written by more than one shard; nothing was changed"
                : "--dedupe: dropped \(outcome.droppedRecords) records (\(outcome.droppedItems) items) written by more than one shard, keeping the first in listing order: "
                    + "\(outcome.rewrittenFiles) files rewritten and \(outcome.removedFiles) removed in \(outcome.changedShards.joined(separator: ", "))"))
            inputs = inputs.map { input in (input.path, (try? FileContents.read(input.path)) ?? input.bytes) }
            result = try merge(inputs)
        }
        reportAbsentFiles()
        if let gap = result.missing {
            diagnostics.report(.error(.missingShards, "\(gap): the merged manifest holds only the others' records"))
        }
        diagnostics.report(.note(.backfillOutput, "this manifest describes \(result.folder): save it as \((result.folder as NSString).appendingPathComponent("manifest.json")), then `deadletter send \(ShellQuote.word(result.folder))` sends every shard's files"))
        BufferedOutput.writing(to: output) { output in
            output.write(result.manifest)
            output.flush()
        }
        return diagnostics.exitStatus
    }

    /// The folder a manifest is in, as a path (`.` for a bare name).
    static func folder(of manifest: String) -> String {
        let folder = (URL(fileURLWithPath: manifest).standardizedFileURL.path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
}

extension ShardManifestMerge.Document {
    /// The manifest's `options` as members in their order, each value as JSON: a rewritten manifest
    /// must keep them as they were, since the shards of one backfill are checked to agree on them.
    func optionMembers(_ bytes: [UInt8]) -> [BackfillPlan.Option] {
        let compact = Array(options(bytes).utf8)
        guard compact.first == UInt8(ascii: "{") else { return [] }
        return compact.withUnsafeBufferPointer { buffer -> [BackfillPlan.Option] in
            var members: [ScannedMember] = []
            var scanner = JSONScanner()
            guard case .complete = scanner.scan(buffer.baseAddress!, start: 0, end: buffer.count, atEOF: true, members: &members) else { return [] }
            return members.map { member in
                let key = JSONText.string(buffer, member.keyStart, member.keyEnd, escaped: member.keyEscaped)
                let value = member.valueKind == .string
                    ? JSONOutput.quote(JSONText.string(buffer, member.valueStart, member.valueEnd, escaped: member.valueEscaped))
                    : String(decoding: buffer[member.valueStart..<member.valueEnd], as: UTF8.self)
                return BackfillPlan.Option(key: key, json: value)
            }
        }
    }

    /// The manifest's `options`, as compact JSON: the shards of one backfill must agree on them.
    func options(_ bytes: [UInt8]) -> String {
        var scanner = JSONScanner()
        var members: [ScannedMember] = []
        return bytes.withUnsafeBufferPointer { buffer in
            JSONText.value(at: ["options"], in: buffer, start: JSONText.firstNonWhitespace(buffer) ?? 0, scanner: &scanner, members: &members)
        } ?? "{}"
    }
}
