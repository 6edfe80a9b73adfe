@testable import DeadLetterExport
@testable import DeadLetterQuery
@testable import DeadLetterEngine
@testable import DeadLetterSupport
import Foundation
import Testing

/// Whoever finds a usage error (ArgumentParser, a command's validate() or run(), a library job), the user
/// sees the same: `Error: <message>`, the usage of the subcommand that was run, where its help is, exit 64.
@Suite struct UsageErrorTests {
    struct Route: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        var message: String
        var usage: String
        var testDescription: String { name }
    }

    static let backfillUsage = """
        Usage: deadletter backfill [<options>] [<path> ...] --target <target>
          See 'deadletter backfill --help' for more information.

        """
    static let summarizeUsage = """
        Usage: deadletter summarize [<options>] [<path> ...]
          See 'deadletter summarize --help' for more information.

        """
    static let mergeUsage = """
        Usage: deadletter merge <summary.json> ... [--format <format>] [--top <n>] [--wide] [--color <color>] [--dedupe]
          See 'deadletter merge --help' for more information.

        """

    static let routes: [Route] = [
        Route(name: "ArgumentParser", arguments: ["backfill", "--target", "raw", "--dry-run", "--frobnicate", "x"],
              message: "Unknown option '--frobnicate'", usage: backfillUsage),
        Route(name: "validate()", arguments: ["backfill", "--target", "raw", "x"],
              message: "--out DIR is required (or --dry-run)", usage: backfillUsage),
        Route(name: "ValidationError in run()", arguments: ["backfill", "--target", "raw", "--dry-run", "--max-bytes", "0", "x"],
              message: "--max-bytes '0': must be 1 byte or more", usage: backfillUsage),
        Route(name: "UsageError from the job", arguments: ["backfill", "--target", "firehose", "--dry-run", "x"],
              message: "--target firehose needs --stream NAME (the delivery stream to re-put into)", usage: backfillUsage),
        Route(name: "summarize: ArgumentParser", arguments: ["summarize", "--bogus"],
              message: "Unknown option '--bogus'", usage: summarizeUsage),
        Route(name: "summarize: ValidationError in run()", arguments: ["summarize", "--by", "nope", "x"],
              message: "--by: unknown field 'nope'; valid fields: \(RecordField.validNames(for: .by))", usage: summarizeUsage),
        Route(name: "merge: ArgumentParser", arguments: ["merge", "--bogus", "a.json"],
              message: "Unknown option '--bogus'", usage: mergeUsage),
    ]

    @Test(arguments: routes) func everyRouteHasTheSameShape(_ route: Route) throws {
        let result = try CLI.run(route.arguments)
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "Error: \(route.message)\n" + route.usage)
    }

    @Test func aUsageErrorFromMergeShowsMergeUsageAndEscapesTheFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad\u{1B}[31m.json")
        try Data("[]".utf8).write(to: file)
        let result = try CLI.run(["merge", file.path])
        #expect(result.status == 64)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("Error: \(dir.path)/bad\\x1B[31m.json: not a deadletter JSON summary") == true)
        #expect(lines.dropFirst().joined(separator: "\n") == Self.mergeUsage)
    }

    @Test func aMistypedSubcommandGetsASuggestion() throws {
        let result = try CLI.run(["sumarize", "x"])
        #expect(result.status == 64)
        #expect(result.stderr == """
            Error: Unknown subcommand 'sumarize'; did you mean 'summarize'?
            Usage: deadletter <subcommand>
              See 'deadletter --help' for more information.

            """)
        let record = try CLI.run(["record", "x"])
        #expect(record.stderr.hasPrefix("Error: Unknown subcommand 'record'; did you mean 'records'?\n"))
    }

    @Test func aWordFarFromEverySubcommandIsLeftToArgumentParser() throws {
        let result = try CLI.run(["frobnicate"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("Error: Unexpected argument 'frobnicate'\n"))
    }
}
