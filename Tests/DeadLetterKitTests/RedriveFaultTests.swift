import Foundation
import Testing
@testable import DeadLetterSend

/// `sqs://` and `redrive` against scripts/stubs/sqs-stub.py (an SQS that fails chosen calls and entries,
/// delivers messages again, answers slowly) and scripts/stubs/send-stub.py (PutEvents failing chosen entries),
/// both on 127.0.0.1. The stubs count what they received and deleted; the messages are made here, their
/// counts known by construction.
@Suite struct RedriveFaultTests {
    struct Setup {
        let root: URL
        let sqs: LocalServer
        let events: LocalServer
        let count: Int
        var journal: URL { root.appendingPathComponent("journal.ndjson") }
        var env: [String: String] {
            ["AWS_ACCESS_KEY_ID": "AKIDREDRIVE", "AWS_SECRET_ACCESS_KEY": "redrive-secret-never-shown", "AWS_REGION": "us-east-1",
             "AWS_ENDPOINT_URL_SQS": sqs.url, "AWS_ENDPOINT_URL_EVENTBRIDGE": events.url]
        }

        func redrive(_ extra: [String] = []) throws -> CLI.Result {
            try CLI.run(["redrive", "sqs://dlq", "--journal", journal.path, "--format", "json"] + extra, environment: env)
        }

        func queue() throws -> [String: Any] {
            (try sqs.stats()["queues"] as? [String: Any])?["dlq"] as? [String: Any] ?? [:]
        }
    }

    /// An `aws sqs receive-message` dump of `count` EventBridge dead letters on the default bus, each event its own.
    static func dump(_ count: Int) -> String {
        let messages = (0..<count).map { i -> [String: Any] in
            let event: [String: Any] = ["version": "0", "id": "e-\(i)", "detail-type": "OrderCreated", "source": "com.example.orders",
                                        "account": "111122223333", "time": "2024-03-05T14:00:00Z", "region": "us-east-1",
                                        "resources": [], "detail": ["order": i]]
            let body = String(decoding: try! JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]), as: UTF8.self)
            func attribute(_ value: String) -> [String: String] { ["DataType": "String", "StringValue": value] }
            return ["MessageId": String(format: "m-%04d", i), "ReceiptHandle": "seed", "Body": body,
                    "Attributes": ["SentTimestamp": "\(1_709_647_200_000 + i)"],
                    "MessageAttributes": ["RULE_ARN": attribute("arn:aws:events:us-east-1:111122223333:rule/orders-rule"),
                                          "TARGET_ARN": attribute("arn:aws:lambda:us-east-1:111122223333:function:f"),
                                          "ERROR_CODE": attribute(i % 2 == 0 ? "THROTTLING" : "TIMEOUT"),
                                          "ERROR_MESSAGE": attribute("injected"), "RETRY_ATTEMPTS": attribute("185")]]
        }
        return String(decoding: try! JSONSerialization.data(withJSONObject: ["Messages": messages]), as: UTF8.self)
    }

    static func setup(count: Int = 100, sqsFaults: [[String: Any]] = [], eventFaults: [[String: Any]] = [],
                      sqsArgs: [String] = [], eventArgs: [String] = []) throws -> Setup {
        let root = try CLI.temporaryDirectory()
        let dumpFile = root.appendingPathComponent("dump.json")
        try Self.dump(count).write(to: dumpFile, atomically: true, encoding: .utf8)
        let sqsRules = root.appendingPathComponent("sqs-faults.json"), eventRules = root.appendingPathComponent("event-faults.json")
        try JSONSerialization.data(withJSONObject: sqsFaults).write(to: sqsRules)
        try JSONSerialization.data(withJSONObject: eventFaults).write(to: eventRules)
        let sqs = try LocalServer(["python3", "scripts/stubs/sqs-stub.py", "--queue", "dlq", "--seed-file", "dlq=\(dumpFile.path)",
                                   "--faults", sqsRules.path, "--seed", "7"] + sqsArgs)
        let events = try LocalServer(["python3", "scripts/stubs/send-stub.py", "--faults", eventRules.path, "--seed", "7"] + eventArgs)
        return Setup(root: root, sqs: sqs, events: events, count: count)
    }

    @Test func entriesPutEventsRefusesStayInTheQueueVisibleAndReported() throws {
        let s = try Self.setup(eventFaults: [
            ["item_error": "InvalidArgument", "message": "Injected: not valid", "fraction": 0.05, "attempts": [1]],
            ["item_error": "ThrottlingException", "fraction": 0.3, "attempts": [1, 2]],
            ["call_error": "InternalFailure", "calls": [2]],
        ])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try s.redrive()
        #expect(run.status == 3, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let stats = try s.events.stats()
        let refused = (stats["rejected"] as? [[String: Any]] ?? []).filter { $0["code"] as? String == "InvalidArgument" }.count
        #expect(refused > 0)
        let accepted = stats["accepted"] as? [String: Int] ?? [:]
        #expect(accepted.values.allSatisfy { $0 == 1 })
        #expect(accepted.count == s.count - refused)
        #expect(totals["redriven"] as? Int == s.count - refused && totals["deleted"] as? Int == s.count - refused)
        #expect(totals["failed"] as? Int == refused && (totals["retried"] as? Int ?? 0) > 0)
        // Deleted exactly the accepted ones; the refused are back, visible, nothing in flight.
        let queue = try s.queue()
        #expect(queue["deleted"] as? Int == s.count - refused)
        #expect(queue["visible"] as? Int == refused && queue["inFlight"] as? Int == 0)
        #expect(run.stderr.components(separatedBy: "PutEvents refused its entry: InvalidArgument Injected: not valid").count - 1 == refused)
        #expect(!run.stderr.contains("redrive-secret-never-shown") && !run.stdout.contains("redrive-secret-never-shown"))
    }

    @Test func aDeleteThatFailsIsReportedAndTheNextRunDeletesWithoutPuttingAgain() throws {
        let s = try Self.setup(sqsFaults: [["entry_error": "InternalError", "message": "Injected: try later", "api": "delete",
                                            "message_id": "m-0007", "attempts": [1, 2, 3]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let first = try s.redrive()
        #expect(first.status == 3, "\(first.stderr)")
        let totals = try first.json()["totals"] as? [String: Any] ?? [:]
        #expect(totals["redriven"] as? Int == s.count && totals["deleted"] as? Int == s.count - 1 && totals["notDeleted"] as? Int == 1)
        #expect(first.stderr.contains("message m-0007: its event was put but the message could not be deleted"))
        #expect(try s.queue()["visible"] as? Int == 1)
        #expect(try s.events.stats()["acceptedItems"] as? Int == s.count)
        let second = try s.redrive()
        #expect(second.status == 0, "\(second.stderr)")
        let again = try second.json()["totals"] as? [String: Any] ?? [:]
        #expect(again["alreadyPut"] as? Int == 1 && again["deleted"] as? Int == 1 && again["redriven"] as? Int == 0)
        #expect(try s.events.stats()["acceptedItems"] as? Int == s.count)   // not put twice
        #expect(try s.queue()["deleted"] as? Int == s.count)
    }

    /// kill -9 at seeded moments while redrive runs (PutEvents and its answer slow), then a run to the end after
    /// the held messages came back: every event arrived, the queue is empty, and an event arrived twice only if
    /// its PutEvents was out when a run died (the journal's "sending" without "answered").
    @Test(.timeLimit(.minutes(3))) func killedAtRandomMomentsNothingIsLostAndOnlyInFlightPutsRepeat() throws {
        let s = try Self.setup(count: 300, eventArgs: ["--process-delay-ms", "150", "--delay-ms", "150"])
        defer { try? FileManager.default.removeItem(at: s.root) }
        var seed: UInt64 = 0xfeed
        var killed = 0
        for _ in 0..<8 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let process = try CLI.start(["redrive", "sqs://dlq", "--journal", s.journal.path, "--visibility-timeout", "1", "-q"], environment: s.env)
            Thread.sleep(forTimeInterval: 0.3 + Double(seed >> 11) / Double(1 << 53) * 0.9)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            Thread.sleep(forTimeInterval: 1.1)   // the messages it held come back
        }
        #expect(killed >= 4)
        let last = try s.redrive(["--visibility-timeout", "1"])
        #expect(last.status == 0, "\(last.stderr)")
        let queue = try s.queue()
        #expect(queue["deleted"] as? Int == s.count && queue["visible"] as? Int == 0 && queue["inFlight"] as? Int == 0)
        let accepted = try s.events.stats()["accepted"] as? [String: Int] ?? [:]
        #expect(accepted.count == s.count, "every event arrived")
        // Puts out when a run died: "sending" lines without their "answered".
        let journal = try String(contentsOf: s.journal, encoding: .utf8)
        var sent: [String: Int] = [:]
        var answered: Set<String> = []
        for line in journal.split(separator: "\n") {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let request = entry["request"] as? String else { continue }
            if entry["event"] as? String == "sending" { sent[request] = (entry["items"] as? [String] ?? []).count }
            if entry["event"] as? String == "answered" { answered.insert(request) }
        }
        let inFlight = sent.filter { !answered.contains($0.key) }.values.reduce(0, +)
        let repeats = accepted.values.reduce(0) { $0 + $1 - 1 }
        #expect(repeats <= inFlight)
    }

    @Test func maxMessagesRedrivesThatManyAndLeavesTheRestUntouched() throws {
        let s = try Self.setup(count: 100)
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try s.redrive(["--max-messages", "25"])
        #expect(run.status == 0, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        #expect(totals["received"] as? Int == 25 && totals["redriven"] as? Int == 25 && totals["deleted"] as? Int == 25)
        let queue = try s.queue()
        #expect(queue["visible"] as? Int == 75 && queue["inFlight"] as? Int == 0)
        let messages = queue["messages"] as? [String: [String: Any]] ?? [:]
        #expect(messages.values.filter { ($0["receives"] as? Int ?? 0) > 0 }.count == 25, "the rest were not received")
    }

    @Test func messagesDeliveredAgainAreReadOnceAndAllReleasedWithTheirLatestHandles() throws {
        let s = try Self.setup(count: 40, sqsFaults: [["redeliver": 3, "api": "receive", "calls": [2, 3]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try CLI.run(["summarize", "sqs://dlq", "--format", "json"], environment: s.env)
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try run.json()["totals"] as? [String: Any])?["records"] as? Int == s.count)
        let redelivered = try s.sqs.stats()["redelivered"] as? Int ?? 0
        #expect(redelivered > 0)
        #expect(run.stderr.contains("\(redelivered) messages were received again while the queue was read"))
        let queue = try s.queue()
        #expect(queue["visible"] as? Int == s.count && queue["inFlight"] as? Int == 0 && queue["deleted"] as? Int == 0)
    }

    @Test func ctrlCWhileReadingMakesTheMessagesVisibleAgain() throws {
        let s = try Self.setup(count: 60, sqsFaults: [["delay_ms": 5000, "api": "receive", "after": 2, "times": 1]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let process = try CLI.start(["summarize", "sqs://dlq", "-q"], environment: s.env)
        // Interrupted once two receives were answered and the third is held up (the stub took its ten
        // messages before holding the answer back: those the client never heard of stay hidden until their
        // visibility timeout, as they would for any client).
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? s.sqs.stats()["calls"] as? [String: Int])??["receive"] ?? 0) < 3 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try s.queue()["inFlight"] as? Int == 30)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let queue = try s.queue()
        #expect(queue["inFlight"] as? Int == 10 && queue["visible"] as? Int == s.count - 10)
        #expect(try s.sqs.stats()["released"] as? Int == 20)
    }
}
