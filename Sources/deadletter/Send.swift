import DeadLetterAWS
import DeadLetterQuery
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
        Targets: firehose (PutRecordBatch), eventbridge (PutEvents), opensearch (_bulk to --url; basic auth from \
        DEADLETTER_OPENSEARCH_USER and DEADLETTER_OPENSEARCH_PASSWORD, or SigV4 for Amazon OpenSearch hosts and \
        with --sigv4), splunk-hec (--url; token from DEADLETTER_HEC_TOKEN or --token-file; --ack waits for indexer \
        acknowledgement), http-endpoint (--url; access key from DEADLETTER_HTTP_ACCESS_KEY or --token-file); raw, \
        snowflake and redshift are refused with what to run instead. Each file's items go in one call; only the items the service refused with a retryable error \
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
          deadletter send batches/send-failed      # later, the items that failed (needs a send that left some)
          DEADLETTER_HEC_TOKEN=... deadletter send hec/ --url https://splunk.example.com:8088 --ack   # needs a Splunk HEC
          deadletter send os/ --url https://search-logs-abc.eu-west-1.es.amazonaws.com --rate 2000   # needs an OpenSearch domain
        """
    )

    @Argument(help: ArgumentHelp("A directory written by deadletter backfill.", valueName: "dir"), completion: .directory)
    var dir: String

    @Option(help: ArgumentHelp("firehose: the delivery stream (default: the manifest's).", valueName: "name"))
    var stream: String?

    @Option(help: ArgumentHelp("eventbridge: put every entry on this bus (default: the bus each entry names).", valueName: "name"))
    var eventBus: String?

    @Option(help: ArgumentHelp("opensearch, splunk-hec, http-endpoint: where to send (https://HOST[:PORT][/PATH]; no credentials in it).", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("splunk-hec: a file holding the HEC token; http-endpoint: the access key (instead of the environment variable).", valueName: "file"), completion: .file())
    var tokenFile: String?

    @Flag(help: "splunk-hec: use indexer acknowledgement (a channel; items count as sent once HEC says they are indexed).")
    var ack = false

    @Option(help: ArgumentHelp("splunk-hec --ack: how long to wait for an acknowledgement before sending again (e.g. 180s, 5m).", valueName: "duration"))
    var ackTimeout: String = "180s"

    @Option(help: ArgumentHelp("opensearch: sign with AWS credentials as es or aoss where the host is not an Amazon OpenSearch one.", valueName: "service"))
    var sigv4: String?

    @Option(help: ArgumentHelp("Calls in flight at once (1 to 256).", valueName: "n"))
    var concurrency: Int = 8

    @Option(help: ArgumentHelp("Items a second at most; halved while the service throttles, raised again slowly (default: no limit).", valueName: "n"))
    var rate: Double?

    @Option(help: ArgumentHelp("Times one item is sent at most, the first included (1 to 100).", valueName: "n"))
    var maxAttempts: Int = 5

    @Option(help: ArgumentHelp("Time after which items still failing are given up as dead letters: seconds or 90s, 15m, 2h.", valueName: "duration"))
    var maxTime: String = "15m"

    @Flag(help: "Never draw the progress line (drawn on stderr only when it is a terminal, and not with --quiet).")
    var noProgress = false

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
        do {
            _ = try TimeArgument.seconds(maxTime, flag: "--max-time")
            _ = try TimeArgument.seconds(ackTimeout, flag: "--ack-timeout")
        } catch { throw ValidationError(error.message) }
        if let rate { guard rate >= 0.01 && rate <= 1e9 else { throw ValidationError("--rate must be items a second, from 0.01 to 1000000000") } }
        if let sigv4 { guard ["es", "aoss"].contains(sigv4) else { throw ValidationError("--sigv4 must be es (OpenSearch Service) or aoss (OpenSearch Serverless)") } }
    }

    func run() throws {
        var options = SendJobOptions()
        options.path = dir.count > 1 && dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        options.format = format
        options.dryRun = dryRun
        options.quiet = quiet
        options.stream = stream
        options.eventBus = eventBus
        options.url = url
        options.tokenFile = tokenFile
        options.ack = ack
        options.ackTimeout = (try? TimeArgument.seconds(ackTimeout, flag: "--ack-timeout")) ?? 180
        options.sigV4Service = sigv4
        options.send.concurrency = concurrency
        options.send.maxAttempts = maxAttempts
        options.send.maxTime = (try? TimeArgument.seconds(maxTime, flag: "--max-time")) ?? 900
        options.send.rate = rate
        options.send.progress = !noProgress && !quiet && isatty(STDERR_FILENO) == 1
        options.environment = AWSEnvironment.process()
        options.aws = aws.options(environment: options.environment)
        options.trace = aws.verbose ? AWSTrace(AWSFlags.traceLine) : .off
        try finish { output, diagnostics throws(UsageError) in
            try SendJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
