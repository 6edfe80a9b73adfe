import Foundation
import Testing

/// `merge --dedupe`: the records that several shards of one `backfill --dedupe` wrote are dropped from all
/// but the first in listing order, so the shards together hold what one run over everything writes.
/// Expected values come from the generator: it knows every occurrence of every document id.
@Suite struct ShardDedupeTests {
    /// OpenSearch failures whose document ids repeat across files; every occurrence has its own payload
    /// (`{"doc":ID,"file":F,"line":L}`), so which one was kept can be seen in the files.
    struct Corpus {
        var root: URL
        var records = 0
        /// Per document id, the payload of its first occurrence in listing order (file name order, then line).
        var first: [Int: String] = [:]
        var arrivals: [String: Int64] = [:]

        init(in root: URL, files: [(name: String, ids: [Int], pad: Int)]) throws {
            self.root = root
            let folder = root.appendingPathComponent("AmazonOpenSearchService_failed/2024/03/05/10")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (f, file) in files.sorted(by: { $0.name < $1.name }).enumerated() {
                var text = ""
                for (line, id) in file.ids.enumerated() {
                    let payload = #"{"doc":\#(id),"file":\#(f),"line":\#(line),"pad":"\#(String(repeating: "p", count: file.pad))"}"#
                    let arrival = Int64(1_709_650_000_000 + f * 1000 + line)
                    text += #"{"attemptsMade":1,"arrivalTimestamp":\#(arrival),"errorCode":"400","errorMessage":"mapping","esDocumentId":"doc-\#(id)","#
                        + #""esIndexName":"idx","esTypeName":"_doc","rawData":"\#(Data(payload.utf8).base64EncodedString())"}"# + "\n"
                    if first[id] == nil { first[id] = payload }
                    arrivals[payload] = arrival
                    records += 1
                }
                try text.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
            }
        }
    }

    /// The payloads a backfill file holds, decoded as the target wrote them.
    static func payloads(_ file: URL, target: String) throws -> [String] {
        let data = try Data(contentsOf: file)
        switch target {
        case "raw":
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        case "firehose":
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            return (object?["Records"] as? [[String: Any]] ?? []).map { String(decoding: Data(base64Encoded: $0["Data"] as? String ?? "") ?? Data(), as: UTF8.self) }
        default:
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            return (object?["records"] as? [[String: Any]] ?? []).map { String(decoding: Data(base64Encoded: $0["data"] as? String ?? "") ?? Data(), as: UTF8.self) }
        }
    }

    static func manifest(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    /// Every file's bytes under `root`, by relative path: what a second pass must leave as it was.
    static func snapshot(_ root: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: root.path) ?? NSEnumerator() {
            let url = root.appendingPathComponent(path)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue { out[path] = try Data(contentsOf: url) }
        }
        return out
    }

    /// Three shards over nine files whose ids repeat at random; raw, Firehose (a header with the stream)
    /// and HTTP endpoint (a header made from the items) files. After `merge --dedupe` the shards hold each
    /// id once, as the payload of its first occurrence, the same records a single `backfill --dedupe` writes,
    /// with totals that add up and files whose hashes `sha256sum` confirms; a second pass changes nothing.
    @Test(arguments: ["raw", "firehose", "http-endpoint"])
    func shardsTogetherWriteWhatOneRunWrites(target: String) throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var random = SplitMix(seed: 2121)
        let files = (0..<9).map { f in (name: String(format: "os-%02d", f), ids: (0..<30).map { _ in Int.random(in: 0..<100, using: &random) }, pad: f * 7) }
        let corpus = try Corpus(in: root.appendingPathComponent("corpus"), files: files)
        let extra = target == "firehose" ? ["--stream", "orders"] : []
        let common = ["backfill", corpus.root.path + "/", "--target", target, "--dedupe", "--max-records", "8", "-q"] + extra

        let single = root.appendingPathComponent("single")
        #expect(try CLI.run(common + ["--out", single.path]).status == 0)
        let all = root.appendingPathComponent("all")
        for i in 0..<3 {
            let run = try CLI.run(common + ["--shard", "\(i)/3", "--out", all.appendingPathComponent("shard-\(i)").path])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let shardFolders = (0..<3).map { all.appendingPathComponent("shard-\($0)").path }
        let plain = try CLI.run(["merge"] + shardFolders)
        let before = try #require(try? plain.json(), "\(plain.stderr)")["totals"] as? [String: Int] ?? [:]
        // Without the pass, repeats across shards are written more than once.
        #expect(before["written"] ?? 0 > corpus.first.count, "\(before)")

        let merged = try CLI.run(["merge", "--dedupe"] + shardFolders)
        #expect(merged.status == 0, "\(merged.stderr)")
        let dropped = (before["written"] ?? 0) - corpus.first.count
        #expect(merged.stderr.contains("--dedupe: dropped \(dropped) records (\(dropped) items) written by more than one shard"), "\(merged.stderr)")
        let manifest = try #require(try? merged.json(), "\(merged.stdout)")
        let totals = manifest["totals"] as? [String: Int] ?? [:]
        #expect(totals["selected"] == corpus.records)
        #expect(totals["written"] == corpus.first.count)
        #expect(totals["duplicates"] == corpus.records - corpus.first.count)
        #expect(totals["items"] == corpus.first.count)
        let singleTotals = try Self.manifest(single.appendingPathComponent("manifest.json"))["totals"] as? [String: Int] ?? [:]
        for field in ["selected", "written", "rejected", "duplicates", "items"] { #expect(totals[field] == singleTotals[field], "\(field)") }

        // Each id once, as its first occurrence's payload: the generator's and the single run's.
        let listed = manifest["files"] as? [[String: Any]] ?? []
        var kept: [String] = []
        var bytes = 0
        for file in listed {
            let name = try #require(file["name"] as? String)
            let url = all.appendingPathComponent(name)
            let (status, sum) = try CLI.capture("/usr/bin/env", ["sha256sum", url.path])
            #expect(status == 0 && sum.hasPrefix(file["sha256"] as? String ?? "-"), "\(name)")
            #expect(try Data(contentsOf: url).count == file["bytes"] as? Int)
            let payloads = try Self.payloads(url, target: target)
            #expect(payloads.count == file["records"] as? Int && payloads.count == file["items"] as? Int)
            kept += payloads
            bytes += file["bytes"] as? Int ?? 0
            if target == "http-endpoint" {
                // The request id is made from the body as rewritten, the timestamp is its latest arrival.
                let data = try Data(contentsOf: url)
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                let header = try #require(data.range(of: Data("[\n".utf8)))
                let body = data[header.upperBound..<(data.count - "\n]}\n".utf8.count)]
                let bodyFile = root.appendingPathComponent("body")
                try Data(body).write(to: bodyFile)
                let (_, hex) = try CLI.capture("/usr/bin/env", ["sha256sum", bodyFile.path])
                let id = Array(hex.prefix(32))
                let expected = [id[0..<8], id[8..<12], id[12..<16], id[16..<20], id[20..<32]].map { String($0) }.joined(separator: "-")
                #expect(object?["requestId"] as? String == expected)
                #expect((object?["timestamp"] as? NSNumber)?.int64Value == payloads.compactMap { corpus.arrivals[$0] }.max())
            }
        }
        #expect(kept.sorted() == corpus.first.values.sorted())
        #expect(totals["bytes"] == bytes)
        let singleFiles = try FileManager.default.contentsOfDirectory(atPath: single.path).filter { $0.hasPrefix(target + "-") }
        #expect(try singleFiles.flatMap { try Self.payloads(single.appendingPathComponent($0), target: target) }.sorted() == kept.sorted())

        // Each shard's manifest and key log agree with its rewritten files.
        for folder in shardFolders {
            let shard = try Self.manifest(URL(fileURLWithPath: folder).appendingPathComponent("manifest.json"))
            let t = shard["totals"] as? [String: Int] ?? [:]
            #expect(t["selected"] == (t["written"] ?? 0) + (t["rejected"] ?? 0) + (t["duplicates"] ?? 0))
            let log = try String(contentsOfFile: folder + "/dedupe-keys.ndjson", encoding: .utf8).split(separator: "\n")
            #expect(log.count == t["written"])
            #expect((shard["files"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["records"] as? Int ?? 0) } == t["written"])
        }

        // Run again: nothing left to drop, nothing rewritten.
        let snapshot = try Self.snapshot(all)
        let again = try CLI.run(["merge", "--dedupe"] + shardFolders)
        #expect(again.status == 0 && again.stderr.contains("no record was written by more than one shard; nothing was changed"), "\(again.stderr)")
        #expect(again.stdout == merged.stdout)
        #expect(try Self.snapshot(all) == snapshot)
        // send takes the merged folder.
        try merged.stdout.write(to: all.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        let send = try CLI.run(["send", all.path, "--dry-run"] + (target == "firehose" ? ["--region", "us-east-1"] : target == "http-endpoint" ? ["--url", "http://127.0.0.1:9/"] : []))
        if target == "raw" {
            // A rewritten raw file may hold one line: read as raw, not as an envelope of items.
            for i in 0..<3 { #expect(send.status == 64 && send.stderr.contains("\(all.path)/shard-\(i): raw files go to no API"), "\(send.stderr)") }
        } else {
            #expect(send.status == 0, "\(send.stderr)")
        }
    }

    /// Every shard that changes is staged before any is swapped in: a shard refused last (it holds a
    /// folder, which backfill never writes) leaves the others as they were. Hidden files of a shard go
    /// across unchanged.
    @Test func aRefusalInTheLastShardLeavesTheOthersAsTheyWere() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var random = SplitMix(seed: 2121)
        let files = (0..<9).map { f in (name: String(format: "os-%02d", f), ids: (0..<30).map { _ in Int.random(in: 0..<100, using: &random) }, pad: f * 7) }
        let corpus = try Corpus(in: root.appendingPathComponent("corpus"), files: files)
        let all = root.appendingPathComponent("all")
        var folders: [String] = []
        for i in 0..<3 {
            let out = all.appendingPathComponent("shard-\(i)").path
            let run = try CLI.run(["backfill", corpus.root.path + "/", "--target", "raw", "--dedupe", "--max-records", "8", "--shard", "\(i)/3", "--out", out, "-q"])
            #expect(run.status == 0, "\(run.stderr)")
            folders.append(out)
        }
        try FileManager.default.createDirectory(atPath: folders[2] + "/notes", withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: folders[0] + "/.DS_Store"))
        let before = try Self.snapshot(all)
        let refused = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(refused.status == 64 && refused.stderr.contains("holds notes, which is not a plain file"), "\(refused.stderr)")
        #expect(try Self.snapshot(all) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: all.path).sorted() == ["shard-0", "shard-1", "shard-2"])

        try FileManager.default.removeItem(atPath: folders[2] + "/notes")
        let merged = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(merged.status == 0 && merged.stderr.contains("in shard-0, shard-1, shard-2"), "\(merged.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folders[0] + "/.DS_Store")) == Data("mine".utf8))
        #expect((try merged.json()["totals"] as? [String: Int])?["written"] == corpus.first.count)
    }

    /// The copy kept is the first in listing order, not in shard order: the largest file sorts last, so the
    /// split puts it alone in shard 0, and its records (all repeats of earlier files) are the ones dropped.
    /// Files left without records are removed; the shard that keeps everything is not touched.
    @Test func theFirstInListingOrderIsKeptAndEmptiedFilesGo() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var files = (0..<4).map { f in (name: "a-\(f)", ids: Array((f * 10)..<(f * 10 + 10)), pad: 10) }
        files.append((name: "z-last", ids: Array(0..<20), pad: 2000))
        let corpus = try Corpus(in: root.appendingPathComponent("corpus"), files: files)
        let all = root.appendingPathComponent("all")
        for i in 0..<2 {
            let run = try CLI.run(["backfill", corpus.root.path + "/", "--target", "raw", "--dedupe", "--max-records", "5", "--shard", "\(i)/2",
                                   "--out", all.appendingPathComponent("shard-\(i)").path, "-q"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let shard0 = all.appendingPathComponent("shard-0"), shard1 = all.appendingPathComponent("shard-1")
        // The premise, read from the files: shard 0 holds the last file's records only.
        let before0 = try FileManager.default.contentsOfDirectory(atPath: shard0.path).filter { $0.hasPrefix("raw-") }
        #expect(before0.count == 4)
        for name in before0 { #expect(try Self.payloads(shard0.appendingPathComponent(name), target: "raw").allSatisfy { $0.contains(#""file":4,"#) }) }
        let untouched = try Self.snapshot(shard1)

        let merged = try CLI.run(["merge", "--dedupe", shard0.path, shard1.path])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stderr.contains("dropped 20 records (20 items)") && merged.stderr.contains("0 files rewritten and 4 removed in shard-0"), "\(merged.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: shard0.path).sorted() == ["dedupe-keys.ndjson", "manifest.json", "rejects.ndjson"])
        let m0 = try Self.manifest(shard0.appendingPathComponent("manifest.json"))
        #expect(m0["totals"] as? [String: Int] == ["selected": 20, "written": 0, "rejected": 0, "duplicates": 20, "possiblyDelivered": 0, "items": 0, "bytes": 0])
        #expect((m0["files"] as? [Any])?.isEmpty == true)
        #expect(try Self.snapshot(shard1) == untouched)
        let totals = try merged.json()["totals"] as? [String: Int] ?? [:]
        #expect(totals["written"] == 40 && totals["duplicates"] == 20 && totals["selected"] == corpus.records)
        // No staging folder is left beside the shards.
        #expect(try FileManager.default.contentsOfDirectory(atPath: all.path).sorted() == ["shard-0", "shard-1"])
        // send reads the merged folder, the shard without files included (raw files then go to no API).
        try merged.stdout.write(to: all.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        let send = try CLI.run(["send", all.path, "--dry-run"])
        for i in 0..<2 { #expect(send.stderr.contains("\(all.path)/shard-\(i): raw files go to no API"), "\(send.stderr)") }
    }

    /// Writes OpenSearch failures, one file per (name, [(id, payload)]), names kept byte for byte.
    static func writeFiles(_ files: [(name: String, records: [(id: Int, payload: String)])], in root: URL) throws {
        let folder = root.appendingPathComponent("AmazonOpenSearchService_failed/2024/03/05/10")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in files {
            let text = file.records.map { record in
                #"{"attemptsMade":1,"arrivalTimestamp":1709650000000,"errorCode":"400","errorMessage":"m","esDocumentId":"doc-\#(record.id)","#
                    + #""esIndexName":"idx","esTypeName":"_doc","rawData":"\#(Data(record.payload.utf8).base64EncodedString())"}"# + "\n"
            }.joined()
            #expect(FileManager.default.createFile(atPath: folder.path + "/" + file.name, contents: Data(text.utf8)))
        }
    }

    /// Runs one backfill and its shards with `merge --dedupe`; the payloads each keeps, and their totals.
    static func singleAndShards(_ corpus: URL, shards: Int, flags: [String], in root: URL) throws -> (single: [String], merged: [String], singleTotals: [String: Int], mergedTotals: [String: Int]) {
        let common = ["backfill", corpus.path + "/", "--target", "raw", "--dedupe", "-q"] + flags
        let single = root.appendingPathComponent("single")
        #expect(try CLI.run(common + ["--out", single.path]).status == 0)
        var folders: [String] = []
        for i in 0..<shards {
            let out = root.appendingPathComponent("all/shard-\(i)").path
            let run = try CLI.run(common + ["--shard", "\(i)/\(shards)", "--out", out])
            #expect(run.status == 0, "\(run.stderr)")
            folders.append(out)
        }
        let merged = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(merged.status == 0, "\(merged.stderr)")
        let manifest = try merged.json()
        let mergedPayloads = try (manifest["files"] as? [[String: Any]] ?? []).flatMap { file in
            try payloads(root.appendingPathComponent("all").appendingPathComponent(file["name"] as? String ?? "-"), target: "raw")
        }
        let singlePayloads = try FileManager.default.contentsOfDirectory(atPath: single.path).filter { $0.hasPrefix("raw-") }
            .flatMap { try payloads(single.appendingPathComponent($0), target: "raw") }
        return (singlePayloads.sorted(), mergedPayloads.sorted(),
                try Self.manifest(single.appendingPathComponent("manifest.json"))["totals"] as? [String: Int] ?? [:], manifest["totals"] as? [String: Int] ?? [:])
    }

    /// A copy refused as too large still takes its key, as in a single run: the later copy in another
    /// shard, which fits, is a repeat of it and goes.
    @Test func aCopyTooLargeToWriteStillMakesLaterCopiesRepeats() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = root.appendingPathComponent("corpus")
        try Self.writeFiles([
            (name: "a", records: [(1, "big-" + String(repeating: "x", count: 3000)), (2, "a2"), (3, "a3")]),
            (name: "b", records: [(1, "small"), (4, "b4"), (2, "b2"), (5, String(repeating: "y", count: 2500))]),
        ], in: corpus)
        let result = try Self.singleAndShards(corpus, shards: 2, flags: ["--max-bytes", "1000"], in: root)
        #expect(result.single == ["a2", "a3", "b4"], "\(result.single)")
        #expect(result.merged == result.single)
        for field in ["selected", "written", "rejected", "duplicates", "items"] {
            #expect(result.mergedTotals[field] == result.singleTotals[field], "\(field): \(result.mergedTotals) vs \(result.singleTotals)")
        }
    }

    /// Names that are equal as Swift strings (an accent composed, and decomposed) are different files: each
    /// keeps its own place in the listing, so the copy kept is still the single run's.
    @Test func namesEqualAsStringsKeepTheirOwnPlaces() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = root.appendingPathComponent("corpus")
        // Listed by bytes: "ke\u{301}" (e, then the combining accent) < "kf" < "k\u{e9}". The largest, "kf",
        // is shard 0's; the other two are shard 1's.
        try Self.writeFiles([
            (name: "ke\u{301}", records: [(1, "from-decomposed-first")] + (10..<14).map { ($0, "d\($0)") }),
            (name: "kf", records: [(1, "from-kf-second")] + (20..<40).map { ($0, "f\($0)") }),
            (name: "k\u{e9}", records: [(1, "from-composed-third")]),
        ], in: corpus)
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path + "/AmazonOpenSearchService_failed/2024/03/05/10")
        #expect(Set(names.map { Array($0.utf8) }).count == 3, "the file system keeps the three names apart")
        let result = try Self.singleAndShards(corpus, shards: 2, flags: [], in: root)
        #expect(result.single.contains("from-decomposed-first") && !result.single.contains("from-kf-second"))
        #expect(result.merged == result.single)
        #expect(result.mergedTotals["written"] == result.singleTotals["written"] && result.mergedTotals["duplicates"] == result.singleTotals["duplicates"])
    }

    /// What cannot be de-duplicated safely is refused, and nothing is changed.
    @Test func whatCannotBeRewrittenSafelyIsRefusedAndLeftAsItWas() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = try Corpus(in: root.appendingPathComponent("corpus"), files: (0..<4).map { (name: "f\($0)", ids: Array(0..<12), pad: $0) })
        func shards(_ name: String, _ flags: [String]) throws -> [String] {
            try (0..<2).map { i in
                let out = root.appendingPathComponent("\(name)/shard-\(i)")
                let run = try CLI.run(["backfill", corpus.root.path + "/", "--target", "raw", "--max-records", "5", "--shard", "\(i)/2", "--out", out.path, "-q"] + flags)
                #expect(run.status == 0, "\(run.stderr)")
                return out.path
            }
        }
        // Without --dedupe the keys were never kept.
        let plain = try shards("plain", [])
        let noKeys = try CLI.run(["merge", "--dedupe"] + plain)
        #expect(noKeys.status == 64 && noKeys.stderr.contains("was backfilled without --dedupe"), "\(noKeys.stderr)")

        let folders = try shards("dd", ["--dedupe"])
        let dd = root.appendingPathComponent("dd")
        // A file changed after the backfill (same size, one byte differs), in each shard: the one that
        // would be rewritten is found out before anything changes.
        let pristine = try Self.snapshot(dd)
        for folder in folders {
            let victim = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).sorted().first { $0.hasPrefix("raw-") })
            let victimURL = URL(fileURLWithPath: folder).appendingPathComponent(victim)
            var bytes = try Data(contentsOf: victimURL)
            bytes[bytes.count - 3] ^= 0x01
            try bytes.write(to: victimURL)
        }
        var snapshot = try Self.snapshot(dd)
        let changed = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(changed.status == 64 && changed.stderr.contains("is not the file its manifest lists"), "\(changed.stderr)")
        #expect(try Self.snapshot(dd) == snapshot)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dd.path).sorted() == ["shard-0", "shard-1"])
        for (path, data) in pristine { try data.write(to: dd.appendingPathComponent(path)) }

        // An edited key log (a line taken out: its spans still tile the file) is found by its hash.
        let log = URL(fileURLWithPath: folders[1]).appendingPathComponent("dedupe-keys.ndjson")
        let original = try Data(contentsOf: log)
        var lines = original.split(separator: 0x0A, omittingEmptySubsequences: false)
        lines.remove(at: lines.count - 2)
        try Data(lines.joined(separator: [0x0A])).write(to: log)
        snapshot = try Self.snapshot(dd)
        let edited = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(edited.status == 64 && edited.stderr.contains("dedupe-keys.ndjson is not the key log its manifest lists"), "\(edited.stderr)")
        #expect(try Self.snapshot(dd) == snapshot)
        try original.write(to: log)
        snapshot = try Self.snapshot(dd)

        // Every shard is needed: the one not given may hold the copy that stays.
        let partial = try CLI.run(["merge", "--dedupe", folders[1]])
        #expect(partial.status == 64 && partial.stderr.contains("--dedupe needs every shard of the run"), "\(partial.stderr)")
        #expect(try Self.snapshot(dd) == snapshot)

        // A shard folder that is a symbolic link is refused before any shard changes.
        let elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.moveItem(atPath: folders[1], toPath: elsewhere.path)
        try FileManager.default.createSymbolicLink(atPath: folders[1], withDestinationPath: elsewhere.path)
        let linked = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(linked.status == 64 && linked.stderr.contains("not a folder (a symbolic link?)"), "\(linked.stderr)")
        try FileManager.default.removeItem(atPath: folders[1])
        try FileManager.default.moveItem(atPath: elsewhere.path, toPath: folders[1])
        #expect(try Self.snapshot(dd) == snapshot, "shard-0 changed although shard-1 was refused")

        // Files being sent stay as they are.
        let journal = URL(fileURLWithPath: folders[0]).appendingPathComponent("send-journal.ndjson")
        try Data().write(to: journal)
        snapshot = try Self.snapshot(dd)
        let sending = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(sending.status == 64 && sending.stderr.contains("repeats can only be dropped before sending"), "\(sending.stderr)")
        #expect(try Self.snapshot(dd) == snapshot)
        try FileManager.default.removeItem(at: journal)

        // Summaries hold no records to drop.
        let summary = root.appendingPathComponent("s.json")
        try CLI.run(["summarize", corpus.root.path, "--format", "json"]).stdout.write(to: summary, atomically: true, encoding: .utf8)
        let summaries = try CLI.run(["merge", "--dedupe", summary.path])
        #expect(summaries.status == 64 && summaries.stderr.contains("--dedupe is for the backfill outputs of shards"), "\(summaries.stderr)")

        // Whole again, the pass goes through: every id 0..<12 once.
        let fine = try CLI.run(["merge", "--dedupe"] + folders)
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect((try fine.json()["totals"] as? [String: Int])?["written"] == 12)
    }
}
