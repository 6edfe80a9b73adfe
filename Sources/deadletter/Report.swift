import DeadLetterBytes
import DeadLetterReport
import DeadLetterSupport
import ArgumentParser

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an incident report: one self-contained HTML page of what failed, when, why, and how to put it back.",
        discussion: """
        The page holds the totals, a chart of failures over time stacked by error code (a bar per minute, \
        hour or day, as the span allows), the error codes, messages, kinds and streams with their trends, \
        examples of the most frequent messages, the destinations' facts (OpenSearch indexes, Lambda \
        functions, log groups, EventBridge rules), what each backfill target would take with the commands \
        to do it, and the findings of agent logs among the inputs. Its numbers are those of \
        `summarize --format json` on the same input. Nothing in it is fetched or run: inline CSS and SVG \
        under a Content-Security-Policy that allows no script; record content is escaped.

        Examples:
          deadletter report ./bucket --out incident.html
          deadletter report s3://my-firehose-errors/splunk-failed/ --since 24h --out splunk.html
          deadletter report ./bucket --where stream=orders --out - > orders.html
        """
    )

    @OptionGroup var input: InputFlags

    @Option(help: ArgumentHelp("The HTML file to write (replaced whole, never half written); - for standard output.", valueName: "file"),
            completion: .file(extensions: ["html"]))
    var out: String

    func run() throws {
        var options = ReportOptions()
        options.input = try input.options()
        options.out = out
        var arguments = input.paths
        if let kind = options.input.kind { arguments += ["--kind", kind.rawValue] }
        for condition in input.filters.conditions { arguments += ["--where", condition] }
        // Times as resolved now, so the page's commands select what the page counted.
        if let since = options.input.filter.since { arguments += ["--since", UTCTime.rfc3339(since)] }
        if let until = options.input.filter.until { arguments += ["--until", UTCTime.rfc3339(until)] }
        options.commandArguments = arguments
        try finish { output, diagnostics throws(UsageError) in
            try ReportJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
