import DeadLetterBytes
import DeadLetterInput
import DeadLetterSupport
import Foundation

/// `deadletter merge --dedupe`: drops the records that one run's shards (`backfill --shard I/N --dedupe`)
/// wrote more than once, each shard having seen only its own units. Of the occurrences of a key, the one a
/// single `backfill --dedupe` over the whole listing keeps stays: the first by the place of its unit in the
/// listing (shards read disjoint units, each in listing order). The others are cut out of their files,
/// which are rewritten (a file left without records is removed) with the shard's manifest and key log,
/// their records moving from written to duplicates.
///
/// Each shard's folder is replaced as one (its new contents staged beside it, then swapped in), so a shard
/// is always either as it was or wholly de-duplicated; interrupted, the pass is run again and finishes the
/// rest, since a record kept stays kept.
public enum ShardDedupe {
    public struct Outcome: Sendable, Equatable {
        public var droppedRecords = 0
        public var droppedItems = 0
        public var rewrittenFiles = 0
        public var removedFiles = 0
        /// The folders of the shards that changed, in shard order.
        public var changedShards: [String] = []
    }

    /// Where an occurrence stands in the order one run over everything reads.
    struct Rank: Comparable {
        var unit: Int
        var shard: Int
        var sequence: Int
        static func < (a: Rank, b: Rank) -> Bool { (a.unit, a.shard, a.sequence) < (b.unit, b.shard, b.sequence) }
    }

    /// `manifests`: the shards' `manifest.json`, by path, with their bytes, already checked by
    /// `ShardManifestMerge.merge` to be one run's, with their files present.
    public static func run(_ manifests: [(path: String, bytes: [UInt8])], note: (String) -> Void = { _ in }) throws(BackfillFailure) -> Outcome {
        var loaded: [Loaded] = []
        for manifest in manifests { loaded.append(try Loaded(manifest.path, bytes: manifest.bytes)) }
        loaded.sort { $0.shardIndex < $1.shardIndex }

        // The first occurrence of every key, over all shards.
        var first: [DedupeKey: Rank] = [:]
        for shard in loaded {
            try shard.forEachRecord { record, rank throws(BackfillFailure) in
                guard let key = record.key else { return }
                if let known = first[key], known < rank { return }
                first[key] = rank
            }
        }
        // Only a record in a file is ever dropped; one refused as too large is counted where it was.
        let isDropped: (WrittenRecord, Rank) -> Bool = { record, rank in
            guard record.isWritten, let key = record.key else { return false }
            return first[key] != rank
        }
        var changing: [Loaded] = []
        for shard in loaded {
            var repeats = false
            try shard.forEachRecord { record, rank throws(BackfillFailure) in
                if isDropped(record, rank) { repeats = true }
            }
            if repeats { changing.append(shard) }
        }
        // Every shard that changes is staged whole beside its folder, its files checked, before any of them
        // is swapped in: a refusal leaves all as it was (the staged ones are removed when they go).
        var outcome = Outcome()
        var staged: [(Loaded, OutputDirectory)] = []
        for shard in changing {
            let output: OutputDirectory
            do { output = try OutputDirectory(destination: shard.folder, force: true, note: note) } catch {
                throw Self.inMergeTerms(error)
            }
            staged.append((shard, output))
            try shard.rewrite(dropping: isDropped, into: output, outcome: &outcome)
        }
        for (shard, output) in staged {
            do { try output.commit() } catch { throw Self.inMergeTerms(error) }
            outcome.changedShards.append(shard.folderName)
        }
        return outcome
    }

    /// The output directory speaks of `--out`; here the folder is a shard's, named by merge's arguments.
    static func inMergeTerms(_ failure: BackfillFailure) -> BackfillFailure {
        func reworded(_ message: String) -> String { message.replacingOccurrences(of: "--out '", with: "shard folder '") }
        switch failure {
        case .usage(let m): return .usage(reworded(m))
        case .io(let m): return .io(reworded(m))
        case .conflict(let m): return .conflict(reworded(m))
        case .notPlaced(let m): return .notPlaced(reworded(m))
        }
    }

    /// One shard's manifest, read and checked.
    struct Loaded {
        let manifestPath: String
        let folder: String
        let folderName: String
        let shardIndex: Int
        let bytes: [UInt8]
        let document: ShardManifestMerge.Document
        let log: String
        let packaging: FilePackaging
        let written: Int

        init(_ manifest: String, bytes: [UInt8]) throws(BackfillFailure) {
            manifestPath = manifest
            folder = ShardManifestMerge.folder(of: manifest)
            folderName = (folder as NSString).lastPathComponent
            self.bytes = bytes
            do { document = try JSONDecoder().decode(ShardManifestMerge.Document.self, from: Data(bytes)) } catch {
                throw .usage("\(manifestPath): not a deadletter.backfill/1 manifest that merge can read")
            }
            guard let index = document.shard?.index else { throw .usage("\(manifestPath): this backfill was not made with --shard") }
            shardIndex = index
            guard let keyLog = document.dedupeKeys, keyLog.file == WrittenRecord.fileName else {
                throw .usage("\(manifestPath): shard \(index) was backfilled without --dedupe, so its records' keys were not kept: "
                    + "run the shards' backfill again with --dedupe, then merge --dedupe")
            }
            log = (folder as NSString).appendingPathComponent(WrittenRecord.fileName)
            var st = stat()
            guard lstat(folder, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
                throw .usage("\(folder): not a folder (a symbolic link?): merge --dedupe rewrites a shard's output only in the folder backfill made")
            }
            try Self.verify(log: log, bytes: keyLog.bytes, sha256: keyLog.sha256)
            written = document.totals.written
            // Files already being delivered must not change under the journal that tracks their items.
            if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("send-journal.ndjson")) {
                throw .usage("\(folder): its files are being sent (send-journal.ndjson is there): repeats can only be dropped before sending")
            }
            guard let name = BackfillTargetName(rawValue: document.target), name != .redshift,
                  let target = try? Self.placeholderSettings.makeTarget(name) else {
                throw .usage("\(manifestPath): target \(TerminalText.escape(document.target)): merge --dedupe cannot rewrite its files")
            }
            // Only the separator, the footer and a header made from the items are taken: a fixed header
            // (which holds options such as the stream) is copied from the file itself.
            packaging = target.packaging
        }

        /// The settings a target needs to exist; the values do not reach any file (see `packaging`).
        static let placeholderSettings: BackfillTargetSettings = {
            var settings = BackfillTargetSettings()
            settings.stream = "-"
            return settings
        }()

        /// Every line of the key log, in order, with its rank.
        func forEachRecord(_ body: (WrittenRecord, Rank) throws(BackfillFailure) -> Void) throws(BackfillFailure) {
            let source: FileDescriptorSource
            do { source = try FilePath(log).openForReading() } catch {
                throw .usage("\(log): cannot read (\(error)): this shard's output is not whole; copy all of it")
            }
            let reader = LineReader(source: source, maxLineBytes: 1 << 16)
            var number = 0
            var scanner = JSONScanner()
            var members: [ScannedMember] = []
            while let line = reader.next() {
                number += 1
                guard !line.isEmpty else { continue }
                switch WrittenRecord.parse(line, scanner: &scanner, members: &members) {
                case .failure(let problem):
                    throw .usage("\(log):\(number): \(problem.reason)")
                case .success(let record):
                    try body(record, Rank(unit: record.unit, shard: shardIndex, sequence: number))
                }
            }
            if let error = reader.error { throw .io("\(log): cannot read: \(error)") }
            if reader.truncatedLines > 0 { throw .usage("\(log): a line is too long to be one of its records") }
        }

        /// The shard without the dropped records, staged in `output` (which the caller puts in place).
        func rewrite(dropping isDropped: (WrittenRecord, Rank) -> Bool, into output: OutputDirectory, outcome: inout Outcome) throws(BackfillFailure) {
            var files = document.files.map { BackfillFile(name: $0.name, records: $0.records, items: $0.items, bytes: $0.bytes, sha256: $0.sha256) }
            var nextFile = 0
            var removed = Set<String>()
            var rewritten = Set<String>()
            var totals = document.totals
            var possiblyDelivered = document.totals.possiblyDelivered ?? 0
            var writtenLines = 0
            let newLog = try WrittenRecordLogWriter(in: output)
            func keep(_ record: WrittenRecord) throws(BackfillFailure) { try newLog.append(record) }
            /// The lines of one file, and those of records refused as too large among them, in order.
            var group: [(WrittenRecord, Rank)] = []

            func finishGroup() throws(BackfillFailure) {
                defer { group.removeAll(keepingCapacity: true) }
                guard let name = group.lazy.compactMap(\.0.file).first else {
                    for (record, _) in group { try keep(record) }
                    return
                }
                guard let at = files[nextFile...].firstIndex(where: { $0.name == name }) else {
                    throw .usage("\(log): file \(TerminalText.escape(name)) is not in the manifest, or its lines are out of order")
                }
                nextFile = at + 1
                let inFile = group.filter { $0.0.isWritten }
                let original = document.files[at]
                guard inFile.count == original.records, inFile.reduce(0, { $0 + $1.0.items }) == original.items else {
                    throw .usage("\(log): its lines for \(TerminalText.escape(name)) are not the \(original.records) records the manifest lists")
                }
                writtenLines += inFile.count
                guard inFile.contains(where: { isDropped($0.0, $0.1) }) else {
                    for (record, _) in group { try keep(record) }
                    return
                }
                let path = (folder as NSString).appendingPathComponent(name)
                let bytes = try verifiedBytes(of: original)
                let body = try Self.body(of: bytes, records: inFile.map(\.0), packaging: packaging, file: path)
                var newBody: [UInt8] = []
                var latestArrival: Int64?
                var kept = 0, items = 0, dropped = 0, droppedItems = 0
                for (record, rank) in group {
                    guard record.isWritten else { try keep(record); continue }
                    if isDropped(record, rank) {
                        dropped += 1
                        droppedItems += record.items
                        if record.possiblyDelivered { possiblyDelivered -= 1 }
                        continue
                    }
                    if !newBody.isEmpty { newBody += packaging.separator }
                    let start = newBody.count
                    newBody += bytes[(body.lowerBound + record.start)..<(body.lowerBound + record.end)]
                    var moved = record
                    (moved.start, moved.end) = (start, newBody.count)
                    try keep(moved)
                    kept += 1
                    items += record.items
                    if let arrival = record.arrival { latestArrival = max(latestArrival ?? arrival, arrival) }
                }
                outcome.droppedRecords += dropped
                outcome.droppedItems += droppedItems
                totals.written -= dropped
                totals.duplicates += dropped
                totals.items -= droppedItems
                if kept == 0 {
                    removed.insert(name)
                    totals.bytes -= original.bytes
                    outcome.removedFiles += 1
                } else {
                    let header: [UInt8]
                    switch packaging.header {
                    case .fixed: header = Array(bytes[..<body.lowerBound])
                    case .derived(let make): header = newBody.withUnsafeBufferPointer { make($0, latestArrival) }
                    }
                    let footer = Array(bytes[body.upperBound...])
                    var digest = Digest.Incremental()
                    for part in [header, newBody, footer] { part.withUnsafeBufferPointer { digest.update($0) } }
                    try output.write(name: name, bytes: header + newBody + footer)
                    let size = header.count + newBody.count + footer.count
                    totals.bytes += size - original.bytes
                    files[at] = BackfillFile(name: name, records: kept, items: items, bytes: size, sha256: digest.finalizeHex())
                    outcome.rewrittenFiles += 1
                    rewritten.insert(name)
                }
            }

            try forEachRecord { record, rank throws(BackfillFailure) in
                if let file = record.file, let last = group.lazy.compactMap(\.0.file).last, last != file { try finishGroup() }
                group.append((record, rank))
            }
            try finishGroup()
            guard writtenLines == written else {
                throw .usage("\(log): it lists \(writtenLines) records in files, the manifest \(written): the shard's output was changed after the backfill")
            }
            let newLogFile = try newLog.finish()

            // Everything else in the folder (files not rewritten, rejects) goes across unchanged.
            for entry in try Self.entries(of: folder) where entry != "manifest.json" && entry != WrittenRecord.fileName
                && !rewritten.contains(entry) && !removed.contains(entry) {
                try output.link(name: entry, from: (folder as NSString).appendingPathComponent(entry))
            }
            var plan = BackfillPlan(target: document.target, options: document.optionMembers(bytes))
            (plan.totals.selected, plan.totals.written, plan.totals.rejected, plan.totals.duplicates) = (totals.selected, totals.written, totals.rejected, totals.duplicates)
            (plan.totals.possiblyDelivered, plan.totals.items, plan.totals.bytes) = (possiblyDelivered, totals.items, totals.bytes)
            plan.files = files.filter { !removed.contains($0.name) }
            plan.rejectCounts = document.rejects?.byReason ?? [:]
            plan.writtenRecordLog = newLogFile
            if let info = document.shard, let shard = try? Shard(index: info.index, count: info.count) {
                plan.shard = ShardMark(shard: shard, listing: info.listing, units: 0, bytes: 0, positions: [:])
            }
            try output.write(name: "manifest.json", bytes: Array(plan.manifest().utf8))
        }

        /// The key log must be the one the manifest names, at its size and hash: its offsets say which bytes
        /// of the files are cut out.
        static func verify(log: String, bytes: Int, sha256: String) throws(BackfillFailure) {
            let changed = BackfillFailure.usage("\(log) is not the key log its manifest lists (size or SHA-256 differs): it was changed after the backfill")
            let source: FileDescriptorSource
            do { source = try FilePath(log).openForReading() } catch {
                throw .usage("\(log): cannot read (\(error)): this shard's output is not whole; copy all of it")
            }
            var digest = Digest.Incremental()
            var total = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n: Int
                do { n = try chunk.withUnsafeMutableBytes { buffer throws(InputError) in try source.read(into: buffer) } } catch {
                    throw .io("\(log): cannot read: \(error)")
                }
                if n == 0 { break }
                total += n
                guard total <= bytes else { throw changed }
                chunk.withUnsafeBufferPointer { digest.update(UnsafeBufferPointer(rebasing: $0[..<n])) }
            }
            guard total == bytes, digest.finalizeHex() == sha256 else { throw changed }
        }

        /// A file's bytes, which must be those its manifest lists.
        func verifiedBytes(of file: ShardManifestMerge.Document.File) throws(BackfillFailure) -> [UInt8] {
            let path = (folder as NSString).appendingPathComponent(file.name)
            let bytes: [UInt8]
            do { bytes = try FileContents.read(path) } catch { throw .io("\(path): cannot read: \(error.reason)") }
            guard bytes.count == file.bytes, bytes.withUnsafeBufferPointer({ Digest.sha256Hex($0) }) == file.sha256 else {
                throw .usage("\(path) is not the file its manifest lists (size or SHA-256 differs): it was changed after the backfill")
            }
            return bytes
        }

        /// Where the items lie in a file written by the backfill, checked against the key log's records:
        /// they must tile it, one separator apart, and the footer must be the target's.
        static func body(of bytes: [UInt8], records: [WrittenRecord], packaging: FilePackaging, file: String) throws(BackfillFailure) -> Range<Int> {
            let mismatch = BackfillFailure.usage("\(file): its records in \(WrittenRecord.fileName) do not match its bytes: the shard's output was changed after the backfill")
            let footer = packaging.footer
            guard let last = records.last, records[0].start == 0, bytes.count >= footer.count, last.end <= bytes.count - footer.count else { throw mismatch }
            let headerLength = bytes.count - footer.count - last.end
            guard bytes[(bytes.count - footer.count)...].elementsEqual(footer) else { throw mismatch }
            // Offsets are bounded when read (`WrittenRecord.maxOffset`), so these sums cannot overflow; each
            // span is checked to follow the one before, inside the body, before its bytes are looked at.
            for (a, b) in zip(records, records.dropFirst()) {
                guard a.start < a.end, b.start == a.end + packaging.separator.count, b.start < b.end, b.end <= last.end,
                      bytes[(headerLength + a.end)..<(headerLength + b.start)].elementsEqual(packaging.separator) else { throw mismatch }
            }
            return headerLength..<(bytes.count - footer.count)
        }

        static func entries(of folder: String) throws(BackfillFailure) -> [String] {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
                throw .io("\(folder): cannot list: \(error.localizedDescription)")
            }
            for name in names {
                var st = stat()
                guard lstat((folder as NSString).appendingPathComponent(name), &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                    throw .usage("\(folder): holds \(TerminalText.escape(name)), which is not a plain file, and a shard's backfill output holds only files: merge --dedupe rewrites only what backfill wrote")
                }
            }
            return names.sorted()
        }
    }
}
