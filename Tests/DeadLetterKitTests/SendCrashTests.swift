import Foundation
import Testing
@testable import DeadLetterSend
@testable import DeadLetterBackfill

/// `kill -9` at random moments while `send` delivers 100,000 records to the send stub, 20 times, then a run
/// to the end. The stub counts every payload it took; the journal says which calls were out when a run was
/// killed. Every item must have arrived, and an item may have arrived more than once only if it was in one
/// of those calls.
@Suite struct SendCrashTests {
    @Test(.timeLimit(.minutes(5))) func killedAtRandomMomentsThenResumedNothingIsLostAndOnlyInFlightItemsRepeat() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/gen-corpus.py", "--out", root.path, "--records", "100000",
                                                                "--seed", "31", "--fresh-payloads", "--clean"])
        #expect(status == 0, "\(output)")
        let batches = root.appendingPathComponent("batches")
        let backfill = try CLI.run(["backfill", root.appendingPathComponent("corpus").path, "--target", "firehose", "--stream", "orders",
                                    "--out", batches.path, "-q"])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        let directory = try BackfillDirectory.read(batches.path)
        // The corpus's control messages and empty payloads are backfill's rejects, not items.
        #expect(directory.itemCount >= 95_000)
        // Slow calls stretch a whole send past the 20 trials, so each kill interrupts a run with work left: half
        // the time a call waits before the stub takes its items (a kill then loses the call: its items must be
        // sent again), half after (a kill then loses only the answer: its items may arrive twice).
        let stub = try LocalServer(["python3", "scripts/stubs/send-stub.py", "--stream", "orders", "--process-delay-ms", "125", "--delay-ms", "125"])
        let env = ["AWS_ACCESS_KEY_ID": "AKIDCRASH", "AWS_SECRET_ACCESS_KEY": "crash-secret", "AWS_REGION": "us-east-1",
                   "AWS_ENDPOINT_URL": stub.url, "AWS_EC2_METADATA_DISABLED": "true"]

        let killed = try Self.killRepeatedly(batches: batches, arguments: [], env: env, calls: directory.files.count)
        let last = try CLI.run(["send", batches.path, "--format", "json"], environment: env)
        #expect(last.status == 0, "\(last.stderr)")
        // The trials did deliver part of it: the last run had work left, and work already done.
        let lastTotals = try last.json()["totals"] as? [String: Any] ?? [:]
        #expect((lastTotals["alreadySent"] as? Int ?? 0) > 0 && (lastTotals["sent"] as? Int ?? 0) > 0, "\(lastTotals)")

        let repeats = try Self.expectEveryItemAndOnlyInFlightRepeats(batches: batches, directory: directory, stub: stub) { item in
            let object = try JSONSerialization.jsonObject(with: Data(item)) as? [String: Any]
            let data = Data(base64Encoded: object?["Data"] as? String ?? "") ?? Data()
            return Array(data).withUnsafeBufferPointer { Digest.sha256Hex($0) }
        }
        // At most the calls in flight at each kill (8 at a time, 500 records each).
        #expect(repeats <= killed * 8 * 500)
    }

    /// The same trials for the targets with their own HTTP APIs, on 30,000 records each: OpenSearch (every
    /// document has an id, so `create` makes even an in-flight replay a 409: nothing may arrive twice), Splunk
    /// HEC with indexer acknowledgement (events count only once their ack is true) and an HTTP endpoint.
    @Test(.timeLimit(.minutes(5)), arguments: ["opensearch", "splunk-hec", "http-endpoint"])
    func killedAtRandomMomentsThenResumedWebTargets(target: String) throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let count = 30_000
        // Payloads whose canonical form (what the stubs digest) is their text, by construction.
        let payloads: [String]
        let folder: String
        var extra: (Int) -> [String: Any] = { _ in [:] }
        switch target {
        case "opensearch":
            payloads = (0..<count).map { #"{"msg":"m-\#($0)","n":\#($0)}"# }
            folder = "AmazonOpenSearchService-failed"
            extra = { ["esIndexName": "logs", "esDocumentId": "doc-\($0)"] }
        case "splunk-hec":
            payloads = (0..<count).map { #"{"event":{"n":\#($0)},"time":\#(1_709_649_000 + $0)}"# }
            folder = "splunk-failed"
        default:
            payloads = (0..<count).map { "payload \($0)" }
            folder = "http-endpoint-failed"
        }
        let bucket = try SendWebTargetTests.failures(root, folder: folder, payloads: payloads, extra: extra)
        let batches = root.appendingPathComponent("batches")
        let backfill = try CLI.run(["backfill", bucket.path, "--target", target, "--max-records", "200", "--out", batches.path, "-q"])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        let directory = try BackfillDirectory.read(batches.path)
        #expect(directory.itemCount == count)
        let delays = ["--process-delay-ms", "100", "--delay-ms", "100"]
        let stub: LocalServer
        var arguments = ["--url", ""]
        var env: [String: String] = [:]
        let digest: ([UInt8]) throws -> String
        switch target {
        case "opensearch":
            stub = try LocalServer(["python3", "scripts/stubs/bulk-stub.py"] + delays)
            digest = { SendWebTargetTests.sha(String(decoding: $0, as: UTF8.self).split(separator: "\n")[1].description) }
        case "splunk-hec":
            stub = try LocalServer(["python3", "scripts/stubs/hec-stub.py", "--ack"] + delays)
            // Two calls at a time: each waits for its ack polls, and the 20 trials must leave work for the last run.
            arguments += ["--ack", "--concurrency", "2"]
            env["DEADLETTER_HEC_TOKEN"] = "crash-hec-token"
            digest = { SendWebTargetTests.sha(String(decoding: $0.dropLast(), as: UTF8.self)) }
        default:
            stub = try LocalServer(["python3", "scripts/stubs/http-endpoint-stub.py"] + delays)
            digest = { item in
                let object = try JSONSerialization.jsonObject(with: Data(item)) as? [String: String]
                return Array(Data(base64Encoded: object?["data"] ?? "") ?? Data()).withUnsafeBufferPointer { Digest.sha256Hex($0) }
            }
        }
        arguments[1] = stub.url
        // With acknowledgement a call is done only after its ack polls: a wider window lets runs finish some.
        let killed = try Self.killRepeatedly(batches: batches, arguments: arguments, env: env, window: target == "splunk-hec" ? 2 : 0.3,
                                             calls: directory.files.count)
        let last = try CLI.run(["send", batches.path, "--format", "json"] + arguments, environment: env)
        #expect(last.status == 0, "\(last.stderr)")
        let lastTotals = try last.json()["totals"] as? [String: Any] ?? [:]
        #expect((lastTotals["alreadySent"] as? Int ?? 0) > 0 && (lastTotals["sent"] as? Int ?? 0) > 0, "\(lastTotals)")
        let repeats = try Self.expectEveryItemAndOnlyInFlightRepeats(batches: batches, directory: directory, stub: stub, digest: digest)
        if target == "opensearch" {
            #expect(repeats == 0, "a document was written twice")
            #expect((try stub.stats()["conflicts"] as? Int ?? 0) > 0, "the trials must replay calls the cluster had taken")
        }
        #expect(repeats <= killed * 8 * 200)
    }

    /// The items of each call a journal shows sent and never answered ("sending" without its "answered"):
    /// those out when a run died.
    static func unansweredCalls(_ journal: URL) throws -> [[String]] {
        var sent: [String: [String]] = [:]
        var answered: Set<String> = []
        for line in try String(contentsOf: journal, encoding: .utf8).split(separator: "\n") {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let request = entry["request"] as? String else { continue }
            if entry["event"] as? String == "sending" { sent[request] = entry["items"] as? [String] ?? [] }
            if entry["event"] as? String == "answered" { answered.insert(request) }
        }
        return sent.filter { !answered.contains($0.key) }.map(\.value)
    }

    /// Runs `send` 20 times, each killed with SIGKILL at a seeded moment within `window` seconds of its first
    /// call; returns how many runs were killed (the others finished).
    /// `calls`: how many calls the whole send makes (a file each). The trials stop once most of them were
    /// answered, so the last run has work left however fast they went: a loaded machine oversleeps the kill
    /// moments, and 20 trials could otherwise deliver everything.
    static func killRepeatedly(batches: URL, arguments: [String], env: [String: String], window: Double = 0.3, calls: Int) throws -> Int {
        // Seeded moments, from just after the start to most of a full run.
        var seed: UInt64 = 0x5eed
        func nextDelay() -> Double {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Double(seed >> 11) / Double(1 << 53) * window
        }
        var killed = 0
        for _ in 0..<20 {
            // The moment counts from the run's first call (reading and checking the files comes first).
            let journalPath = batches.appendingPathComponent("send-journal.ndjson").path
            let journal = (try? String(contentsOfFile: journalPath, encoding: .utf8)) ?? ""
            if journal.components(separatedBy: "\"answered\"").count - 1 >= calls * 7 / 10 { break }
            let before = journal.components(separatedBy: "\"sending\"").count
            let process = try CLI.start(["send", batches.path, "-q"] + arguments, environment: env)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline,
                  ((try? String(contentsOfFile: journalPath, encoding: .utf8))?.components(separatedBy: "\"sending\"").count ?? 0) <= before {
                Thread.sleep(forTimeInterval: 0.005)
            }
            Thread.sleep(forTimeInterval: nextDelay())
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
        }
        #expect(killed >= 5, "the trials must interrupt runs, not watch them finish")
        return killed
    }

    /// Every item of the files reached the stub at least once, and an item arrived more than once only if it
    /// was in a call that was out when a run died ("sending" in the journal without its "answered"); returns
    /// how many arrivals were repeats.
    static func expectEveryItemAndOnlyInFlightRepeats(batches: URL, directory: BackfillDirectory, stub: LocalServer,
                                                      digest: ([UInt8]) throws -> String) throws -> Int {
        let stats = try stub.stats()
        let accepted = stats["accepted"] as? [String: Int] ?? [:]
        var expected: [String: Int] = [:]
        var payloadOf: [String: String] = [:]
        for file in directory.files {
            for (i, item) in try file.items().enumerated() {
                let digest = try digest(item)
                expected[digest, default: 0] += 1
                payloadOf[file.itemID(i)] = digest
            }
        }
        let missing = expected.filter { (accepted[$0.key] ?? 0) < $0.value }
        #expect(missing.isEmpty, "\(missing.count) payloads never arrived")

        // Calls that were out when a run died.
        var mayRepeat: [String: Int] = [:]
        for ids in try Self.unansweredCalls(batches.appendingPathComponent("send-journal.ndjson")) {
            for id in ids { mayRepeat[payloadOf[id] ?? "?", default: 0] += 1 }
        }
        var repeats = 0
        for (digest, count) in accepted where count > (expected[digest] ?? 0) {
            let extra = count - (expected[digest] ?? 0)
            repeats += extra
            #expect(extra <= mayRepeat[digest] ?? 0, "a payload arrived twice though no interrupted call held it")
        }
        return repeats
    }
}
