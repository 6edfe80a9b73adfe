import DeadLetterExport
import DeadLetterQuery
import DeadLetterSupport
import ArgumentParser

extension RecordsFormat: ExpressibleByArgument {}

struct Records: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List normalised failure records as NDJSON, CSV or JSON, for jq, DuckDB or a spreadsheet.",
        discussion: """
        Each record becomes one object with \(RecordField.recordRow.map(\.name).joined(separator: ", ")): \
        null where the record has no value, the payload the decoded JSON value for JSON payloads, \
        a string for text, base64 for binary, the subscription JSON for CloudWatch Logs. Output streams as it \
        reads; `| head` stops the run early and quietly.

        Fields for --fields: \(RecordField.validNames(for: .fields)).
        Fields for --where: all but \(RecordField.namesRefused(by: .where).joined(separator: ", ")).

        Examples:
          deadletter records s3://my-firehose-errors/splunk-failed/ --where errorCode=Splunk.AckTimeout | jq -c .payload
          deadletter records ./bucket --where 'message~mapper_parsing' --fields file,line,documentId,errorMessage --format csv > bad-docs.csv
          deadletter records bucket/processing-failed --explode --since 36h | jq -r .message
        """
    )

    @OptionGroup var input: InputFlags

    @Option(help: "Output format.")
    var format: RecordsFormat = .ndjson

    @Option(help: ArgumentHelp("Comma-separated fields to output instead of the whole record.", valueName: "fields"),
            completion: .list(RecordField.names(for: .fields)))
    var fields: String?

    @Flag(help: ArgumentHelp("One row per CloudWatch Logs event (\(RowBuilder.explodedRow.map(\.name).joined(separator: ", "))); records without events are left out. --fields may name logEventId, timestamp and message (then the event's message) to choose and order them."))
    var explode = false

    func run() throws {
        var options = RecordsOptions()
        options.input = try input.options()
        if let fields {
            do {
                options.fields = try RecordField.parseList(fields, for: .fields)
            } catch {
                throw ValidationError("--fields: \(error.message)")
            }
        }
        options.format = format
        options.explode = explode
        try finish { output, diagnostics throws(UsageError) in
            try RecordsJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
