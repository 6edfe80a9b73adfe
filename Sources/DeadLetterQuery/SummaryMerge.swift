import DeadLetterInput
import DeadLetterBytes
import DeadLetterRecords
import DeadLetterSupport
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
            var valuesOutOfRange: Int?, valuesNotNumbers: Int?, messageIdConflicts: Int?, trailingJunk: Int?
        }
        struct MinMax: Decodable { var min: Int64, max: Int64 }
        struct Group: Decodable {
            var key: [String: String]
            var count: Int, payloadBytes: Int64
            var firstArrival: String?, lastArrival: String?
            var attempts: MinMax?
            var logEvents: Int?
        }
        struct Sample: Decodable { var file: String, line: Int, reason: String, trailing: Bool?, unit: Int? }
        var schema: String
        var groupBy: [String]
        var totals: Totals
        var groups: [Group]
        var malformedSamples: [Sample]?
        var top: Int?
        var exactlyMergeable: Bool?
        var shard: ShardRecord?
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
        /// Listings some of whose shards were not given (also in `summary.missingShards`).
        public var missingShards: [MissingShards] { summary.missingShards }
        /// How many listings the shards among the inputs split.
        public var listings = 0
    }

    public static func merge(_ inputs: [Input]) throws(UsageError) -> Result {
        guard !inputs.isEmpty else { throw UsageError("merge needs at least one summary file") }
        var groupBy: [RecordField]?
        var groupByNames: [String] = []
        var totals = SummaryTotals()
        var groups: [[String]: SummaryGroup] = [:]
        // Every input's samples, with where their file is in the whole listing when the input is a shard.
        var samples: [(sample: MalformedLine, unit: Int?)] = []
        var inexact: [String] = []
        var shardsSeen: [ShardGroup: [Int: String]] = [:]
        var inputsWithMessages: [String] = []

        for input in inputs {
            let document = try decode(input)
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
            let check = Check(file: input.name)
            if let info = document.shard {
                if let problem = info.problem { throw check.fail(problem.field, problem.reason) }
                let group = ShardGroup(listing: info.listing, count: info.count)
                if let earlier = shardsSeen[group]?[info.index] {
                    throw UsageError("\(input.name) and \(earlier) are both shard \(info.index)/\(info.count) of listing \(info.listing): merging both would count its records twice")
                }
                shardsSeen[group, default: [:]][info.index] = input.name
            }
            let read = try check.totals(document.totals)
            if read.sqsMessages > 0 { inputsWithMessages.append(input.name) }
            try check.add(read, to: &totals)
            try check.groups(document.groups, within: read)
            if let top = document.top, top < 1 { throw check.fail("top", "\(top) is not a number of groups (1 or more)") }

            // Each input's groups add up to no more than its totals (checked above), and the totals' sums did
            // not overflow, so neither can the groups' sums here nor an (other) group that folds them.
            for (index, g) in document.groups.enumerated() {
                let key = try groupByNames.map { name throws(UsageError) -> String in
                    guard let value = g.key[name] else { throw check.fail("groups[\(index)].key", "no value for '\(name)'") }
                    return value
                }
                var group = SummaryGroup(key: key)
                group.count = g.count
                group.payloadBytes = g.payloadBytes
                group.logEvents = g.logEvents ?? 0
                group.arrival = try check.arrival(g.firstArrival, g.lastArrival, "groups[\(index)]")
                group.attempts = try g.attempts.map { a throws(UsageError) in try check.attempts(a, "groups[\(index)].attempts") }
                groups[key, default: SummaryGroup(key: key)].absorb(group)
            }
            for (index, s) in (document.malformedSamples ?? []).enumerated() {
                guard s.line >= 0 else { throw check.fail("malformedSamples[\(index)].line", "\(s.line) is negative") }
                samples.append((MalformedLine(file: s.file, line: s.line, reason: s.reason, trailing: s.trailing ?? false),
                                document.shard == nil ? nil : s.unit))
            }
        }
        var summary = Summary(groupBy: groupBy ?? [])
        summary.totals = totals
        summary.groups = Array(groups.values)
        Summary.sortGroups(&summary.groups)
        // Shards of one listing: their samples in the whole listing's order (a stable sort keeps each file's
        // lines in order), so the first ones are those one run over everything keeps. Otherwise the inputs'
        // order, as if their inputs had been given one after the other.
        if shardsSeen.count == 1, inputs.count == shardsSeen.values.first!.count, samples.allSatisfy({ $0.unit != nil }) {
            samples = samples.enumerated().sorted { a, b in
                a.element.unit! != b.element.unit! ? a.element.unit! < b.element.unit! : a.offset < b.offset
            }.map(\.element)
        }
        summary.malformedSamples = samples.prefix(Summary.maxMalformedSamples).map(\.sample)
        summary.missingShards = shardsSeen.sorted { ($0.key.listing, $0.key.count) < ($1.key.listing, $1.key.count) }.compactMap { group, seen in
            let missing = (0..<group.count).filter { seen[$0] == nil }
            return missing.isEmpty ? nil : MissingShards(listing: group.listing, count: group.count, missing: missing)
        }
        return Result(summary: summary, inexactInputs: inexact, sqsInputs: inputsWithMessages.count > 1 ? inputsWithMessages : [],
                      listings: Set(shardsSeen.keys.map(\.listing)).count)
    }

    private struct ShardGroup: Hashable {
        var listing: String
        var count: Int
    }

    private static func decode(_ input: Input) throws(UsageError) -> Document {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(input.bytes))
        } catch {
            throw UsageError("\(input.name): not a deadletter JSON summary (make one with `deadletter summarize --format json`): \(describe(error))")
        }
        guard document.schema == Summary.schema else {
            throw UsageError("\(input.name): schema '\(document.schema)' cannot be merged; this deadletter reads '\(Summary.schema)'")
        }
        return document
    }

    /// The checks on one input. A summary is a file anyone can edit, so every number is checked before it
    /// is added, and a bad one is a usage error naming the file and the field: `b.json: totals.records: -3 is negative`.
    private struct Check {
        let file: String

        func fail(_ field: String, _ why: String) -> UsageError { UsageError("\(file): \(field): \(why)") }

        func count<N: FixedWidthInteger>(_ value: N, _ field: String) throws(UsageError) -> N {
            guard value >= 0 else { throw fail(field, "\(value) is negative") }
            return value
        }

        func time(_ text: String?, _ field: String) throws(UsageError) -> Int64? {
            guard let text else { return nil }
            do {
                return try UTCTime.parse(rfc3339: text)
            } catch {
                throw fail(field, "'\(text)': \(error)")
            }
        }

        /// A first and last arrival: both or neither, in order.
        func arrival(_ first: String?, _ last: String?, _ owner: String) throws(UsageError) -> Range64? {
            let min = try time(first, owner + ".firstArrival"), max = try time(last, owner + ".lastArrival")
            switch (min, max) {
            case (nil, nil): return nil
            case (let min?, let max?):
                guard min <= max else { throw fail(owner + ".firstArrival", "'\(first!)' is after lastArrival '\(last!)'") }
                return Range64(min: min, max: max)
            case (nil, _): throw fail(owner + ".firstArrival", "missing, but lastArrival is set")
            case (_, nil): throw fail(owner + ".lastArrival", "missing, but firstArrival is set")
            }
        }

        func attempts(_ a: Document.MinMax, _ field: String) throws(UsageError) -> Range64 {
            for (value, name) in [(a.min, "min"), (a.max, "max")] where !OutOfRange.attempts.contains(value) {
                throw fail("\(field).\(name)", "\(value): \(OutOfRange.attemptsText)")
            }
            guard a.min <= a.max else { throw fail(field, "min \(a.min) is more than max \(a.max)") }
            return Range64(min: a.min, max: a.max)
        }

        func totals(_ t: Document.Totals) throws(UsageError) -> SummaryTotals {
            var read = SummaryTotals()
            read.files = try count(t.files, "totals.files")
            read.bytesRead = try count(t.bytesRead, "totals.bytesRead")
            read.records = try count(t.records, "totals.records")
            read.malformed = try count(t.malformed, "totals.malformed")
            read.payloadBytes = try count(t.payloadBytes, "totals.payloadBytes")
            read.undecodable = try count(t.undecodable, "totals.undecodable")
            read.logEvents = try count(t.logEvents, "totals.logEvents")
            read.lines = try count(t.lines ?? 0, "totals.lines")
            read.blankLines = try count(t.blankLines ?? 0, "totals.blankLines")
            read.controlMessages = try count(t.controlMessages ?? 0, "totals.controlMessages")
            read.payloadProblems = try count(t.payloadProblems ?? 0, "totals.payloadProblems")
            read.valuesOutOfRange = try count(t.valuesOutOfRange ?? 0, "totals.valuesOutOfRange")
            read.valuesNotNumbers = try count(t.valuesNotNumbers ?? 0, "totals.valuesNotNumbers")
            read.inputErrors = try count(t.inputErrors ?? 0, "totals.inputErrors")
            read.repeats = try count(t.repeats ?? 0, "totals.repeats")
            read.sqsMessages = try count(t.sqsMessages ?? 0, "totals.sqsMessages")
            read.messageIdConflicts = try count(t.messageIdConflicts ?? 0, "totals.messageIdConflicts")
            read.trailingJunk = try count(t.trailingJunk ?? 0, "totals.trailingJunk")
            guard read.valuesOutOfRange <= read.payloadProblems else {
                throw fail("totals.valuesOutOfRange", "\(read.valuesOutOfRange) is more than totals.payloadProblems (\(read.payloadProblems))")
            }
            guard read.valuesNotNumbers <= read.payloadProblems - read.valuesOutOfRange else {
                throw fail("totals.valuesNotNumbers", "\(read.valuesNotNumbers) plus totals.valuesOutOfRange (\(read.valuesOutOfRange)) is more than totals.payloadProblems (\(read.payloadProblems))")
            }
            let arrival = try arrival(t.firstArrival, t.lastArrival, "totals")
            (read.firstArrival, read.lastArrival) = (arrival?.min, arrival?.max)
            return read
        }

        /// Each group's counts are not negative, and the groups add up to no more than the totals (summarize
        /// writes them equal), which bounds every sum of groups by a sum of totals.
        func groups(_ groups: [Document.Group], within t: SummaryTotals) throws(UsageError) {
            var count = 0, payloadBytes: Int64 = 0, logEvents = 0
            for (index, g) in groups.enumerated() {
                let at = "groups[\(index)]"
                try add(self.count(g.count, at + ".count"), to: &count, at + ".count", bound: t.records, "totals.records")
                try add(self.count(g.payloadBytes, at + ".payloadBytes"), to: &payloadBytes, at + ".payloadBytes", bound: t.payloadBytes, "totals.payloadBytes")
                try add(self.count(g.logEvents ?? 0, at + ".logEvents"), to: &logEvents, at + ".logEvents", bound: t.logEvents, "totals.logEvents")
            }
        }

        private func add<N: FixedWidthInteger>(_ value: N, to sum: inout N, _ field: String, bound: N, _ boundName: String) throws(UsageError) {
            let (total, overflow) = sum.addingReportingOverflow(value)
            guard !overflow, total <= bound else { throw fail(field, "the groups add up to more than \(boundName) (\(bound))") }
            sum = total
        }

        /// Adds this input's totals to those of the inputs before it; a sum too large for its type is an error.
        func add(_ t: SummaryTotals, to sum: inout SummaryTotals) throws(UsageError) {
            func plus<N: FixedWidthInteger>(_ a: inout N, _ b: N, _ field: String) throws(UsageError) {
                let (total, overflow) = a.addingReportingOverflow(b)
                guard !overflow else { throw fail("totals.\(field)", "\(b) plus the \(a) of the summaries before it is too large to count") }
                a = total
            }
            try plus(&sum.files, t.files, "files")
            try plus(&sum.bytesRead, t.bytesRead, "bytesRead")
            try plus(&sum.records, t.records, "records")
            try plus(&sum.malformed, t.malformed, "malformed")
            try plus(&sum.payloadBytes, t.payloadBytes, "payloadBytes")
            try plus(&sum.undecodable, t.undecodable, "undecodable")
            try plus(&sum.logEvents, t.logEvents, "logEvents")
            try plus(&sum.lines, t.lines, "lines")
            try plus(&sum.blankLines, t.blankLines, "blankLines")
            try plus(&sum.controlMessages, t.controlMessages, "controlMessages")
            try plus(&sum.payloadProblems, t.payloadProblems, "payloadProblems")
            try plus(&sum.valuesOutOfRange, t.valuesOutOfRange, "valuesOutOfRange")
            try plus(&sum.valuesNotNumbers, t.valuesNotNumbers, "valuesNotNumbers")
            try plus(&sum.inputErrors, t.inputErrors, "inputErrors")
            try plus(&sum.repeats, t.repeats, "repeats")
            try plus(&sum.sqsMessages, t.sqsMessages, "sqsMessages")
            try plus(&sum.messageIdConflicts, t.messageIdConflicts, "messageIdConflicts")
            try plus(&sum.trailingJunk, t.trailingJunk, "trailingJunk")
            if let a = t.firstArrival { sum.firstArrival = Swift.min(sum.firstArrival ?? a, a) }
            if let a = t.lastArrival { sum.lastArrival = Swift.max(sum.lastArrival ?? a, a) }
        }
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
