import Foundation
import Testing

/// `s3://` input against faults: scripts/stubs/s3-stub.py serves a generated corpus on 127.0.0.1 and injects
/// throttling, server errors, bodies cut halfway, slow first bytes, denied access. The counts must stay those
/// of the local run, the stub's own tally must show every byte served once, and `--verbose` must show the
/// retries.
@Suite struct S3FaultTests {
    struct Stub {
        let server: LocalServer
        let corpus: URL
        let root: URL

        func stats() throws -> [String: Any] { try server.stats() }

        var environment: [String: String] {
            ["AWS_ACCESS_KEY_ID": "AKIDFAULTS", "AWS_SECRET_ACCESS_KEY": "fault-secret-never-shown", "AWS_REGION": "us-east-1",
             "AWS_ENDPOINT_URL_S3": server.url]
        }
    }

    /// A gzip corpus (about 1% malformed lines) served as bucket `faults`, with `faults` rules.
    static func stub(_ faults: [[String: Any]], records: Int = 3000, extra: [String] = []) throws -> Stub {
        let root = try CLI.temporaryDirectory()
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/gen-corpus.py", "--out", root.path, "--records", String(records),
                                                                "--seed", "7", "--malformed-fraction", "0.01", "--formats", "gzip,plain"])
        #expect(status == 0, "\(output)")
        let rules = root.appendingPathComponent("faults.json")
        try JSONSerialization.data(withJSONObject: faults).write(to: rules)
        let corpus = root.appendingPathComponent("corpus")
        let server = try LocalServer(["python3", "scripts/stubs/s3-stub.py", "--root", corpus.path, "--bucket", "faults",
                                      "--faults", rules.path] + extra)
        return Stub(server: server, corpus: corpus, root: root)
    }

    /// The objects' keys and sizes, largest first, as the local walk sees them.
    static func objects(_ corpus: URL) -> [(key: String, size: Int)] {
        var found: [(String, Int)] = []
        let walker = FileManager.default.enumerator(at: corpus, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let key = String(url.standardizedFileURL.path.dropFirst(corpus.standardizedFileURL.path.count + 1))
            found.append((key, (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0))
        }
        return found.sorted { $0.1 > $1.1 }
    }

    @Test func throttlingServerErrorsCutBodiesAndSlowFirstBytesLeaveTheCountsExact() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Rules are written once the keys are known: generate first, then start the stub with them.
        let probe = try Self.stub([])
        probe.server.stop()
        let objects = Self.objects(probe.corpus)
        try? FileManager.default.removeItem(at: probe.root)
        #expect(objects.count >= 5)
        let cut = objects[0], slow = objects[1], throttled = objects[2], failing = objects[3]
        let rules: [[String: Any]] = [
            ["kind": "get", "key": throttled.key, "times": 2, "status": 503, "code": "SlowDown"],
            ["kind": "get", "key": failing.key, "times": 1, "status": 500, "code": "InternalError"],
            ["kind": "list", "times": 1, "status": 503, "code": "SlowDown"],
            ["kind": "get", "key": cut.key, "times": 1, "cut_after_bytes": cut.size / 2, "cut_mode": "close"],
            ["kind": "get", "key": slow.key, "times": 1, "delay_first_byte_ms": 9000],
        ]
        let stub = try Self.stub(rules)
        defer { try? FileManager.default.removeItem(at: stub.root) }
        let local = try CLI.run(["summarize", "--format", "json", stub.corpus.path + "/"])
        let run = try CLI.run(["summarize", "--format", "json", "--verbose", "--read-timeout", "3", "s3://faults/"], environment: stub.environment)
        #expect(run.status == local.status, "\(run.stderr)")
        #expect(run.stdout.replacingOccurrences(of: "s3://faults/", with: stub.corpus.path + "/") == local.stdout)
        let stats = try stub.stats()
        let fired = (stats["faultsFired"] as? [[String: Any]] ?? []).map { $0["fired"] as? Int ?? -1 }
        #expect(fired == [2, 1, 1, 1, 1], "every fault happened: \(fired)")
        // Every object served once, whole; but for the two faulted on purpose, no second request.
        let served = stats["bytesServed"] as? [String: Int] ?? [:]
        for object in objects where object.key != cut.key && object.key != slow.key {
            #expect(served[object.key] == object.size, "\(object.key)")
        }
        let trace = run.stderr
        #expect(trace.contains("503 SlowDown for reading s3://faults/\(throttled.key)"))
        #expect(trace.contains("500 InternalError for reading s3://faults/\(failing.key)"))
        // The cut body resumed from the byte the client reached (the stub wrote half the object; a close may
        // lose the last bytes in flight, so at most half), pinned to the ETag, and asked for the rest only.
        let log = stats["log"] as? [[String: Any]] ?? []
        let cutRequests = log.filter { $0["key"] as? String == cut.key }
        #expect(cutRequests.count == 2)
        let range = cutRequests.last?["range"] as? String ?? ""
        let resumedAt = Int(range.dropFirst("bytes=".count).dropLast()) ?? -1
        #expect(resumedAt > 0 && resumedAt <= cut.size / 2, "\(range)")
        #expect(cutRequests.last?["bytes"] as? Int == cut.size - resumedAt)
        #expect(cutRequests.allSatisfy { ($0["ifMatch"] as? String)?.isEmpty == false })
        #expect(trace.contains("resuming s3://faults/\(cut.key) from byte \(resumedAt)"))
        // The slow one was abandoned before its first byte and asked again from the start.
        #expect(log.filter { $0["key"] as? String == slow.key }.map { $0["range"] is NSNull || $0["range"] == nil } == [true, true])
        #expect(trace.contains("reading s3://faults/\(slow.key): timed out"))
        #expect(trace.contains("503 SlowDown for listing s3://faults/"))
        #expect(!trace.contains("fault-secret-never-shown"))
    }

    @Test func anObjectStillFailingAfterTheAttemptsIsReportedAndTheRestRead() throws {
        let probe = try Self.stub([])
        probe.server.stop()
        let objects = Self.objects(probe.corpus)
        try? FileManager.default.removeItem(at: probe.root)
        let broken = objects[0]
        let stub = try Self.stub([["kind": "get", "key": broken.key, "status": 503, "code": "SlowDown"]])
        defer { try? FileManager.default.removeItem(at: stub.root) }
        var env = stub.environment
        env["AWS_MAX_ATTEMPTS"] = "3"
        let run = try CLI.run(["summarize", "--format", "json", "s3://faults/"], environment: env)
        #expect(run.status == 1)
        #expect(run.stderr.contains("s3://faults/\(broken.key): read failed: reading s3://faults/\(broken.key): SlowDown (HTTP 503) after 3 attempts"))
        // The rest: the local run without that one file.
        let others = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: others) }
        let copy = others.appendingPathComponent("corpus")
        try FileManager.default.copyItem(at: stub.corpus, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent(broken.key))
        let local = try CLI.run(["summarize", "--format", "json", copy.path + "/"])
        let totals = try run.json()["totals"] as? [String: Any], expected = try local.json()["totals"] as? [String: Any]
        #expect(totals?["records"] as? Int == expected?["records"] as? Int)
        #expect(totals?["malformed"] as? Int == expected?["malformed"] as? Int)
        #expect(totals?["inputErrors"] as? Int == 1)
        let asked = (try stub.stats()["log"] as? [[String: Any]] ?? []).filter { $0["key"] as? String == broken.key && $0["kind"] as? String == "get" }
        #expect(asked.count == 3)
        #expect(asked.allSatisfy { $0["status"] as? Int == 503 })
    }

    /// A reader that stops for a while (`| less`, a slow pipe) leaves downloads waiting on it longer than the
    /// read timeout: they must carry on from where they were once it reads again, not fail.
    @Test func aPausedReaderLosesNothing() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // 6 objects of 12,000 records each (about 2 MB): far more than a download may hold for the reader.
        let line = #"{"errorCode":"Lambda.FunctionError","errorMessage":"boom","attemptsMade":1,"arrivalTimestamp":1709647331408,"rawData":"eyJvcmRlciI6IDQyLCAibm90ZSI6ICJwYWRkaW5nIHBhZGRpbmcgcGFkZGluZyJ9"}"#
        let body = String(repeating: line + "\n", count: 12_000)
        for i in 0..<6 {
            let url = root.appendingPathComponent("processing-failed/2024/03/05/14/big-\(i)")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try body.write(to: url, atomically: true, encoding: .utf8)
        }
        let server = try LocalServer(["python3", "scripts/stubs/s3-stub.py", "--root", root.path, "--bucket", "paused"])
        let command = "set -o pipefail; env AWS_ENDPOINT_URL_S3=\(server.url) AWS_EC2_METADATA_DISABLED=true '\(CLI.binary.path)' records "
            + "s3://paused/ --no-sign-request --read-timeout 1 --s3-concurrency 6 --verbose 2> '\(root.path)/stderr' | (sleep 4; wc -l)"
        let (status, output) = try CLI.capture("/bin/bash", ["-c", command])
        let stderr = (try? String(contentsOf: root.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
        #expect(status == 0, "\(stderr.suffix(2000))")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "72000")
        #expect(!stderr.contains("read failed"))
        #expect(stderr.contains("while the reader was behind"))   // the situation did arise
        // No request while the reader slept, and none without progress: each object asked for once from its
        // start, then once per pause (a loaded machine may pause a download more than once), each time from
        // further on than before.
        let stats = try Stub(server: server, corpus: root, root: root).stats()
        let gets = (stats["log"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "get" }
        let pauses = stderr.components(separatedBy: "\n").filter { $0.contains("while the reader was behind") }.count
        #expect(gets.count == 6 + pauses, "\(gets.count) GETs, \(pauses) pauses")
        for key in Set(gets.compactMap { $0["key"] as? String }) {
            let starts = gets.filter { $0["key"] as? String == key }.map { entry -> Int in
                guard let range = entry["range"] as? String else { return 0 }
                return Int(range.dropFirst("bytes=".count).dropLast()) ?? -1
            }
            #expect(starts.first == 0 && zip(starts, starts.dropFirst()).allSatisfy { $0 < $1 }, "\(key): \(starts)")
        }
    }

    @Test func accessDeniedNamesTheBucketAndTheCredentialSourceAndNoSecret() throws {
        let stub = try Self.stub([["kind": "list", "access_denied": true]], records: 200)
        defer { try? FileManager.default.removeItem(at: stub.root) }
        var env = stub.environment
        env["AWS_SESSION_TOKEN"] = "session-token-never-shown"
        let run = try CLI.run(["summarize", "--verbose", "s3://faults/splunk-failed/"], environment: env)
        #expect(run.status == 1)
        #expect(run.stderr.contains("s3://faults/splunk-failed/: access denied listing s3://faults/splunk-failed/ with environment variables"))
        for secret in ["fault-secret-never-shown", "session-token-never-shown"] {
            #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret))
        }
    }

    /// Keys from the environment cannot be renewed: an expired session token is said to be one, with its
    /// source and what to do, and nothing is counted twice.
    @Test func anExpiredTokenFromTheEnvironmentSaysSo() throws {
        let stub = try Self.stub([["expired_token_after_requests": 0]], records: 200)
        defer { try? FileManager.default.removeItem(at: stub.root) }
        var env = stub.environment
        env["AWS_SESSION_TOKEN"] = "stale-token-never-shown"
        let run = try CLI.run(["summarize", "--format", "json", "s3://faults/"], environment: env)
        #expect(run.status == 1)
        #expect(run.stderr.contains("expired"))
        #expect(run.stderr.contains("environment variables"))
        #expect((try run.json()["totals"] as? [String: Any])?["records"] as? Int == 0)
        #expect(!run.stderr.contains("stale-token-never-shown") && !run.stderr.contains("fault-secret-never-shown"))
    }

    @Test func aBucketInAnotherRegionIsFollowed() throws {
        let stub = try Self.stub([["redirect_region": "eu-west-1"]], records: 200, extra: ["--region", "eu-west-1"])
        defer { try? FileManager.default.removeItem(at: stub.root) }
        let run = try CLI.run(["summarize", "--format", "json", "--verbose", "s3://faults/"], environment: stub.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("bucket faults is in eu-west-1, not us-east-1: asking there"))
        let local = try CLI.run(["summarize", "--format", "json", stub.corpus.path + "/"])
        #expect((try run.json()["totals"] as? [String: Any])?["records"] as? Int == (try local.json()["totals"] as? [String: Any])?["records"] as? Int)
        let regions = (try stub.stats()["auth"] as? [String: Any])?["signingRegions"] as? [String: Int] ?? [:]
        #expect(regions["us-east-1"] == 1)   // the first request only
        #expect((regions["eu-west-1"] ?? 0) > 1)
    }
}
