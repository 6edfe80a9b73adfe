import Foundation
import Testing
import DeadLetterInput
import DeadLetterSupport

/// `--shard I/N`: N runs that together read every unit once, in shares of similar size, whose summaries
/// `merge` into the one run's, byte for byte, whichever batch engine ran them.
@Suite struct ShardTests {
    /// A unit that is never opened: the split looks at names and sizes only.
    struct Listed: InputOrigin {
        var name: String
        var identity: InputIdentity { InputIdentity(scheme: "test", key: name) }
        func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput {
            throw .cannotOpen("not for opening")
        }
    }

    static func units(_ sizes: [Int64]) -> [InputUnit] {
        sizes.enumerated().map { InputUnit(name: String(format: "u/%05d", $0.offset), size: $0.element, origin: Listed(name: "\($0.offset)")) }
    }

    static func listing(_ sizes: [Int64]) -> InputListing {
        var listing = InputListing()
        listing.units = units(sizes)
        return listing
    }

    // MARK: - The flag

    @Test(arguments: [
        ("0/1", [:], 0, 1), ("3/8", [:], 3, 8), ("7/8", [:], 7, 8),
        ("auto", ["AWS_BATCH_JOB_ARRAY_INDEX": "5", "AWS_BATCH_JOB_ARRAY_SIZE": "6"], 5, 6),
        ("auto/4", ["AWS_BATCH_JOB_ARRAY_INDEX": "0"], 0, 4),
        ("auto/10", ["JOB_COMPLETION_INDEX": "9"], 9, 10),
        ("auto", ["JOB_COMPLETION_INDEX": "2", "DEADLETTER_SHARD_COUNT": "3"], 2, 3),
        // GNU parallel numbers its jobs from 1.
        ("auto/8", ["PARALLEL_SEQ": "1"], 0, 8), ("auto/8", ["PARALLEL_SEQ": "8"], 7, 8),
        // AWS Batch's variable comes first when several engines are nested.
        ("auto/8", ["AWS_BATCH_JOB_ARRAY_INDEX": "2", "PARALLEL_SEQ": "5"], 2, 8),
    ] as [(String, [String: String], Int, Int)])
    func aShardIsReadFromTheFlagOrTheEnvironment(text: String, environment: [String: String], index: Int, count: Int) throws {
        let shard = try Shard.parse(text, environment: environment)
        #expect(shard.index == index && shard.count == count)
    }

    @Test(arguments: [
        ("8/8", [:], "shards are numbered from 0 to 7"), ("-1/8", [:], "shards are numbered from 0 to 7"),
        ("1/0", [:], "between 1 and 100000"), ("3", [:], "expected I/N"), ("3/", [:], "expected I/N"), ("a/b", [:], "expected I/N"),
        ("1/2/3", [:], "expected I/N"), ("auto", [:], "none of AWS_BATCH_JOB_ARRAY_INDEX, JOB_COMPLETION_INDEX, PARALLEL_SEQ is set"),
        ("auto", ["JOB_COMPLETION_INDEX": "1"], "the shard count is not known"),
        ("auto/4", ["JOB_COMPLETION_INDEX": "x\u{1b}[31m"], "JOB_COMPLETION_INDEX is 'x\\x1B[31m', not a task number (from 0)"),
        ("auto/4", ["PARALLEL_SEQ": "0"], "PARALLEL_SEQ is '0', not a task number (from 1)"),
        ("auto/4", ["PARALLEL_SEQ": "-9223372036854775808"], "not a task number (from 1)"),
        ("auto/4", ["AWS_BATCH_JOB_ARRAY_INDEX": "4"], "shards are numbered from 0 to 3"),
    ] as [(String, [String: String], String)])
    func aWrongShardIsAUsageErrorThatSaysWhy(text: String, environment: [String: String], message: String) {
        do {
            _ = try Shard.parse(text, environment: environment)
            Issue.record("\(text) was taken")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    // MARK: - The split

    /// Random listings (sizes from empty files to objects of megabytes, a seed each): every unit in exactly
    /// one shard, each shard's units in listing order, the same split when asked again, and the largest
    /// share within the bound of dealing largest first (the mean plus one unit).
    @Test(arguments: 1...40)
    func everyUnitIsReadByExactlyOneShardInListingOrder(seed: Int) {
        var random = SplitMix(seed: UInt64(seed) &* 0x9E37_79B9)
        let count = Int.random(in: 1...12, using: &random)
        let sizes = (0..<Int.random(in: 0...300, using: &random)).map { _ in
            Int.random(in: 0..<4, using: &random) == 0 ? Int64.random(in: 0...10, using: &random) : Int64.random(in: 1...5_000_000, using: &random)
        }
        let listing = Self.listing(sizes)
        var seen = [Int](repeating: 0, count: sizes.count)
        var shares: [Int64] = []
        for index in 0..<count {
            let part = listing.only(try! Shard(index: index, count: count))
            let positions = part.units.map { Int($0.name.dropFirst(2))! }
            #expect(positions == positions.sorted(), "seed \(seed): shard \(index) out of listing order")
            for p in positions { seen[p] += 1 }
            shares.append(part.units.reduce(0) { $0 + $1.size! })
            #expect(part.shard?.units == part.units.count && part.shard?.bytes == shares.last)
            #expect(part.units.map(\.name) == listing.only(try! Shard(index: index, count: count)).units.map(\.name))
        }
        #expect(seen.allSatisfy { $0 == 1 }, "seed \(seed): units read \(Set(seen)) times")
        let total = sizes.reduce(0, +)
        #expect(shares.reduce(0, +) == total)
        let bound = Double(total) / Double(count) + Double(sizes.max() ?? 0)
        #expect(Double(shares.max() ?? 0) <= bound, "seed \(seed): \(shares)")
    }

    /// Many files of similar sizes, as an error prefix holds: within 1.3 × the mean, not only by count.
    @Test func sharesOfBytesAreEvenWhenFilesDifferInSize() {
        var random = SplitMix(seed: 21)
        // 1,000 objects, a few large ones among many small ones, listed in key order not size order.
        let sizes = (0..<1000).map { i in i % 97 == 0 ? Int64(40_000_000) : Int64.random(in: 100_000...4_000_000, using: &random) }
        let listing = Self.listing(sizes)
        let shares = (0..<8).map { listing.only(try! Shard(index: $0, count: 8)).shard!.bytes }
        let mean = Double(sizes.reduce(0, +)) / 8
        #expect(Double(shares.max()!) <= 1.3 * mean, "\(shares)")
        // By count alone (every 8th unit) the same listing is far less even.
        let byCount = (0..<8).map { s in sizes.enumerated().filter { $0.offset % 8 == s }.reduce(Int64(0)) { $0 + $1.element } }
        #expect(Double(byCount.max()!) > Double(shares.max()!))
    }

    @Test func problemsGoToEveryShardCountedByShardZeroAndTheListingIsFingerprinted() {
        var listing = Self.listing([5, 6, 7])
        listing.problems = [InputProblem(path: "missing/", reason: "no such file or directory"),
                            InputProblem(path: "empty", reason: "empty file", isNote: true)]
        let first = listing.only(try! Shard(index: 0, count: 2)).problems
        #expect(first.count == 2 && first.allSatisfy(\.counted))
        let second = listing.only(try! Shard(index: 1, count: 2)).problems
        #expect(second.count == 1 && second[0].path == "missing/" && !second[0].counted)
        let a = listing.only(try! Shard(index: 0, count: 2)).shard!.listing
        #expect(a == listing.only(try! Shard(index: 1, count: 2)).shard!.listing)
        #expect(a != Self.listing([5, 6, 8]).only(try! Shard(index: 0, count: 2)).shard!.listing)
        #expect(a.count == 16)
    }

    // MARK: - Merge

    @Test func mergeRefusesAShardTwiceAndNamesTheMissingOnes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let firehose = CLI.packageRoot.appendingPathComponent("samples/firehose").path + "/"
        var paths: [String] = []
        for i in 0..<4 {
            let run = try CLI.run(["summarize", "--format", "json", "--shard", "\(i)/4", "-q", firehose])
            #expect(run.status == 0, "\(run.stderr)")
            let path = dir.appendingPathComponent("s\(i).json").path
            try run.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let twice = try CLI.run(["merge", paths[1], paths[2], paths[1]])
        #expect(twice.status == 64)
        #expect(twice.stderr.contains("are both shard 1/4 of listing"))
        let partial = try CLI.run(["merge", "--format", "json", paths[3], paths[0]])
        #expect(partial.status == 1)
        #expect(partial.stderr.contains("2 of its 4 shards not given (missing: 1, 2)"))
        let gaps = try partial.json()["missingShards"] as? [[String: Any]]
        #expect(gaps?.count == 1 && gaps?.first?["missing"] as? [Int] == [1, 2] && gaps?.first?["count"] as? Int == 4)
        let whole = try CLI.run(["merge", "--format", "json", paths[3], paths[0], paths[2], paths[1]])
        let single = try CLI.run(["summarize", "--format", "json", "-q", firehose])
        #expect(whole.status == 0 && whole.stdout == single.stdout)
        // The summary of one shard says which and of what.
        let mark = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: paths[2]))) as? [String: Any]
        let shard = mark?["shard"] as? [String: Any]
        #expect(shard?["index"] as? Int == 2 && shard?["count"] as? Int == 4)
    }

    @Test func aStreamCannotBeShared() throws {
        let run = try CLI.run(["summarize", "--shard", "0/2", "-"], stdin: Data("{}\n".utf8))
        #expect(run.status == 64)
        #expect(run.stderr.contains("standard input is a stream (or a queue) and cannot be shared out"))
    }

    /// Listing a queue receives every message: refused before anything is asked of SQS (the endpoint here
    /// is a port nothing listens on, so a request would show as a connection error, not a usage error).
    @Test func aQueueIsRefusedBeforeItIsRead() throws {
        let env = ["AWS_ACCESS_KEY_ID": "AKIDSHARD", "AWS_SECRET_ACCESS_KEY": "shard-secret", "AWS_REGION": "us-east-1",
                   "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9"]
        for queue in ["sqs://orders-dlq", "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq"] {
            let run = try CLI.run(["summarize", "--shard", "1/2", queue], environment: env)
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr.contains("\(queue) is a stream (or a queue) and cannot be shared out"), "\(run.stderr)")
        }
        let redshift = try CLI.run(["backfill", "samples/firehose/", "--target", "redshift", "--shard", "0/2", "--out", "/nonexistent/never"])
        #expect(redshift.status == 64 && redshift.stderr.contains("--shard does not apply to --target redshift"), "\(redshift.stderr)")
    }

    /// An argument that names nothing fails every shard (each reports it; the batch engine retries a shard
    /// that failed), and is counted once in the merge, as in the single run.
    @Test func whatCannotBeListedFailsEveryShardAndIsCountedOnce() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inputs = ["samples/firehose/", "samples/no-such-folder"]
        var paths: [String] = []
        for i in 0..<3 {
            let run = try CLI.run(["summarize", "--format", "json", "--shard", "\(i)/3", "-q"] + inputs, cwd: CLI.packageRoot)
            #expect(run.status == 1, "shard \(i): \(run.stderr)")
            #expect(run.stderr.contains("samples/no-such-folder"))
            let path = dir.appendingPathComponent("s\(i).json").path
            try run.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let single = try CLI.run(["summarize", "--format", "json", "-q"] + inputs, cwd: CLI.packageRoot)
        let merged = try CLI.run(["merge", "--format", "json"] + paths)
        #expect(merged.stdout == single.stdout)
        #expect((try single.json()["totals"] as? [String: Any])?["inputErrors"] as? Int == 1)
    }

    /// Each object is fetched by the one shard that reads it: the others never start it ahead of their
    /// reader (the S3 stub counts every GET).
    @Test func eachObjectIsFetchedByItsShardOnly() throws {
        let stub = try S3FaultTests.stub([], records: 3000)
        defer { try? FileManager.default.removeItem(at: stub.root) }
        let objects = S3FaultTests.objects(stub.corpus)
        #expect(objects.count > 8)
        for i in 0..<3 {
            let run = try CLI.run(["summarize", "--shard", "\(i)/3", "--format", "json", "-q", "s3://faults/"], environment: stub.environment)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let gets = (try stub.stats()["log"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "get" }
        var perKey: [String: Int] = [:]
        for get in gets { perKey[get["key"] as? String ?? "", default: 0] += 1 }
        #expect(perKey.count == objects.count && perKey.values.allSatisfy { $0 == 1 }, "\(perKey.filter { $0.value != 1 })")
    }

    /// Manifests are files anyone can edit: numbers past Int, a bad hash or listing are refused with the
    /// file and field named, never a crash or a broken manifest.
    @Test func editedManifestsAreRefusedNotTrusted() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let firehose = CLI.packageRoot.appendingPathComponent("samples/firehose").path + "/"
        for i in 0..<2 {
            #expect(try CLI.run(["backfill", firehose, "--target", "raw", "--shard", "\(i)/2", "--out", root.appendingPathComponent("shard-\(i)").path, "-q"]).status == 0)
        }
        let manifest = root.appendingPathComponent("shard-1/manifest.json")
        let original = try String(contentsOf: manifest, encoding: .utf8)
        let edits: [(String, String, String)] = [
            (#""written": "#, #""written": 9223372036854775807, "x": "#, "too large to add up"),
            (#""sha256": ""#, #""sha256": "\u001b[31m"#, "sha256 is not 64 hexadecimal digits"),
            (#""listing": ""#, #""listing": "\u001b]0;x"#, "not a listing fingerprint"),
            (#""byReason": {"#, #""byReason": {"x": -5, "#, "is negative"),
        ]
        for (find, replace, message) in edits {
            try original.replacingOccurrences(of: find, with: replace).write(to: manifest, atomically: true, encoding: .utf8)
            let run = try CLI.run(["merge", root.appendingPathComponent("shard-0").path, root.appendingPathComponent("shard-1").path])
            #expect(run.status == 64, "\(replace): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(run.stderr)")
            #expect(!run.stderr.contains("\u{1b}") && run.stdout.isEmpty)
        }
    }

    /// `records` of the shards hold every record once: together (sorted, as their order interleaves),
    /// the single run's lines; and each shard's lines come in the single run's order.
    @Test func shardRecordsTogetherAreTheSingleRunsRecords() throws {
        let input = CLI.packageRoot.appendingPathComponent("samples").path + "/"
        let single = try CLI.run(["records", "-q", input])
        #expect(single.status == 0)
        let all = single.stdout.split(separator: "\n").map(String.init)
        var together: [String] = []
        for i in 0..<3 {
            let run = try CLI.run(["records", "--shard", "\(i)/3", "-q", input])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(!lines.isEmpty)
            // A subsequence of the single run: the shard reads its files in listing order.
            var rest = all[...]
            for line in lines {
                guard let at = rest.firstIndex(of: line) else { Issue.record("shard \(i): a line out of order or not in the single run"); break }
                rest = rest[(at + 1)...]
            }
            together += lines
        }
        #expect(together.sorted() == all.sorted())
        #expect(all.count > 50)
    }

    // MARK: - Backfill

    /// Each shard's files carry the shard in their names, so all of them fit in one folder; `merge` of the
    /// shards' manifests lists every file once with totals that add up to the single run's, and holds the
    /// same records.
    @Test func shardBackfillsMergeIntoOneManifestWithTheSingleRunsTotals() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let firehose = CLI.packageRoot.appendingPathComponent("samples/firehose").path + "/"
        let single = root.appendingPathComponent("single")
        #expect(try CLI.run(["backfill", firehose, "--target", "raw", "--max-records", "7", "--out", single.path, "-q"]).status == 0)
        let all = root.appendingPathComponent("all")
        var names: [String] = []
        for i in 0..<3 {
            let out = all.appendingPathComponent("shard-\(i)")
            let run = try CLI.run(["backfill", firehose, "--target", "raw", "--max-records", "7", "--shard", "\(i)/3", "--out", out.path, "-q"])
            #expect(run.status == 0, "\(run.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix("raw-") }
            #expect(!files.isEmpty && files.allSatisfy { $0.hasPrefix("raw-shard-\(i)-of-3-") }, "\(files)")
            names += files
        }
        #expect(Set(names).count == names.count)
        let merged = try CLI.run(["merge", all.path + "/shard-2", all.path + "/shard-0/manifest.json", all.path + "/shard-1"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stderr.contains("save it as \(all.path)/manifest.json"))
        let manifest = try #require(try? merged.json(), "\(merged.stdout)")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: single.appendingPathComponent("manifest.json"))) as? [String: Any]
        #expect(manifest["totals"] as? NSDictionary == expected?["totals"] as? NSDictionary)
        #expect((manifest["rejects"] as? [String: Any])?["byReason"] as? NSDictionary == (expected?["rejects"] as? [String: Any])?["byReason"] as? NSDictionary)
        let shards = manifest["shards"] as? [String: Any]
        #expect(shards?["count"] as? Int == 3 && shards?["missing"] as? [Int] == [])
        // Every file once, in shard order, each found under its shard's folder with the listed SHA-256
        // (checked with sha256sum, not the tool's own hashing).
        let files = manifest["files"] as? [[String: Any]] ?? []
        #expect(files.compactMap { ($0["name"] as? String)?.split(separator: "/").last.map(String.init) }.sorted() == names.sorted())
        let folders = files.compactMap { ($0["name"] as? String)?.split(separator: "/").first.map(String.init) }
        #expect(folders == folders.sorted())
        for file in files {
            let name = file["name"] as? String ?? ""
            let (status, sum) = try CLI.capture("/usr/bin/env", ["sha256sum", all.appendingPathComponent(name).path])
            #expect(status == 0 && sum.hasPrefix(file["sha256"] as? String ?? "-"), "\(name)")
        }
        // The same records as the single run's, shard by shard in a different batching.
        func lines(_ dir: URL, _ names: [String]) throws -> [[UInt8]] {
            try names.flatMap { try Array(Data(contentsOf: dir.appendingPathComponent($0))).split(separator: 0x0A).map(Array.init) }
                .sorted { $0.lexicographicallyPrecedes($1) }
        }
        let singleFiles = try FileManager.default.contentsOfDirectory(atPath: single.path).filter { $0.hasPrefix("raw-") }
        #expect(try lines(all, files.compactMap { $0["name"] as? String }) == lines(single, singleFiles))
        // send reads the merged folder as a split backfill: each shard's output is one of its parts.
        try merged.stdout.write(to: all.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        let send = try CLI.run(["send", all.path, "--dry-run"])
        for i in 0..<3 { #expect(send.stderr.contains("\(all.path)/shard-\(i): raw files go to no API"), "\(send.stderr)") }
        // A shard that is not there is named, and the exit status says the merge is incomplete.
        let partial = try CLI.run(["merge", all.path + "/shard-0", all.path + "/shard-2"])
        #expect(partial.status == 1)
        #expect(partial.stderr.contains("1 of its 3 shards not given (missing: 1)"))
        #expect((try? partial.json())?["shards"] as? NSDictionary == ["count": 3, "listing": shards?["listing"] ?? "", "merged": 2, "missing": [1]] as NSDictionary)
    }

    // MARK: - Recipes

    /// The AWS Batch job definition and the Kubernetes Indexed Job parse (JSON; YAML with PyYAML) and run
    /// the image and the shard command the README names.
    @Test func theRecipesParseAndRunTheReadmesImageAndCommand() throws {
        let readme = try String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Past one machine: shards\n").dropFirst().first?
            .components(separatedBy: "\n## ").first)
        let lines = section.split(separator: "\n").map(String.init)
        let build = try #require(lines.first { $0.hasPrefix("docker build -t ") })
        let image = String(build.dropFirst("docker build -t ".count).split(separator: " ").first ?? "")
        let command = try #require(lines.first { $0.hasPrefix("deadletter summarize ") && $0.contains("--shard auto/") })
        let count = Int(command.components(separatedBy: "--shard auto/").last?.split(separator: " ").first ?? "")
        #expect(image == "deadletter:latest" && count == 8)

        let batchURL = CLI.packageRoot.appendingPathComponent("docs/shards/batch-job-definition.json")
        let batch = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: batchURL)) as? [String: Any])
        let container = batch["containerProperties"] as? [String: Any]
        #expect(container?["image"] as? String == image)
        let batchCommand = container?["command"] as? [String] ?? []
        #expect(batchCommand.count == 3 && batchCommand.prefix(2) == ["sh", "-c"])
        #expect(batchCommand.last?.hasPrefix(command + " > /shards/summary-$AWS_BATCH_JOB_ARRAY_INDEX.json") == true, "\(batchCommand)")

        let (status, json) = try CLI.capture("/usr/bin/env", ["python3", "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", "docs/shards/indexed-job.yaml"])
        #expect(status == 0, "\(json)")
        let job = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let spec = job["spec"] as? [String: Any]
        #expect(job["kind"] as? String == "Job" && spec?["completionMode"] as? String == "Indexed")
        #expect(spec?["completions"] as? Int == count)
        let pod = (spec?["template"] as? [String: Any])?["spec"] as? [String: Any]
        let containers = pod?["containers"] as? [[String: Any]] ?? []
        #expect(containers.count == 1 && containers.first?["image"] as? String == image)
        let podCommand = containers.first?["command"] as? [String] ?? []
        #expect(podCommand.count == 3 && podCommand.prefix(2) == ["sh", "-c"])
        #expect(podCommand.last?.hasPrefix(command + " > /shards/summary-$JOB_COMPLETION_INDEX.json") == true, "\(podCommand)")

        // The command itself is one deadletter takes: parsed by the binary, not by this test.
        let help = try CLI.run(Array(command.split(separator: " ").dropFirst().map(String.init)) + ["--help"])
        #expect(help.status == 0 && help.stdout.contains("--shard <I/N>"))
        // The image the recipes run is built from this repository's Dockerfile.
        let dockerfile = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains("docker build -t \(image) .") && dockerfile.contains("/usr/local/bin/deadletter"))
    }

    // MARK: - 8 shards under GNU parallel and xargs -P

    /// A generated corpus of over 100 MB on disk (plain, gzip, multi-member gzip, back-to-back and CRLF
    /// files, malformed lines among them).
    static func corpus() throws -> (root: URL, corpus: URL, files: [String: Int64]) {
        let root = try CLI.temporaryDirectory()
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/gen-corpus.py", "--out", root.path,
                                                                "--bytes-target", "145M", "--seed", "2121"])
        #expect(status == 0, "\(output)")
        let corpus = root.appendingPathComponent("corpus")
        var files: [String: Int64] = [:]
        let walker = FileManager.default.enumerator(at: corpus, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey], options: [.skipsHiddenFiles])
        while let url = walker?.nextObject() as? URL {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            if values.isRegularFile == true {
                files[String(url.path.dropFirst(corpus.path.count + 1))] = Int64(values.fileSize ?? 0)
            }
        }
        #expect(files.values.reduce(0, +) >= 100_000_000, "the corpus is smaller than the test says")
        return (root, corpus, files)
    }

    /// The shards' JSON summaries, read back, with what each says of its shard.
    static func shardSummaries(_ dir: URL, count: Int) throws -> [(text: String, json: [String: Any])] {
        try (0..<count).map { i in
            let text = try String(contentsOf: dir.appendingPathComponent("shard-\(i).json"), encoding: .utf8)
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
            return (text, json)
        }
    }

    /// Every file in exactly one shard (by the shards' `--by file` groups and their unit counts), shares
    /// within 1.3 × the mean, and the shards' listed bytes the corpus's bytes as the file system has them.
    static func checkSplit(_ shards: [(text: String, json: [String: Any])], files: [String: Int64], prefix: String) {
        var owner: [String: Int] = [:]
        var units = 0, bytes: [Int64] = []
        for (i, shard) in shards.enumerated() {
            let mark = shard.json["shard"] as? [String: Any]
            #expect(mark?["index"] as? Int == i && mark?["count"] as? Int == shards.count)
            units += mark?["units"] as? Int ?? 0
            bytes.append(Int64(mark?["bytes"] as? Int ?? 0))
            for group in shard.json["groups"] as? [[String: Any]] ?? [] {
                guard let file = (group["key"] as? [String: String])?["file"] else { continue }
                #expect(owner[file] == nil, "\(file) read by shards \(owner[file] ?? -1) and \(i)")
                owner[file] = i
            }
        }
        #expect(units == files.count)
        #expect(Set(owner.keys).isSubset(of: Set(files.keys.map { prefix + $0 })))
        #expect(bytes.reduce(0, +) == files.values.reduce(0, +))
        let mean = Double(bytes.reduce(0, +)) / Double(bytes.count)
        #expect(Double(bytes.max() ?? 0) <= 1.3 * mean, "shares \(bytes), mean \(mean)")
    }

    @Test func eightShardsUnderParallelAndXargsMergeIntoTheSingleRun() throws {
        let (root, corpus, files) = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: root) }
        let binary = CLI.binary.path
        let input = corpus.path + "/"
        for by in ["kind,errorCode", "file"] {
            let single = try CLI.run(["summarize", "--format", "json", "--by", by, "-q", input])
            #expect(single.status == 0, "\(single.stderr.suffix(2000))")
            // GNU parallel: each job finds its shard in PARALLEL_SEQ (`--shard auto/8`); its output is named
            // after its argument, the job's place (PARALLEL_SEQ - 1): the summary says which shard it read.
            let viaParallel = root.appendingPathComponent("parallel-\(by)")
            let viaXargs = root.appendingPathComponent("xargs-\(by)")
            try FileManager.default.createDirectory(at: viaParallel, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: viaXargs, withIntermediateDirectories: true)
            let parallel = try CLI.capture("/bin/bash", ["-c", """
                parallel --will-cite --jobs 8 '\(binary) summarize --shard auto/8 --format json --by \(by) -q \(input) \
                > \(viaParallel.path)/shard-{}.json' ::: 0 1 2 3 4 5 6 7 \
                && \(binary) merge \(viaParallel.path)/shard-*.json --format json > \(viaParallel.path)/merged.json
                """])
            #expect(parallel.status == 0, "\(parallel.output.suffix(2000))")
            let xargs = try CLI.capture("/bin/bash", ["-c", """
                seq 0 7 | xargs -P 8 -I{} sh -c '\(binary) summarize --shard {}/8 --format json --by \(by) -q \(input) \
                > \(viaXargs.path)/shard-{}.json' \
                && \(binary) merge \(viaXargs.path)/shard-*.json --format json > \(viaXargs.path)/merged.json
                """])
            #expect(xargs.status == 0, "\(xargs.output.suffix(2000))")
            for dir in [viaParallel, viaXargs] {
                let merged = try String(contentsOf: dir.appendingPathComponent("merged.json"), encoding: .utf8)
                #expect(merged == single.stdout, "\(dir.lastPathComponent): merge differs from the single run")
                let shards = try Self.shardSummaries(dir, count: 8)
                for (i, shard) in shards.enumerated() {
                    #expect((shard.json["shard"] as? [String: Any])?["index"] as? Int == i, "\(dir.lastPathComponent)/shard-\(i).json")
                }
                if by == "file" { Self.checkSplit(shards, files: files, prefix: input) }
            }
            // Both engines ran the same split.
            for i in 0..<8 {
                #expect(try Data(contentsOf: viaParallel.appendingPathComponent("shard-\(i).json")) == Data(contentsOf: viaXargs.appendingPathComponent("shard-\(i).json")))
            }
        }
    }

    /// The same over an `s3://` prefix on moto's server: the listing's sizes balance the shares, and the
    /// merge equals the single run from disk.
    @Test func eightShardsOverS3MergeIntoTheSingleRun() throws {
        let (root, corpus, files) = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try LocalServer.moto()
        let stored = try S3InputTests.upload(server, bucket: "shards", prefix: "corpus/", [corpus])
        #expect(stored == files.count)
        let remote = "s3://shards/corpus/"
        let single = try CLI.run(["summarize", "--format", "json", "--by", "file", "-q", corpus.path + "/"])
        #expect(single.status == 0)
        let out = root.appendingPathComponent("s3")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // The keys travel in the environment, as a batch engine gives them, never on a command line.
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        for (k, v) in S3InputTests.environment(server) { env[k] = v }
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", """
            seq 0 7 | xargs -P 8 -I{} sh -c '\(CLI.binary.path) summarize --shard {}/8 --format json --by file -q \(remote) > \(out.path)/shard-{}.json' \
            && \(CLI.binary.path) merge \(out.path)/shard-*.json --format json > \(out.path)/merged.json
            """]
        process.environment = env
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let merged = try String(contentsOf: out.appendingPathComponent("merged.json"), encoding: .utf8)
        #expect(merged.replacingOccurrences(of: remote, with: corpus.path + "/") == single.stdout)
        Self.checkSplit(try Self.shardSummaries(out, count: 8), files: files, prefix: remote)
    }
}
