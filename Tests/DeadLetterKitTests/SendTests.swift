import Foundation
import Testing

/// `deadletter send` against moto's Firehose and EventBridge on 127.0.0.1. What arrived is read back with
/// boto3 and compared with what the backfill files hold, decoded by Python (scripts/stubs/moto-send.py).
@Suite struct SendTests {
    static func python(_ arguments: [String]) throws -> String {
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/stubs/moto-send.py"] + arguments)
        #expect(status == 0, "\(output)")
        return output
    }

    static func environment(_ server: LocalServer) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": "AKIDSEND", "AWS_SECRET_ACCESS_KEY": "send-secret-never-shown", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": server.url]
    }

    @Test func firehoseDeliversEveryPayloadByteExactAndASecondRunSendsNothing() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/gen-corpus.py", "--out", root.path, "--records", "3000", "--seed", "17"])
        #expect(status == 0, "\(output)")
        let out = root.appendingPathComponent("batches")
        let backfill = try CLI.run(["backfill", root.appendingPathComponent("corpus").path, "--target", "firehose", "--stream", "orders",
                                    "--max-records", "400", "--out", out.path, "-q"])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        _ = try Self.python(["setup-firehose", server.url, "orders", "landing"])
        let send = try CLI.run(["send", out.path, "--format", "json", "--verbose"], environment: Self.environment(server))
        #expect(send.status == 0, "\(send.stderr)")
        let totals = try send.json()["totals"] as? [String: Any] ?? [:]
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any]
        let written = (manifest?["totals"] as? [String: Any])?["written"] as? Int
        #expect(totals["items"] as? Int == written)
        #expect(totals["sent"] as? Int == written)
        #expect(totals["failed"] as? Int == 0 && totals["alreadySent"] as? Int == 0)
        // One object per call, each the concatenation of one file's decoded payloads.
        let expected = try Self.python(["expected-firehose", out.path])
        #expect(!expected.isEmpty)
        #expect(try Self.python(["stored", server.url, "landing"]) == expected)
        #expect(!send.stderr.contains("send-secret-never-shown") && !send.stdout.contains("send-secret-never-shown"))
        let journal = try String(contentsOf: out.appendingPathComponent("send-journal.ndjson"), encoding: .utf8)
        #expect(!journal.contains("send-secret-never-shown") && !journal.contains("AKIDSEND"))

        // Again: the journal says everything was taken; nothing is sent.
        let again = try CLI.run(["send", out.path, "--format", "json"], environment: Self.environment(server))
        #expect(again.status == 0)
        let againTotals = try again.json()["totals"] as? [String: Any] ?? [:]
        #expect(againTotals["alreadySent"] as? Int == written && againTotals["sent"] as? Int == 0 && againTotals["requests"] as? Int == 0)
        #expect(try Self.python(["stored", server.url, "landing"]) == expected)
    }

    @Test func eventBridgeEntriesReachAQueueThroughARuleEachOnce() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("entries")
        let backfill = try CLI.run(["backfill", CLI.packageRoot.appendingPathComponent("samples/eventbridge-dlq").path,
                                    "--target", "eventbridge", "--out", out.path, "-q"])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        _ = try Self.python(["setup-eventbridge", server.url, "replayed"])
        let send = try CLI.run(["send", out.path], environment: Self.environment(server))
        #expect(send.status == 0, "\(send.stderr)")
        let expected = try Self.python(["expected-eventbridge", out.path])
        #expect(expected.split(separator: "\n").count >= 5)
        #expect(try Self.python(["received", server.url, "replayed"]) == expected)
    }

    /// `--event-bus`: every entry goes to the bus given, whatever bus it names; the rule is on that bus only.
    @Test func eventBusOverrideSendsEveryEntryToThatBus() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("entries")
        #expect(try CLI.run(["backfill", CLI.packageRoot.appendingPathComponent("samples/eventbridge-dlq").path,
                             "--target", "eventbridge", "--out", out.path, "-q"]).status == 0)
        _ = try Self.python(["setup-eventbridge", server.url, "replayed", "replay-bus"])
        let send = try CLI.run(["send", out.path, "--event-bus", "replay-bus"], environment: Self.environment(server))
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stderr.contains("EventBridge bus replay-bus"))
        let expected = try Self.python(["expected-eventbridge", out.path])
        #expect(expected.split(separator: "\n").count >= 5)
        #expect(try Self.python(["received", server.url, "replayed"]) == expected)
    }

    @Test func targetsNoAPITakesAreRefusedWithWhatToDo() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("raw")
        _ = try CLI.run(["backfill", CLI.packageRoot.appendingPathComponent("samples/firehose/bucket/processing-failed").path,
                         "--target", "raw", "--out", out.path, "-q"])
        let send = try CLI.run(["send", out.path])
        #expect(send.status == 64)
        #expect(send.stderr.contains("raw files go to no API"))
        let missing = try CLI.run(["send", root.appendingPathComponent("nothing").path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no manifest.json"))
    }
}
