import DeadLetterBackfill
import DeadLetterQuery
import DeadLetterSupport
import ArgumentParser

extension BackfillTargetName: ExpressibleByArgument {}

/// The fields `--split-by` takes.
enum SplitField: String, CaseIterable, ExpressibleByArgument {
    case stream, kind, index

    var field: RecordField {
        switch self {
        case .stream: return .stream
        case .kind: return .kind
        case .index: return .index
        }
    }
}

struct Backfill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write ready-to-send files that put failed records back into a target.",
        discussion: """
        Targets: \(BackfillTargetName.allCases.map(\.rawValue).joined(separator: ", ")).
        Files stay within the service's limits (--max-bytes and --max-records only tighten them), output is \
        deterministic, and the directory appears complete or not at all. Every run writes manifest.json \
        (schema deadletter.backfill/1: selected = written + rejected + duplicates) and rejects.ndjson.

        Examples:
          deadletter backfill s3://my-firehose-errors/splunk-failed/ --target splunk-hec --out hec/
          deadletter backfill bucket/processing-failed --target firehose --stream my-stream --out batches/ --dedupe
          deadletter backfill bucket/processing-failed --target firehose --split-by stream --out parts/  # each back to its stream
          deadletter backfill bucket/AmazonOpenSearchService-failed --target opensearch --out bulk/ --where message~mapper_parsing
          deadletter backfill dlq-dump.json --target eventbridge --out entries/ --source com.example.replay
          deadletter backfill bucket/errors/manifests --target redshift --table public.events --iam-role arn:aws:iam::1:role/r --out copy/
        """
    )

    @OptionGroup var input: InputFlags

    @Option(help: ArgumentHelp("Where the records go.", valueName: "target"))
    var target: NamedChoice<BackfillTargetName>

    @Option(help: ArgumentHelp("Directory to create: it must not exist or be empty (or, with --force, hold an earlier backfill output); never /, $HOME, the working directory or an input.", valueName: "dir"),
            completion: .directory)
    var out: String?

    @Option(help: ArgumentHelp("Fewer bytes per file than the service allows (up to 1GiB).", valueName: "size"))
    var maxBytes: String?

    @Option(help: ArgumentHelp("Fewer records per file than the service allows (1 to 1000000000).", valueName: "n"))
    var maxRecords: Int?

    @Flag(help: "Drop repeats by the record's natural id (document id, EventId, dataId), else by payload hash. With --shard, also keep each written record's key in dedupe-keys.ndjson, so that merge --dedupe drops the repeats across shards.")
    var dedupe = false

    @Flag(help: "Print the plan (files, records, bytes, rejects) and write nothing.")
    var dryRun = false

    @Flag(help: "Replace an earlier backfill output in --out (a directory holding deadletter's manifest.json); nothing else is ever replaced.")
    var force = false

    @Option(help: ArgumentHelp("Write one part per value of stream, kind or index, each in a folder FIELD=VALUE of --out with its own files, manifest and rejects (firehose split by stream: each part goes back to its own stream). --dedupe works within each part.", valueName: "field"))
    var splitBy: NamedChoice<SplitField>?

    @OptionGroup var settings: BackfillTargetFlags

    func validate() throws {
        _ = try target.value(for: "--target <target>")
        _ = try splitBy?.value(for: "--split-by <field>")
        if out == nil && !dryRun { throw ValidationError("--out DIR is required (or --dry-run)") }
        if let maxRecords, !Counts.flag.contains(maxRecords) {
            throw ValidationError("--max-records '\(maxRecords)': takes a number of records from 1 to \(Counts.flag.upperBound)")
        }
    }

    func run() throws {
        var options = BackfillOptions()
        options.input = try input.options()
        options.target = try target.value(for: "--target <target>")
        options.out = out ?? ""
        if let maxBytes {
            do {
                options.maxBytes = try ByteSize.parse(flag: "--max-bytes", maxBytes, example: "1MiB")
            } catch {
                throw ValidationError(error.message)
            }
        }
        options.maxRecords = maxRecords
        options.dedupe = dedupe
        options.dryRun = dryRun
        options.force = force
        options.settings = settings.settings
        options.splitBy = try splitBy?.value(for: "--split-by <field>").field
        options.home = Terminal.environment("HOME")
        let cleanup = InterruptCleanup()
        // A dry run writes nothing, so an interrupt has nothing to clean up and ends it as usual.
        let interrupts = dryRun ? nil : InterruptHandling(running: cleanup)
        try withExtendedLifetime(interrupts) {
            try finish { output, diagnostics throws(UsageError) in
                try BackfillJob.run(options, output: output, diagnostics: diagnostics, interrupts: cleanup)
            }
        }
    }
}

/// The flags that shape one target's files, declared where the help lists them and turned into the library's
/// plain settings in one place.
struct BackfillTargetFlags: ParsableArguments {
    @Flag(help: "raw: write the messages of CloudWatch Logs events, one per line.")
    var explode = false

    @Option(help: ArgumentHelp("firehose: the delivery stream name.", valueName: "name"))
    var stream: String?

    @Option(help: ArgumentHelp("opensearch: index for every document, instead of esIndexName/osIndexName.", valueName: "name"))
    var index: String?

    @Flag(help: "opensearch: keep esTypeName as _type (Elasticsearch 6).")
    var keepType = false

    @Option(help: ArgumentHelp("opensearch: wrap text payloads as {\"FIELD\": text} instead of rejecting them.", valueName: "field"))
    var wrapText: String?

    @Option(help: ArgumentHelp("eventbridge: the event bus to put into (default: the custom bus in RULE_ARN, else the default bus).", valueName: "name"))
    var eventBus: String?

    @Option(help: ArgumentHelp("eventbridge: re-put under this source (needed for aws.* events, which cannot be re-put as they are).", valueName: "name"))
    var source: String?

    @Option(help: ArgumentHelp("splunk-hec: the index of the events written (payloads that are HEC events keep theirs unless --hec-override).", valueName: "name"))
    var hecIndex: String?

    @Option(help: ArgumentHelp("splunk-hec: the sourcetype of the events written.", valueName: "name"))
    var hecSourcetype: String?

    @Option(help: ArgumentHelp("splunk-hec: the source of the events written (default for CloudWatch Logs events: the log group).", valueName: "name"))
    var hecSource: String?

    @Option(help: ArgumentHelp("splunk-hec: the host of the events written.", valueName: "name"))
    var hecHost: String?

    @Flag(help: "splunk-hec: set the --hec-* fields on payloads that already are HEC events too (they keep their own otherwise).")
    var hecOverride = false

    @Option(help: ArgumentHelp("redshift: the table to COPY into.", valueName: "schema.table"))
    var table: String?

    @Option(help: ArgumentHelp("redshift: the IAM role ARN for COPY.", valueName: "arn"))
    var iamRole: String?

    @Option(help: ArgumentHelp("redshift: where copy-manifest.json will be uploaded (s3://...).", valueName: "url"))
    var manifestUrl: String?

    @Option(help: ArgumentHelp("redshift: format options for COPY.", valueName: "sql"))
    var copyOptions: String = BackfillTargetSettings.defaultCopyOptions

    var settings: BackfillTargetSettings {
        BackfillTargetSettings(explode: explode, stream: stream, index: index, keepType: keepType, wrapText: wrapText,
                               eventBus: eventBus, source: source, table: table, iamRole: iamRole,
                               manifestURL: manifestUrl, copyOptions: copyOptions,
                               hec: HECMetadata(index: hecIndex, sourcetype: hecSourcetype, source: hecSource, host: hecHost, override: hecOverride))
    }
}
