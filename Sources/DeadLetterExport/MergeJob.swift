import DeadLetterInput
import DeadLetterQuery
import DeadLetterSupport
/// Everything `merge` needs, as plain values.
public struct MergeOptions: Sendable {
    public var paths: [String] = []
    public var format: SummaryFormat = .json
    public var top: Int?
    public var wide = false
    /// The table's width in columns (the executable gives the terminal's).
    public var width = 80
    /// Colour in the table (the executable decides, from --color, NO_COLOR and the terminal).
    public var color = false

    public init() {}
}

public enum MergeJob {
    public static func run(_ options: MergeOptions, output: any TextSink, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        var inputs: [SummaryMerge.Input] = []
        for path in options.paths {
            let bytes: [UInt8]
            do { bytes = try FileContents.read(path) } catch {
                diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: path), "cannot read: \(error.reason)"))
                continue
            }
            inputs.append(SummaryMerge.Input(name: path, bytes: bytes))
        }
        if inputs.isEmpty { return diagnostics.exitStatus }
        var result = try SummaryMerge.merge(inputs)
        for name in result.inexactInputs {
            diagnostics.report(.warning(.inexactMerge, "\(name) was made with --top: its (other) group mixes keys, so merged group counts are not exact (totals are)"))
        }
        if let top = options.top { result.summary.keepTop(top) }
        // In the order summarize gives the same groups, so a merge equals the whole run's summary.
        result.summary.order(by: SummaryOrder.defaultOrder(for: result.summary.groupBy))
        if !result.sqsInputs.isEmpty {
            diagnostics.report(.warning(.inexactMerge, "\(result.sqsInputs.joined(separator: ", ")) hold SQS messages; summaries carry no message ids, so a message in two of them is counted twice (summarize the dumps together to count repeats once)"))
        }
        result.summary.inexact = !result.inexactInputs.isEmpty || !result.sqsInputs.isEmpty
        let hint = result.missingShards.count > 1 || result.listings > 1
            ? " (shards of one run that listed different objects have different listings: give every shard the same --until)" : ""
        for gap in result.missingShards {
            diagnostics.report(.error(.missingShards, "\(gap): the merge covers only the others' inputs" + hint))
        }
        BufferedOutput.writing(to: output) { output in
            SummarizeJob.write(result.summary, format: options.format, wide: options.wide, width: options.width, color: options.color,
                               timeline: SummaryOrder.defaultOrder(for: result.summary.groupBy) == .key, to: output)
        }
        return diagnostics.exitStatus
    }
}
