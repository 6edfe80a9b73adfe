import Foundation
import Testing

/// Issue 19, point 6: every example in `--help` and in the man page runs as written, on the shipped samples, the
/// way a user types it (bash, `set -o pipefail`, the built binary on PATH), and exits 0. Examples whose comment
/// says `needs …` (a real Splunk, an OpenSearch domain, AWS itself) are listed, not run; the test checks that
/// they are few and say so.
///
/// What the examples name is laid out for them: `bucket/` is samples/firehose/bucket, `dlq-dump.json` and
/// `dlq.json` the sample dump, `config.json` the unified agent's sample config; host paths of the agents'
/// logs stand for their samples; `s3://my-firehose-errors/` and `s3://failures/` are moto's server on
/// 127.0.0.1 holding samples/firehose/bucket, `sqs://orders-dlq` a moto queue holding the dump's dead letters,
/// and moto's Firehose has the streams the examples send to.
@Suite struct HelpExampleTests {
    struct Example: CustomStringConvertible, Sendable {
        var command: String
        var source: String
        var description: String { "\(source): \(command)" }
        var needsService: Bool { command.range(of: #"#[^']*\bneeds\b"#, options: .regularExpression) != nil }
    }

    static let commands = ["summarize", "records", "merge", "report", "backfill", "send", "redrive", "agent"]

    /// Each command's `--help` examples (one block each), then the man page's EXAMPLES section (one block).
    static func blocks() throws -> [[Example]] {
        var blocks: [[Example]] = []
        for command in commands {
            let help = try CLI.run([command, "--help"], environment: ["COLUMNS": "1000"]).stdout
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "Examples:" }) else {
                blocks.append([])
                continue
            }
            let examples = lines[(start + 1)...].prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            blocks.append(examples.map { Example(command: $0.trimmingCharacters(in: .whitespaces), source: "\(command) --help") })
        }
        let man = try String(contentsOf: CLI.packageRoot.appendingPathComponent("man/deadletter.1"), encoding: .utf8)
        let section = man.components(separatedBy: ".Sh EXAMPLES\n").last?.components(separatedBy: "\n.Sh ").first ?? ""
        blocks.append(section.split(separator: "\n").filter { $0.hasPrefix(".Dl ") }.map {
            Example(command: String($0.dropFirst(4)), source: "man EXAMPLES")
        })
        return blocks
    }

    @Test func everyExampleInHelpAndTheManPageRuns() throws {
        let blocks = try Self.blocks()
        let all = blocks.flatMap { $0 }
        #expect(blocks.allSatisfy { !$0.isEmpty }, "a command's help has no examples")
        #expect(all.count >= 40)
        // The man page's per-command text is the help's (scripts/man --check): each of its examples is one of these.
        let man = try String(contentsOf: CLI.packageRoot.appendingPathComponent("man/deadletter.1"), encoding: .utf8)
        let helpExamples = Set(all.filter { $0.source.hasSuffix("--help") }.map(\.command))
        for line in man.split(separator: "\n") where line.hasPrefix("  deadletter ") || line.hasPrefix("  DEADLETTER_") {
            #expect(helpExamples.contains(line.trimmingCharacters(in: .whitespaces)), "\(line)")
        }
        let skipped = all.filter(\.needsService)
        #expect(skipped.count <= 9, "\(skipped)")
        #expect(skipped.allSatisfy { $0.command.contains("http") || $0.command.contains("s3://ops") || $0.command.contains("send-failed")
            || $0.command.hasPrefix("aws ") })
        // Anything that is not deadletter must be the AWS CLI, and marked, or shards of deadletter that xargs runs.
        #expect(all.allSatisfy { $0.command.hasPrefix("deadletter ") || $0.command.hasPrefix("DEADLETTER_") || ($0.command.hasPrefix("aws ") && $0.needsService)
            || ($0.command.hasPrefix("seq ") && $0.command.contains(" | xargs ") && $0.command.contains("deadletter ") && $0.command.contains("--shard {}/")) })

        let server = try LocalServer.moto()
        defer { server.stop() }
        let bucket = CLI.packageRoot.appendingPathComponent("samples/firehose/bucket")
        #expect(try S3InputTests.upload(server, bucket: "my-firehose-errors", [bucket]) > 10)
        #expect(try S3InputTests.upload(server, bucket: "failures", [bucket]) > 10)
        for stream in ["orders", "my-stream", "gravity-events", "ho-it-sec-test-fh-cw2splunk", "orders-transform"] {
            _ = try SendTests.python(["setup-firehose", server.url, stream, "landing-" + stream.lowercased()])
        }
        let dump = CLI.packageRoot.appendingPathComponent("samples/eventbridge-dlq/receive-message-2024-03-05.json")
        _ = try SQSTests.moto(["setup-rule", server.url, "replayed", "orders-bus"])
        _ = try SQSTests.moto(["setup-rule", server.url, "replayed-default"])
        let rewrites = [
            "/var/log/awslogs.log": "samples/agent/awslogs/awslogs.log",
            "/etc/awslogs/awslogs.conf": "samples/agent/awslogs/awslogs.conf",
            "/opt/aws/amazon-cloudwatch-agent/logs/": "samples/agent/unified/",
            "http://127.0.0.1:5000": server.url,
        ]
        let marker = "@@deadletter-help-example@@"
        var ran = 0
        for block in blocks {
            let examples = block.filter { !$0.needsService }
            guard !examples.isEmpty else { continue }
            let dir = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let links = ["samples": "samples", "bucket": "samples/firehose/bucket", "dlq-dump.json": "samples/eventbridge-dlq/receive-message-2024-03-05.json",
                         "dlq.json": "samples/eventbridge-dlq/receive-message-2024-03-05.json", "config.json": "samples/agent/unified/amazon-cloudwatch-agent.json"]
            for (name, target) in links {
                try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(name), withDestinationURL: CLI.packageRoot.appendingPathComponent(target))
            }
            // Each block starts with the dump's dead letters in the queue (an earlier block may have redriven them).
            #expect(try SQSTests.moto(["seed", server.url, "orders-dlq", dump.path]) == "3")
            let script = "set -o pipefail\n" + examples.map { example in
                var command = example.command
                for (from, to) in rewrites { command = command.replacingOccurrences(of: from, with: to) }
                // On lines of their own: an example's `# comment` would swallow what follows it.
                return "echo \(marker)\n\(command)\necho \"\(marker) status $?\""
            }.joined(separator: "\n")
            var environment = SendTests.environment(server)
            environment["XDG_STATE_HOME"] = dir.appendingPathComponent("state").path
            let output = try ReadmeExampleTests.shell(script, in: dir, environment: environment)
            let parts = output.components(separatedBy: marker + "\n").dropFirst()
            #expect(parts.count == examples.count, "\(output)")
            for (example, part) in zip(examples, parts) {
                ran += 1
                let status = part.components(separatedBy: "\(marker) status ").last?.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(status == "0", "`\(example)` exited \(status ?? "?"):\n\(part.suffix(1500))")
                #expect(!part.contains("send-secret-never-shown"))
            }
        }
        #expect(ran == all.count - skipped.count)
    }
}
