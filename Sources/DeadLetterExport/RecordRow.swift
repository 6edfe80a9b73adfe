import DeadLetterBytes
import DeadLetterQuery
import DeadLetterRecords
/// One cell of an exported row, typed so each format renders it right.
public enum Cell: Sendable, Equatable {
    case null
    case string(String)
    case number(Int64)
    /// Already valid JSON text (a JSON payload, unknown keys, manifest entries).
    case json(String)

    /// CSV text: a missing value is `(none)`, as in grouping.
    var csvText: String {
        switch self {
        case .null: return CSVOutput.cell(RecordField.none)
        case .string(let s), .json(let s): return CSVOutput.cell(s)
        case .number(let n): return CSVOutput.cell(String(n), isNumber: true)
        }
    }
}

/// The column names of a kind of row, with their JSON keys rendered once rather than once per row.
public final class RowKeys: Sendable {
    public let names: [String]
    /// For each column, the JSON before its value (`{"name":` for the first, `,"name":` for the others)
    /// followed by `null`, all in one buffer: a key is one copy from here, and so is a key with a null value.
    private let json: [UInt8]
    /// Where each column's key starts in `json`, and where its key and its key with `null` end.
    private let spans: [(start: Int, keyEnd: Int, nullEnd: Int)]

    public init(_ names: [String]) {
        self.names = names
        var json: [UInt8] = []
        var spans: [(start: Int, keyEnd: Int, nullEnd: Int)] = []
        for (i, name) in names.enumerated() {
            let start = json.count
            json.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONOutput.appendQuoted(name, to: &json)
            json.append(UInt8(ascii: ":"))
            let keyEnd = json.count
            json.append(contentsOf: "null".utf8)
            spans.append((start, keyEnd, json.count))
        }
        self.json = json
        self.spans = spans
    }

    var isEmpty: Bool { names.isEmpty }

    /// Appends column `i`'s key.
    @inline(__always)
    func appendKey(_ i: Int, to out: inout [UInt8]) {
        let span = spans[i]
        json.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[span.start..<span.keyEnd])) }
    }

    /// Appends the keys of columns `columns`, each with `null`: one copy, as they follow each other in `json`.
    /// Most records leave most columns empty, in runs.
    @inline(__always)
    func appendNulls(_ columns: Range<Int>, to out: inout [UInt8]) {
        let from = spans[columns.lowerBound].start, to = spans[columns.upperBound - 1].nullEnd
        json.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[from..<to])) }
    }
}

/// A row of named cells, in output order.
public struct RecordRow: Sendable {
    public var keys: RowKeys
    public var cells: [Cell]
    public var names: [String] { keys.names }
}

/// Takes a row's cells one by one, in column order. `RowBuilder` says what the cells are once, and each
/// sink decides what to do with them: collect them into a `RecordRow`, or write them straight out as JSON
/// with no array of cells in between (the `records` hot path).
public protocol CellSink {
    mutating func null()
    mutating func string(_ s: String)
    mutating func number(_ n: Int64)
    /// Already valid JSON text.
    mutating func json(_ j: String)
    /// A time, written as `UTCTime.rfc3339` writes it.
    mutating func timestamp(_ ms: Int64)
}

extension CellSink {
    mutating func cell(_ c: Cell) {
        switch c {
        case .null: null()
        case .string(let s): string(s)
        case .number(let n): number(n)
        case .json(let j): json(j)
        }
    }

    mutating func text(_ s: String?) {
        if let s { string(s) } else { null() }
    }

    mutating func number(_ n: Int64?) {
        if let n { number(n) } else { null() }
    }

    mutating func timestamp(_ ms: Int64) { string(UTCTime.rfc3339(ms)) }

    mutating func time(_ ms: Int64?) {
        if let ms { timestamp(ms) } else { null() }
    }
}

/// Collects cells into an array, for the formats that look at a whole row (CSV) and for `--explode`,
/// which repeats a record's leading cells on every event row.
struct CellCollector: CellSink {
    var cells: [Cell] = []
    mutating func null() { cells.append(.null) }
    mutating func string(_ s: String) { cells.append(.string(s)) }
    mutating func number(_ n: Int64) { cells.append(.number(n)) }
    mutating func json(_ j: String) { cells.append(.json(j)) }
}

/// Builds the rows of `records`: the full normalised record, chosen fields, or one row per log event.
public struct RowBuilder: Sendable {
    public let fields: [RecordField]?
    let recordKeys: RowKeys
    private let eventRecordFields: [RecordField]
    private let eventColumns: [EventColumn]
    private let eventKeys: RowKeys

    /// A column of an `--explode` row: one of the record's fields, repeated on each of its events, or one of
    /// the event's own.
    enum EventColumn: Equatable {
        case record(Int)
        case logEventId, timestamp, message
    }

    /// The columns of an `--explode` row when `--fields` does not choose them.
    public static let explodedRow: [RecordField] = [.kind, .errorCode, .file, .line, .arrival, .logGroup, .logStream,
                                                     .logEventId, .timestamp, .message]

    /// With `--explode`, `--fields` chooses among the record's fields and the event's `logEventId`,
    /// `timestamp` and `message` (the event's message, not the error message's fingerprint). When it names
    /// none of the event's, they follow the chosen fields.
    public init(fields: [RecordField]?) {
        self.fields = fields
        recordKeys = RowKeys((fields ?? RecordField.recordRow).map(\.name))
        var chosen = fields ?? Self.explodedRow
        if !chosen.contains(where: { $0.isEventColumn || $0 == .message }) { chosen += [.logEventId, .timestamp, .message] }
        var recordFields: [RecordField] = []
        eventColumns = chosen.map { field in
            switch field {
            case .logEventId: return .logEventId
            case .timestamp: return .timestamp
            case .message: return .message
            default:
                recordFields.append(field)
                return .record(recordFields.count - 1)
            }
        }
        eventRecordFields = recordFields
        eventKeys = RowKeys(chosen.map(\.name))
    }

    /// The columns of the rows `row` (or, with `explode`, `eventRows`) builds.
    public func columns(explode: Bool) -> [String] { explode ? eventKeys.names : recordKeys.names }

    /// `field`'s cell: the typed form of `field.value(of:)`. In the full row (`asWritten`) an empty document
    /// id is shown as the record wrote it; as a chosen field it is no id, as in grouping.
    @inline(__always)
    static func cell<S: CellSink>(_ field: RecordField, _ record: FailureRecord, asWritten: Bool = false, into sink: inout S) {
        switch field {
        case .kind: sink.string(record.kind.rawValue)
        case .attempts, .attemptsMade: sink.number(record.attemptsMade)
        case .arrival: sink.time(record.arrival)
        case .attemptEnding: sink.time(record.attemptEnding)
        case .file: sink.string(record.file.path)
        case .line: sink.number(Int64(record.line))
        case .documentId: sink.text(asWritten ? record.documentId : RecordField.nonEmpty(record.documentId))
        case .payloadBytes:
            if record.payload.type == nil { sink.null() } else { sink.number(Int64(record.payload.decodedBytes)) }
        case .logEvents: sink.number(record.payload.cloudWatch.map { Int64($0.dataEvents) })
        case .missingAttributes: Self.json(RecordField.missingAttributesJSON(record), into: &sink)
        case .entries: Self.json(RecordField.entriesJSON(record), into: &sink)
        case .otherFields: Self.json(RecordField.otherFieldsJSON(record), into: &sink)
        case .payload: Self.payload(record, into: &sink)
        case .errorCode, .errorMessage, .message, .hour, .day, .index, .stream, .prefix, .lambda, .payloadType,
             .logGroup, .logStream, .eventId, .dataId, .rule, .target, .retryCondition, .source, .detailType,
             .messageId, .schedule, .scheduledTime, .executionId, .typeName, .subsequenceNumber, .sequenceNumber, .ruleArn, .logEventId, .timestamp, .payloadPath:
            sink.text(field.value(of: record))
        }
    }

    @inline(__always)
    static func json<S: CellSink>(_ j: String?, into sink: inout S) {
        if let j { sink.json(j) } else { sink.null() }
    }

    static func payload<S: CellSink>(_ record: FailureRecord, into sink: inout S) {
        switch record.payload.view {
        case .json(let j): sink.json(j)
        case .text(let s), .base64(let s): sink.string(s)
        case nil: sink.null()
        }
    }

    /// The cells of a record's row (columns `columns(explode: false)`), in order.
    public func emit<S: CellSink>(_ record: FailureRecord, into sink: inout S) {
        if let fields {
            for field in fields { Self.cell(field, record, into: &sink) }
            return
        }
        RecordField.visitRecordColumns(FullRowCells<S>(), record, &sink)
    }

    /// Writes each column of the full row into the sink as it is shown.
    private struct FullRowCells<S: CellSink>: ColumnVisitor {
        @inline(__always)
        func visit(_ field: RecordField, _ record: FailureRecord, _ sink: inout S) {
            RowBuilder.cell(field, record, asWritten: true, into: &sink)
        }
    }

    public func row(_ record: FailureRecord) -> RecordRow {
        var collector = CellCollector()
        emit(record, into: &collector)
        return RecordRow(keys: recordKeys, cells: collector.cells)
    }

    /// One row per DATA_MESSAGE event; none for records without events.
    public func eventRows(_ record: FailureRecord) -> [RecordRow] {
        guard let cwl = record.payload.cloudWatch, cwl.messageType == "DATA_MESSAGE", let events = cwl.events else { return [] }
        var recordCells = CellCollector()
        for field in eventRecordFields { Self.cell(field, record, into: &recordCells) }
        let base = recordCells.cells
        return events.map { event in
            var row = CellCollector()
            row.cells.reserveCapacity(eventColumns.count)
            for column in eventColumns {
                switch column {
                case .record(let i): row.cells.append(base[i])
                case .logEventId: row.text(event.id)
                case .timestamp: row.time(event.timestamp)
                case .message: row.text(event.message)
                }
            }
            return RecordRow(keys: eventKeys, cells: row.cells)
        }
    }
}

