import Foundation
import Testing
@testable import DeadLetterSend
@testable import DeadLetterBackfill

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
    static func dump(_ count: Int, padding: Int = 0) -> String {
        let messages = (0..<count).map { i -> [String: Any] in
            let detail: [String: Any] = padding > 0 ? ["order": i, "pad": String(repeating: "x", count: padding)] : ["order": i]
            let event: [String: Any] = ["version": "0", "id": "e-\(i)", "detail-type": "OrderCreated", "source": "com.example.orders",
                                        "account": "111122223333", "time": "2024-03-05T14:00:00Z", "region": "us-east-1",
                                        "resources": [], "detail": detail]
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

    /// The digest send-stub gives message i's entry: SHA-256 of the entry as PutEvents received it, re-serialized
    /// canonically (keys sorted, no spaces), written out here by hand: Detail is the compact detail as a
    /// string, Time the event's time in epoch seconds, no EventBusName (the rule is on the default bus).
    static func entryDigest(_ i: Int) -> String {
        let entry = #"{"Detail":"{\"order\":\#(i)}","DetailType":"OrderCreated","Resources":[],"Source":"com.example.orders","Time":1709647200}"#
        return Array(entry.utf8).withUnsafeBufferPointer { Digest.sha256Hex($0) }
    }

    static func setup(count: Int = 100, padding: Int = 0, sqsFaults: [[String: Any]] = [], eventFaults: [[String: Any]] = [],
                      sqsArgs: [String] = [], eventArgs: [String] = []) throws -> Setup {
        let root = try CLI.temporaryDirectory()
        let dumpFile = root.appendingPathComponent("dump.json")
        try Self.dump(count, padding: padding).write(to: dumpFile, atomically: true, encoding: .utf8)
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
        let expected = Set((0..<s.count).map(Self.entryDigest))
        #expect(Set(accepted.keys) == expected, "every event arrived, and nothing else")
        // Puts out when a run died: "sending" lines without their "answered". An event that arrived twice must
        // have been in one of them (message i's event is entryDigest(i)).
        let outWhenKilled = Set(try SendCrashTests.unansweredCalls(s.journal).joined())
        for i in 0..<s.count where (accepted[Self.entryDigest(i)] ?? 0) > 1 {
            #expect(outWhenKilled.contains(String(format: "m-%04d", i)), "m-\(i) arrived twice though no interrupted put held it")
        }
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

    /// A put whose answer is lost and whose retry is accepted: the event may be on the bus twice, and is counted.
    @Test func aLostAnswerThenAnAcceptedRetryIsCountedAsPossiblyDuplicated() throws {
        let s = try Self.setup(count: 30, eventFaults: [["cut_after_bytes": 30, "calls": [1]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try s.redrive()
        #expect(run.status == 0, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let duplicates = try s.events.stats()["duplicates"] as? Int ?? -1
        #expect(duplicates == 10)
        #expect(totals["possiblyDuplicated"] as? Int == duplicates && totals["redriven"] as? Int == s.count)
        #expect(run.stderr.contains("may be on the bus twice"))
    }

    /// Ten events of 60 KB in one receive: PutEvents takes 256 KiB a call, so they go in several calls.
    @Test func largeEventsAreSplitIntoCallsWithinPutEventsLimits() throws {
        let s = try Self.setup(count: 10, padding: 60_000)
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try s.redrive()
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try run.json()["totals"] as? [String: Any])?["redriven"] as? Int == 10)
        let stats = try s.events.stats()
        #expect(stats["acceptedItems"] as? Int == 10)
        #expect(((stats["calls"] as? [String: Int])?["eventbridge"] ?? 0) >= 3)
        #expect((stats["statuses"] as? [String: Int])?.keys.sorted() == ["200"])
        #expect(Redrive.calls((0..<10).map { (id: "\($0)", entry: [UInt8](), size: 60_000) }).map(\.count) == [4, 4, 2])
    }

    /// Ctrl-C while a put is out: the messages held are visible again at once; the next run puts them again
    /// (counted), and everything ends deleted once.
    @Test func ctrlCDuringARedriveReleasesWhatItHolds() throws {
        let s = try Self.setup(count: 60, eventFaults: [["delay_ms": 5000, "calls": [2]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let process = try CLI.start(["redrive", "sqs://dlq", "--journal", s.journal.path, "-q"], environment: s.env)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? s.events.stats()["calls"] as? [String: Int])??["eventbridge"] ?? 0) < 2 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        var queue = try s.queue()
        #expect(queue["deleted"] as? Int == 10 && queue["inFlight"] as? Int == 0 && queue["visible"] as? Int == 50)
        let rerun = try s.redrive()
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let totals = try rerun.json()["totals"] as? [String: Any] ?? [:]
        #expect(totals["redriven"] as? Int == 50 && totals["possiblyDuplicated"] as? Int == 10)
        queue = try s.queue()
        #expect(queue["deleted"] as? Int == 60 && queue["visible"] as? Int == 0)
        #expect(try s.events.stats()["duplicates"] as? Int == 10)
    }

    /// SQS failing for good mid-run: what was done is reported (JSON on stdout), the held messages are
    /// visible again, and the run exits 1.
    @Test func anErrorMidRunReportsWhatWasDoneAndReleasesTheRest() throws {
        let s = try Self.setup(count: 60, sqsFaults: [["call_error": "InternalError", "status": 500, "api": "receive", "after": 2]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try s.redrive()
        #expect(run.status == 1)
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        #expect(totals["received"] as? Int == 20 && totals["redriven"] as? Int == 20 && totals["deleted"] as? Int == 20)
        let queue = try s.queue()
        #expect(queue["deleted"] as? Int == 20 && queue["inFlight"] as? Int == 0 && queue["visible"] as? Int == 40)
        #expect(run.stderr.contains("ReceiveMessage"))
    }

    /// A run right after one killed while holding messages cannot see them: it says so and exits 3; once their
    /// visibility timeout has passed, the next run moves them.
    @Test func messagesStillHiddenByAKilledRunAreReported() throws {
        let s = try Self.setup(count: 30, eventFaults: [["delay_ms": 3000, "calls": [1]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let process = try CLI.start(["redrive", "sqs://dlq", "--journal", s.journal.path, "--visibility-timeout", "4", "-q"], environment: s.env)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? s.events.stats()["calls"] as? [String: Int])??["eventbridge"] ?? 0) < 1 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let soon = try s.redrive(["--visibility-timeout", "4"])
        #expect(soon.status == 3, "\(soon.stderr)")
        #expect((try soon.json()["totals"] as? [String: Any])?["hidden"] as? Int == 10)
        #expect(soon.stderr.contains("in flight (hidden) and were not redriven"))
        Thread.sleep(forTimeInterval: 4.5)
        let later = try s.redrive()
        #expect(later.status == 0, "\(later.stderr)")
        #expect(try s.queue()["deleted"] as? Int == 30)
        // The killed run's put was taken before its answer was held back: put again, counted.
        #expect((try later.json()["totals"] as? [String: Any])?["possiblyDuplicated"] as? Int == 10)
        #expect(try s.events.stats()["duplicates"] as? Int == 10)
    }
}
