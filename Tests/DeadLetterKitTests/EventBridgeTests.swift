@testable import DeadLetterBytes
@testable import DeadLetterBackfill
@testable import DeadLetterRecords
import Foundation
import Testing

@Suite struct EventBridgeDecodingTests {
    static func message(id: String, source: String = "com.example.orders", time: String? = "2024-03-05T14:10:00Z",
                        attributes: [String: String] = ["RULE_ARN": "arn:aws:events:us-west-1:1:rule/bus-a/r1", "TARGET_ARN": "arn:aws:sqs:us-west-1:1:q",
                                                        "ERROR_CODE": "THROTTLING", "ERROR_MESSAGE": "Rate exceeded", "EXHAUSTED_RETRY_CONDITION": "MaximumEventAgeInSeconds",
                                                        "RETRY_ATTEMPTS": "185"]) -> String {
        let timeField = time.map { ",\\\"time\\\":\\\"\($0)\\\"" } ?? ""
        let body = "{\\\"version\\\":\\\"0\\\",\\\"id\\\":\\\"ev-\(id)\\\",\\\"detail-type\\\":\\\"OrderCreated\\\",\\\"source\\\":\\\"\(source)\\\"\(timeField),\\\"resources\\\":[],\\\"detail\\\":{\\\"orderId\\\":\\\"o-\(id)\\\"}}"
        let attrs = attributes.sorted { $0.key < $1.key }.map { "\"\($0.key)\":{\"StringValue\":\"\($0.value)\",\"DataType\":\"String\"}" }.joined(separator: ",")
        return #"{"MessageId":"\#(id)","ReceiptHandle":"rh","Body":"\#(body)","Attributes":{"SentTimestamp":"1709650000000"},"MessageAttributes":{\#(attrs)}}"#
    }

    @Test func receiveMessageOutputIsOneRecordPerMessage() throws {
        let text = "{\n  \"Messages\": [\n    \(Self.message(id: "m1")),\n    \(Self.message(id: "m2"))\n  ]\n}\n"
        let r = Harness.read(text, key: "dlq.json")
        #expect(r.records.count == 2)
        #expect(r.malformed.isEmpty)
        let first = try #require(r.records.first)
        #expect(first.kind == .eventBridgeDLQ)
        #expect(first.rule == "bus-a/r1")
        #expect(first.ruleArn == "arn:aws:events:us-west-1:1:rule/bus-a/r1")
        #expect(first.target == "arn:aws:sqs:us-west-1:1:q")
        #expect(first.errorCode == "THROTTLING")
        #expect(first.errorMessage == "Rate exceeded")
        #expect(first.retryCondition == "MaximumEventAgeInSeconds")
        #expect(first.attemptsMade == 185)
        #expect(first.source == "com.example.orders")
        #expect(first.detailType == "OrderCreated")
        #expect(first.eventId == "ev-m1")
        #expect(first.arrival == UTCTime.parseRFC3339("2024-03-05T14:10:00Z"))
        #expect(first.payload.type == .json)
        #expect(first.missingAttributes.isEmpty)
        // Each message reports the line it starts on.
        #expect(r.records.map(\.line) == [3, 4])
    }

    @Test func dumpsBackToBackCountARepeatedMessageOnce() {
        let a = "{\"Messages\":[\(Self.message(id: "m1")),\(Self.message(id: "m2"))]}"
        let b = "{\"Messages\":[\(Self.message(id: "m2")),\(Self.message(id: "m3"))]}"
        let r = Harness.read(a + "\n" + b + "\n", key: "dump.json")
        #expect(r.records.map(\.messageId) == ["m1", "m2", "m3"])
        #expect(r.repeats == ["m2"])
    }

    @Test func ndjsonOfLambdaStyleMessagesAndASingleMessage() {
        let lambda = #"{"messageId":"l1","body":"{\"id\":\"e\",\"source\":\"s\",\"detail-type\":\"d\",\"detail\":{}}","attributes":{"SentTimestamp":"1709650000000"},"messageAttributes":{"ERROR_CODE":{"stringValue":"TIMEOUT","dataType":"String"}}}"#
        let r = Harness.read(lambda + "\n" + Self.message(id: "m9") + "\n", key: "batch.ndjson")
        #expect(r.records.count == 2)
        #expect(r.records[0].errorCode == "TIMEOUT")
        // No event time: the SQS SentTimestamp stands in.
        #expect(r.records[0].arrival == 1709650000000)
        #expect(r.records[0].missingAttributes == ["RULE_ARN", "TARGET_ARN", "ERROR_MESSAGE", "RETRY_ATTEMPTS"])
        #expect(r.records[1].messageId == "m9")
    }

    @Test func messageWithoutAttributesIsStillARecord() throws {
        let r = Harness.read(Self.message(id: "x", attributes: [:]))
        let record = try #require(r.records.first)
        #expect(record.kind == .eventBridgeDLQ)
        #expect(record.missingAttributes == ["RULE_ARN", "TARGET_ARN", "ERROR_CODE", "ERROR_MESSAGE", "RETRY_ATTEMPTS"])
        #expect(record.errorCode == nil)
    }

    @Test func ruleNamesFromARNs() {
        #expect(EventBridgeDLQFamily.ruleName(fromARN: "arn:aws:events:us-west-1:1:rule/my-rule") == "my-rule")
        #expect(EventBridgeDLQFamily.ruleName(fromARN: "arn:aws:events:us-west-1:1:rule/bus/my-rule") == "bus/my-rule")
        #expect(EventBridgeDLQFamily.eventBus(fromRuleARN: "arn:aws:events:us-west-1:1:rule/bus/my-rule") == "bus")
        #expect(EventBridgeDLQFamily.eventBus(fromRuleARN: "arn:aws:events:us-west-1:1:rule/my-rule") == nil)
    }

    @Test func entrySizeIsComputedTheWayEventBridgeDoes() {
        // 14 for Time + 19 (source) + 12 (detail type) + 17 (detail) + 9 (resource), per eb-putevent-size.md.
        #expect(EventBridgeTarget.entrySize(source: "com.mycompany.myapp", detailType: "myDetailType", detail: "{\"key1\":\"value1\"}",
                                            resources: ["resource1"], hasTime: true) == 14 + 19 + 12 + 17 + 9)
    }
}

@Suite(.serialized) struct EventBridgeEndToEndTests {
    @Test func samplesMatchTheHandCountedNumbers() throws {
        // scripts/make-eventbridge-samples.py lists these counts in its docstring.
        let result = try CLI.run(["summarize", "samples/eventbridge-dlq", "--by", "errorCode", "--format", "json"])
        #expect(result.status == 0)
        let summary = try result.json()
        #expect(summary[object: "totals"]?[int: "records"] == 14)
        #expect(summary[object: "totals"]?[int: "repeats"] == 1)
        #expect(summary[object: "totals"]?[int: "malformed"] == 0)
        var counts: [String: Int] = [:]
        for g in summary[array: "groups"] ?? [] { counts[g[object: "key"]?["errorCode"] as? String ?? "?"] = g[int: "count"] }
        #expect(counts == ["NO_PERMISSIONS": 2, "THROTTLING": 3, "TIMEOUT": 2, "INVALID_JSON": 1, "RESOURCE_NOT_FOUND": 2,
                           "AWS.Scheduler.InternalServerError": 1, "ThrottlingException": 2, "(none)": 1])
        #expect(result.stderr.contains("1 SQS messages were read more than once"))
        #expect(result.stderr.contains("lack EventBridge DLQ attributes"))
        let byRule = try CLI.run(["summarize", "samples/eventbridge-dlq", "--by", "rule", "--where", "source~^com\\.example", "--format", "json"]).json()
        var rules: [String: Int] = [:]
        for g in byRule[array: "groups"] ?? [] { rules[g[object: "key"]?["rule"] as? String ?? "?"] = g[int: "count"] }
        // The Scheduler messages' bodies are their targets' input, with no source: --where leaves them out.
        #expect(rules == ["orders-bus/order-created-to-sqs": 4, "ec2-state-to-lambda": 2, "parcel-events": 2, "(none)": 1])
    }

    func eventsInput(count: Int, detailBytes: Int = 10, source: String = "com.example.orders") -> Data {
        let lines = (0..<count).map { i -> String in
            let pad = String(repeating: "x", count: detailBytes)
            let body = "{\\\"id\\\":\\\"e\(i)\\\",\\\"source\\\":\\\"\(source)\\\",\\\"detail-type\\\":\\\"T\\\",\\\"time\\\":\\\"2024-03-05T14:00:00Z\\\",\\\"resources\\\":[],\\\"detail\\\":{\\\"p\\\":\\\"\(pad)\\\",\\\"i\\\":\(i)}}"
            return #"{"MessageId":"m\#(i)","Body":"\#(body)","MessageAttributes":{"RULE_ARN":{"StringValue":"arn:aws:events:us-east-1:1:rule/r","DataType":"String"}}}"#
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    @Test func tenEntriesPerFileAndReplayThroughMoto() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let run = try CLI.run(["backfill", "-", "--target", "eventbridge", "--out", out.path, "-q"], stdin: eventsInput(count: 23))
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as! [String: Any]
        #expect((manifest[array: "files"] ?? []).map { $0[int: "items"] } == [10, 10, 3])
        let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("eventbridge-00003.json"))) as! [[String: Any]]
        #expect(entries.count == 3)
        #expect(entries[0]["Source"] as? String == "com.example.orders")
        #expect(entries[0]["Detail"] as? String == #"{"p":"xxxxxxxxxx","i":20}"#)
        #expect(entries[0]["Time"] as? String == "2024-03-05T14:00:00Z")
        let replay = try MotoReplay.run(["eventbridge", out.path, "23"])
        #expect(replay.status == 0, "\(replay.output)")
        #expect(replay.output.contains("23 events accepted"))
    }

    @Test func entriesStayUnder256KiBPerFileAndOversizedOnesAreRejected() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Each entry: 14 (Time) + 18 (source) + 1 (T) + detail {"p":"<60000 x>","i":N} (~60,016) + 0 resources.
        let out = root.appendingPathComponent("out")
        _ = try CLI.run(["backfill", "-", "--target", "eventbridge", "--out", out.path, "-q"], stdin: eventsInput(count: 9, detailBytes: 60_000))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as! [String: Any]
        // Four entries of ~60,050 bytes fit in 262,144; a fifth would not.
        #expect((manifest[array: "files"] ?? []).map { $0[int: "items"] } == [4, 4, 1])
        let big = root.appendingPathComponent("big")
        _ = try CLI.run(["backfill", "-", "--target", "eventbridge", "--out", big.path, "-q"], stdin: eventsInput(count: 1, detailBytes: 262_144))
        let rejects = String(decoding: try Data(contentsOf: big.appendingPathComponent("rejects.ndjson")), as: UTF8.self)
        #expect(rejects.contains("\"code\":\"too-large\""))
    }

    @Test func awsSourcesAreRejectedUnlessRewritten() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let rejected = try CLI.run(["backfill", "-", "--target", "eventbridge", "--out", out.path, "-q"], stdin: eventsInput(count: 2, source: "aws.ec2"))
        #expect(rejected.stdout.contains("2 rejected"))
        let rewritten = root.appendingPathComponent("rw")
        _ = try CLI.run(["backfill", "-", "--target", "eventbridge", "--out", rewritten.path, "--source", "com.example.replay", "-q"],
                        stdin: eventsInput(count: 2, source: "aws.ec2"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: rewritten.appendingPathComponent("manifest.json"))) as! [String: Any]
        #expect(manifest[object: "options"]?["source"] as? String == "com.example.replay")
        #expect(manifest[object: "totals"]?[int: "written"] == 2)
    }
}
