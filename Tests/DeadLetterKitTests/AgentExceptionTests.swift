@testable import DeadLetterAgent
import Foundation
import Testing

/// `agent`: every exception the agents log is counted, per group and stream where the message says which;
/// messages wrapped over several lines are one message; other tools' inputs and broken configs are named in
/// one line. Inputs in the shapes the agents write (the unified agent's pusher, botocore's messages in
/// awslogs, the Go SDK's `Code: message` errors); expectations worked out by hand (docs/SAMPLES-AGENT.md).
@Suite(.serialized) struct AgentExceptionTests {
    func run(_ paths: [String]) throws -> (json: [String: Any], stderr: String) {
        let result = try CLI.run(["agent", "--format", "json"] + paths)
        #expect(result.status == 0, "\(result.stderr)")
        return (try result.json(), result.stderr)
    }

    func totals(_ json: [String: Any]) -> [String: Int] {
        (json[object: "exceptions"]?[object: "total"] ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? -1 }
    }

    /// byStream as "GROUP / STREAM" (`-` for a null) -> counts.
    func byStream(_ json: [String: Any]) -> [String: [String: Int]] {
        var out: [String: [String: Int]] = [:]
        for entry in json[object: "exceptions"]?[array: "byStream"] ?? [] {
            let key = "\(entry["logGroup"] as? String ?? "-") / \(entry["logStream"] as? String ?? "-")"
            out[key] = (entry[object: "counts"] ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? -1 }
        }
        return out
    }

    func write(_ text: String, as name: String, in dir: URL) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    // MARK: 1. Every exception, per group and stream

    @Test func credentialErrorsSampleCountsEveryException() throws {
        let (json, _) = try run(["samples/agent/credentials"])
        let input = try #require(json[array: "inputs"]?.first)
        // 18 lines: 11 messages; 7 continuation lines (2 "For verbose messaging", 4 "status code", 1 "caused by").
        #expect(input[int: "lines"] == 18)
        #expect(input[int: "messages"] == 11)
        #expect(input[int: "continuationLines"] == 7)
        #expect(totals(json) == ["NoCredentialProviders": 2, "AccessDeniedException": 1, "ExpiredTokenException": 1,
                                 "UnrecognizedClientException": 1, "ThrottlingException": 1, "InvalidEndpointURL": 1])
        #expect(byStream(json) == [
            "app / i-0123456789abcdef0": ["NoCredentialProviders": 2, "AccessDeniedException": 1, "ExpiredTokenException": 1,
                                          "UnrecognizedClientException": 1],
            "audit / i-0123456789abcdef0": ["ThrottlingException": 1, "InvalidEndpointURL": 1],
        ])
    }

    @Test func theFirstCodeAMessageNamesIsItsException() {
        let cases: [(String, String?)] = [
            // awslogs (botocore)
            ("Caught exception: An error occurred (ServiceUnavailableException) when calling the PutLogEvents operation (reached max retries: 4): The server failed to fulfill the request.", "ServiceUnavailableException"),
            ("CreateLogGroup failed with exception An error occurred (AccessDeniedException) when calling the CreateLogGroup operation: User: arn:aws:sts::123456789012:assumed-role/r/i-1 is not authorized", "AccessDeniedException"),
            ("Unexpected error while publishing\nTraceback (most recent call last):\n  File \"/var/awslogs/lib/python2.7/site-packages/botocore/auth.py\", line 343, in add_auth\nbotocore.exceptions.NoCredentialsError: Unable to locate credentials", "NoCredentialsError"),
            // unified agent: the Go SDK's "Code: message", the EMF client's "code: X, message: Y"
            ("Aws error received when sending logs to app/s: NoCredentialProviders: no valid providers in chain. Deprecated.\n\tFor verbose messaging see aws.Config.CredentialsChainVerboseErrors", "NoCredentialProviders"),
            ("Aws error received when sending logs to app/s: NoCredentialProviders: no valid providers in chain\ncaused by: EnvAccessKeyNotFound: failed to find credentials in the environment.", "NoCredentialProviders"),
            ("Aws error received when sending logs to app/s: InvalidEndpointURL: invalid endpoint uri", "InvalidEndpointURL"),
            ("cloudwatchlogs: code: RequestError, message: send request failed, original error: dial tcp: i/o timeout", "RequestError"),
            ("InvalidParameterException: Log groups starting with AWS/ are reserved for AWS., will not retry the request", "InvalidParameterException"),
            ("Aws error received when sending logs to app/s: LimitExceededException: Resource limit exceeded.\n\tstatus code: 400, request id: 1", "LimitExceededException"),
            // not codes
            ("\tstatus code: 400, request id: 5a8c1f2e", nil),
            ("Log group: /var/log/messages, log stream: i-0abc123def4567890, queue size: 0", nil),
            ("Unexpected error while publishing\nTraceback (most recent call last):\nsocket.timeout: timed out", nil),
            ("Retried 0 time, going to sleep 117.152477ms before retrying.", nil),
        ]
        for (text, expected) in cases {
            #expect(AgentMessageClassifier.exception(in: text) == expected, "\(text)")
        }
    }

    @Test func anARNNamesGroupAndStreamExactly() {
        let denied = "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/CloudWatchAgentServerRole/i-1 is not authorized to perform: logs:PutLogEvents on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/eb/prod/app.log:log-stream:i-0123456789abcdef0 because no identity-based policy allows the logs:PutLogEvents action"
        #expect(AgentMessageClassifier.arnTarget(in: denied).map { [$0.0, $0.1 ?? "-"] } == ["/aws/eb/prod/app.log", "i-0123456789abcdef0"])
        // CreateLogGroup names the group with an empty stream; a group's own ARN ends with ":*".
        #expect(AgentMessageClassifier.arnTarget(in: "on resource: arn:aws:logs:eu-west-1:1:log-group:web:log-stream:")?.1 == nil)
        #expect(AgentMessageClassifier.arnTarget(in: "on resource: arn:aws:logs:eu-west-1:1:log-group:web:log-stream:")?.0 == "web")
        #expect(AgentMessageClassifier.arnTarget(in: "on resource: arn:aws:logs:eu-west-1:1:log-group:web:*")?.0 == "web")
        // A full stop ends the sentence, not the stream name.
        #expect(AgentMessageClassifier.arnTarget(in: "on resource: arn:aws:logs:eu-west-1:1:log-group:web:log-stream:a.b.")?.1 == "a.b")
        #expect(AgentMessageClassifier.arnTarget(in: "sending logs to web/access: ThrottlingException: Rate exceeded") == nil)
    }

    @Test func anARNWinsOverTheSlashSplit() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // No config: "sending logs to /aws/eb/prod/web/1" alone splits at the last slash (the second message); the
        // ARN says group "/aws/eb/prod" and stream "web/1" (stream names may hold slashes too).
        try write("""
        2024-06-11T08:05:00Z E! [outputs.cloudwatchlogs] Aws error received when sending logs to /aws/eb/prod/web/1: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/R/i-1 is not authorized to perform: logs:PutLogEvents on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/eb/prod:log-stream:web/1 because no identity-based policy allows the logs:PutLogEvents action
        \tstatus code: 400, request id: 5a8c1f2e-0d3b-4c6a-9e7f-1b2c3d4e5f60
        2024-06-11T08:06:00Z E! [outputs.cloudwatchlogs] Aws error received when sending logs to /aws/eb/prod/web/1: ThrottlingException: Rate exceeded

        """, as: "amazon-cloudwatch-agent.log", in: dir)
        let (json, _) = try run([dir.path])
        #expect(byStream(json) == ["/aws/eb/prod / web/1": ["AccessDeniedException": 1], "/aws/eb/prod/web / 1": ["ThrottlingException": 1]])
    }

    @Test func aMessageThatNamesAnErrorAndALossCountsAsBoth() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("""
        2023-02-01T07:15:42Z E! [outputs.cloudwatchlogs] Non aws error received when sending logs to web/access: RequestError: send request failed
        caused by: Post "https://logs.us-east-1.amazonaws.com/": dial tcp: i/o timeout. CloudWatch agent will not retry and logs will be missing!

        """, as: "amazon-cloudwatch-agent.log", in: dir)
        let (json, _) = try run([dir.path])
        #expect(totals(json) == ["RequestError": 1])
        let dropped = json[array: "findings"]?.first { $0["code"] as? String == "dropped-data" }
        #expect(dropped?[int: "count"] == 1)
        #expect(dropped?["logGroup"] as? String == "web")
    }

    // MARK: 2. Wrapped messages

    @Test func wrappedSampleIsReadAsAgentLogs() throws {
        let (json, stderr) = try run(["samples/agent/wrapped"])
        let inputs = try #require(json[array: "inputs"])
        #expect(inputs.map { $0["form"] as? String } == ["unified-agent-log", "awslogs-log", "awslogs-log"])
        // amazon-cloudwatch-agent.log: 5 lines, 2 messages, 3 continuation; awslogs.log: 9 lines, 5 messages
        // (two headers end at the thread's " -" or mid-sentence), 4 continuation; excerpt.log: 3 lines, the header
        // alone and 2 continuation lines.
        #expect(inputs.map { [$0[int: "lines"], $0[int: "messages"], $0[int: "continuationLines"], $0[int: "unknownLines"]] }
                == [[5, 2, 3, 0], [9, 5, 4, 0], [3, 1, 2, 0]])
        #expect(!stderr.contains("not an agent log"))
        #expect(totals(json) == ["InvalidParameterException": 1, "ServiceUnavailableException": 1, "AccessDeniedException": 2,
                                 "ThrottlingException": 1, "UnrecognizedClientException": 1])
        let group = "/aws/elasticbeanstalk/prod/catalina.out"
        #expect(byStream(json) == [
            "- / -": ["InvalidParameterException": 1, "UnrecognizedClientException": 1],
            "linux/cwagent / i-0123456789abcdef0": ["ServiceUnavailableException": 1],
            // CreateLogGroup's ARN names the group only; CreateLogStream's names the stream; the throttled
            // PutLogEvents is on Thread-29, whose "Log group: ..., log stream: ..." line names the stream.
            "\(group) / -": ["AccessDeniedException": 1],
            "\(group) / i-0abc123def4567890": ["AccessDeniedException": 1, "ThrottlingException": 1],
        ])
    }

    @Test func aHeaderWrappedAfterTheThreadStartsAMessage() {
        let header = Array("2019-08-15 05:09:54,795 - cwlogs.push.publisher - WARNING - 4399 - Thread-5 -".utf8)
        let parsed = AwslogsLog.parse(header)
        #expect(parsed?.thread == "Thread-5")
        #expect(parsed?.pid == "4399")
        #expect(parsed?.text == "")
        #expect(AwslogsLog.parse(header + Array("  ".utf8))?.thread == "Thread-5")
        // Without the pid the line is no awslogs header.
        #expect(AwslogsLog.parse(Array("2019-08-15 05:09:54,795 - cwlogs.push.publisher - WARNING -".utf8)) == nil)
    }

    // MARK: 3. Other inputs and broken configs

    @Test func firehoseRecordsAndQueueMessagesAreNamedInOneLine() throws {
        let result = try CLI.run(["agent", "--format", "json",
                                  "samples/firehose/bucket/splunk-failed/2024/03/05/18",
                                  "samples/firehose/bucket/format-conversion-failed/2024/03/06/17",
                                  "samples/firehose/bucket/errors/manifests/2019/09/26/13",
                                  "samples/eventbridge-dlq/single-message.json"])
        #expect(result.status == 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 4, "\(result.stderr)")
        #expect(lines[0].hasSuffix(".gz: Amazon Data Firehose failure records, not a CloudWatch agent log or config: run `deadletter summarize` on them"))
        // With a byte order mark before the first "{".
        #expect(lines[1].contains("billing-orc-11-") && lines[1].hasSuffix(": Amazon Data Firehose failure records, not a CloudWatch agent log or config: run `deadletter summarize` on them"))
        #expect(lines[2].hasSuffix(": a Firehose Redshift manifest, not a CloudWatch agent log or config: run `deadletter summarize` on it"))
        #expect(lines[3] == "deadletter: warning: samples/eventbridge-dlq/single-message.json: SQS messages (a dead-letter queue), not a CloudWatch agent log or config: run `deadletter summarize` on them")
        #expect(!result.stderr.contains("DecodingError") && !result.stderr.contains("Debug description"))
        let inputs = try result.json()[array: "inputs"] ?? []
        #expect(inputs.map { $0["form"] as? String } == ["unknown", "unknown", "unknown", "unknown"])
        // single-message.json: 35 lines, none blank, all unknown.
        #expect(inputs[3][int: "unknownLines"] == 35)
    }

    @Test func anInvalidConfigGetsLineAndColumn() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Line 6: 10 spaces; `{` column 11; `"file_path"` 12-22; `:` 23; `"/var/log/café.log"` 25-43 (19 characters,
        // 20 bytes); `,` 44; `"log_group_name"` 46-61; `:` 62; `"app"` 64-68; `,` 69; the `}` no member follows: 70.
        try write("""
        {
          "logs": {
            "logs_collected": {
              "files": {
                "collect_list": [
                  {"file_path": "/var/log/café.log", "log_group_name": "app",}
                ]
              }
            }
          }
        }

        """, as: "trailing-comma.json", in: dir)
        try write("{\"logs\": {\"logs_collected\": {\"files\": {\"collect_list\": {\"file_path\": \"/var/log/app.log\"}}}}}\n", as: "not-a-list.json", in: dir)
        try write("{\"logs\": {}}\n{\"logs\": {}}\n", as: "two.json", in: dir)
        let result = try CLI.run(["agent", dir.path])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines == [
            "deadletter: \(dir.path)/not-a-list.json: not a CloudWatch agent JSON config: logs.logs_collected.files.collect_list should be an array",
            "deadletter: \(dir.path)/trailing-comma.json: not valid JSON at line 6, column 70: expected a quoted member name",
            "deadletter: \(dir.path)/two.json: not one JSON object: more follows at line 2, column 1 (an agent JSON config is one object)",
        ])
    }

    @Test func positionsCountLinesAndCharacters() {
        let bytes = Array("{\n  \"é\": ,\n}".utf8)
        // The comma is byte 10 (0-based): line 2, after two spaces, `"é"` (3 characters, 4 bytes), `:` and a space.
        #expect(AgentJSONConfig.position(10, in: bytes) == "line 2, column 8")
        #expect(AgentJSONConfig.position(0, in: bytes) == "line 1, column 1")
    }
}
