import Foundation
import Testing

/// The README's console examples, run as a user would type them, with `deadletter` on PATH, in a fresh
/// directory beside `samples/`. Commands that need the AWS CLI or a synced bucket (`aws …`, `bucket/…`) are
/// shown, not run; `s3://my-firehose-errors/` and `sqs://orders-dlq` examples run against moto's server on 127.0.0.1
/// holding a copy of `samples/firehose/` stored by boto3 and the sample dump's dead letters. Expected output is the text under each command: a line `…` stands for any number of lines, and
/// `…` inside a line for any text, unless the output has that line exactly (tables shorten cells with `…`).
@Suite struct ReadmeExampleTests {
    struct Example: CustomStringConvertible, Sendable {
        var command: String
        var expected: [String]
        var description: String { command }
    }

    /// The console blocks, each a list of examples; a block runs in one shell, so a variable set by one
    /// command (`M=$(…)`) reaches the next.
    static let blocks: [[Example]] = {
        let readme = (try? String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        return readme.components(separatedBy: "```console\n").dropFirst().map { block in
            let body = block.components(separatedBy: "```").first ?? ""
            var examples: [Example] = []
            for line in body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix("$ ") {
                    examples.append(Example(command: String(line.dropFirst(2)), expected: []))
                } else if !examples.isEmpty {
                    examples[examples.count - 1].expected.append(line)
                }
            }
            return examples.map { example in
                var example = example
                while example.expected.last == "" { example.expected.removeLast() }
                return example
            }
        }
    }()

    static func isRunnable(_ example: Example) -> Bool {
        !example.command.contains("aws ") && example.command.range(of: #"(^|[\s=])(\./)?bucket/"#, options: .regularExpression) == nil
    }

    static var runnable: [Example] { blocks.flatMap { $0.filter(isRunnable) } }

    @Test func theReadmeHasExamplesToRun() {
        // Parsing that found nothing would make the test below pass vacuously.
        #expect(Self.runnable.count >= 8)
        #expect(Self.runnable.contains { $0.command.hasPrefix("deadletter summarize") })
        #expect(Self.runnable.contains { $0.command.hasPrefix("deadletter backfill") })
        #expect(Self.runnable.contains { $0.command.contains("s3://") })
        #expect(Self.runnable.contains { $0.command.contains("sqs://") })
    }

    /// Examples that build on an earlier one (`entries/` after the backfill that wrote it, `$M`) run in one
    /// directory and, block by block, in one shell, in README order.
    @Test func everyExampleGivesWhatTheReadmeShows() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("samples"),
                                                   withDestinationURL: CLI.packageRoot.appendingPathComponent("samples"))
        var environment: [String: String] = [:]
        var server: LocalServer?
        if Self.runnable.contains(where: { $0.command.contains("s3://") || $0.command.contains("sqs://") }) {
            let moto = try LocalServer.moto()
            server = moto
            _ = try S3InputTests.upload(moto, bucket: "my-firehose-errors", [CLI.packageRoot.appendingPathComponent("samples/firehose")])
            // sqs://orders-dlq holds the sample dump's three dead letters.
            #expect(try SQSTests.moto(["seed", moto.url, "orders-dlq",
                                       CLI.packageRoot.appendingPathComponent("samples/eventbridge-dlq/receive-message-2024-03-05.json").path]) == "3")
            environment = S3InputTests.environment(moto)
            environment["AWS_ENDPOINT_URL_SQS"] = moto.url
            environment["XDG_STATE_HOME"] = dir.appendingPathComponent("state").path
        }
        defer { server?.stop() }
        let marker = "@@deadletter-readme-example@@"
        for block in Self.blocks {
            let examples = block.filter(Self.isRunnable)
            guard !examples.isEmpty else { continue }
            let script = examples.map { "echo \(marker); \($0.command)" }.joined(separator: "\n")
            let output = try Self.shell(script, in: dir, environment: environment)
            let parts = output.components(separatedBy: marker + "\n").dropFirst()
            #expect(parts.count == examples.count, "a README example stopped its block: \(output)")
            for (example, part) in zip(examples, parts) {
                let actual = part.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let trimmed = actual.last == "" ? Array(actual.dropLast()) : actual
                #expect(Self.matches(example.expected[...], trimmed[...]),
                        "README example `\(example.command)` printed:\n\(part)\nexpected:\n\(example.expected.joined(separator: "\n"))")
            }
        }
    }

    @Test func theMatcherCanFail() {
        #expect(Self.matches(["a", "…", "d"], ["a", "b", "c", "d"]))
        #expect(Self.matches(["x…z"], ["xyz"]))
        #expect(Self.matches(["a…"], ["a…"]))
        #expect(!Self.matches(["a", "…", "d"], ["a", "b", "c"]))
        #expect(!Self.matches(["x…z"], ["xy"]))
        #expect(!Self.matches(["a"], ["a", "b"]))
    }

    static func matches(_ expected: ArraySlice<String>, _ actual: ArraySlice<String>) -> Bool {
        guard let first = expected.first else { return actual.isEmpty }
        if first == "…" {
            for skip in 0...actual.count where matches(expected.dropFirst(), actual.dropFirst(skip)) { return true }
            return false
        }
        guard let line = actual.first, lineMatches(first, line) else { return false }
        return matches(expected.dropFirst(), actual.dropFirst())
    }

    static func lineMatches(_ pattern: String, _ line: String) -> Bool {
        if pattern == line { return true }
        let pieces = pattern.components(separatedBy: "…")
        guard pieces.count > 1, line.hasPrefix(pieces[0]), line.hasSuffix(pieces[pieces.count - 1]) else { return false }
        var rest = line.dropFirst(pieces[0].count)
        for piece in pieces.dropFirst().dropLast() {
            guard let range = rest.range(of: piece) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.count >= pieces[pieces.count - 1].count
    }

    /// Runs `command` with bash, stdout and stderr together, the built binary first on PATH.
    static func shell(_ command: String, in dir: URL, environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env["PATH"] = CLI.binary.deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["COLUMNS"] = "80"
        for name in env.keys where name.hasPrefix("AWS_") { env.removeValue(forKey: name) }
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = dir
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
