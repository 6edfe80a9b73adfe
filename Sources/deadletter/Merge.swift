import DeadLetterExport
import DeadLetterSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge JSON summaries of separate runs into one, as if the inputs had been read together.",
        discussion: """
        Counts, bytes, time ranges, attempts and totals add up exactly; the first malformed samples are kept. \
        Summaries must share the schema and --by. A summary made with --top holds an (other) group that mixes \
        keys: merging it works, but the result says "exactlyMergeable": false.

        Examples:
          deadletter summarize bucket/processing-failed --format json > a.json   # one shard, on one machine
          deadletter summarize bucket/splunk-failed --format json > b.json       # another, on another
          deadletter merge a.json b.json --top 20 --format table
        """
    )

    @Argument(help: ArgumentHelp("JSON summaries written by `deadletter summarize --format json`.", valueName: "summary.json"),
              completion: .file(extensions: ["json"]))
    var summaries: [String]

    @Option(help: "Output format.")
    var format: SummaryFormat = .json

    @OptionGroup var display: SummaryOutputFlags

    func validate() throws {
        if summaries.isEmpty { throw ValidationError("give at least one summary file") }
    }

    func run() throws {
        var options = MergeOptions()
        options.paths = summaries
        options.format = format
        options.top = display.top
        options.wide = display.wide
        options.width = Terminal.columns()
        options.color = display.color.enabled(fd: STDOUT_FILENO)
        try finish { output, diagnostics throws(UsageError) in
            try MergeJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
