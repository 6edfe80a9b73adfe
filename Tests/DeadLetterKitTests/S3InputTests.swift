import Foundation
import Testing

/// `s3://` paths against a real S3 API on 127.0.0.1 (moto's server). The objects are stored by boto3
/// (scripts/stubs/s3-upload.py), an independent writer; every result is compared with the same tree read
/// from local disk, or with counts fixed by how the tree was built.
@Suite struct S3InputTests {
    /// Environment for a run against `server`: test keys, the endpoint, nothing from the machine.
    static func environment(_ server: LocalServer) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t-never-shown", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL_S3": server.url]
    }

    static func upload(_ server: LocalServer, bucket: String, prefix: String = "", _ dirs: [URL], extra: [String] = []) throws -> Int {
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/stubs/s3-upload.py", "--endpoint", server.url,
                                                                "--bucket", bucket, "--prefix", prefix] + extra + dirs.map(\.path))
        #expect(status == 0, "\(output)")
        return Int(output.split(separator: "\n").last.map(String.init) ?? "") ?? -1
    }

    /// Files under `dir` that a local run reads (hidden entries skipped), counted by hand here.
    static func fileCount(_ dir: URL) -> Int {
        let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        var n = 0
        while let url = walker?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { n += 1 }
        }
        return n
    }

    @Test func samplesAndACorpusReadOverS3EqualTheLocalRun() throws {
        let server = try LocalServer.moto()
        let samples = CLI.packageRoot.appendingPathComponent("samples/firehose")
        let corpusRoot = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: corpusRoot) }
        // 1% malformed lines; plain, gzip and multi-member gzip files (gen-corpus.py's formats).
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/gen-corpus.py", "--out", corpusRoot.path, "--records", "6000",
                                                                "--seed", "16", "--malformed-fraction", "0.01", "--formats", "plain,gzip,gzip-multi"])
        #expect(status == 0, "\(output)")
        let corpus = corpusRoot.appendingPathComponent("corpus")
        let stored = try Self.upload(server, bucket: "failures", prefix: "samples/", [samples])
        #expect(stored == Self.fileCount(samples))
        let storedCorpus = try Self.upload(server, bucket: "failures", prefix: "corpus/", [corpus])
        #expect(storedCorpus == Self.fileCount(corpus))
        let env = Self.environment(server)

        for (remote, local) in [("s3://failures/samples/", samples.path + "/"), ("s3://failures/corpus/", corpus.path + "/")] {
            let overS3 = try CLI.run(["summarize", "--format", "json", remote], environment: env)
            let fromDisk = try CLI.run(["summarize", "--format", "json", local])
            #expect(overS3.status == fromDisk.status, "\(overS3.stderr)")
            #expect(overS3.stdout.replacingOccurrences(of: remote, with: local) == fromDisk.stdout)
            #expect(overS3.stderr.replacingOccurrences(of: remote, with: local) == fromDisk.stderr)

            let rowsS3 = try CLI.run(["records", remote], environment: env)
            let rowsDisk = try CLI.run(["records", local])
            #expect(rowsS3.status == rowsDisk.status)
            #expect(!rowsDisk.stdout.isEmpty)
            #expect(rowsS3.stdout.replacingOccurrences(of: remote, with: local) == rowsDisk.stdout)
        }

        // backfill: byte-identical files.
        let out = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let s3Out = out.appendingPathComponent("s3"), diskOut = out.appendingPathComponent("disk")
        let a = try CLI.run(["backfill", "s3://failures/corpus/", "--target", "raw", "--out", s3Out.path, "-q"], environment: env)
        let b = try CLI.run(["backfill", corpus.path + "/", "--target", "raw", "--out", diskOut.path, "-q"])
        #expect(a.status == b.status, "\(a.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: diskOut.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: s3Out.path).sorted() == names)
        #expect(names.count > 2)
        for name in names where name != "manifest.json" && name != "rejects.ndjson" {
            #expect(try Data(contentsOf: s3Out.appendingPathComponent(name)) == Data(contentsOf: diskOut.appendingPathComponent(name)), "\(name)")
        }
        let manifestS3 = try String(contentsOf: s3Out.appendingPathComponent("manifest.json"), encoding: .utf8)
        let manifestDisk = try String(contentsOf: diskOut.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifestS3.replacingOccurrences(of: "s3://failures/corpus/", with: corpus.path + "/") == manifestDisk)
    }

    /// Agent logs shipped to S3 read as the same files on disk.
    @Test func agentLogsReadOverS3EqualTheLocalRun() throws {
        let server = try LocalServer.moto()
        let agent = CLI.packageRoot.appendingPathComponent("samples/agent")
        let stored = try Self.upload(server, bucket: "agent-logs", prefix: "hosts/", [agent])
        #expect(stored == Self.fileCount(agent))
        let overS3 = try CLI.run(["agent", "--format", "json", "s3://agent-logs/hosts/"], environment: Self.environment(server))
        let fromDisk = try CLI.run(["agent", "--format", "json", agent.path + "/"])
        #expect(overS3.status == fromDisk.status, "\(overS3.stderr)")
        #expect(!fromDisk.stdout.isEmpty)
        #expect(overS3.stdout.replacingOccurrences(of: "s3://agent-logs/hosts/", with: agent.path + "/") == fromDisk.stdout)
        #expect(overS3.stderr.replacingOccurrences(of: "s3://agent-logs/hosts/", with: agent.path + "/") == fromDisk.stderr)
    }

    @Test func moreThanAThousandKeysArePagedAndFolderMarkersSkipped() throws {
        let server = try LocalServer.moto()
        // 1,100 one-record objects and two folder markers: by construction 1,100 records in 1,100 files.
        let stored = try Self.upload(server, bucket: "paged", [], extra: ["--tiny", "1100", "--marker", "many/", "--marker", "many/processing-failed/"])
        #expect(stored == 1102)
        let run = try CLI.run(["summarize", "--format", "json", "--verbose", "s3://paged/many/"], environment: Self.environment(server))
        #expect(run.status == 0, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any]
        #expect(totals?["records"] as? Int == 1100)
        #expect(totals?["files"] as? Int == 1100)
        let listCalls = run.stderr.split(separator: "\n").filter { $0.contains("list-type=2") && $0.contains(": GET ") }
        #expect(listCalls.count == 2)
        #expect(listCalls.last?.contains("continuation-token=") == true)
        #expect(!run.stderr.contains("s3cr3t-never-shown"))
    }

    /// Dated folders around a window of 2024-03-05 13:00–14:00: hours 10..15 of that day, and hours at the
    /// edges of the slack a folder named in another time zone needs (16 hours before `since`, 15 after
    /// `until`): 03-04 20 (ends 03-05 13:00 with the slack: out), 03-04 21 (in), 03-06 04 (in), 03-06 05
    /// (out), and day 03-08 (out). One object each; the object in hour 12 also holds a record that arrived
    /// at 13:10 (a folder is named after its oldest record).
    @Test func timePruningListsOnlyTheHoursThatCanHoldSelectedRecords() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func record(_ hour: Int, _ minute: Int, day: Int = 5) -> String {
            let millis = Int64((Calendar(identifier: .gregorian).date(from: DateComponents(timeZone: TimeZone(identifier: "UTC"), year: 2024, month: 3, day: day, hour: hour, minute: minute))!.timeIntervalSince1970) * 1000)
            return #"{"errorCode":"Lambda.FunctionError","errorMessage":"m","attemptsMade":1,"arrivalTimestamp":\#(millis),"rawData":"eyJ4IjoxfQ=="}"#
        }
        func put(_ path: String, _ lines: [String]) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        for hour in 10...15 where hour != 12 {
            try put(String(format: "processing-failed/2024/03/05/%02d/s-1-obj", hour), [record(hour, 30)])
        }
        try put("processing-failed/2024/03/05/12/s-1-obj", [record(12, 55), record(13, 10)])
        for (day, hour) in [(4, 20), (4, 21), (6, 4), (6, 5), (8, 0)] {
            try put(String(format: "processing-failed/2024/03/%02d/%02d/s-1-obj", day, hour), [record(hour, 30, day: day)])
        }
        _ = try Self.upload(server, bucket: "dated", [root])
        let run = try CLI.run(["summarize", "--format", "json", "--verbose", "--since", "2024-03-05T13:00:00Z", "--until", "2024-03-05T14:00:00Z",
                               "s3://dated/processing-failed/"], environment: Self.environment(server))
        #expect(run.status == 0, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any]
        // Selected: 13:10 (hour 12's object) and 13:30 (hour 13's); read: the objects of 03-04 21, 03-05 10..15, 03-06 04.
        #expect(totals?["records"] as? Int == 2)
        #expect(totals?["files"] as? Int == 8)
        let listed = run.stderr.split(separator: "\n").filter { $0.contains("list-type=2") && $0.contains(": GET ") }.map { line in
            String(line[line.range(of: "prefix=")!.upperBound...]).removingPercentEncoding!
        }
        // The prefix, the year, the month, then each day by folder and its hours that can hold selected records whole.
        let p = "processing-failed/2024/03/"
        #expect(listed.map { $0.components(separatedBy: "&")[0] } == [
            "processing-failed/", "processing-failed/2024/", p,
            p + "04/", p + "04/21/",
            p + "05/", p + "05/10/", p + "05/11/", p + "05/12/", p + "05/13/", p + "05/14/", p + "05/15/",
            p + "06/", p + "06/04/",
        ])
        // 03-04 20, 03-06 05 and day 03-08 were not listed.
        #expect(run.stderr.contains("s3://dated/processing-failed/: 3 dated folders outside --since/--until skipped unread; 8 hour folders read"))

        // A prefix inside the dated tree is pruned from there: the day by folder, then its six hours.
        let day = try CLI.run(["summarize", "--format", "json", "--verbose", "--since", "2024-03-05T13:00:00Z", "--until", "2024-03-05T14:00:00Z",
                               "s3://dated/processing-failed/2024/03/05/"], environment: Self.environment(server))
        #expect((try day.json()["totals"] as? [String: Any])?["records"] as? Int == 2)
        #expect(day.stderr.split(separator: "\n").filter { $0.contains("list-type=2") && $0.contains(": GET ") }.count == 7)
        // A day outside the window is not listed at all.
        let outside = try CLI.run(["summarize", "--format", "json", "--verbose", "--since", "2024-03-05T13:00:00Z", "--until", "2024-03-05T14:00:00Z",
                                   "s3://dated/processing-failed/2024/03/08/"], environment: Self.environment(server))
        #expect((try outside.json()["totals"] as? [String: Any])?["records"] as? Int == 0)
        #expect(!outside.stderr.contains("list-type=2"))
        #expect(outside.stderr.contains("1 dated folder outside --since/--until skipped unread"))

        // Without a window everything is listed in one call and read.
        let all = try CLI.run(["summarize", "--format", "json", "s3://dated/processing-failed/"], environment: Self.environment(server))
        #expect((try all.json()["totals"] as? [String: Any])?["records"] as? Int == 12)
    }

    /// As a local path names a file or a directory, `s3://b/errors` is the object or the folder `errors`, not
    /// every key that starts with those letters.
    @Test func aPathWithoutSlashNamesAnObjectOrAFolderAsALocalPathDoes() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let line = #"{"errorCode":"E","errorMessage":"m","attemptsMade":1,"arrivalTimestamp":1709647331408,"rawData":"eyJ4IjoxfQ=="}"#
        for (path, records) in [("errors/a", 1), ("errors/b/c", 2), ("errors-old/d", 4), ("errorsX", 8)] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (Array(repeating: line, count: records).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        try Data().write(to: root.appendingPathComponent("errors/empty"))
        _ = try Self.upload(server, bucket: "named", [root])
        func records(_ path: String, _ extra: [String] = []) throws -> Int? {
            let run = try CLI.run(["summarize", "--format", "json", path] + extra, environment: Self.environment(server))
            return (try run.json()["totals"] as? [String: Any])?["records"] as? Int
        }
        #expect(try records("s3://named/errors") == 3)
        #expect(try records("s3://named/errors/") == 3)
        #expect(try records("s3://named/errors-old/d") == 4)
        #expect(try records("s3://named/errorsX") == 8)
        #expect(try records("s3://named/") == 15)
        #expect(try records("s3://named") == 15)
        #expect(try records("s3://named/errors", ["--since", "2024-01-01"]) == 3)   // the folder walk too
        let folder = try CLI.run(["summarize", "s3://named/errors"], environment: Self.environment(server))
        #expect(folder.stderr.contains("note: s3://named/errors/empty: empty object (0 bytes)"))
        let none = try CLI.run(["summarize", "s3://named/err"], environment: Self.environment(server))
        #expect(none.stderr.contains("s3://named/err: no object or folder of that name"))
    }

    @Test func aMissingBucketAndAnEmptyPrefixAreReportedAndLocalInputsStillRead() throws {
        let server = try LocalServer.moto()
        _ = try Self.upload(server, bucket: "present", [], extra: ["--marker", "empty/"])
        let sample = CLI.packageRoot.appendingPathComponent("samples/firehose/bucket/splunk-failed").path
        let run = try CLI.run(["summarize", "--format", "json", "s3://absent-bucket/x/", "s3://present/empty/", sample],
                              environment: Self.environment(server))
        #expect(run.status == 1)
        #expect(run.stderr.contains("s3://absent-bucket/x/: bucket absent-bucket does not exist"))
        #expect(run.stderr.contains("s3://present/empty/: no object or folder of that name"))
        let local = try CLI.run(["summarize", "--format", "json", sample])
        #expect((try run.json()["totals"] as? [String: Any])?["records"] as? Int == (try local.json()["totals"] as? [String: Any])?["records"] as? Int)
    }
}
