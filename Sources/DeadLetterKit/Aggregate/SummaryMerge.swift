#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `deadletter merge`: JSON summaries of separate runs (shards of a bucket, days) combined exactly, as if
/// the inputs had been summarised at once.
public enum SummaryMerge {
    /// The `deadletter.summary/1` document as written by `SummaryJSON`. Additive fields are optional so
    /// summaries from tools that write only the contract's fields still merge.
    struct Document: Decodable {
        struct Totals: Decodable {
            var files: Int, bytesRead: Int64, records: Int, malformed: Int, payloadBytes: Int64, undecodable: Int, logEvents: Int
            var firstArrival: String?, lastArrival: String?
            var lines: Int?, blankLines: Int?, controlMessages: Int?, payloadProblems: Int?, inputErrors: Int?, repeats: Int?, sqsMessages: Int?
            var valuesOutOfRange: Int?
        }
        struct MinMax: Decodable { var min: Int64, max: Int64 }
        struct Group: Decodable {
            var key: [String: String]
            var count: Int, payloadBytes: Int64
            var firstArrival: String?, lastArrival: String?
            var attempts: MinMax?
            var logEvents: Int?
        }
        struct Sample: Decodable { var file: String, line: Int, reason: String }
        var schema: String
        var groupBy: [String]
        var totals: Totals
        var groups: [Group]
        var malformedSamples: [Sample]?
        var top: Int?
        var exactlyMergeable: Bool?
    }

    public struct Input: Sendable {
        public var name: String
        public var bytes: [UInt8]
        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    public struct Result: Sendable {
        public var summary: Summary
        /// Inputs whose groups were folded into `(other)` by `--top`: the merged groups are not exact.
        public var inexactInputs: [String]
        /// Inputs holding SQS messages when there are several: a message in two of them is counted twice,
        /// because summaries carry no message ids.
        public var sqsInputs: [String]
    }

    public static func merge(_ inputs: [Input]) throws(UsageError) -> Result {
        guard !inputs.isEmpty else { throw UsageError("merge needs at least one summary file") }
        var groupBy: [RecordField]?
        var groupByNames: [String] = []
        var totals = SummaryTotals()
        var groups: [[String]: SummaryGroup] = [:]
        var samples: [MalformedLine] = []
        var inexact: [String] = []
        var inputsWithMessages: [String] = []

        for input in inputs {
            let document: Document
            do {
                document = try JSONDecoder().decode(Document.self, from: Data(input.bytes))
            } catch {
                throw UsageError("\(input.name): not a deadletter JSON summary (make one with `deadletter summarize --format json`): \(describe(error))")
            }
            guard document.schema == Summary.schema else {
                throw UsageError("\(input.name): schema '\(document.schema)' cannot be merged; this deadletter reads '\(Summary.schema)'")
            }
            if groupBy != nil {
                guard document.groupBy == groupByNames else {
                    throw UsageError("\(input.name): grouped by \(document.groupBy.joined(separator: ",")), but \(inputs[0].name) by \(groupByNames.joined(separator: ",")); summaries merge only with the same --by")
                }
            } else {
                var fields: [RecordField] = []
                for name in document.groupBy {
                    guard let field = RecordField(name: name) else { throw UsageError("\(input.name): unknown field '\(name)' in groupBy") }
                    fields.append(field)
                }
                groupBy = fields
                groupByNames = document.groupBy
            }
            if document.exactlyMergeable == false
                || (document.top != nil && document.groups.contains(where: { $0.key.values.allSatisfy { $0 == Summary.otherKey } })) {
                inexact.append(input.name)
            }
            if (document.totals.sqsMessages ?? 0) > 0 { inputsWithMessages.append(input.name) }
            let t = document.totals
            var read = SummaryTotals()
            (read.files, read.bytesRead, read.records, read.malformed) = (t.files, t.bytesRead, t.records, t.malformed)
            (read.payloadBytes, read.undecodable, read.logEvents) = (t.payloadBytes, t.undecodable, t.logEvents)
            (read.lines, read.blankLines, read.controlMessages) = (t.lines ?? 0, t.blankLines ?? 0, t.controlMessages ?? 0)
            (read.payloadProblems, read.inputErrors, read.repeats, read.sqsMessages) = (t.payloadProblems ?? 0, t.inputErrors ?? 0, t.repeats ?? 0, t.sqsMessages ?? 0)
            read.valuesOutOfRange = t.valuesOutOfRange ?? 0
            read.firstArrival = try time(t.firstArrival, input.name)
            read.lastArrival = try time(t.lastArrival, input.name)
            totals.add(read)

            for g in document.groups {
                let key = try groupByNames.map { name throws(UsageError) -> String in
                    guard let value = g.key[name] else { throw UsageError("\(input.name): a group has no value for '\(name)'") }
                    return value
                }
                var group = SummaryGroup(key: key)
                group.count = g.count
                group.payloadBytes = g.payloadBytes
                group.logEvents = g.logEvents ?? 0
                if let first = try time(g.firstArrival, input.name), let last = try time(g.lastArrival, input.name) {
                    group.arrival = Range64(min: first, max: last)
                }
                group.attempts = g.attempts.map { Range64(min: $0.min, max: $0.max) }
                groups[key, default: SummaryGroup(key: key)].absorb(group)
            }
            for s in document.malformedSamples ?? [] where samples.count < Summary.maxMalformedSamples {
                samples.append(MalformedLine(file: s.file, line: s.line, reason: s.reason))
            }
        }
        var summary = Summary(groupBy: groupBy ?? [])
        summary.totals = totals
        summary.groups = Array(groups.values)
        Summary.sortGroups(&summary.groups)
        summary.malformedSamples = samples
        return Result(summary: summary, inexactInputs: inexact, sqsInputs: inputsWithMessages.count > 1 ? inputsWithMessages : [])
    }

    private static func time(_ text: String?, _ name: String) throws(UsageError) -> Int64? {
        guard let text else { return nil }
        guard let value = UTCTime.parseRFC3339(text) else { throw UsageError("\(name): '\(text)' is not an RFC 3339 time") }
        return value
    }

    private static func describe(_ error: Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, _): return "missing '\(key.stringValue)'"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription : "at \(path): \(context.debugDescription)"
            @unknown default: return "\(error)"
            }
        }
        return "\(error)"
    }
}

/// Everything `merge` needs, as plain values.
public struct MergeOptions: Sendable {
    public var paths: [String] = []
    public var format: SummaryFormat = .json
    public var top: Int?
    public var wide = false
    public var color: ColorChoice = .auto

    public init() {}
}

public enum MergeJob {
    public static func run(_ options: MergeOptions, output: OutputStream, diagnostics: Diagnostics) throws(UsageError) -> ExitStatus {
        var inputs: [SummaryMerge.Input] = []
        var status = ExitStatus.success
        for path in options.paths {
            guard let bytes = FileContents.read(path) else {
                diagnostics.error("\(path): cannot read: \(FileContents.lastError())")
                status = .inputError
                continue
            }
            inputs.append(SummaryMerge.Input(name: path, bytes: bytes))
        }
        if inputs.isEmpty { return status }
        var result = try SummaryMerge.merge(inputs)
        for name in result.inexactInputs {
            diagnostics.warning("\(name) was made with --top: its (other) group mixes keys, so merged group counts are not exact (totals are)")
        }
        if let top = options.top { result.summary.keepTop(top) }
        if !result.sqsInputs.isEmpty {
            diagnostics.warning("\(result.sqsInputs.joined(separator: ", ")) hold SQS messages; summaries carry no message ids, so a message in two of them is counted twice (summarize the dumps together to count repeats once)")
        }
        result.summary.inexact = !result.inexactInputs.isEmpty || !result.sqsInputs.isEmpty
        SummarizeJob.write(result.summary, format: options.format, wide: options.wide, color: options.color, to: output)
        return status
    }
}
