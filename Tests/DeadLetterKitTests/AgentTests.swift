import Foundation
import Testing

/// `deadletter agent` on the shipped samples; expected findings worked out by hand from the sample files
/// (docs/SAMPLES-AGENT.md explains each).
@Suite(.serialized) struct AgentTests {
    func report(_ paths: [String]) throws -> [String: Any] {
        let result = try CLI.run(["agent", "--format", "json"] + paths)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        #expect(json["schema"] as? String == "deadletter.agent/1")
        return json
    }

    func findings(_ json: [String: Any]) -> [String: [[String: Any]]] {
        Dictionary(grouping: json[array: "findings"] ?? [], by: { $0["code"] as? String ?? "?" })
    }

    @Test func awslogsLogAndConfig() throws {
        let json = try report(["samples/agent/awslogs"])
        let inputs = try #require(json[array: "inputs"])
        #expect(inputs.map { $0["form"] as? String } == ["awslogs-conf", "awslogs-log"])
        // 18 lines: 14 messages, 3 traceback lines, 1 blank; nothing unknown.
        #expect(inputs[1][int: "lines"] == 18)
        #expect(inputs[1][int: "messages"] == 14)
        #expect(inputs[1][int: "continuationLines"] == 3)
        #expect(inputs[1][int: "blankLines"] == 1)
        #expect(inputs[1][int: "unknownLines"] == 0)
        #expect(inputs[0][int: "sources"] == 3)
        let totals = json[object: "exceptions"]?[object: "total"]?.mapValues { ($0 as? NSNumber)?.intValue ?? -1 }
        #expect(totals == ["DataAlreadyAcceptedException": 3, "InvalidSequenceTokenException": 1, "ResourceNotFoundException": 1])
        let f = findings(json)
        #expect(Set(f.keys) == ["shared-stream", "concurrent-writers", "restart-token-error", "missing-group"])
        #expect(f["shared-stream"]?.first?["logGroup"] as? String == "/var/log/messages")
        #expect((f["shared-stream"]?.first?["sources"] as? [String])?.count == 2)
        // The thread's "Log group: ..., log stream: ..." line names the stream of its errors.
        #expect(f["concurrent-writers"]?.first?["logStream"] as? String == "i-0abc123def4567890")
        #expect(f["concurrent-writers"]?.first?[int: "count"] == 3)
        // The error 20 s after the new process (pid 5120) started is the expected restart case.
        #expect(f["restart-token-error"]?.first?[int: "count"] == 1)
        #expect(f["missing-group"]?.first?["logGroup"] as? String == "/app/missing")
        #expect(f["outdated-agent"] == nil)   // 2019: tokens were still checked
    }

    @Test func unifiedAgentLogAndJSONConfig() throws {
        let json = try report(["samples/agent/unified"])
        let inputs = try #require(json[array: "inputs"])
        #expect(inputs.map { $0["form"] as? String } == ["agent-json-config", "unified-agent-log"])
        #expect(inputs[1][int: "messages"] == 13)
        #expect(inputs[1][int: "continuationLines"] == 3)
        let f = findings(json)
        #expect(Set(f.keys) == ["shared-stream", "concurrent-writers", "restart-token-error", "missing-group", "dropped-data", "outdated-agent"])
        #expect(f["concurrent-writers"]?.first?["logGroup"] as? String == "web")
        #expect(f["concurrent-writers"]?.first?["logStream"] as? String == "access")
        #expect(f["concurrent-writers"]?.first?[int: "count"] == 3)
        // The group name holds a slash: the configured group splits "/app/orders/i-0123456789abcdef0" right.
        #expect(f["missing-group"]?.first?["logGroup"] as? String == "/app/orders")
        #expect(f["dropped-data"]?.first?[int: "count"] == 2)
        #expect(f["dropped-data"]?.first?["first"] as? String == "2024-03-05T11:10:00.000Z")
        #expect(f["outdated-agent"]?.first?[int: "count"] == 4)
        let byStream = json[object: "exceptions"]?[array: "byStream"] ?? []
        let web = byStream.first { $0["logGroup"] as? String == "web" }
        #expect(web?[object: "counts"]?[int: "InvalidSequenceTokenException"] == 4)
    }

    @Test func placeholdersKeepHostsApartButLiteralStreamsAreShared() throws {
        let json = try report(["samples/agent/fleet"])
        let shared = findings(json)["shared-stream"] ?? []
        // {hostname} and {hostname}-worker differ per host; only the literal "shared-audit" is written by both hosts.
        #expect(shared.count == 1)
        #expect(shared.first?["logGroup"] as? String == "audit")
        #expect(shared.first?["logStream"] as? String == "shared-audit")
    }

    @Test func sameConfigTwiceOnOneHostIsShared() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let conf = """
        [general]
        state_file = /var/lib/awslogs/agent-state

        [app]
        file = /var/log/app.log
        log_group_name = app
        log_stream_name = {hostname}

        [app-rotated]
        file = /var/log/app.log.1
        log_group_name = app
        log_stream_name = {hostname}

        [other]
        file = /var/log/other.log
        log_group_name = app
        log_stream_name = {hostname}-other
        """
        try Data(conf.utf8).write(to: dir.appendingPathComponent("awslogs.conf"))
        let json = try report([dir.path])
        let shared = findings(json)["shared-stream"] ?? []
        // A host placeholder does not keep two files of one host apart.
        #expect(shared.count == 1)
        #expect((shared.first?["sources"] as? [String])?.map { $0.hasSuffix("[app]") || $0.hasSuffix("[app-rotated]") } == [true, true])
    }

    @Test func unknownFilesAreCountedNotDropped() throws {
        let result = try CLI.run(["agent", "--format", "json", "README.md"])
        let inputs = try result.json()[array: "inputs"] ?? []
        #expect(inputs.first?["form"] as? String == "unknown")
        #expect((inputs.first?[int: "unknownLines"] ?? 0) > 0)
        #expect(result.stderr.contains("not an agent log or config"))
    }

    @Test func gzipRotatedLogsAreRead() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try Data(contentsOf: CLI.packageRoot.appendingPathComponent("samples/agent/unified/amazon-cloudwatch-agent.log"))
        try Data(try Harness.gzip([UInt8](log))).write(to: dir.appendingPathComponent("amazon-cloudwatch-agent.log.1.gz"))
        let json = try report([dir.path])
        #expect(json[array: "inputs"]?.first?["form"] as? String == "unified-agent-log")
        #expect(json[array: "inputs"]?.first?[int: "messages"] == 13)
    }
}
