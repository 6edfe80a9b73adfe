import Foundation
import Testing
@testable import DeadLetterSend
@testable import DeadLetterAWS

/// `sqs://` and `redrive` against moto's server on 127.0.0.1, seeded and read back with boto3
/// (scripts/stubs/moto-sqs.py, an independent client): reading leaves every message in the queue, visible, and
/// reads what a saved `receive-message` dump of the same messages reads; `redrive` puts each selected event once
/// through a rule into a second queue and empties the source of what it moved.
@Suite struct SQSTests {
    static let dumps = ["receive-message-2024-03-05.json", "receive-message-dumps.json", "scheduler-receive-message.json"]

    static func moto(_ arguments: [String]) throws -> String {
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/stubs/moto-sqs.py"] + arguments)
        #expect(status == 0, "\(output)")
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func environment(_ server: LocalServer, state: URL) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": "AKIDSQS", "AWS_SECRET_ACCESS_KEY": "sqs-secret-never-shown", "AWS_REGION": "us-east-1",
         "AWS_ENDPOINT_URL": server.url, "XDG_STATE_HOME": state.path]
    }

    /// A queue holding the samples' dead letters (each MessageId once), and how many.
    static func seeded(_ server: LocalServer, queue: String, extra: [String] = []) throws -> Int {
        var total = 0
        for (i, dump) in dumps.enumerated() {
            let path = CLI.packageRoot.appendingPathComponent("samples/eventbridge-dlq/\(dump)").path
            total += Int(try moto(["seed", server.url, queue, path] + (i == 0 ? extra : []))) ?? -1000
        }
        return total
    }

    /// The JSON summary without the bytes and lines read (a live read spools compact JSON, ten messages a
    /// line; a dump is pretty-printed).
    static func summary(_ run: CLI.Result) throws -> [String: Any] {
        var json = try run.json()
        if var totals = json["totals"] as? [String: Any] {
            for key in ["bytesRead", "lines"] { totals.removeValue(forKey: key) }
            json["totals"] = totals
        }
        return json
    }

    @Test func readingTheQueueEqualsReadingADumpAndLeavesEveryMessageVisible() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let count = try Self.seeded(server, queue: "orders-dlq")
        #expect(count == 9)
        let env = Self.environment(server, state: root)
        let live = try CLI.run(["summarize", "sqs://orders-dlq", "--by", "rule,errorCode,kind", "--format", "json"], environment: env)
        #expect(live.status == 0, "\(live.stderr)")
        #expect(live.stderr.contains("\(count) messages read (about \(count) messages in the queue)"))
        #expect(live.stderr.contains("nothing deleted, \(count) made visible again"))
        #expect(try Self.moto(["counts", server.url, "orders-dlq"]) == "\(count) 0")
        let dump = root.appendingPathComponent("dump.json")
        #expect(try Self.moto(["dump", server.url, "orders-dlq", dump.path]) == "\(count)")
        let saved = try CLI.run(["summarize", dump.path, "--by", "rule,errorCode,kind", "--format", "json"])
        #expect(saved.status == 0)
        let a = try Self.summary(live), b = try Self.summary(saved)
        #expect(NSDictionary(dictionary: a).isEqual(to: b), "live: \(live.stdout)\ndump: \(saved.stdout)")
        // Records too, but for where they were read from.
        let liveRecords = try CLI.run(["records", "sqs://orders-dlq", "-q", "--fields", "messageId,rule,errorCode,source,payload"], environment: env)
        let savedRecords = try CLI.run(["records", dump.path, "-q", "--fields", "messageId,rule,errorCode,source,payload"])
        #expect(liveRecords.stdout.split(separator: "\n").sorted() == savedRecords.stdout.split(separator: "\n").sorted())
        #expect(liveRecords.stdout.split(separator: "\n").count == count)
        #expect(try Self.moto(["counts", server.url, "orders-dlq"]) == "\(count) 0")
        #expect(!live.stderr.contains("sqs-secret-never-shown"))
    }

    @Test func aQueueWithItsOwnRedrivePolicyIsRefusedAndNotTouched() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let count = try Self.seeded(server, queue: "chained-dlq", extra: ["--redrive-to", "final-dlq:2"])
        let env = Self.environment(server, state: root)
        for command in [["summarize", "sqs://chained-dlq"], ["redrive", "sqs://chained-dlq"]] {
            let run = try CLI.run(command, environment: env)
            #expect(run.status == 1, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("RedrivePolicy") && run.stderr.contains("--allow-receive-count"))
        }
        // Not received at all: nothing in flight, nothing moved on.
        #expect(try Self.moto(["counts", server.url, "chained-dlq"]) == "\(count) 0")
        #expect(try Self.moto(["counts", server.url, "final-dlq"]) == "0 0")
        let allowed = try CLI.run(["summarize", "sqs://chained-dlq", "--allow-receive-count", "-q"], environment: env)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.hasPrefix("\(count) records"))
    }

    @Test func redrivePutsEachSelectedEventOnceAndDeletesOnlyThose() throws {
        let server = try LocalServer.moto()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let count = try Self.seeded(server, queue: "orders-dlq")
        let env = Self.environment(server, state: root.appendingPathComponent("state"))
        _ = try SendTests.python(["setup-eventbridge", server.url, "replayed"])
        // What a rule should deliver, worked out by Python from the sample dumps alone: the events of sources
        // other than aws.*, of messages with a rule.
        let samples = Self.dumps.map { CLI.packageRoot.appendingPathComponent("samples/eventbridge-dlq/\($0)").path }
        let throttled = try Self.moto(["expected", "--error-code", "THROTTLING"] + samples)
        #expect(throttled.split(separator: "\n").count == 3)

        let dry = try CLI.run(["redrive", "sqs://orders-dlq", "--where", "errorCode=THROTTLING", "--dry-run", "--format", "json"], environment: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try Self.moto(["counts", server.url, "orders-dlq"]) == "\(count) 0")
        #expect(try Self.moto(["events", server.url, "replayed"]) == "")

        // With a filter, only the selected messages move.
        let some = try CLI.run(["redrive", "sqs://orders-dlq", "--where", "errorCode=THROTTLING", "--format", "json"], environment: env)
        #expect(some.status == 0, "\(some.stderr)")
        let totals = try some.json()["totals"] as? [String: Any] ?? [:]
        let moved = throttled.split(separator: "\n").count
        #expect(totals["redriven"] as? Int == moved && totals["deleted"] as? Int == moved)
        #expect(totals["left"] as? Int == count - moved)
        #expect(try Self.moto(["events", server.url, "replayed"]) == throttled)
        #expect(try Self.moto(["counts", server.url, "orders-dlq"]) == "\(count - moved) 0")

        // Then the rest: everything that can be put moves, once; the AWS-service event and the Scheduler
        // messages cannot and stay, visible.
        let everything = try Self.moto(["expected"] + samples)
        let rest = try CLI.run(["redrive", "sqs://orders-dlq", "--format", "json"], environment: env)
        #expect(rest.status == 3, "\(rest.stderr)")
        let restTotals = try rest.json()["totals"] as? [String: Any] ?? [:]
        let cannot = restTotals["refused"] as? Int ?? -1
        #expect(cannot == 5)   // aws.ec2, aws.s3 and three Scheduler messages, by the samples
        #expect(rest.stderr.contains("Scheduler dead letter carries the target's input"))
        #expect(try Self.moto(["events", server.url, "replayed"]) == everything)
        #expect(try Self.moto(["counts", server.url, "orders-dlq"]) == "\(cannot) 0")
        #expect(everything.split(separator: "\n").count + cannot == count)
    }
}
