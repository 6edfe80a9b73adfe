@testable import DeadLetterEngine
@testable import DeadLetterRecords
@testable import DeadLetterBackfill
import Foundation
import Testing

/// The backfill pipeline in-process, piece by piece: the batcher's limits, the items' origins as a sink
/// receives them, and Redshift's collector. Expected batches and bytes are worked out by hand from the
/// inputs written here.
struct BackfillPipelineTests {
    // MARK: batcher

    /// Feeds records (each a list of items) through a batcher as the engine does, and returns each
    /// finished batch as the item bytes it holds, and the refused records' reasons by record number.
    func batches(_ records: [[BackfillItem]], limits: BatchLimits, counting: ByteCounting, separator: [UInt8] = [])
        -> (batches: [[String]], refused: [Int: String]) {
        var batcher = Batcher(limits: limits, counting: counting, separator: separator, detail: .origins)
        var done: [[String]] = []
        var refused: [Int: String] = [:]
        func take(_ batch: Batch) {
            done.append((0..<batch.itemCount).map { String(decoding: batch.body[batch.itemRange($0)], as: UTF8.self) })
        }
        let file = SourceFile(path: "in")
        for (n, items) in records.enumerated() {
            switch batcher.admit(items) {
            case .tooLarge(let rejection):
                refused[n] = rejection.reason
                continue
            case .fits(let cost, let closesBatch):
                if closesBatch {
                    take(batcher.batch)
                    batcher.startNextBatch()
                }
                batcher.append(items, cost: cost, origin: RecordIdentity(file: file, line: n + 1, kind: .processingFailed, errorCode: nil, naturalId: nil))
            }
        }
        if !batcher.batch.isEmpty { take(batcher.batch) }
        return (done, refused)
    }

    func item(_ text: String, size: Int? = nil) -> BackfillItem { BackfillItem(bytes: Array(text.utf8), size: size) }

    @Test func fileBytesCountEachItemWithASeparatorAndTheOverhead() {
        // Limit 30, overhead 10, separator 2: an item costs its bytes + 2.
        let records: [[BackfillItem]] = [
            [item("aaaaaa")],              // 8: 10 + 8 = 18
            [item("bbbb"), item("ccc")],   // 6 + 5 = 11: 18 + 11 = 29, fits
            [item("d")],                   // 3: 29 + 3 = 32 > 30, starts batch 2 at 10 + 3 = 13
            [item(String(repeating: "e", count: 19))], // 21 + 10 = 31 on its own: refused
            [item(String(repeating: "f", count: 15))], // 17: 13 + 17 = 30, exactly fits
            [item("g")],                   // 3: 33 > 30, batch 3
        ]
        let result = batches(records, limits: BatchLimits(maxBytes: 30), counting: .fileBytes(separator: 2, overhead: 10),
                             separator: Array(",\n".utf8))
        #expect(result.batches == [["aaaaaa", "bbbb", "ccc"], ["d", String(repeating: "f", count: 15)], ["g"]])
        #expect(result.refused == [3: "31 bytes, over the limit of 30 bytes per file"])
    }

    @Test func itemSizesCountTheDataOnlyAndARecordsItemsStayTogether() {
        // Firehose-like: 10 bytes of data, 3 items per batch; the items' own bytes (base64, JSON) do not count.
        let long = String(repeating: "x", count: 40)
        let records: [[BackfillItem]] = [
            [item(long, size: 5)],                        // 5
            [item(long, size: 5)],                        // 10: exactly fits
            [item("a", size: 1)],                         // 11 > 10: batch 2
            [item("b", size: 1), item("c", size: 1)],     // 3 items: fits the 3 per batch
            [item("d", size: 1)],                         // a 4th item: batch 3
            [item("e", size: 1), item("f", size: 1), item("g", size: 1), item("h", size: 1)], // 4 items on its own: refused
            [item("i", size: 11)],                        // 11 bytes on its own: refused
            [item("j", size: 1), item("k", size: 1), item("l", size: 1)], // 1 + 3 items > 3: batch 4
        ]
        let result = batches(records, limits: BatchLimits(maxRecords: 3, maxBytes: 10), counting: .itemSizes)
        #expect(result.batches == [[long, long], ["a", "b", "c"], ["d"], ["j", "k", "l"]])
        #expect(result.refused == [5: "4 entries, over the limit of 3 per file", 6: "11 bytes, over the limit of 10 bytes per file"])
    }

    @Test func theServicesLimitsAreTheBatchersAndFlagsOnlyTightenThem() {
        #expect(FirehoseTarget(streamName: "s").byteCounting == .itemSizes)
        #expect(FirehoseTarget(streamName: "s").serviceLimits == BatchLimits(maxRecords: 500, maxBytes: 4 << 20))
        #expect(SnowflakeTarget().byteCounting == .fileBytes(separator: 0, overhead: 0))
        #expect(HTTPEndpointTarget().byteCounting == .fileBytes(separator: 2, overhead: 101))
        #expect(BatchLimits(maxRecords: 500, maxBytes: 100).tightened(records: 1000, bytes: 50) == BatchLimits(maxRecords: 500, maxBytes: 50))
    }

    @Test func aChunkedArrayReadsBackAcrossItsChunksAndRefillsAfterEmptying() {
        var array = ChunkedArray<Int>()
        for i in 0..<10_000 { array.append(i * 3) }
        #expect(array.count == 10_000)
        #expect([0, 4095, 4096, 8191, 8192, 9999].map { array[$0] } == [0, 12285, 12288, 24573, 24576, 29997])
        array.removeAll()
        #expect(array.isEmpty)
        for i in 0..<5000 { array.append(-i) }
        #expect(array.count == 5000 && array[4095] == -4095 && array[4096] == -4096 && array[4999] == -4999)
    }

    // MARK: origins in a sink

    /// Keeps what it receives.
    final class MemorySink: BatchSink {
        struct ReceivedItem: Equatable {
            var text: String
            var file: String
            var line: Int
            var errorCode: String?
        }
        var batches: [(name: String, records: Int, items: [ReceivedItem])] = []
        var rejects: [(file: String, line: Int, code: String)] = []
        var extraFiles: [String] = []
        var plan: BackfillPlan?
        let batchDetail: BatchDetail
        /// Each batch's body, as the file holds it between header and footer.
        var bodies: [String] = []

        init(detail: BatchDetail = .origins) { batchDetail = detail }

        func receive(_ batch: Batch, as file: PackagedFile) throws(BackfillFailure) {
            bodies.append(String(decoding: batch.body, as: UTF8.self))
            guard batchDetail == .origins else {
                batches.append((file.name, batch.recordCount, []))
                return
            }
            let items = (0..<batch.itemCount).map { i in
                let origin = batch.origin(ofItem: i)
                return ReceivedItem(text: String(decoding: batch.body[batch.itemRange(i)], as: UTF8.self), file: origin.file.path,
                                    line: origin.line, errorCode: origin.errorCode)
            }
            batches.append((file.name, batch.recordCount, items))
        }

        func reject(_ record: RecordIdentity, _ rejection: Rejection) throws(BackfillFailure) {
            rejects.append((record.file.path, record.line, rejection.code))
        }

        func receiveExtraFile(name: String, bytes: [UInt8]) throws(BackfillFailure) { extraFiles.append(name) }

        func finish(_ plan: BackfillPlan) throws(BackfillFailure) { self.plan = plan }
    }

    /// Runs records read from `lines` (the object `key`) through an engine into a memory sink.
    func run(_ lines: [String], key: String, target: any BackfillTarget, limits: BatchLimits,
             detail: BatchDetail = .origins) throws -> MemorySink {
        var options = ReadOptions()
        options.payloadNeeds = target.payloadNeeds
        let read = Harness.read(lines.joined(separator: "\n") + "\n", key: key, options: options)
        let sink = MemorySink(detail: detail)
        var engine = BackfillEngine(target: target, limits: limits, dedupe: false, sink: sink)
        for record in read.records { try engine.add(PreparedRecord(record, target: target, dedupe: false)) }
        try engine.finish()
        return sink
    }

    @Test func everyItemNamesTheRecordItCameFrom() throws {
        let key = "bucket/splunk-failed/2024/03/05/14/s-1"
        let logs = try Harness.cloudWatchRawData(logGroup: "/app/web", events: 3)
        let lines = [
            #"{"rawData":"\#(logs)","errorCode":"Splunk.IndexerBusy","arrivalTimestamp":1709647200000}"#,
            #"{"rawData":"\#(Harness.base64(#"{"event":"one"}"#))","errorCode":"Splunk.AckTimeout","arrivalTimestamp":1709647200000}"#,
            #"{"errorCode":"Splunk.IndexerBusy","arrivalTimestamp":1709647200000}"#,
            #"{"rawData":"\#(Harness.base64("plain"))","errorCode":"Splunk.IndexerBusy","arrivalTimestamp":1709647200123}"#,
        ]
        // Four items per batch: line 1's three events and line 2's event fill the first; line 4 starts the second.
        let sink = try run(lines, key: key, target: SplunkHECTarget(), limits: BatchLimits(maxRecords: 4))
        typealias Item = MemorySink.ReceivedItem
        let event = { (i: Int) in Item(text: "{\"time\":1432826855.000,\"source\":\"/app/web\",\"event\":\"line \(i)\"}\n", file: key, line: 1,
                                       errorCode: "Splunk.IndexerBusy") }
        #expect(sink.batches.map(\.name) == ["splunk-hec-00001.json", "splunk-hec-00002.json"])
        #expect(sink.batches.map(\.records) == [2, 1])
        #expect(sink.batches.first?.items == [event(0), event(1), event(2),
                                              Item(text: "{\"event\":\"one\"}\n", file: key, line: 2, errorCode: "Splunk.AckTimeout")])
        #expect(sink.batches.last?.items == [Item(text: "{\"time\":1709647200.123,\"event\":\"plain\"}\n", file: key, line: 4,
                                                  errorCode: "Splunk.IndexerBusy")])
        #expect(sink.rejects.map { "\($0.file):\($0.line) \($0.code)" } == ["\(key):3 no-payload"])
        #expect(sink.plan?.totals == BackfillTotals(selected: 4, written: 3, rejected: 1, duplicates: 0, possiblyDelivered: 1, items: 5,
                                                    bytes: sink.plan?.files.reduce(0) { $0 + $1.bytes } ?? -1))
        #expect(sink.extraFiles.isEmpty)
    }

    @Test func originsSurviveTheSeparatorsAndTheNextBatchStartsClean() throws {
        // Firehose: items joined by ",\n"; two items a batch, so the second batch reuses the first's storage.
        let lines = (1...3).map { n in #"{"rawData":"\#(Harness.base64("p" + String(n)))","errorCode":"E\#(n)"}"# }
        let sink = try run(lines, key: "f", target: FirehoseTarget(streamName: "s"), limits: BatchLimits(maxRecords: 2))
        let seen = sink.batches.map { $0.items.map { "\($0.line) \($0.errorCode ?? "-") \($0.text)" } }
        #expect(seen == [["1 E1 {\"Data\":\"cDE=\"}", "2 E2 {\"Data\":\"cDI=\"}"], ["3 E3 {\"Data\":\"cDM=\"}"]])
    }

    @Test func aSinkThatAsksForCountsGetsTheSameFilesWithoutOrigins() throws {
        let lines = (1...5).map { n in #"{"rawData":"\#(Harness.base64("p" + String(n)))","errorCode":"E\#(n)"}"# }
        let counted = try run(lines, key: "f", target: FirehoseTarget(streamName: "s"), limits: BatchLimits(maxRecords: 2), detail: .counts)
        let traced = try run(lines, key: "f", target: FirehoseTarget(streamName: "s"), limits: BatchLimits(maxRecords: 2))
        #expect(counted.bodies == ["{\"Data\":\"cDE=\"},\n{\"Data\":\"cDI=\"}", "{\"Data\":\"cDM=\"},\n{\"Data\":\"cDQ=\"}", "{\"Data\":\"cDU=\"}"])
        #expect(counted.bodies == traced.bodies)
        #expect(counted.batches.map(\.records) == [2, 2, 1])
        #expect(counted.plan?.files == traced.plan?.files)
    }

    /// A target whose records alternate: odd lines make one item, even lines none.
    struct AlternatingTarget: BackfillTarget {
        var name: String { "alt" }
        var packaging: FilePackaging { FilePackaging(prefix: name, fileExtension: "txt") }
        var serviceLimits: BatchLimits { BatchLimits(maxRecords: 2) }
        var payloadNeeds: PayloadNeeds { PayloadNeeds() }
        var manifestOptions: [(String, String)] { [] }
        func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
            .success(record.line % 2 == 1 ? [BackfillItem(bytes: Array("l\(record.line)\n".utf8))] : [])
        }
    }

    @Test(arguments: [BatchDetail.counts, .origins])
    func aRecordWithoutItemsIsWrittenButInNoFile(detail: BatchDetail) throws {
        // Lines 1..7: items from 1, 3, 5, 7; two items a file. Lines 2, 4, 6 make none: they count as written
        // (as before issue 14) but no file holds them, so each file counts only the records whose items it has.
        let sink = MemorySink(detail: detail)
        let target = AlternatingTarget()
        var engine = BackfillEngine(target: target, limits: target.serviceLimits, dedupe: false, sink: sink)
        let file = SourceFile(path: "in")
        for line in 1...7 { try engine.add(PreparedRecord(FailureRecord(file: file, line: line), target: target, dedupe: false)) }
        try engine.finish()
        #expect(sink.bodies == ["l1\nl3\n", "l5\nl7\n"])
        #expect(sink.plan?.files.map(\.records) == [2, 2])
        #expect(sink.plan?.files.map(\.items) == [2, 2])
        #expect(sink.plan?.totals.written == 7)
        if detail == .origins {
            #expect(sink.batches.map { $0.items.map(\.line) } == [[1, 3], [5, 7]])
        }
    }

    @Test func aBatchKeepsNothingForRecordsWithoutItems() {
        var batcher = Batcher(limits: BatchLimits(), counting: .fileBytes(separator: 0, overhead: 0), separator: [], detail: .origins)
        let file = SourceFile(path: "m")
        for line in 1...1000 {
            batcher.append([], cost: 0, origin: RecordIdentity(file: file, line: line, kind: .redshiftManifest, errorCode: nil, naturalId: nil))
        }
        #expect(batcher.batch.isEmpty && batcher.batch.recordCount == 0)
        batcher.append([item("x")], cost: 1, origin: RecordIdentity(file: file, line: 1001, kind: .processingFailed, errorCode: nil, naturalId: nil))
        #expect(batcher.batch.recordCount == 1)
        #expect(batcher.batch.origin(ofItem: 0).line == 1001)
    }

    // MARK: redshift

    func manifestRecord(line: Int, _ entries: [(String, Bool?)]) -> PreparedRecord {
        var record = FailureRecord(file: SourceFile(path: "errors/manifests/m"), line: line)
        record.kind = .redshiftManifest
        record.manifestEntries = entries.map { ManifestEntry(url: $0.0, mandatory: $0.1) }
        return PreparedRecord(record, target: RedshiftTarget(), dedupe: false)
    }

    @Test func theRedshiftCollectorMergesByURLInInputOrder() {
        let target = RedshiftTarget(table: "public.my events", iamRole: "arn:aws:iam::1:role/r", manifestURL: "s3://b/m.json")
        var collector = RedshiftCopyManifest(target: target)
        collector.absorb(manifestRecord(line: 1, [("s3://b/k1", false), ("s3://b/k2", nil), ("", true)]))
        let copy = collector
        collector.absorb(manifestRecord(line: 2, [("s3://b/k1", true), ("s3://b/k3.gz", false), ("s3://b/k2", false)]))
        #expect(collector.entries.map(\.url) == ["s3://b/k1", "s3://b/k2", "s3://b/k3.gz"])
        // Mandatory wins for k1; k2 stays as the first manifest had it.
        #expect(collector.entries.map(\.mandatory) == [true, nil, false])
        #expect(collector.duplicateURLs == 2)
        #expect(collector.manifestOptions.map { "\($0.0)=\($0.1)" } == ["entries=3", "duplicateUrls=2"])
        // A value: the copy taken before the second manifest did not change.
        #expect(copy.entries.count == 2 && copy.duplicateURLs == 0)
        let files = collector.extraFiles()
        #expect(files.map(\.name) == ["copy-manifest.json", "copy.sql"])
        #expect(String(decoding: files[0].bytes, as: UTF8.self) == """
            {"entries":[
              {"url":"s3://b/k1","mandatory":true},
              {"url":"s3://b/k2","mandatory":true},
              {"url":"s3://b/k3.gz","mandatory":false}
            ]}

            """)
        #expect(String(decoding: files[1].bytes, as: UTF8.self) == """
            -- Generated by deadletter backfill --target redshift: 3 objects from the merged manifests.
            -- Upload copy-manifest.json first, e.g. aws s3 cp copy-manifest.json s3://BUCKET/PATH/copy-manifest.json
            -- Warning: some objects end in .gz and some do not; COPY takes one compression per run.
            COPY public."my events"
            FROM 's3://b/m.json'
            IAM_ROLE 'arn:aws:iam::1:role/r'
            MANIFEST
            FORMAT AS JSON 'auto';

            """)
    }

    @Test func theEngineOwnsTheCollectorAndWritesItsFilesAfterTheBatches() throws {
        let sink = MemorySink()
        var engine = BackfillEngine(target: RedshiftTarget(), limits: BatchLimits(), dedupe: true, sink: sink)
        try engine.add(manifestRecord(line: 1, [("s3://b/a.gz", true)]))
        try engine.add(manifestRecord(line: 2, [("s3://b/a.gz", true), ("s3://b/b.gz", true)]))
        try engine.finish()
        #expect(sink.batches.isEmpty)
        #expect(sink.extraFiles == ["copy-manifest.json", "copy.sql"])
        #expect(sink.plan?.files.map(\.name) == ["copy-manifest.json", "copy.sql"])
        let options = sink.plan?.options.map { "\($0.key)=\($0.json)" } ?? []
        #expect(options.contains("entries=2") && options.contains("duplicateUrls=1"))
        #expect(sink.plan?.totals.written == 2)
    }
}
