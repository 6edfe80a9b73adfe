import Foundation
import Testing

/// `deadletter backfill`, run as a user runs it. Inputs are built here with known payloads, so expected
/// files, counts and limits are worked out from the input, not from the code under test.
@Suite(.serialized) struct BackfillTests {
    struct Input {
        var lines: [String] = []
        mutating func add(payload: [UInt8], code: String = "Lambda.ProcessingFailedStatus", extra: String = "", arrival: Int64 = 1709647200000) {
            lines.append(#"{"rawData":"\#(Data(payload).base64EncodedString())","errorCode":"\#(code)","attemptsMade":1,"arrivalTimestamp":\#(arrival)\#(extra)}"#)
        }
        var data: Data { Data((lines.joined(separator: "\n") + "\n").utf8) }
    }

    struct Run {
        var result: CLI.Result
        var dir: URL
        var manifest: [String: Any]
        var totals: [String: Any] { manifest[object: "totals"] ?? [:] }
        var files: [[String: Any]] { manifest[array: "files"] ?? [] }
        func file(_ name: String) throws -> Data { try Data(contentsOf: dir.appendingPathComponent(name)) }
        func rejects() throws -> [[String: Any]] {
            try String(decoding: file("rejects.ndjson"), as: UTF8.self).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
    }

    func backfill(_ input: Data, _ arguments: [String], folder: String = "processing-failed") throws -> Run {
        let root = try CLI.temporaryDirectory()
        let inputDir = root.appendingPathComponent("in/\(folder)/2024/03/05/14")
        try FileManager.default.createDirectory(at: inputDir, withIntermediateDirectories: true)
        try input.write(to: inputDir.appendingPathComponent("s-1-2024-03-05-14-00-00-c7cc019b-af51-412d-b641-b3b44ceb3d87"))
        let out = root.appendingPathComponent("out")
        let result = try CLI.run(["backfill", root.appendingPathComponent("in").path, "--out", out.path, "-q"] + arguments)
        let manifest = (try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json")))) as? [String: Any] ?? [:]
        return Run(result: result, dir: out, manifest: manifest)
    }

    func checkConservation(_ run: Run) {
        let t = run.totals
        #expect(t[int: "selected"] == (t[int: "written"] ?? -1) + (t[int: "rejected"] ?? -1) + (t[int: "duplicates"] ?? -1))
        #expect(try! run.rejects().count == t[int: "rejected"])
    }

    // MARK: firehose

    @Test func firehoseExactly500RecordsIsOneFileAnd501IsTwo() throws {
        var input = Input()
        for i in 0..<501 { input.add(payload: Array("record \(i)\n".utf8)) }
        let exact = try backfill(Data((input.lines.prefix(500).joined(separator: "\n") + "\n").utf8), ["--target", "firehose", "--stream", "orders"])
        #expect(exact.result.status == 0, "\(exact.result.stderr)")
        #expect(exact.files.map { $0[int: "items"] } == [500])
        let over = try backfill(input.data, ["--target", "firehose", "--stream", "orders"])
        #expect(over.files.map { $0[int: "items"] } == [500, 1])
        checkConservation(over)
        let batch = try JSONSerialization.jsonObject(with: over.file("firehose-00001.json")) as! [String: Any]
        #expect(batch["DeliveryStreamName"] as? String == "orders")
        let records = batch["Records"] as! [[String: String]]
        #expect(Data(base64Encoded: records[7]["Data"]!) == Data("record 7\n".utf8))
    }

    @Test func firehoseFourMiBOfDataExactlyFitsAndOneByteMoreSplits() throws {
        // 4 records of 1,024,000 bytes and one of 98,304: exactly 4 MiB (4,194,304) of data.
        var input = Input()
        for _ in 0..<4 { input.add(payload: [UInt8](repeating: 0x61, count: 1_024_000)) }
        input.add(payload: [UInt8](repeating: 0x62, count: 98_304))
        let exact = try backfill(input.data, ["--target", "firehose", "--stream", "s"])
        #expect(exact.files.map { $0[int: "items"] } == [5])
        input.add(payload: [0x63])
        let over = try backfill(input.data, ["--target", "firehose", "--stream", "s"])
        #expect(over.files.map { $0[int: "items"] } == [5, 1])
    }

    @Test func firehoseRejectsARecordOver1024000Bytes() throws {
        var input = Input()
        input.add(payload: [UInt8](repeating: 0x61, count: 1_024_000))
        input.add(payload: [UInt8](repeating: 0x61, count: 1_024_001))
        let run = try backfill(input.data, ["--target", "firehose", "--stream", "s"])
        #expect(run.totals[int: "written"] == 1)
        #expect(run.totals[int: "rejected"] == 1)
        let reject = try #require(try run.rejects().first)
        #expect(reject["code"] as? String == "too-large")
        #expect((reject["reason"] as? String)?.contains("1,024,000") == true)
        #expect(reject[int: "line"] == 2)
        checkConservation(run)
    }

    @Test func firehoseNeedsAStream() throws {
        let run = try backfill(Input().data, ["--target", "firehose"])
        #expect(run.result.status == 64)
        #expect(run.result.stderr.contains("--stream"))
    }

    @Test func limitsOnlyTighten() throws {
        var input = Input()
        for i in 0..<1200 { input.add(payload: Array("r\(i)".utf8)) }
        let loosened = try backfill(input.data, ["--target", "firehose", "--stream", "s", "--max-records", "1000"])
        #expect(loosened.files.map { $0[int: "items"] } == [500, 500, 200])
        #expect(loosened.manifest[object: "options"]?[int: "maxRecords"] == 500)
        let tightened = try backfill(input.data, ["--target", "firehose", "--stream", "s", "--max-records", "400"])
        #expect(tightened.files.map { $0[int: "items"] } == [400, 400, 400])
    }

    @Test func firehoseFilesReplayIntactThroughMoto() throws {
        var input = Input()
        var expected: [String] = []
        for i in 0..<1203 {
            let payload: [UInt8] = i % 3 == 0 ? [0, 255, UInt8(i % 256), 10] : Array("{\"n\":\(i),\"s\":\"é\"}\n".utf8)
            input.add(payload: payload)
            expected.append("\"" + Data(payload).base64EncodedString() + "\"")
        }
        let run = try backfill(input.data, ["--target", "firehose", "--stream", "replay-stream"])
        #expect(run.files.count == 3)
        let expectedURL = run.dir.deletingLastPathComponent().appendingPathComponent("expected.ndjson")
        try Data((expected.joined(separator: "\n") + "\n").utf8).write(to: expectedURL)
        let replay = try MotoReplay.run(["firehose", run.dir.path, expectedURL.path])
        #expect(replay.status == 0, "\(replay.output)")
        #expect(replay.output.contains("1203 records"))
    }

    // MARK: opensearch

    @Test func openSearchBulkBodiesFollowTheBulkFormat() throws {
        var input = Input()
        for i in 0..<300 {
            input.add(payload: Array("{\"n\": \(i),\n \"msg\": \"line\"}".utf8), code: "400",
                      extra: #","esDocumentId":"doc-\#(i)","esIndexName":"logs-2024-03-05","esTypeName":"_doc""#)
        }
        input.add(payload: Array("plain text".utf8), code: "400", extra: #","esIndexName":"logs""#)
        input.add(payload: Array("{\"no\":\"index\"}".utf8), code: "400", extra: #","esDocumentId":"""#)
        let run = try backfill(input.data, ["--target", "opensearch", "--max-bytes", "4000"], folder: "AmazonOpenSearchService-failed")
        #expect(run.totals[int: "written"] == 300)
        #expect(try run.rejects().map { $0["code"] as? String } == ["not-json", "no-index"])
        checkConservation(run)
        var documents = 0
        for file in run.files {
            let name = try #require(file["name"] as? String)
            let body = try run.file(name)
            #expect(body.count <= 4000)
            #expect(body.last == 0x0A)   // _bulk bodies end with a newline
            let lines = body.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
            #expect(lines.count % 2 == 0)
            for pair in stride(from: lines.startIndex, to: lines.endIndex, by: 2) {
                let action = try JSONSerialization.jsonObject(with: Data(lines[pair])) as! [String: [String: String]]
                let meta = try #require(action["index"])
                #expect(meta["_index"] == "logs-2024-03-05")
                #expect(meta["_id"] == "doc-\(documents)")
                #expect(meta["_type"] == nil)   // dropped unless --keep-type
                let doc = try JSONSerialization.jsonObject(with: Data(lines[pair + 1])) as! [String: Any]
                #expect(doc[int: "n"] == documents)
                documents += 1
            }
        }
        #expect(documents == 300)
        let typed = try backfill(input.data, ["--target", "opensearch", "--keep-type", "--index", "restore"], folder: "elasticsearch-failed")
        let first = String(decoding: try typed.file("opensearch-00001.ndjson"), as: UTF8.self).split(separator: "\n")[0]
        #expect(first == #"{"index":{"_index":"restore","_id":"doc-0","_type":"_doc"}}"#)
        let wrapped = try backfill(input.data, ["--target", "opensearch", "--wrap-text", "message", "--index", "x"], folder: "elasticsearch-failed")
        #expect(String(decoding: try wrapped.file("opensearch-00001.ndjson"), as: UTF8.self).contains(#"{"message":"plain text"}"#))
    }

    // MARK: splunk-hec

    @Test func splunkHECPassesEventsThroughAndWrapsTheRest() throws {
        var input = Input()
        let hec = "{\"time\":1,\"event\":\"a\"}\n{\"time\":2,\"event\":{\"b\":1},\"sourcetype\":\"x\"}\n"
        input.add(payload: Array(hec.utf8), code: "Splunk.AckTimeout", arrival: 1709647200123)
        input.add(payload: Array("plain line\n".utf8), code: "Splunk.IndexerBusy", arrival: 1709647200123)
        input.add(payload: Array("{\"k\":1}".utf8), code: "Splunk.IndexerBusy", arrival: 1709647200000)
        input.add(payload: [0, 1, 2], code: "Splunk.IndexerBusy")
        let run = try backfill(input.data, ["--target", "splunk-hec"], folder: "splunk-failed")
        let body = String(decoding: try run.file("splunk-hec-00001.json"), as: UTF8.self)
        #expect(body == hec + "{\"time\":1709647200.123,\"event\":\"plain line\"}\n{\"time\":1709647200.000,\"event\":{\"k\":1}}\n")
        #expect(run.totals[int: "possiblyDelivered"] == 1)
        #expect(run.totals[int: "written"] == 3)
        #expect(try run.rejects().map { $0["code"] as? String } == ["binary"])
        #expect(run.manifest[array: "files"]?.first?[int: "items"] == 4)
        checkConservation(run)
    }

    @Test func splunkHECFilesStayUnderOneMiB() throws {
        var input = Input()
        for i in 0..<3000 { input.add(payload: Array("{\"event\":\"\(String(repeating: "x", count: 900)) \(i)\"}".utf8), code: "Splunk.IndexerBusy") }
        let run = try backfill(input.data, ["--target", "splunk-hec"], folder: "splunk-failed")
        #expect(run.files.count >= 3)
        for file in run.files { #expect(file[int: "bytes"]! <= 1 << 20) }
        #expect(run.files.reduce(0) { $0 + $1[int: "items"]! } == 3000)
    }

    // MARK: manifest hashes

    /// SHA-256 by the system's tool, so the manifest's hashes are not checked against our own code.
    static func systemSHA256(_ data: Data) throws -> String {
        #if os(macOS)
        let output = try Harness.run("/usr/bin/shasum", ["-a", "256"], input: Array(data))
        #else
        let output = try Harness.run("/usr/bin/sha256sum", [], input: Array(data))
        #endif
        return String(String(decoding: output, as: UTF8.self).prefix(64))
    }

    /// Files are hashed as they fill (in 64 KiB steps) unless the header depends on the items: every
    /// file's hash in the manifest must be that of its bytes, for files spanning many steps, for targets
    /// with a header and footer, and for the HTTP endpoint, hashed whole.
    @Test(arguments: [["--target", "raw"], ["--target", "firehose", "--stream", "s"], ["--target", "http-endpoint"],
                      ["--target", "splunk-hec"], ["--target", "snowflake"]])
    func manifestHashesAreThoseOfTheFilesWritten(target: [String]) throws {
        var input = Input()
        for i in 0..<120 {
            let text = "{\"n\":\(i),\"pad\":\"" + String(repeating: String(UnicodeScalar(UInt8(65 + i % 26))), count: 9_000 + i * 37) + "\"}\n"
            input.add(payload: Array(text.utf8), extra: #","EventId":"e\#(i)""#)
        }
        let run = try backfill(input.data, target + ["--max-bytes", "300000"])
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.files.count >= 3)
        for file in run.files {
            let name = try #require(file["name"] as? String)
            let bytes = try run.file(name)
            #expect(file[int: "bytes"] == bytes.count, "\(name)")
            #expect(file["sha256"] as? String == (try Self.systemSHA256(bytes)), "\(name)")
        }
    }

    // MARK: http-endpoint, snowflake, raw, redshift

    @Test func httpEndpointRequestsAreDeterministicAndBounded() throws {
        var input = Input()
        for i in 0..<10_001 { input.add(payload: Array("\(i)".utf8), arrival: 1709647200000 + Int64(i)) }
        let a = try backfill(input.data, ["--target", "http-endpoint"], folder: "http-endpoint-failed")
        let b = try backfill(input.data, ["--target", "http-endpoint"], folder: "http-endpoint-failed")
        #expect(a.files.map { $0[int: "items"] } == [10_000, 1])
        #expect(a.files.map { $0["sha256"] as? String } == b.files.map { $0["sha256"] as? String })
        let request = try JSONSerialization.jsonObject(with: a.file("http-endpoint-00002.json")) as! [String: Any]
        #expect(request[int: "timestamp"] == 1709647200000 + 10_000)
        #expect((request["requestId"] as? String)?.count == 36)
        let records = request["records"] as! [[String: String]]
        #expect(records.map { Data(base64Encoded: $0["data"]!) } == [Data("10000".utf8)])
        let small = try backfill(input.data, ["--target", "http-endpoint", "--max-bytes", "64KiB"], folder: "http-endpoint-failed")
        for file in small.files { #expect(file[int: "bytes"]! <= 65536) }
        #expect(small.files.reduce(0) { $0 + $1[int: "items"]! } == 10_001)
    }

    @Test func snowflakeRejectsAnythingButOneObject() throws {
        var input = Input()
        input.add(payload: Array("{\"A\":1}".utf8), code: "Snowflake.ExtraColumns")
        input.add(payload: Array("{\"A\":\n 2}".utf8), code: "Snowflake.ExtraColumns")
        input.add(payload: Array("[1,2]".utf8), code: "Snowflake.InvalidInput")
        input.add(payload: Array("{\"A\":3}{\"A\":4}".utf8), code: "Snowflake.InvalidInput")
        input.add(payload: Array("text".utf8), code: "Snowflake.InvalidInput")
        let run = try backfill(input.data, ["--target", "snowflake"], folder: "snowflake-failed")
        #expect(String(decoding: try run.file("snowflake-00001.ndjson"), as: UTF8.self) == "{\"A\":1}\n{\"A\":2}\n")
        let rejects = try run.rejects()
        #expect(rejects.count == 3)
        #expect(rejects.allSatisfy { ($0["reason"] as? String)?.hasPrefix("The input is not a single JSON object.") == true })
        checkConservation(run)
    }

    @Test func rawIsByteExactAndDedupeDropsRepeats() throws {
        var input = Input()
        let payloads: [[UInt8]] = [Array("one".utf8), Array("two\n".utf8), [0xff, 0x00, 0x0a], [], Array("one".utf8)]
        for p in payloads { input.add(payload: p) }
        let run = try backfill(input.data, ["--target", "raw"])
        #expect(try run.file("raw-00001.txt") == Data(Array("one\ntwo\n".utf8) + [0xff, 0x00, 0x0a] + [0x0a] + Array("one\n".utf8)))
        let deduped = try backfill(input.data, ["--target", "raw", "--dedupe"])
        #expect(deduped.totals[int: "duplicates"] == 1)
        #expect(deduped.totals[int: "written"] == 4)
        checkConservation(deduped)
    }

    @Test func dedupeUsesTheNaturalId() throws {
        var input = Input()
        input.add(payload: Array("a".utf8), code: "Splunk.X", extra: #","EventId":"1.0""#)
        input.add(payload: Array("b".utf8), code: "Splunk.X", extra: #","EventId":"1.0""#)
        input.add(payload: Array("a".utf8), code: "Splunk.X", extra: #","EventId":"2.0""#)
        let run = try backfill(input.data, ["--target", "raw", "--dedupe"], folder: "splunk-failed")
        #expect(try run.file("raw-00001.txt") == Data("a\na\n".utf8))
        #expect(run.totals[int: "duplicates"] == 1)
    }

    @Test func redshiftMergesManifestsByURL() throws {
        let one = #"{"entries":[{"url":"s3://b/k1.gz","mandatory":true},{"url":"s3://b/k2.gz","mandatory":false}]}"#
        let two = #"{"entries":[{"url":"s3://b/k2.gz","mandatory":true},{"url":"s3://b/k3.gz","mandatory":true}]}"#
        let run = try backfill(Data((one + "\n" + two + "\n").utf8), ["--target", "redshift", "--table", "public.events", "--iam-role", "arn:aws:iam::1:role/r"],
                               folder: "errors/manifests")
        let manifest = try JSONSerialization.jsonObject(with: run.file("copy-manifest.json")) as! [String: [[String: Any]]]
        #expect(manifest["entries"]!.map { $0["url"] as? String } == ["s3://b/k1.gz", "s3://b/k2.gz", "s3://b/k3.gz"])
        #expect(manifest["entries"]!.map { $0["mandatory"] as? Bool } == [true, true, true])
        let sql = String(decoding: try run.file("copy.sql"), as: UTF8.self)
        #expect(sql.contains("COPY public.events\n"))
        #expect(sql.contains("IAM_ROLE 'arn:aws:iam::1:role/r'\n"))
        #expect(sql.contains("MANIFEST\n"))
        #expect(sql.hasSuffix("GZIP;\n"))
        #expect(run.manifest[object: "options"]?[int: "duplicateUrls"] == 1)
        #expect(run.totals[int: "written"] == 2)
    }

    // MARK: safety

    @Test func rerunsAreByteIdentical() throws {
        var input = Input()
        for i in 0..<700 { input.add(payload: Array("payload \(i)".utf8)) }
        let a = try backfill(input.data, ["--target", "firehose", "--stream", "s"])
        let b = try backfill(input.data, ["--target", "firehose", "--stream", "s"])
        #expect(try a.file("manifest.json") == b.file("manifest.json"))
        #expect(a.files.count == 2)
        for f in a.files {
            let name = f["name"] as! String
            let bytes = try a.file(name)
            #expect(bytes.count == f[int: "bytes"])
        }
    }

    @Test func nonEmptyOutIsRefusedWithoutForceAndReplacedWithIt() throws {
        var input = Input()
        input.add(payload: Array("x".utf8))
        let run = try backfill(input.data, ["--target", "raw"])
        let again = try CLI.run(["backfill", "-", "--target", "raw", "--out", run.dir.path], stdin: input.data)
        #expect(again.status == 64)
        #expect(again.stderr.contains("is not empty; use --force"))
        let forced = try CLI.run(["backfill", "-", "--target", "raw", "--out", run.dir.path, "--force", "--kind", "processing-failed"], stdin: input.data)
        #expect(forced.status == 0, "\(forced.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.dir.deletingLastPathComponent().path)
        #expect(leftovers.sorted() == ["in", "out"])
    }

    @Test func dryRunWritesNothing() throws {
        var input = Input()
        for i in 0..<10 { input.add(payload: Array("x\(i)".utf8)) }
        let run = try backfill(input.data, ["--target", "raw", "--dry-run"])
        #expect(run.result.status == 0)
        #expect(run.result.stdout.contains("dry run: nothing written"))
        #expect(run.result.stdout.contains("10 written"))
        #expect(!FileManager.default.fileExists(atPath: run.dir.path))
        let parent = try FileManager.default.contentsOfDirectory(atPath: run.dir.deletingLastPathComponent().path)
        #expect(parent == ["in"])
    }

    /// Starts a raw backfill into `root/out` (through `sh -c` when `shell` is given, to set up the signals
    /// it inherits) whose records arrive on a pipe that stays open, and waits until it is writing.
    func startStalledBackfill(root: URL, shell: String? = nil) throws -> (process: Process, stdin: Pipe) {
        let process = Process()
        let arguments = ["backfill", "-", "--target", "raw", "--out", root.appendingPathComponent("out").path, "-q", "--kind", "processing-failed"]
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shell + " exec \"$0\" \"$@\"", CLI.binary.path] + arguments
        } else {
            process.executableURL = CLI.binary
            process.arguments = arguments
        }
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        var input = Input()
        for i in 0..<2000 { input.add(payload: Array("payload \(i)".utf8)) }
        stdin.fileHandleForWriting.write(input.data)
        var staged = false
        for _ in 0..<200 where !staged {
            staged = (try FileManager.default.contentsOfDirectory(atPath: root.path)).contains { $0.hasPrefix(".out.deadletter-partial") }
            usleep(10_000)
        }
        #expect(staged)
        return (process, stdin)
    }

    /// Waits at most 10 s for `process` to end; true if it did.
    func ends(_ process: Process) -> Bool {
        for _ in 0..<1000 where process.isRunning { usleep(10_000) }
        return !process.isRunning
    }

    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func interruptedRunLeavesNothingBehind(signal: Int32) throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (process, stdin) = try startStalledBackfill(root: root)
        defer { try? stdin.fileHandleForWriting.close() }
        try expectCleanStop(process, by: signal, leaving: root)
    }

    /// Sends `signal` and expects the run to end by it (status 128 + signal) with nothing left in `root`.
    func expectCleanStop(_ process: Process, by signal: Int32, leaving root: URL) throws {
        kill(process.processIdentifier, signal)
        guard ends(process) else {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the run ignored signal \(signal)")
            return
        }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 128 + signal)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    /// A signal the parent ignored, the trap that ignores it, and the signal that must still end the run.
    static let inheritedIgnores: [(ignored: Int32, trap: String, stop: Int32)] = [
        (SIGHUP, "HUP", SIGTERM),   // nohup
        (SIGINT, "INT", SIGTERM),   // a background job of a script: its shell ignores SIGINT for it
        (SIGTERM, "TERM", SIGINT),
    ]

    @Test(arguments: 0..<3)
    func aSignalThatWasIgnoredAtTheStartStaysIgnored(index: Int) throws {
        let (ignored, trap, stop) = Self.inheritedIgnores[index]
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // The run must outlive the ignored signal, and still clean up on another.
        let (process, stdin) = try startStalledBackfill(root: root, shell: "trap '' \(trap);")
        defer { try? stdin.fileHandleForWriting.close() }
        kill(process.processIdentifier, ignored)
        usleep(300_000)
        #expect(process.isRunning, "signal \(ignored) ended the run")
        try expectCleanStop(process, by: stop, leaving: root)
    }

    @Test func aSignalThatComesWhileTheHandlerIsSetUpIsNotLost() throws {
        // Sent at once, the signal meets the run before, during or after setting up its handler: it must end
        // the run in every case (by the default action, or by the handler), never be dropped. Each try is a
        // new chance to land in the window between blocking the signal and its source's registration.
        for attempt in 0..<20 {
            let root = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["backfill", "-", "--target", "raw", "--out", root.appendingPathComponent("out").path, "-q", "--kind", "processing-failed"]
            let stdin = Pipe()
            process.standardInput = stdin
            try process.run()
            defer { try? stdin.fileHandleForWriting.close() }
            usleep(UInt32(attempt % 10) * 500)
            kill(process.processIdentifier, SIGTERM)
            guard ends(process) else {
                kill(process.processIdentifier, SIGKILL)
                Issue.record("attempt \(attempt): the run lost a SIGTERM")
                return
            }
            let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
            #expect(status == 128 + SIGTERM, "attempt \(attempt)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
        }
    }
}
