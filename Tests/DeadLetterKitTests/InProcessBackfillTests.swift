@testable import DeadLetterEngine
@testable import DeadLetterSupport
@testable import DeadLetterBackfill
import Foundation
import Testing

/// `backfill` run in-process, its report into memory: the same stdout, diagnostics, exit status and files as
/// the built binary given the same arguments (issue 14: every job testable without a process). And the
/// engine's batches taken by a sink in memory, checked against the input lines they came from.
@Suite struct InProcessBackfillTests {
    struct Case: Sendable, CustomStringConvertible {
        var input: String
        var target: BackfillTargetName
        var description: String { "\(target.rawValue) on \(input)" }
        /// Absolute, so the in-process run and the binary (working directory: the package root) name the same files.
        var inputPath: String { CLI.packageRoot.appendingPathComponent(input).path }
    }

    /// Splunk HEC has possibly delivered records (a warning); raw over the whole bucket has rejects, a damaged
    /// payload and several kinds of records.
    static let cases = [Case(input: "samples/firehose/bucket/splunk-failed", target: .splunkHEC),
                        Case(input: "samples/firehose/bucket", target: .raw)]

    static func options(_ run: Case, out: String?) -> BackfillOptions {
        var options = BackfillOptions()
        options.input.paths = [run.inputPath]
        options.input.progress = false
        options.target = run.target
        options.out = out ?? ""
        options.dryRun = out == nil
        return options
    }

    static func arguments(_ run: Case, out: String?) -> [String] {
        ["backfill", run.inputPath, "--target", run.target.rawValue] + (out.map { ["--out", $0] } ?? ["--dry-run"])
    }

    @Test(arguments: cases) func dryRunInMemoryEqualsTheBinary(_ run: Case) throws {
        let output = MemorySink()
        let diagnostics = Diagnostics.capturing()
        let status = try BackfillJob.run(Self.options(run, out: nil), output: output, diagnostics: diagnostics)
        let binary = try CLI.run(Self.arguments(run, out: nil))
        #expect(output.text == binary.stdout)
        #expect(diagnostics.text == binary.stderr)
        #expect(status.rawValue == binary.status)
        #expect(status == .success)
        #expect(output.text.hasPrefix("dry run: nothing written\n\(run.target.rawValue): "))
    }

    @Test(arguments: cases) func writtenOutputInMemoryEqualsTheBinary(_ run: Case) throws {
        let scratch = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // The same --out for both runs, one after the other: the report and the warnings name it.
        let out = scratch.appendingPathComponent("out")
        let output = MemorySink()
        let diagnostics = Diagnostics.capturing()
        let status = try BackfillJob.run(Self.options(run, out: out.path), output: output, diagnostics: diagnostics)
        let written = try GoldenCase.regularFiles(under: out)
        try FileManager.default.removeItem(at: out)

        let binary = try CLI.run(Self.arguments(run, out: out.path))
        let binaryWritten = try GoldenCase.regularFiles(under: out)
        #expect(output.text == binary.stdout)
        #expect(diagnostics.text == binary.stderr)
        #expect(status.rawValue == binary.status)
        #expect(status == .success)
        #expect(output.text.contains(" in \(out.path)\n"))
        #expect(Set(written.keys) == Set(binaryWritten.keys))
        for (name, bytes) in written {
            #expect(bytes == binaryWritten[name], "\(name) differs from the binary's")
        }
        let dataFiles = written.keys.filter { $0.hasPrefix(run.target.rawValue + "-") }
        #expect(!dataFiles.isEmpty && written["manifest.json"] != nil && written["rejects.ndjson"] != nil, "\(written.keys.sorted())")
    }

    // MARK: a sink in memory

    /// Keeps every file as it would be written, and each batch's records and items.
    final class KeepingSink: BatchSink {
        struct Item {
            var bytes: [UInt8]
            /// Its record's index in the batch.
            var record: Int
        }
        var files: [String: [UInt8]] = [:]
        var batches: [(records: [RecordIdentity], items: [Item])] = []
        var rejects: [String] = []
        var plan: BackfillPlan?
        var batchDetail: BatchDetail { .origins }

        func receive(_ batch: Batch, as file: PackagedFile) throws(BackfillFailure) {
            files[file.name] = file.header + batch.body + file.footer
            let items = (0..<batch.itemCount).map { Item(bytes: Array(batch.body[batch.itemRange($0)]), record: batch.recordIndex(ofItem: $0)) }
            // Every item's origin is its record's: the two ways of asking agree.
            for (index, item) in items.enumerated() {
                #expect(batch.origin(ofItem: index).line == batch.origin(ofRecord: item.record).line)
            }
            batches.append(((0..<batch.recordCount).map { batch.origin(ofRecord: $0) }, items))
        }

        func reject(_ record: RecordIdentity, _ rejection: Rejection) throws(BackfillFailure) {
            rejects.append("\(record.file.path):\(record.line)")
        }

        func receiveExtraFile(name: String, bytes: [UInt8]) throws(BackfillFailure) { files[name] = bytes }

        func finish(_ plan: BackfillPlan) throws(BackfillFailure) { self.plan = plan }
    }

    /// The engine fed by an ordered input run, as the job feeds it, into `sink`.
    static func runEngine(_ run: Case, maxRecords: Int, into sink: KeepingSink) throws {
        let target = try BackfillTargetSettings().makeTarget(run.target)
        var input = Self.options(run, out: nil).input
        input.read.payloadNeeds = target.payloadNeeds
        input.read.keepOtherFields = false
        var engine = BackfillEngine(target: target, limits: target.serviceLimits.tightened(records: maxRecords, bytes: nil),
                                    dedupe: false, sink: sink)
        var failure: BackfillFailure?
        _ = try InputRun(options: input, diagnostics: .capturing()).run(prepare: { PreparedRecord($0, target: target, dedupe: false) }) { event in
            guard case .record(let record) = event else { return true }
            do throws(BackfillFailure) { try engine.add(record) } catch { failure = error }
            return failure == nil
        }
        try engine.finish()
        if let failure { throw failure }
    }

    /// The records on an input line, read independently of the library: the file (inflated when it is
    /// gzip, whatever its name) split at newlines, line `line` cut into its JSON objects (Firehose may write several
    /// back to back on one line).
    static func sourceRecords(_ path: String, _ line: Int) throws -> [[String: Any]] {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        if bytes.starts(with: [0x1F, 0x8B]) { bytes = try #require(try gunzip(bytes)) }
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        try #require(line >= 1 && line <= lines.count, "\(path):\(line) is past the end")
        return try objects(in: Array(lines[line - 1])).map { text in
            try #require(try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any], "\(path):\(line)")
        }
    }

    /// Top-level `{...}` spans of `text`, braces inside strings ignored.
    static func objects(in text: [UInt8]) -> [ArraySlice<UInt8>] {
        var spans: [ArraySlice<UInt8>] = []
        var depth = 0, start = 0, inString = false, escaped = false
        for (i, byte) in text.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"):
                if depth == 0 { start = i }
                depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { spans.append(text[start...i]) }
            default: break
            }
        }
        return spans
    }

    /// `data` inflated by gzip, nil when gzip refuses it.
    static func gunzip(_ data: Data) throws -> Data? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let writer = Thread {
            input.fileHandleForWriting.write(data)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let result = CLI.awaitExit(process) { output.fileHandleForReading.readDataToEndOfFile() }
        return process.terminationStatus == 0 ? result : nil
    }

    /// What the raw target must write for a record: its rawData decoded from base64 byte for byte (a
    /// CloudWatch Logs payload stays gzip), ending in a newline.
    static func rawLine(of record: [String: Any]) throws -> [UInt8] {
        let encoded = try #require(record["rawData"] as? String)
        let payload = try #require(Data(base64Encoded: encoded))
        return payload.last == 0x0A ? Array(payload) : Array(payload) + [0x0A]
    }

    @Test(arguments: cases) func batchesInASinkNameTheRecordsTheirItemsCameFrom(_ run: Case) throws {
        // Two records a batch, so there are several batches and the origins must survive each new one.
        let sink = KeepingSink()
        try Self.runEngine(run, maxRecords: 2, into: sink)
        #expect(sink.batches.count >= 3)
        // Records sharing a line are that line's objects in order.
        var previous: (file: String, line: Int, object: Int)?
        var written = 0
        for batch in sink.batches {
            var objectOf: [Int] = []
            for origin in batch.records {
                let object = previous.map { $0.file == origin.file.path && $0.line == origin.line ? $0.object + 1 : 0 } ?? 0
                if let previous {
                    #expect((previous.file, previous.line) <= (origin.file.path, origin.line), "not in input order: \(origin.file.path):\(origin.line)")
                }
                #expect(!sink.rejects.contains("\(origin.file.path):\(origin.line)"))
                previous = (origin.file.path, origin.line, object)
                objectOf.append(object)
            }
            written += batch.records.count
            #expect(Set(batch.items.map(\.record)) == Set(0..<batch.records.count))
            for item in batch.items {
                let origin = batch.records[item.record]
                let place = "\(origin.file.path):\(origin.line) object \(objectOf[item.record] + 1)"
                let objects = try Self.sourceRecords(origin.file.path, origin.line)
                try #require(objectOf[item.record] < objects.count, "\(place): the line has \(objects.count)")
                let source = objects[objectOf[item.record]]
                // Format conversion failures name it lastErrorCode or ErrorCode.
                #expect((source["errorCode"] ?? source["lastErrorCode"] ?? source["ErrorCode"]) as? String == origin.errorCode, "\(place)")
                if run.target == .raw {
                    #expect(item.bytes == (try Self.rawLine(of: source)), "\(place)")
                }
            }
        }
        #expect(written == sink.plan?.totals.written)
    }

    @Test(arguments: cases) func theSinksFilesAreTheBinarysFiles(_ run: Case) throws {
        let sink = KeepingSink()
        try Self.runEngine(run, maxRecords: 2, into: sink)
        let scratch = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        let binary = try CLI.run(Self.arguments(run, out: out.path) + ["--max-records", "2"])
        #expect(binary.status == 0)
        var written = try GoldenCase.regularFiles(under: out)
        #expect(written.removeValue(forKey: "manifest.json").map { String(decoding: $0, as: UTF8.self) } == sink.plan?.manifest())
        #expect(written.removeValue(forKey: "rejects.ndjson") != nil)
        #expect(written.count >= 3)
        #expect(written == sink.files.mapValues { Data($0) })
    }
}
