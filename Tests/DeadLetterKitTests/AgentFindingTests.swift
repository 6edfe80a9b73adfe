import Foundation
import Testing
@testable import DeadLetterAgent

/// Which `agent` findings the evidence supports (issue 15): token errors on unnamed streams are one stream only within
/// one process of one log; a restart needs start-up lines; ResourceNotFoundException tells group from stream and sees
/// the agent's own recovery; repeated DataAlreadyAccepted with one writer is stale awslogs state. Log lines are in the
/// agents' own shapes (awslogs as in its published logs, the unified agent as its pusher writes them); every expectation
/// is worked out by hand in the comment above it.
@Suite(.serialized) struct AgentFindingTests {
    static let daa = "Caught exception: An error occurred (DataAlreadyAcceptedException) when calling the PutLogEvents operation: The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: 49594357288396454084208559308983606612690881501775034066"
    static let ist = "Caught exception: An error occurred (InvalidSequenceTokenException) when calling the PutLogEvents operation: The given sequenceToken is invalid. The next expected sequenceToken is: 49594357288396454084208559308983606612690881501775034100"
    static let unifiedIST = "W! [outputs.cloudwatchlogs] Invalid SequenceToken used while sending logs to web/access, will use new token and retry: The given sequenceToken is invalid. The next expected sequenceToken is: 49622712841798594709255108578843090906200598557879195826"
    static let unifiedStart = "I! Starting AmazonCloudWatchAgent CWAgent/1.247350.0 (go1.15.6; linux; amd64)"

    /// `2019-08-15 05:09:54,795 - LOGGER - LEVEL - PID - THREAD - MESSAGE`.
    static func awslogs(_ time: String, _ pid: Int, _ thread: String, _ message: String, logger: String = "cwlogs.push.publisher", level: String = "WARNING") -> String {
        "\(time) - \(logger) - \(level) - \(pid) - \(thread) - \(message)"
    }

    /// awslogs start-up lines of process `pid` at `time` (seconds `,000`).
    static func awslogsStart(_ time: String, _ pid: Int) -> [String] {
        [awslogs("\(time),100", pid, "MainThread", "Missing or invalid value for use_gzip_http_content_encoding config. Defaulting to use gzip encoding.", logger: "cwlogs.push", level: "INFO"),
         awslogs("\(time),120", pid, "Thread-1", "Starting publisher for [4f3e5d6c7b8a, /var/log/messages]", logger: "cwlogs.push.stream", level: "INFO"),
         awslogs("\(time),130", pid, "Thread-1", "Starting reader for [4f3e5d6c7b8a, /var/log/messages]", logger: "cwlogs.push.stream", level: "INFO")]
    }

    static func publish(_ time: String, _ pid: Int, _ thread: String, group: String = "/var/log/messages", stream: String = "i-0abc123def4567890") -> String {
        awslogs(time, pid, thread, "Log group: \(group), log stream: \(stream), queue size: 0, Publish batch: {'num_of_events': 3}", level: "INFO")
    }

    /// Writes `files` (name -> lines) to a new directory and runs `agent --format json` on it (or on `paths` in it).
    func run(_ files: [String: [String]], paths: [String]? = nil) throws -> (json: [String: Any], findings: [String: [[String: Any]]]) {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, lines) in files { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent(name)) }
        return try report(paths.map { $0.map { dir.appendingPathComponent($0).path } } ?? [dir.path])
    }

    func report(_ paths: [String]) throws -> (json: [String: Any], findings: [String: [[String: Any]]]) {
        let result = try CLI.run(["agent", "--format", "json"] + paths)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        return (json, Dictionary(grouping: json[array: "findings"] ?? [], by: { $0["code"] as? String ?? "?" }))
    }

    // MARK: 1. unnamed streams

    @Test func unnamedTokenErrorsOfTwoAgentsAreNotOneStream() throws {
        // samples/agent/two-agents: one DataAlreadyAccepted in a 2019 awslogs excerpt (its thread never names a stream)
        // and one old-form `cloudwatchlogs:` InvalidSequenceToken of a 2021 unified agent. Two agents, two logs, streams
        // unknown: nothing ties them to one stream, so no concurrent-writers (was: concurrent-writers, 2). Both are
        // before 2023-01-05 (no outdated-agent) and there is no start line (no restart-token-error).
        let (json, findings) = try report(["samples/agent/two-agents"])
        #expect(findings.isEmpty)
        let totals = json[object: "exceptions"]?[object: "total"]?.mapValues { ($0 as? NSNumber)?.intValue ?? -1 }
        #expect(totals == ["DataAlreadyAcceptedException": 1, "InvalidSequenceTokenException": 1])
    }

    @Test func unnamedTokenErrorsOfOneProcessAreOneStream() throws {
        // Same log, same process 1832, no start line between 14:02:11.873 and 14:12:40.001: concurrent-writers (2),
        // stream not named.
        let lines = [Self.awslogs("2019-03-21 14:02:11,873", 1832, "Thread-4", Self.daa),
                     Self.awslogs("2019-03-21 14:12:40,001", 1832, "Thread-4", Self.ist)]
        let (_, findings) = try run(["awslogs.log": lines])
        let cw = try #require(findings["concurrent-writers"]?.first)
        #expect(findings["concurrent-writers"]?.count == 1)
        #expect(cw[int: "count"] == 2)
        #expect(cw["logGroup"] is NSNull)
        #expect(cw["first"] as? String == "2019-03-21T14:02:11.873Z")
        #expect(cw["last"] as? String == "2019-03-21T14:12:40.001Z")

        // The same two lines in two logs: two files, nothing says one stream.
        let split = try run(["a.log": [lines[0]], "b.log": [lines[1]]])
        #expect(split.findings["concurrent-writers"] == nil)

        // A restart (start-up lines of process 1990 at 14:10:00) between them: two runs, not one writer's stream.
        // 14:12:40.001 is 160 s after the start, outside the 120 s window: no restart-token-error either.
        let restarted = try run(["awslogs.log": [lines[0]] + Self.awslogsStart("2019-03-21 14:10:00", 1990)
                                                   + [Self.awslogs("2019-03-21 14:12:40,001", 1990, "Thread-4", Self.ist)]])
        #expect(restarted.findings["concurrent-writers"] == nil)
        #expect(restarted.findings["restart-token-error"] == nil)
    }

    // MARK: 2. restarts need start lines

    @Test func aNewProcessIdIsNotARestart() throws {
        // No start-up line at all; pid 4399 then pid 5120. The 06:00:20 error used to make its own "start" (new pid)
        // and so a restart-token-error (1). Now: no start, so no restart-token-error; two processes and unnamed
        // streams, so no concurrent-writers.
        let lines = [Self.awslogs("2019-08-15 05:09:54,795", 4399, "Thread-5", Self.daa),
                     Self.awslogs("2019-08-15 06:00:20,000", 5120, "Thread-5", Self.ist)]
        let (_, findings) = try run(["awslogs.log": lines])
        #expect(findings["restart-token-error"] == nil)
        #expect(findings["concurrent-writers"] == nil)
        // Pid 5120's first line is a publish at 06:00:05, 15 s before its error: still no start line, no restart.
        let published = try run(["awslogs.log": [lines[0], Self.awslogs("2019-08-15 06:00:05,000", 5120, "Thread-9", "Start reading file from 0.", logger: "cwlogs.push.reader", level: "INFO"), lines[1]]])
        #expect(published.findings["restart-token-error"] == nil)
    }

    @Test func startLinesOfTheSameProcessMakeARestart() throws {
        // Start-up of pid 5120 at 06:00:00.100-.130; its error at 06:00:20 is 19.870 s after the last start line:
        // restart-token-error (1). Pid 6001 logs an error at 06:00:30 with no start line of its own: not a restart,
        // and alone in its process, so no concurrent-writers.
        let lines = Self.awslogsStart("2019-08-15 06:00:00", 5120)
            + [Self.awslogs("2019-08-15 06:00:20,000", 5120, "Thread-5", Self.ist),
               Self.awslogs("2019-08-15 06:00:30,000", 6001, "Thread-5", Self.ist)]
        let (_, findings) = try run(["awslogs.log": lines])
        let restart = try #require(findings["restart-token-error"]?.first)
        #expect(restart[int: "count"] == 1)
        #expect(restart["first"] as? String == "2019-08-15T06:00:20.000Z")
        #expect(findings["concurrent-writers"] == nil)
    }

    @Test func startLinesBelowOrDatedAfterTheErrorProveNothing() throws {
        // before.log: the error (10:00:30) is above the start line (10:00:00): another run's start.
        // after.log: the start line above is dated 10:05:00, the error below it 10:04:50: out of time order, another run.
        // Neither is a restart-token-error; both name web/access, so they are two steady errors on one named stream:
        // concurrent-writers (2), and both are dated after 2023-01-05: outdated-agent (2).
        let (_, findings) = try run([
            "before.log": ["2024-03-05T10:00:30Z " + Self.unifiedIST, "2024-03-05T10:00:00Z " + Self.unifiedStart],
            "after.log": ["2024-03-05T10:05:00Z " + Self.unifiedStart, "2024-03-05T10:04:50Z " + Self.unifiedIST],
        ])
        #expect(findings["restart-token-error"] == nil)
        #expect(findings["concurrent-writers"]?.first?[int: "count"] == 2)
        #expect(findings["concurrent-writers"]?.first?["logStream"] as? String == "access")
        #expect(findings["outdated-agent"]?.first?[int: "count"] == 2)
    }

    // MARK: 3. ResourceNotFoundException

    @Test func recoveredGroupAndStreamAreInfo() throws {
        // samples/agent/recovered: Thread-3's group and Thread-6's stream did not exist; each thread then logs
        // "Creating log ..." and a "Log group: ..., Publish batch" line for the same group and stream: two
        // resource-created (info), no missing-*.
        let (json, findings) = try report(["samples/agent/recovered"])
        #expect(Set(findings.keys) == ["resource-created"])
        let created = findings["resource-created"] ?? []
        #expect(created.map { $0["logGroup"] as? String } == ["/var/log/messages", "/var/log/secure"])
        #expect(created.map { $0["logStream"] as? String } == ["i-04545e7d208a38d21", "i-04545e7d208a38d21"])
        #expect(created.map { $0["severity"] as? String } == ["info", "info"])
        #expect((created.first?["message"] as? String)?.contains("log group /var/log/messages did not exist") == true)
        #expect((created.last?["message"] as? String)?.contains("log stream i-04545e7d208a38d21 did not exist in /var/log/secure") == true)
        #expect(json[object: "exceptions"]?[object: "total"]?[int: "ResourceNotFoundException"] == 2)
    }

    @Test func missingStreamIsNotAMissingGroup() throws {
        // samples/agent/stream-missing: Thread-3 published to /app/orders / orders-i-0fedcba9876543210 at 08:00:05;
        // at 09:12:40.011 "The specified log stream does not exist", then "Creating log stream ..." and AccessDenied on
        // CreateLogStream, and no publish after: missing-stream (error, 1), not missing-group.
        let (_, findings) = try report(["samples/agent/stream-missing"])
        #expect(Set(findings.keys) == ["missing-stream"])
        let f = try #require(findings["missing-stream"]?.first)
        #expect(f["severity"] as? String == "error")
        #expect(f["logGroup"] as? String == "/app/orders")
        #expect(f["logStream"] as? String == "orders-i-0fedcba9876543210")
        #expect(f["first"] as? String == "2021-06-10T09:12:40.011Z")
        #expect((f["message"] as? String)?.contains("aws logs create-log-stream --log-group-name /app/orders --log-stream-name orders-i-0fedcba9876543210") == true)
    }

    @Test func unifiedAgentRecoveryNeedsCreationAndPublishInTheSameRun() throws {
        // The pusher's debug lines after the error: "successfully created log stream access", "Pusher published 3 log
        // events to group: web stream: access": resource-created (1) on web / access.
        let error = "2024-03-05T10:05:00Z E! [outputs.cloudwatchlogs] Aws error received when sending logs to web/access: ResourceNotFoundException: The specified log stream does not exist."
        let created = "2024-03-05T10:05:00Z D! [outputs.cloudwatchlogs] successfully created log stream access"
        let published = "2024-03-05T10:05:01Z D! [outputs.cloudwatchlogs] Pusher published 3 log events to group: web stream: access with size 1 KB in 80.1ms."
        let start = "2024-03-05T10:00:00Z " + Self.unifiedStart
        let ok = try run(["agent.log": [start, error, created, published]])
        #expect(Set(ok.findings.keys) == ["resource-created"])
        #expect(ok.findings["resource-created"]?.first?["logStream"] as? String == "access")

        // A start between creation and publish: the publish is another run's: missing-stream.
        let restarted = try run(["agent.log": [start, error, created, "2024-03-05T10:05:01Z " + Self.unifiedStart, published]])
        #expect(Set(restarted.findings.keys) == ["missing-stream"])
        // Published but never created (by this agent): missing-stream.
        let uncreated = try run(["agent.log": [start, error, published]])
        #expect(Set(uncreated.findings.keys) == ["missing-stream"])
        // Published before it created the stream: the publish is not the retried batch: missing-stream.
        let early = try run(["agent.log": [start, error, published, created]])
        #expect(Set(early.findings.keys) == ["missing-stream"])
        // The group's wording: missing-group with the group's fix.
        let group = try run(["agent.log": [start, error.replacingOccurrences(of: "log stream does not exist", with: "log group does not exist")]])
        #expect(Set(group.findings.keys) == ["missing-group"])
        #expect(group.findings["missing-group"]?.first?["logGroup"] as? String == "web")
    }

    // MARK: 4. stale awslogs state

    static let oneWriter = [publish("2019-08-15 05:00:06,400", 4399, "Thread-5"),
                            awslogs("2019-08-15 05:09:54,795", 4399, "Thread-5", daa),
                            awslogs("2019-08-15 05:20:11,003", 4399, "Thread-5", daa)]

    @Test func repeatedDataAlreadyAcceptedWithOneWriterIsStaleState() throws {
        // Two DataAlreadyAccepted on /var/log/messages / i-0abc123def4567890 (Thread-5 names it), no start line, one
        // thread, no config: stale-agent-state (warning, 2, 05:09:54.795 to 05:20:11.003), not concurrent-writers.
        let (_, findings) = try run(["awslogs.log": Self.oneWriter])
        #expect(Set(findings.keys) == ["stale-agent-state"])
        let f = try #require(findings["stale-agent-state"]?.first)
        #expect(f["severity"] as? String == "warning")
        #expect(f[int: "count"] == 2)
        #expect(f["logStream"] as? String == "i-0abc123def4567890")
        #expect(f["first"] as? String == "2019-08-15T05:09:54.795Z")
        #expect(f["last"] as? String == "2019-08-15T05:20:11.003Z")
        let message = f["message"] as? String ?? ""
        #expect(message.contains("/var/lib/awslogs/agent-state"))
        #expect(message.contains("new header name"))
        #expect(message.contains("stop the agent, delete the state file and start it again"))
        #expect(message.contains("duplicates"))
    }

    @Test func theStateFileFindingIsTheAwslogsAgentsOnly() throws {
        // The same two DataAlreadyAccepted on web / access, logged by the unified agent (pusher.go's "Aws error
        // received when sending logs to GROUP/STREAM"): it keeps no awslogs state file, so no stale-agent-state;
        // two token errors on one named stream without a restart stay concurrent-writers (2).
        let daa = "E! [outputs.cloudwatchlogs] Aws error received when sending logs to web/access: DataAlreadyAcceptedException: The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: 49622712841798594709255108578843090906200598557879195826"
        let (_, findings) = try run(["amazon-cloudwatch-agent.log": ["2021-06-10T09:12:40Z " + daa, "2021-06-10T09:13:40Z " + daa]])
        #expect(findings["stale-agent-state"] == nil)
        #expect(findings["concurrent-writers"]?.first?[int: "count"] == 2)
    }

    @Test func severalWritersOrARestartExplainDataAlreadyAccepted() throws {
        // A config with two sections on /var/log/messages / {instance_id} (one host): several writers, so
        // concurrent-writers (2), and shared-stream.
        let conf = ["[general]", "state_file = /var/lib/awslogs/agent-state", "",
                    "[/var/log/messages]", "file = /var/log/messages", "log_group_name = /var/log/messages", "log_stream_name = {instance_id}", "",
                    "[/var/log/secure]", "file = /var/log/secure", "log_group_name = /var/log/messages", "log_stream_name = {instance_id}"]
        let shared = try run(["awslogs.conf": conf, "awslogs.log": Self.oneWriter])
        #expect(Set(shared.findings.keys) == ["shared-stream", "concurrent-writers"])
        #expect(shared.findings["concurrent-writers"]?.first?[int: "count"] == 2)

        // A second thread of the same process publishing to the stream: concurrent-writers.
        let twoThreads = try run(["awslogs.log": Self.oneWriter + [Self.publish("2019-08-15 05:25:00,000", 4399, "Thread-7")]])
        #expect(Set(twoThreads.findings.keys) == ["concurrent-writers"])

        // Start-up lines at 05:09:00: the 05:09:54.795 error is 54.665 s after the last start line (a restart), the
        // other one alone on the stream: restart-token-error (1), nothing repeated.
        let restart = try run(["awslogs.log": [Self.oneWriter[0]] + Self.awslogsStart("2019-08-15 05:09:00", 4399) + Self.oneWriter.dropFirst()])
        #expect(Set(restart.findings.keys) == ["restart-token-error"])
    }

    @Test func streamTemplatesMatchTheirNames() {
        #expect(AgentAnalyzer.template("{instance_id}", matches: "i-0abc123def4567890"))
        #expect(AgentAnalyzer.template("{hostname}-worker", matches: "web-1-worker"))
        #expect(!AgentAnalyzer.template("{hostname}-worker", matches: "-worker"))
        #expect(!AgentAnalyzer.template("app-{hostname}", matches: "app-"))
        #expect(AgentAnalyzer.template("{hostname}/{instance_id}", matches: "web/i-1"))
        #expect(AgentAnalyzer.template("shared-audit", matches: "shared-audit"))
        #expect(!AgentAnalyzer.template("shared-audit", matches: "shared-audit-2"))
    }
}
