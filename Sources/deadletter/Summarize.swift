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
          deadletter summarize --format json ./bucket > summary.json
        """
    )

    @OptionGroup var input: InputFlags

    @Option(help: ArgumentHelp("Comma-separated fields to group by, in order.", valueName: "fields"),
            completion: .list(RecordField.names(for: .by)))
    var by: String = "kind,errorCode"

    @Option(help: "Output format.")
    var format: SummaryFormat = .table

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
        options.wide = display.wide
        options.width = Terminal.columns()
        options.color = display.color.enabled(fd: STDOUT_FILENO)
        try finish { output, diagnostics throws(UsageError) in
            try SummarizeJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
