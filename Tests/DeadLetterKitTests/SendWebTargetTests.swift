import Foundation
import Testing
@testable import DeadLetterSend
@testable import DeadLetterBackfill

/// `send` to OpenSearch, Splunk HEC and an HTTP endpoint, run as a user runs it, against the fault stubs of
/// scripts/stubs (bulk-stub.py, hec-stub.py, http-endpoint-stub.py) on 127.0.0.1. Each stub counts what it took
/// per item (SHA-256 of the document, the HEC event or the decoded data, as its docstring says); the payloads are
/// made here with their canonical form known by construction, so "each item delivered once, or in
/// send-failed/ with its reason" is checked from the receiving side.
@Suite struct SendWebTargetTests {
    static func sha(_ text: String) -> String { Array(text.utf8).withUnsafeBufferPointer { Digest.sha256Hex($0) } }

    static func writeJSON(_ object: Any, to url: URL) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// Firehose failure records under `folder/`, one per payload, with `extra` fields each.
    static func failures(_ root: URL, folder: String, payloads: [String], extra: (Int) -> [String: Any]) throws -> URL {
        let dir = root.appendingPathComponent("bucket/\(folder)/2024/03/05/14")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var lines: [String] = []
        for (i, payload) in payloads.enumerated() {
            var record: [String: Any] = ["attemptsMade": 1, "arrivalTimestamp": 1_709_649_000_000 + i, "errorCode": "500",
                                         "errorMessage": "injected", "attemptEndingTimestamp": 1_709_649_100_000 + i,
                                         "rawData": Data(payload.utf8).base64EncodedString()]
            for (k, v) in extra(i) { record[k] = v }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("failed-1"), atomically: true, encoding: .utf8)
        return root.appendingPathComponent("bucket")
    }

    /// A backfill directory of `target` made from failure records of these payloads, written as a user would.
    static func backfilled(_ root: URL, target: String, folder: String, payloads: [String], limit: [String] = [], out: String = "out",
                           extra: @escaping (Int) -> [String: Any] = { _ in [:] }) throws -> (bucket: URL, dir: URL) {
        let bucket = try failures(root, folder: folder, payloads: payloads, extra: extra)
        let dir = root.appendingPathComponent(out)
        let backfill = try CLI.run(["backfill", bucket.path, "--target", target, "--out", dir.path, "-q"] + limit)
        #expect(backfill.status == 0, "\(backfill.stderr)")
        return (bucket, dir)
    }

    /// A file holding a secret, as --token-file and the stubs' options read it.
    static func secretFile(_ root: URL, _ name: String, _ secret: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        try (secret + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func minus(_ a: [String: Int], _ b: [String: Int]) -> [String: Int] { SendFaultTests.minus(a, b) }

    static func counts(_ digests: [String]) -> [String: Int] { digests.reduce(into: [:]) { $0[$1, default: 0] += 1 } }

    /// What `send-failed/` holds, digested by `digest` per item.
    static func deadLetters(_ dir: URL, _ digest: ([UInt8]) throws -> String) throws -> [String: Int] {
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("send-failed/manifest.json").path) else { return [:] }
        return counts(try BackfillDirectory.read(dir.appendingPathComponent("send-failed").path).files.flatMap { try $0.items().map(digest) })
    }

    static func expectNoSecret(_ secrets: [String], in run: CLI.Result, files dir: URL) throws {
        var texts = [run.stdout, run.stderr]
        let enumerator = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if let text = try? String(contentsOf: url, encoding: .utf8) { texts.append(text) }
        }
        for secret in secrets {
            #expect(!texts.contains { $0.contains(secret) }, "a secret was written out")
        }
    }

    // MARK: OpenSearch

    @Test func openSearchEveryDocumentOnceDespiteThrottlingFaultsAndALostAnswer() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Keys sorted, no spaces, ASCII: each document is its own canonical form.
        let documents = (0..<1200).map { #"{"msg":"m-\#($0)","n":\#($0)}"# }
        let bucket = try Self.failures(root, folder: "AmazonOpenSearchService-failed", payloads: documents) { i in
            ["esIndexName": "logs", "esDocumentId": "doc-\(i)", "esTypeName": ""]
        }
        let bulk = root.appendingPathComponent("bulk")
        let backfill = try CLI.run(["backfill", bucket.path, "--target", "opensearch", "--max-bytes", "16000", "--out", bulk.path])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        #expect(backfill.stdout.contains("send them with: deadletter send \(bulk.path) --url https://HOST"))
        let auth = try Self.secretFile(root, "auth", "admin:os-password-never-shown")
        let rules = root.appendingPathComponent("faults.json")
        try Self.writeJSON([
            ["item_status": 429, "fraction": 0.1, "attempts": [1, 2]],
            ["item_status": 400, "reason": "failed to parse field [n]", "fraction": 0.02, "attempts": [1]],
            ["call_status": 503, "first": 1],
            ["cut_after_bytes": 20, "calls": [3]],
            ["delay_ms": 300, "calls": [5]],
        ], to: rules)
        let stub = try LocalServer(["python3", "scripts/stubs/bulk-stub.py", "--basic-auth-file", auth.path, "--faults", rules.path, "--seed", "3"])
        let env = ["DEADLETTER_OPENSEARCH_USER": "admin", "DEADLETTER_OPENSEARCH_PASSWORD": "os-password-never-shown"]
        let run = try CLI.run(["send", bulk.path, "--url", stub.url, "--format", "json", "--verbose", "--concurrency", "4"], environment: env)
        #expect(run.status == 3, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let stats = try stub.stats()
        let accepted = stats["accepted"] as? [String: Int] ?? [:]
        let all = Self.counts(documents.map(Self.sha))
        // Mapping errors the client saw: not those of the call whose answer was cut (sent again, taken then).
        let cut = Set((stats["log"] as? [[String: Any]] ?? []).filter { ($0["cut"] as? Bool) == true || ($0["cut"] as? Int ?? 0) > 0 }
            .compactMap { $0["n"] as? Int })
        #expect(cut.count == 1)
        let mapping = (stats["rejected"] as? [[String: Any]] ?? []).filter {
            $0["code"] as? String == "mapper_parsing_exception" && !cut.contains($0["request"] as? Int ?? -1)
        }
        #expect(!mapping.isEmpty)
        // Nothing twice: the replay of the call whose answer was cut answered 409, counted as delivered.
        #expect(accepted.values.allSatisfy { $0 == 1 })
        #expect((stats["conflicts"] as? Int ?? 0) > 0)
        let dead = try Self.deadLetters(bulk) { item in
            Self.sha(String(decoding: item, as: UTF8.self).split(separator: "\n")[1].description)
        }
        #expect(Self.minus(Self.minus(all, accepted), dead).isEmpty)
        #expect(dead.values.reduce(0, +) == mapping.count)
        #expect(totals["items"] as? Int == documents.count)
        #expect(totals["failed"] as? Int == mapping.count)
        #expect(totals["sent"] as? Int == documents.count - mapping.count)
        let rejects = try String(contentsOf: bulk.appendingPathComponent("send-failed/rejects.ndjson"), encoding: .utf8)
        #expect(rejects.split(separator: "\n").allSatisfy { $0.contains("mapper_parsing_exception") && $0.contains("failed to parse field [n]") })
        // Every request carried basic auth; the password is nowhere.
        #expect((stats["auth"] as? [String: Any])?["refused"] as? Int == 0)
        try Self.expectNoSecret(["os-password-never-shown", "YWRtaW46b3MtcGFzc3dvcmQtbmV2ZXItc2hvd24="], in: run, files: bulk)

        // A wrong password: every item a dead letter with the cluster's reason, nothing sent, exit 3.
        let again = root.appendingPathComponent("again")
        #expect(try CLI.run(["backfill", bucket.path, "--target", "opensearch", "--out", again.path, "-q"]).status == 0)
        let refused = try CLI.run(["send", again.path, "--url", stub.url, "--format", "json", "--max-attempts", "2"],
                                  environment: ["DEADLETTER_OPENSEARCH_USER": "admin", "DEADLETTER_OPENSEARCH_PASSWORD": "wrong"])
        #expect(refused.status == 3)
        #expect((try refused.json()["totals"] as? [String: Any])?["failed"] as? Int == documents.count)
        let refusals = try String(contentsOf: again.appendingPathComponent("send-failed/rejects.ndjson"), encoding: .utf8)
        #expect(refusals.contains("security_exception") && refusals.contains("unable to authenticate user"))
    }

    @Test func openSearchServerlessIsSignedWithAWSCredentials() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let documents = (0..<30).map { #"{"n":\#($0)}"# }
        let bulk = try Self.backfilled(root, target: "opensearch", folder: "AmazonOpenSearchService-failed", payloads: documents) { i in
            ["osIndexName": "logs", "osDocumentId": "d\(i)"]
        }.dir
        let stub = try LocalServer(["python3", "scripts/stubs/bulk-stub.py", "--sigv4", "aoss"])
        let env = ["AWS_ACCESS_KEY_ID": "AKIDSERVERLESS", "AWS_SECRET_ACCESS_KEY": "aoss-secret-never-shown",
                   "AWS_SESSION_TOKEN": "aoss-token-never-shown", "AWS_REGION": "eu-west-1"]
        let run = try CLI.run(["send", bulk.path, "--url", stub.url, "--sigv4", "aoss", "--verbose"], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("SigV4 aoss in eu-west-1"))
        let auth = try stub.stats()["auth"] as? [String: Any] ?? [:]
        #expect(auth["refused"] as? Int == 0)
        #expect(auth["services"] as? [String: Int] == ["aoss": 1])
        #expect(auth["accessKeyIds"] as? [String: Int] == ["AKIDSERVERLESS": 1])
        #expect(auth["tokenHashes"] as? [String] == [String(Self.sha("aoss-token-never-shown").prefix(12))])
        #expect(try stub.stats()["acceptedItems"] as? Int == 30)
        try Self.expectNoSecret(["aoss-secret-never-shown", "aoss-token-never-shown"], in: run, files: bulk)
    }

    // MARK: Splunk HEC

    @Test func hecWithAcknowledgementDeliversEveryEventAndCountsTheUncertainOnes() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // HEC events pass through byte for byte; keys sorted, no spaces: their own canonical form.
        let events = (0..<900).map { #"{"event":{"n":\#($0)},"source":"app","time":\#(1_709_649_000 + $0)}"# }
        let hec = try Self.backfilled(root, target: "splunk-hec", folder: "splunk-failed", payloads: events, limit: ["--max-bytes", "8000"]).dir
        let token = try Self.secretFile(root, "token", "hec-token-never-shown")
        let rules = root.appendingPathComponent("faults.json")
        try Self.writeJSON([
            ["call_status": 503, "api": "event", "first": 2],
            ["ack_lost": true, "calls": [4]],
            ["cut_after_bytes": 10, "api": "event", "calls": [6]],
            ["call_status": 500, "api": "ack", "calls": [2]],
        ], to: rules)
        let stub = try LocalServer(["python3", "scripts/stubs/hec-stub.py", "--token-file", token.path, "--ack", "--ack-after-polls", "2",
                                    "--faults", rules.path])
        let run = try CLI.run(["send", hec.path, "--url", stub.url, "--token-file", token.path, "--ack", "--ack-timeout", "2s",
                               "--format", "json", "--verbose", "--concurrency", "4"])
        #expect(run.status == 0, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let stats = try stub.stats()
        let accepted = stats["accepted"] as? [String: Int] ?? [:]
        let all = Self.counts(events.map(Self.sha))
        #expect(Self.minus(all, accepted).filter { $0.value > 0 }.isEmpty, "every event indexed")
        let extra = Self.minus(accepted, all).values.reduce(0, +)
        #expect(extra <= totals["possiblyDuplicated"] as? Int ?? -1)
        #expect((totals["possiblyDuplicated"] as? Int ?? 0) > 0)   // the lost ack and the cut answer
        #expect((stats["acks"] as? [String: Any])?["lost"] as? Int ?? 0 > 0)
        #expect(totals["sent"] as? Int == events.count && (totals["retried"] as? Int ?? 0) > 0)
        #expect((stats["channels"] as? [String: Int])?.keys.allSatisfy { $0 != "-" } == true)
        try Self.expectNoSecret(["hec-token-never-shown"], in: run, files: hec)

        // Without a token: usage error, nothing sent.
        let none = try CLI.run(["send", hec.path, "--url", stub.url])
        #expect(none.status == 64 && none.stderr.contains("DEADLETTER_HEC_TOKEN"))
    }

    // MARK: HTTP endpoint

    @Test func httpEndpointRequestsSucceedOrFailWholeAndNothingIsLost() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let payloads = (0..<1500).map { "payload \($0) " + String(repeating: "x", count: $0 % 37) }
        let requests = try Self.backfilled(root, target: "http-endpoint", folder: "http-endpoint-failed", payloads: payloads,
                                           limit: ["--max-records", "100"]).dir
        let key = try Self.secretFile(root, "key", "endpoint-key-never-shown")
        let poison = Self.sha(payloads[250])
        let rules = root.appendingPathComponent("faults.json")
        try Self.writeJSON([
            ["call_status": 500, "first": 1],
            ["call_status": 429, "calls": [3]],
            ["wrong_request_id": true, "calls": [5]],
            ["item_status": 400, "message": "record 250 is not wanted", "digest": poison],
        ], to: rules)
        let stub = try LocalServer(["python3", "scripts/stubs/http-endpoint-stub.py", "--access-key-file", key.path, "--faults", rules.path])
        // One call at a time, so the calls the rules name are the files in order (record 250 is in the third).
        let run = try CLI.run(["send", requests.path, "--url", stub.url + "/ingest", "--format", "json", "--verbose", "--concurrency", "1"],
                              environment: ["DEADLETTER_HTTP_ACCESS_KEY": "endpoint-key-never-shown"])
        #expect(run.status == 3, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let stats = try stub.stats()
        let accepted = stats["accepted"] as? [String: Int] ?? [:]
        let all = Self.counts(payloads.map(Self.sha))
        let dead = try Self.deadLetters(requests) { item in
            let object = try JSONSerialization.jsonObject(with: Data(item)) as? [String: String]
            return Array(Data(base64Encoded: object?["data"] ?? "") ?? Data()).withUnsafeBufferPointer { Digest.sha256Hex($0) }
        }
        // The request holding record 250 failed whole: its 100 records are the dead letters, with the reason.
        #expect(dead.values.reduce(0, +) == 100 && dead[poison] == 1)
        #expect(Self.minus(Self.minus(all, accepted), dead).filter { $0.value > 0 }.isEmpty)
        // Taken twice: only the request answered with another id (taken, then sent again).
        let extra = Self.minus(accepted, all).filter { $0.value > 0 }.values.reduce(0, +)
        #expect(extra == 100 && totals["possiblyDuplicated"] as? Int == 100)
        #expect(totals["failed"] as? Int == 100 && totals["sent"] as? Int == 1400)
        #expect((stats["paths"] as? [String: Int])?.keys.sorted() == ["/ingest"])
        let rejects = try String(contentsOf: requests.appendingPathComponent("send-failed/rejects.ndjson"), encoding: .utf8)
        #expect(rejects.contains("record 250 is not wanted"))
        try Self.expectNoSecret(["endpoint-key-never-shown"], in: run, files: requests)
    }

    /// Dead letters whose call's answer was lost say so, and sending them later counts them as possibly
    /// duplicated: the stub did take them the first time.
    @Test func deadLettersThatMayHaveArrivedAreCountedWhenSentAgain() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let payloads = (0..<300).map { "record \($0)" }
        let requests = try Self.backfilled(root, target: "http-endpoint", folder: "http-endpoint-failed", payloads: payloads,
                                           limit: ["--max-records", "100"]).dir
        let rules = root.appendingPathComponent("faults.json")
        try Self.writeJSON([["cut_after_bytes": 10, "calls": [2]]], to: rules)
        let stub = try LocalServer(["python3", "scripts/stubs/http-endpoint-stub.py", "--faults", rules.path])
        let first = try CLI.run(["send", requests.path, "--url", stub.url, "--max-attempts", "1", "--concurrency", "1", "--format", "json"])
        #expect(first.status == 3, "\(first.stderr)")
        let rejects = try String(contentsOf: requests.appendingPathComponent("send-failed/rejects.ndjson"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 100 && rejects.allSatisfy { $0.contains("\"mayHaveArrived\":true") && $0.contains("\"code\":\"Transport\"") })
        #expect(try stub.stats()["acceptedItems"] as? Int == 300)   // the cut call was taken
        let later = try CLI.run(["send", requests.appendingPathComponent("send-failed").path, "--url", stub.url, "--format", "json"])
        #expect(later.status == 0, "\(later.stderr)")
        let totals = try later.json()["totals"] as? [String: Any] ?? [:]
        #expect(totals["sent"] as? Int == 100 && totals["possiblyDuplicated"] as? Int == 100)
        #expect(try stub.stats()["duplicates"] as? Int == 100)
        #expect(later.stderr.contains("may have arrived twice"))
    }

    /// `--rate`: 400 items in calls of 100 at 200 items a second take at least 1.5 s (each call waits for the
    /// previous one's share of the second), however many calls may be in flight.
    @Test func rateLimitsItemsPerSecond() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let requests = try Self.backfilled(root, target: "http-endpoint", folder: "http-endpoint-failed", payloads: (0..<400).map { "r\($0)" },
                                           limit: ["--max-records", "100"]).dir
        let stub = try LocalServer(["python3", "scripts/stubs/http-endpoint-stub.py"])
        let started = Date()
        let run = try CLI.run(["send", requests.path, "--url", stub.url, "--rate", "200", "--concurrency", "8", "--format", "json"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(elapsed >= 1.5, "\(elapsed) s")
        #expect(try stub.stats()["acceptedItems"] as? Int == 400)
        #expect(try CLI.run(["send", requests.path, "--url", stub.url, "--rate", "0"]).status == 64)
    }

    /// A run stopped after journaling its dead letters and before writing them (here: send-failed/ removed,
    /// as a kill at that moment leaves it) writes them next time; an item whose answer was lost and which then
    /// failed otherwise until --max-attempts still says it may have arrived.
    @Test func deadLettersJournaledButNotWrittenAreWrittenByTheNextRun() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let requests = try Self.backfilled(root, target: "http-endpoint", folder: "http-endpoint-failed", payloads: (0..<200).map { "x\($0)" },
                                           limit: ["--max-records", "100"]).dir
        let rules = root.appendingPathComponent("faults.json")
        try Self.writeJSON([["cut_after_bytes": 10, "calls": [1]], ["call_status": 503, "calls": [3, 4]]], to: rules)
        let stub = try LocalServer(["python3", "scripts/stubs/http-endpoint-stub.py", "--faults", rules.path])
        let arguments = ["send", requests.path, "--url", stub.url, "--max-attempts", "3", "--concurrency", "1", "--format", "json"]
        let first = try CLI.run(arguments)
        #expect(first.status == 3, "\(first.stderr)")
        let rejectsPath = requests.appendingPathComponent("send-failed/rejects.ndjson")
        let rejects = try String(contentsOf: rejectsPath, encoding: .utf8)
        // Call 1 (file 1) was cut after the stub took it; its retries (calls 3 and 4) answered 503.
        #expect(rejects.split(separator: "\n").count == 100)
        #expect(rejects.split(separator: "\n").allSatisfy { $0.contains("\"code\":\"HTTP503\"") && $0.contains("\"mayHaveArrived\":true") })
        try FileManager.default.removeItem(at: requests.appendingPathComponent("send-failed"))
        let second = try CLI.run(arguments)
        #expect(second.status == 3)
        #expect((try second.json()["totals"] as? [String: Any])?["failed"] as? Int == 100)
        #expect(try String(contentsOf: rejectsPath, encoding: .utf8) == rejects)
        // A dry run of the dead letters reads their journal-less directory and writes nothing.
        let dry = try CLI.run(["send", requests.appendingPathComponent("send-failed").path, "--url", stub.url, "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("would send 100"))
        #expect(!FileManager.default.fileExists(atPath: requests.appendingPathComponent("send-failed/send-journal.ndjson").path))
    }

    /// A document whose id is in the index before this send: not overwritten, not counted as sent, a dead
    /// letter that says so.
    @Test func openSearchLeavesDocumentsThatWereThereAlone() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let documents = (0..<20).map { #"{"n":\#($0)}"# }
        let made = try Self.backfilled(root, target: "opensearch", folder: "AmazonOpenSearchService-failed", payloads: documents) { i in
            ["esIndexName": "logs", "esDocumentId": "d\(i)"]
        }
        let stub = try LocalServer(["python3", "scripts/stubs/bulk-stub.py"])
        #expect(try CLI.run(["send", made.dir.path, "--url", stub.url]).status == 0)
        let again = root.appendingPathComponent("again")
        #expect(try CLI.run(["backfill", made.bucket.path, "--target", "opensearch", "--out", again.path, "-q"]).status == 0)
        let run = try CLI.run(["send", again.path, "--url", stub.url, "--format", "json"])
        #expect(run.status == 3)
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        #expect(totals["sent"] as? Int == 0 && totals["failed"] as? Int == 20)
        let rejects = try String(contentsOf: again.appendingPathComponent("send-failed/rejects.ndjson"), encoding: .utf8)
        #expect(rejects.split(separator: "\n").allSatisfy { $0.contains("\"code\":\"AlreadyExists\"") && $0.contains("left as it is") })
        #expect(try stub.stats()["conflicts"] as? Int == 20)
        #expect((try stub.stats()["results"] as? [String: Int])?["updated"] == nil)
    }

    /// Two sends of one directory at once would each send what the other has in flight: the second is refused.
    @Test func aSecondSendOfTheSameDirectoryWaitsItsTurn() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let requests = try Self.backfilled(root, target: "http-endpoint", folder: "http-endpoint-failed", payloads: (0..<50).map { "p\($0)" },
                                           limit: ["--max-records", "10"]).dir
        let stub = try LocalServer(["python3", "scripts/stubs/http-endpoint-stub.py", "--delay-ms", "400"])
        let first = try CLI.start(["send", requests.path, "--url", stub.url, "--concurrency", "1"])
        let journal = requests.appendingPathComponent("send-journal.ndjson").path
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? String(contentsOfFile: journal, encoding: .utf8))?.contains("\"sending\"") != true {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let second = try CLI.run(["send", requests.path, "--url", stub.url])
        #expect(second.status == 1)
        #expect(second.stderr.contains("cannot lock the journal: another deadletter run is using it"))
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(try stub.stats()["acceptedItems"] as? Int == 50 && (try stub.stats()["duplicates"] as? Int) == 0)
    }
}
