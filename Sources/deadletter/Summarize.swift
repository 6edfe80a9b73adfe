import DeadLetterExport
import DeadLetterQuery
import DeadLetterRecords
import DeadLetterSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SummaryFormat: ExpressibleByArgument {}
extension SummaryOrder: ExpressibleByArgument {}

struct Summarize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count failure records grouped by any field, with bytes and time ranges.",
        discussion: """
        Fields for --by: \(RecordField.validNames(for: .by)).
        Kinds: \(FailureKind.selectable.map(\.rawValue).joined(separator: ", ")).

        Examples:
          deadletter summarize s3://my-firehose-errors/       # what failed, by family and error code
          deadletter summarize s3://my-firehose-errors/processing-failed/ --since 36h --by lambda,payloadType
          deadletter summarize --by errorCode,hour ./bucket/splunk-failed/
          deadletter summarize --by hour ./bucket                # since when: a bar per hour, empty hours shown
          deadletter summarize --by stream --sort last ./bucket  # what failed most recently first
          deadletter summarize --format json ./bucket > summary.json
        """
    )

    @OptionGroup var input: InputFlags

    @Option(help: ArgumentHelp("Comma-separated fields to group by, in order.", valueName: "fields"),
            completion: .list(RecordField.names(for: .by)))
    var by: String = "kind,errorCode"

    @Option(help: "Output format.")
    var format: SummaryFormat = .table

    @Option(help: ArgumentHelp("Order of the groups: count (largest first), key (by value; time order for hour and day), first (oldest first arrival first) or last (latest arrival first). Default: key for --by hour or --by day alone (a table then shows every hour or day from the first to the last, with a bar each), else count.", valueName: "order"))
    var sort: SummaryOrder?

    @OptionGroup var display: SummaryOutputFlags

    func run() throws {
        var options = SummarizeOptions()
        options.input = try input.options()
        do {
            options.groupBy = try RecordField.parseList(by, for: .by)
        } catch {
            throw ValidationError("--by: \(error.message)")
        }
        options.format = format
        options.top = display.top
        options.order = sort
        options.wide = display.wide
        options.width = Terminal.columns()
        options.color = display.color.enabled(fd: STDOUT_FILENO)
        try finish { output, diagnostics throws(UsageError) in
            try SummarizeJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
