import DeadLetterInput
import DeadLetterAWS
import DeadLetterEngine
import DeadLetterRecords
import DeadLetterSupport
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FailureKind: ExpressibleByArgument {
    public static var allValueStrings: [String] { FailureKind.selectable.map(\.rawValue) }
}

/// Flags shared by every command that reads records.
struct InputFlags: ParsableArguments {
    @Argument(help: ArgumentHelp("Files, directories (recursively, hidden entries skipped), s3://BUCKET/PREFIX or sqs://QUEUE (a queue URL too: read without deleting) to read; - for stdin. Default: stdin when it is not a terminal.", valueName: "path"),
              completion: .file())
    var paths: [String] = []

    @Option(help: ArgumentHelp("Keep only this family, and give it to records that carry no clue to theirs.", valueName: "kind"))
    var kind: NamedChoice<FailureKind>?

    @Flag(help: "Exit with status 2 if any malformed input was found.")
    var strict = false

    @Flag(name: [.short, .long], help: "Print no warnings or notes on stderr (errors still are); counts are unchanged.")
    var quiet = false

    @Flag(help: "Never draw the progress line (drawn on stderr only when it is a terminal, and not with --quiet).")
    var noProgress = false

    @Option(help: ArgumentHelp("Largest record (one JSON object) to read, up to 1GiB; longer ones are reported as malformed.", valueName: "size"))
    var maxRecordBytes: String = "16MiB"

    @Option(help: ArgumentHelp("Largest size a gzip payload inside rawData may inflate to, up to 1GiB; past it the payload is reported, not inspected.", valueName: "size"))
    var maxPayloadBytes: String = "64MiB"

    @Option(help: ArgumentHelp("Read only shard I of N (I from 0 to N-1): the files or objects are dealt out by size, each to exactly one shard; `deadletter merge` of the N JSON summaries equals one run. auto (or auto/N) takes I from AWS_BATCH_JOB_ARRAY_INDEX, JOB_COMPLETION_INDEX (from 0) or PARALLEL_SEQ (from 1), and N from AWS_BATCH_JOB_ARRAY_SIZE or DEADLETTER_SHARD_COUNT when not given.", valueName: "I/N"))
    var shard: String?

    @OptionGroup var filters: FilterFlags

    @OptionGroup(title: "AWS options (for s3://BUCKET/PREFIX and sqs://QUEUE paths)") var aws: AWSFlags

    func validate() throws {
        _ = try kind?.value(for: "--kind <kind>", meaning: Self.kindOfFolder)
    }

    /// `--kind splunk-failed`: the S3 folder a family writes to, typed where its kind was meant.
    static func kindOfFolder(_ text: String) -> String? {
        FailureFamilies.kind(forKey: text + "/x").map(\.rawValue)
    }

    func options() throws -> InputOptions {
        var options = InputOptions()
        let kind = try kind?.value(for: "--kind <kind>", meaning: Self.kindOfFolder)
        options.filter = try filters.filter()
        options.paths = paths
        options.kind = kind
        options.strict = strict
        options.quiet = quiet
        // The line is for a person watching: only on a terminal.
        options.progress = !noProgress && isatty(STDERR_FILENO) == 1
        options.stdinIsTerminal = isatty(STDIN_FILENO) == 1
        do {
            options.read.maxRecordBytes = try ByteSize.parse(flag: "--max-record-bytes", maxRecordBytes, example: "16MiB")
            options.read.maxPayloadBytes = try ByteSize.parse(flag: "--max-payload-bytes", maxPayloadBytes, example: "64MiB")
        } catch {
            throw ValidationError(error.message)
        }
        options.read.fallbackKind = kind
        if let shard {
            do {
                options.shard = try Shard.parse(shard, environment: ProcessInfo.processInfo.environment)
            } catch {
                throw ValidationError(error.message)
            }
        }
        options.remoteSources = aws.remoteSources(window: TimeWindow(since: options.filter.since, until: options.filter.until), paths: paths)
        return options
    }
}

extension ColorChoice: ExpressibleByArgument {}
