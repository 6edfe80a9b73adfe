@testable import DeadLetterRecords
import Foundation
import Testing

/// What a DLQ-handler Lambda function receives, and what EventBridge Scheduler parks in its dead-letter queue,
/// written in the shapes the AWS documentation shows (the Lambda developer guide's SQS example event, the
/// Scheduler user guide's `aws sqs receive-message` output), with the expectations worked out by hand.
enum SchedulerDLQInputs {
    /// An EventBridge event as a JSON string's contents (escaped once).
    static func event(_ id: String, time: String) -> String {
        #"{\"version\":\"0\",\"id\":\"\#(id)\",\"detail-type\":\"OrderCreated\",\"source\":\"com.example.orders\",\"account\":\"123456789012\",\"time\":\"\#(time)\",\"region\":\"us-east-2\",\"resources\":[],\"detail\":{\"orderId\":\"o-1\"}}"#
    }

    /// One message of a Lambda SQS event: lower camel names, `stringValue`/`dataType` with the empty list
    /// members Lambda adds.
    static func lambdaRecord(_ messageId: String, event: String, code: String) -> String {
        func attribute(_ name: String, _ value: String) -> String {
            """
                            "\(name)": {
                                "stringValue": "\(value)",
                                "stringListValues": [],
                                "binaryListValues": [],
                                "dataType": "String"
                            }
            """
        }
        let attributes = [
            attribute("RULE_ARN", "arn:aws:events:us-east-2:123456789012:rule/orders-to-crm"),
            attribute("TARGET_ARN", "arn:aws:events:us-east-2:123456789012:api-destination/crm/0f5e"),
            attribute("ERROR_CODE", code),
            attribute("ERROR_MESSAGE", "Timeout calling the API destination"),
            attribute("RETRY_ATTEMPTS", "3"),
        ].joined(separator: ",\n")
        return """
                {
                    "messageId": "\(messageId)",
                    "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
                    "body": "\(event)",
                    "attributes": {
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": "1545082649183",
                        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                        "ApproximateFirstReceiveTimestamp": "1545082649185"
                    },
                    "messageAttributes": {
        \(attributes)
                    },
                    "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
                    "awsRegion": "us-east-2"
                }
        """
    }

    /// `{"Records": [a, b]}`: the first message starts on line 3; each is 47 lines (11 before its attributes,
    /// 5 attributes of 6 lines, 6 after them), so the second starts on line 3 + 47 = 50.
    static let lambdaEvent = """
        {
            "Records": [
        \(lambdaRecord("059f36b4-87a3-44ab-83d2-661975830a7d", event: event("e-1", time: "2018-12-17T21:37:29Z"), code: "TIMEOUT")),
        \(lambdaRecord("2e1424d4-f796-459a-8184-9c92662be6da", event: event("e-2", time: "2018-12-17T21:37:30Z"), code: "THROTTLING"))
            ]
        }

        """

    /// A Scheduler dead-letter message as `receive-message` prints it. `attributes` are name/value pairs in order.
    static func schedulerMessage(_ messageId: String, body: String, sent: String, attributes: [(String, String)]) -> String {
        let list = attributes.map { name, value in
            """
                            "\(name)": {
                                "StringValue": "\(value)",
                                "DataType": "String"
                            }
            """
        }.joined(separator: ",\n")
        return """
                {
                    "MessageId": "\(messageId)",
                    "ReceiptHandle": "AQEBnh+1q9Kf0bP0Lrq+dKsMr+e9Yoz4RO9JhNkU0zG4VHeG2wGc...",
                    "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
                    "Body": "\(body)",
                    "Attributes": {
                        "SenderId": "AROAR7Q3Z3GO6XHJC6BHW:f2f9a4c8d9d8c1b0a2e3f4d5c6b7a8e9",
                        "ApproximateFirstReceiveTimestamp": "\(sent)",
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": "\(sent)"
                    },
                    "MD5OfMessageAttributes": "6e1b1cd2e1e02e1b5b4d1a4c7f7b5f8d",
                    "MessageAttributes": {
        \(list)
                    }
                }
        """
    }

    static func schedulerAttributes(schedule: String, time: String, execution: String?, code: String, message: String,
                                    condition: String, attempts: String) -> [(String, String)] {
        var list: [(String, String)] = [("ERROR_CODE", code), ("ERROR_MESSAGE", message)]
        if let execution { list.append(("EXECUTION_ID", execution)) }
        list += [("EXHAUSTED_RETRY_CONDITION", condition), ("RETRY_ATTEMPTS", attempts), ("SCHEDULED_TIME", time),
                 ("SCHEDULE_ARN", "arn:aws:scheduler:us-west-2:123456789012:schedule/" + schedule),
                 ("TARGET_ARN", "arn:aws:sqs:us-west-2:123456789012:does-not-exist")]
        return list
    }

    /// A run of `default/dlq-test` that the target refused (the user guide's example error).
    static func dlqTestRun(_ n: Int, minute: Int, execution: String) -> String {
        schedulerMessage("2aa66e9f-6c3c-4a5a-b0ba-b9f4ce4ac9f\(n)", body: "{}", sent: String(1666725020000 + 60000 * (minute - 10)),
                         attributes: schedulerAttributes(schedule: "default/dlq-test", time: "2022-10-25T19:\(minute):00Z",
                                                         execution: execution, code: "AWS.Scheduler.InternalServerError",
                                                         message: "Unexpected error occurred while processing the request.",
                                                         condition: "MaximumRetryAttempts", attempts: "0"))
    }

    /// Three dead-letter messages of two schedules: `default/dlq-test` twice (its 19:11 and 19:12 runs, sent
    /// 20 s later: 1666725080000 and 1666725140000), and `reports/nightly` once, whose message lacks
    /// EXECUTION_ID. None has RULE_ARN, as none of Scheduler's does.
    static let schedulerDump = """
        {
            "Messages": [
        \(dlqTestRun(1, minute: 11, execution: "ad06f948-8ff4-4992-bbb9-4f7ba0d4eecf")),
        \(dlqTestRun(2, minute: 12, execution: "5c3d4e5f-0000-4000-8000-00000000d1a2")),
        \(schedulerMessage("2aa66e9f-6c3c-4a5a-b0ba-b9f4ce4ac9f3", body: "nightly run", sent: "1666742400000",
                           attributes: schedulerAttributes(schedule: "reports/nightly", time: "2022-10-26T00:00:00Z",
                                                           execution: nil, code: "ThrottlingException", message: "Rate exceeded",
                                                           condition: "MaximumEventAgeInSeconds", attempts: "12")))
            ]
        }

        """
}

@Suite struct EventBridgeSchedulerDecodingTests {
    @Test func lambdaSQSEventIsReadAsItsMessages() throws {
        let r = Harness.read(SchedulerDLQInputs.lambdaEvent, key: "dlq-handler-event.json")
        #expect(r.malformed.isEmpty)
        #expect(r.records.count == 2)
        #expect(r.records.map(\.messageId) == ["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da"])
        #expect(r.records.map(\.line) == [3, 50])
        let first = try #require(r.records.first)
        #expect(first.kind == .eventBridgeDLQ)
        // Read from `stringValue` (lower camel), as a receive-message output's `StringValue`.
        #expect(first.rule == "orders-to-crm")
        #expect(first.target == "arn:aws:events:us-east-2:123456789012:api-destination/crm/0f5e")
        #expect(first.errorCode == "TIMEOUT")
        #expect(first.errorMessage == "Timeout calling the API destination")
        #expect(first.attemptsMade == 3)
        #expect(first.missingAttributes.isEmpty)
        #expect(first.eventId == "e-1")
        #expect(first.source == "com.example.orders")
        // 2018-12-17T21:37:29Z: the event's time, not SentTimestamp (1545082649183 = 21:37:29.183).
        #expect(first.arrival == 1545082649000)
        #expect(first.scheduler == nil)
        #expect(r.records[1].errorCode == "THROTTLING")
        // eventSource, eventSourceARN, awsRegion, receiptHandle and md5OfBody are the queue's, not the failure's.
        #expect(first.otherFields.isEmpty)
    }

    @Test func recordsOfAnotherServiceAreNoMessages() {
        // An S3 notification event has a Records list too: it stays one object without failure fields.
        let s3 = #"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-2","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"}}}]}"#
        let r = Harness.read(s3 + "\n")
        #expect(r.records.isEmpty)
        #expect(r.malformed.count == 1)
        #expect(r.malformed.first?.reason.contains("without failure fields") == true)
    }

    @Test func schedulerMessagesCarryTheirScheduleAndLackNoRule() throws {
        let r = Harness.read(SchedulerDLQInputs.schedulerDump, key: "scheduler-dlq.json")
        #expect(r.malformed.isEmpty)
        #expect(r.records.count == 3)
        let first = try #require(r.records.first)
        #expect(first.kind == .eventBridgeDLQ)
        #expect(first.scheduler?.schedule == "default/dlq-test")
        #expect(first.scheduler?.scheduledTime == "2022-10-25T19:11:00Z")
        #expect(first.scheduler?.executionId == "ad06f948-8ff4-4992-bbb9-4f7ba0d4eecf")
        #expect(first.rule == nil)
        #expect(first.ruleArn == nil)
        #expect(first.target == "arn:aws:sqs:us-west-2:123456789012:does-not-exist")
        #expect(first.errorCode == "AWS.Scheduler.InternalServerError")
        #expect(first.retryCondition == "MaximumRetryAttempts")
        #expect(first.attemptsMade == 0)
        // Every attribute Scheduler sets is there: nothing is missing, RULE_ARN least of all.
        #expect(first.missingAttributes.isEmpty)
        // The body is the target's input, no event: the arrival is SentTimestamp.
        #expect(first.arrival == 1666725080000)
        #expect(first.source == nil)
        // The third lacks EXECUTION_ID, and only that.
        #expect(r.records[2].missingAttributes == ["EXECUTION_ID"])
        #expect(r.records[2].scheduler?.executionId == nil)
        #expect(r.records[2].scheduler?.schedule == "reports/nightly")
    }

    @Test func scheduleNamesFromARNs() {
        #expect(EventBridgeDLQFamily.scheduleName(fromARN: "arn:aws:scheduler:us-west-2:123456789012:schedule/default/dlq-test") == "default/dlq-test")
        #expect(EventBridgeDLQFamily.scheduleName(fromARN: "not an arn") == "not an arn")
    }
}

@Suite(.serialized) struct EventBridgeSchedulerEndToEndTests {
    static func write(_ text: String, _ name: String) throws -> (path: String, dir: URL) {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return (file.path, dir)
    }

    /// `summarize TEXT --by BY --format json`, TEXT written to a file named `name`: the summary and stderr.
    static func summarize(_ text: String, _ name: String, by: String) throws -> (summary: [String: Any], stderr: String) {
        let (path, dir) = try write(text, name)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["summarize", path, "--by", by, "--format", "json"])
        #expect(result.status == 0)
        return (try result.json(), result.stderr)
    }

    @Test func summarizeByScheduleAndTheMissingAttributesWarning() throws {
        let (summary, stderr) = try Self.summarize(SchedulerDLQInputs.schedulerDump, "scheduler-dlq.json", by: "schedule")
        #expect(summary[object: "totals"]?[int: "records"] == 3)
        var counts: [String: Int] = [:]
        for g in summary[array: "groups"] ?? [] { counts[g[object: "key"]?["schedule"] as? String ?? "?"] = g[int: "count"] }
        #expect(counts == ["default/dlq-test": 2, "reports/nightly": 1])
        // One message lacks EXECUTION_ID; none is said to lack RULE_ARN.
        #expect(stderr.contains("1 SQS messages lack EventBridge DLQ attributes (missing: EXECUTION_ID 1)"))
        #expect(!stderr.contains("RULE_ARN"))
    }

    @Test func whereExecutionIdAndTheFullRow() throws {
        let (path, dir) = try Self.write(SchedulerDLQInputs.schedulerDump, "scheduler-dlq.json")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["records", path, "--where", "executionId=5c3d4e5f-0000-4000-8000-00000000d1a2", "-q"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        // The Scheduler columns follow the EventBridge ones.
        let keys = FieldTableTests.keys(ofLine: line)
        let at = try #require(keys.firstIndex(of: "missingAttributes"))
        #expect(Array(keys[at...].prefix(4)) == ["missingAttributes", "schedule", "scheduledTime", "executionId"])
        let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(row["messageId"] as? String == "2aa66e9f-6c3c-4a5a-b0ba-b9f4ce4ac9f2")
        #expect(row["schedule"] as? String == "default/dlq-test")
        #expect(row["scheduledTime"] as? String == "2022-10-25T19:12:00Z")
        #expect(row["executionId"] as? String == "5c3d4e5f-0000-4000-8000-00000000d1a2")
        #expect(row["rule"] is NSNull)
        #expect(row["missingAttributes"] as? [String] == [])
        #expect(row["arrival"] as? String == "2022-10-25T19:12:20.000Z")
        // The first message starts on line 3 and is 47 lines long (13 before its attributes, 8 attributes of
        // 4 lines, 2 closing): the second starts on line 50.
        #expect(row["line"] as? Int == 50)

        // --by and --where name the three like any field; a Firehose record has none of them.
        let firehose = try CLI.run(["records", "samples/firehose/bucket/processing-failed", "--fields", "kind,schedule,scheduledTime,executionId", "-q"])
        let first = try #require(firehose.stdout.split(separator: "\n").first)
        #expect(first.hasSuffix(#""schedule":null,"scheduledTime":null,"executionId":null}"#))
        let bySchedule = try CLI.run(["summarize", path, "--by", "scheduledTime", "--where", "schedule=reports/nightly", "--format", "json"]).json()
        let keysBy = (bySchedule[array: "groups"] ?? []).compactMap { $0[object: "key"]?["scheduledTime"] as? String }
        #expect(keysBy == ["2022-10-26T00:00:00Z"])
    }

    @Test func lambdaEventThroughTheCLI() throws {
        let (summary, _) = try Self.summarize(SchedulerDLQInputs.lambdaEvent, "event.json", by: "rule,errorCode")
        #expect(summary[object: "totals"]?[int: "records"] == 2)
        #expect(summary[object: "totals"]?[int: "malformed"] == 0)
        let keys = (summary[array: "groups"] ?? []).compactMap { g in
            (g[object: "key"]?["rule"] as? String).map { "\($0) \(g[object: "key"]?["errorCode"] as? String ?? "?")" }
        }.sorted()
        #expect(keys == ["orders-to-crm THROTTLING", "orders-to-crm TIMEOUT"])
    }
}
