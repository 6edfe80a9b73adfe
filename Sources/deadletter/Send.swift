import DeadLetterAWS
import DeadLetterSend
import DeadLetterSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SendFormat: ExpressibleByArgument {}

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deliver a backfill directory to its service, item by item, safely.",
        discussion: """
        Targets: firehose (PutRecordBatch), eventbridge (PutEvents); the others are refused with what to run \
        instead. Each file's items go in one call; only the items the service refused with a retryable error \
        (throttling, a server fault, a timeout) are sent again, with exponential backoff and full jitter; the \
        others, and those still failing after --max-attempts or --max-time, are written to DIR/send-failed/ \
        (a backfill directory: send it again later) with the service's reason. DIR/send-journal.ndjson records, \
        flushed to disk before and after each call, what the service took: send the same DIR again after \
        Ctrl-C, kill -9 or an outage and nothing taken is sent twice (items that were in flight are counted \
        as possibly duplicated).

        Examples:
          deadletter backfill s3://my-firehose-errors/processing-failed/ --target firehose --stream orders --out batches/
          deadletter send batches/ --dry-run
          deadletter send batches/ --format json | jq .totals
          deadletter send batches/send-failed      # later, the items that failed
        """
    )

    @Argument(help: ArgumentHelp("A directory written by deadletter backfill.", valueName: "dir"), completion: .directory)
    var dir: String

    @Option(help: ArgumentHelp("firehose: the delivery stream (default: the manifest's).", valueName: "name"))
    var stream: String?

    @Option(help: ArgumentHelp("Calls in flight at once (1 to 256).", valueName: "n"))
    var concurrency: Int = 8

    @Option(help: ArgumentHelp("Times one item is sent at most, the first included (1 to 100).", valueName: "n"))
    var maxAttempts: Int = 5

    @Option(help: ArgumentHelp("Seconds after which items still failing are given up (dead letters).", valueName: "seconds"))
    var maxTime: Double = 900

    @Flag(help: "Say what would be sent where, and send nothing.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Print no warnings or notes on stderr (errors still are).")
    var quiet = false

    @Option(help: "Output format.")
    var format: SendFormat = .table

    @OptionGroup(title: "AWS options") var aws: AWSFlags

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256, not \(concurrency)") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be from 1 to 100, not \(maxAttempts)") }
        guard maxTime > 0 else { throw ValidationError("--max-time must be above 0 seconds") }
    }

    func run() throws {
        var options = SendJobOptions()
        options.path = dir.count > 1 && dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        options.format = format
        options.dryRun = dryRun
        options.quiet = quiet
        options.stream = stream
        options.send.concurrency = concurrency
        options.send.maxAttempts = maxAttempts
        options.send.maxTime = maxTime
        options.environment = AWSEnvironment.process()
        options.aws = aws.options(environment: options.environment)
        options.trace = aws.verbose ? AWSTrace(AWSFlags.traceLine) : .off
        try finish { output, diagnostics throws(UsageError) in
            try SendJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
