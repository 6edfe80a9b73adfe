import Foundation
import Testing
@testable import DeadLetterBackfill
import DeadLetterQuery

/// Issue 19, point 3: `backfill --split-by stream|kind|index` writes one part per value, each a backfill
/// directory of its own, and `send` puts each part back where it belongs.
@Suite struct SplitBackfillTests {
    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    /// The streams of the samples, read here from their object names (`STREAM[-VERSION]-YYYY-MM-DD-HH-MM-SS-UUID`).
    static func streamsByFileName(_ root: String) -> Set<String> {
        var streams = Set<String>()
        let pattern = try! NSRegularExpression(pattern: #"^(.+?)(?:-\d+)?-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-"#)
        let walker = FileManager.default.enumerator(atPath: root)
        while let path = walker?.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if let m = pattern.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)), let r = Range(m.range(at: 1), in: name) {
                streams.insert(String(name[r]))
            }
        }
        return streams
    }

    @Test func firehoseSplitByStreamGoesBackToEachStreamAndAddsUp() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let samples = CLI.packageRoot.appendingPathComponent("samples/firehose").path
        let split = root.appendingPathComponent("split"), whole = root.appendingPathComponent("whole")
        let run = try CLI.run(["backfill", samples, "--target", "firehose", "--split-by", "stream", "--out", split.path, "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let one = try CLI.run(["backfill", samples, "--target", "firehose", "--stream", "all", "--out", whole.path, "-q"])
        #expect(one.status == 0)

        let top = try Self.json(split.appendingPathComponent("manifest.json"))
        #expect(top["splitBy"] as? String == "stream")
        let parts = top["parts"] as? [[String: Any]] ?? []
        let folders = parts.compactMap { $0["directory"] as? String }
        #expect(Set(folders) == Set(Self.streamsByFileName(samples).map { "stream=" + $0 }))
        #expect(folders == folders.sorted())
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: split.path).filter { $0 != "manifest.json" && $0 != "rejects.ndjson" }
        #expect(Set(onDisk) == Set(folders))

        // Every part is a backfill of its own stream; the parts add up to the totals, which equal one backfill's.
        var records: [String] = []
        var sums: [String: Int] = [:]
        var partFiles: [String] = [], partRejects: [String] = []
        for part in parts {
            let folder = split.appendingPathComponent(part["directory"] as? String ?? "?")
            let manifest = try Self.json(folder.appendingPathComponent("manifest.json"))
            let stream = (part["directory"] as? String ?? "").replacingOccurrences(of: "stream=", with: "")
            #expect((manifest["options"] as? [String: Any])?["stream"] as? String == stream)
            for (key, value) in manifest["totals"] as? [String: Int] ?? [:] { sums[key, default: 0] += value }
            partRejects += try String(contentsOf: folder.appendingPathComponent("rejects.ndjson"), encoding: .utf8).split(separator: "\n").map(String.init)
            for file in manifest["files"] as? [[String: Any]] ?? [] {
                partFiles.append("\(part["directory"] as? String ?? "?")/\(file["name"] as? String ?? "?") \(file["sha256"] as? String ?? "?")")
                let batch = try Self.json(folder.appendingPathComponent(file["name"] as? String ?? "?"))
                #expect(batch["DeliveryStreamName"] as? String == stream)
                records += (batch["Records"] as? [[String: String]] ?? []).compactMap { $0["Data"] }
            }
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("rejects.ndjson").path))
        }
        // The top manifest names every part's file by its path, with the part's SHA-256; the top rejects.ndjson
        // holds every part's rejects, as many as the totals say.
        let topFiles = (top["files"] as? [[String: Any]] ?? []).map { "\($0["name"] as? String ?? "?") \($0["sha256"] as? String ?? "?")" }
        #expect(topFiles.sorted() == partFiles.sorted() && topFiles.count > 10)
        let topRejects = try String(contentsOf: split.appendingPathComponent("rejects.ndjson"), encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(topRejects.sorted() == partRejects.sorted() && topRejects.count == (top["totals"] as? [String: Int])?["rejected"])
        #expect(topRejects.count > 0)
        let wholeManifest = try Self.json(whole.appendingPathComponent("manifest.json"))
        #expect(sums == top["totals"] as? [String: Int])
        // Bytes differ by the stream names in the files' headers; every count is the same.
        var wholeTotals = wholeManifest["totals"] as? [String: Int] ?? [:]
        wholeTotals["bytes"] = sums["bytes"]
        #expect(sums == wholeTotals)
        var wholeRecords: [String] = []
        for file in wholeManifest["files"] as? [[String: Any]] ?? [] {
            wholeRecords += (try Self.json(whole.appendingPathComponent(file["name"] as? String ?? "?"))["Records"] as? [[String: String]] ?? []).compactMap { $0["Data"] }
        }
        #expect(records.sorted() == wholeRecords.sorted() && records.count > 40)
        #expect(run.stdout.contains("\(parts.count) parts by stream") && run.stdout.contains("send them with: deadletter send \(split.path)\n"))
    }

    /// Two streams sent with one `send OUT`: each stream's delivery lands in its own bucket (moto, read back with boto3).
    @Test func sendOfASplitOutputDeliversEachPartToItsStream() throws {
        let server = try LocalServer.moto()
        defer { server.stop() }
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("split")
        let run = try CLI.run(["backfill", "samples/firehose", "--target", "firehose", "--split-by", "stream", "--out", out.path, "-q",
                               "--where", "stream~^(gravity-events|orders-transform)$"])
        #expect(run.status == 0, "\(run.stderr)")
        _ = try SendTests.python(["setup-firehose", server.url, "gravity-events", "landing-gravity"])
        _ = try SendTests.python(["setup-firehose", server.url, "orders-transform", "landing-orders"])
        let send = try CLI.run(["send", out.path], environment: SendTests.environment(server))
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stdout.contains("stream=gravity-events: firehose: 5 items: 5 sent") && send.stdout.contains("stream=orders-transform: firehose: "))
        for (stream, bucket) in [("gravity-events", "landing-gravity"), ("orders-transform", "landing-orders")] {
            let expected = try SendTests.python(["expected-firehose", out.appendingPathComponent("stream=" + stream).path])
            #expect(!expected.isEmpty)
            #expect(try SendTests.python(["stored", server.url, bucket]) == expected)
        }
        // Split by stream, --stream would send every part to one stream: refused, nothing sent.
        let forced = try CLI.run(["send", out.path, "--stream", "elsewhere"], environment: SendTests.environment(server))
        #expect(forced.status == 64 && forced.stderr.contains("split by stream"))
        // Each part keeps its own journal: a second send sends nothing.
        let again = try CLI.run(["send", out.path, "--format", "json"], environment: SendTests.environment(server))
        let reports = again.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(reports.count == 2)
        #expect(reports.allSatisfy { ($0["totals"] as? [String: Int])?["sent"] == 0 && $0["part"] is String })
    }

    /// Values are record content: a folder name never becomes a path, a hidden name or the `_none` folder.
    @Test func folderNamesAreSafeWhateverTheValue() {
        #expect(SplitBackfill.folderName(field: .stream, value: "orders") == "stream=orders")
        #expect(SplitBackfill.folderName(field: .index, value: "../../etc") == "index=%2E.%2F..%2Fetc")
        #expect(SplitBackfill.folderName(field: .stream, value: nil) == "stream=_none")
        #expect(SplitBackfill.folderName(field: .stream, value: "") == "stream=_none")
        #expect(SplitBackfill.folderName(field: .stream, value: "_none") == "stream=%5Fnone")
        #expect(SplitBackfill.folderName(field: .kind, value: "a b\n$(x)") == "kind=a%20b%0A%24%28x%29")
        #expect(SplitBackfill.folderName(field: .index, value: "é") == "index=%C3%A9")
        let long = SplitBackfill.folderName(field: .index, value: String(repeating: "x", count: 300))
        #expect(long.utf8.count <= 200 && long != SplitBackfill.folderName(field: .index, value: String(repeating: "x", count: 301)))
    }

    /// OpenSearch failures split by index, two of whose names differ only in case: two folders on any file system.
    @Test func indexesSplitApartEvenWhenTheyDifferOnlyInCase() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let doc = Data("{\"a\":1}".utf8).base64EncodedString()
        let lines = ["Logs", "logs", "logs", "metrics"].enumerated().map { i, index in
            "{\"attemptsMade\":1,\"arrivalTimestamp\":1709649067220,\"errorCode\":\"400\",\"errorMessage\":\"x\",\"esDocumentId\":\"d\(i)\",\"esIndexName\":\"\(index)\",\"esTypeName\":\"\",\"rawData\":\"\(doc)\"}"
        }
        let input = root.appendingPathComponent("failed.json")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let out = root.appendingPathComponent("bulk")
        let run = try CLI.run(["backfill", input.path, "--target", "opensearch", "--split-by", "index", "--out", out.path, "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let parts = try Self.json(out.appendingPathComponent("manifest.json"))["parts"] as? [[String: Any]] ?? []
        let byValue = Dictionary(uniqueKeysWithValues: parts.map { ($0["value"] as? String ?? "", $0) })
        #expect(Set(byValue.keys) == ["Logs", "logs", "metrics"])
        let names = parts.compactMap { $0["directory"] as? String }
        #expect(Set(names.map { $0.lowercased() }).count == 3)
        #expect((byValue["logs"]?["totals"] as? [String: Int])?["written"] == 2)
    }
}
