/// One cell of an exported row, typed so each format renders it right.
public enum Cell: Sendable, Equatable {
    case null
    case string(String)
    case number(Int64)
    /// Already valid JSON text (a JSON payload, unknown keys, manifest entries).
    case json(String)

    func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .string(let s): JSONOutput.appendQuoted(s, to: &out)
        case .number(let n): JSONOutput.appendInteger(n, to: &out)
        case .json(let j): out.append(contentsOf: j.utf8)
        }
    }

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
    /// The JSON before each cell: `{"name":` for the first, `,"name":` for the others.
    let jsonPrefixes: [[UInt8]]

    public init(_ names: [String]) {
        self.names = names
        jsonPrefixes = names.enumerated().map { i, name in
            var prefix: [UInt8] = [i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")]
            JSONOutput.appendQuoted(name, to: &prefix)
            prefix.append(UInt8(ascii: ":"))
            return prefix
        }
    }
}

/// A row of named cells, in output order.
public struct RecordRow: Sendable {
    public var keys: RowKeys
    public var cells: [Cell]
    public var names: [String] { keys.names }
}

/// Builds the rows of `records`: the full normalised record, chosen fields, or one row per log event.
public struct RowBuilder: Sendable {
    public let fields: [RecordField]?
    private let recordKeys: RowKeys
    private let eventLeading: [RecordField]
    private let eventKeys: RowKeys

    public init(fields: [RecordField]?) {
        self.fields = fields
        recordKeys = RowKeys(fields?.map(\.name) ?? Self.recordColumns)
        eventLeading = fields ?? [.kind, .errorCode, .file, .line, .arrival, .logGroup, .logStream]
        eventKeys = RowKeys(eventLeading.map(\.name) + Self.eventColumns)
    }

    static let recordColumns = ["kind", "errorCode", "errorMessage", "attemptsMade", "arrival", "attemptEnding", "file", "line",
                                "documentId", "index", "typeName", "eventId", "dataId", "subsequenceNumber", "sequenceNumber",
                                "lambda", "stream", "rule", "ruleArn", "target", "retryCondition", "source", "detailType", "messageId",
                                "missingAttributes", "payloadType", "payloadBytes", "logGroup", "logStream", "logEvents",
                                "entries", "otherFields", "payload"]

    /// The columns of the rows `row` (or, with `explode`, `eventRows`) builds.
    public func columns(explode: Bool) -> [String] { explode ? eventKeys.names : recordKeys.names }

    static func text(_ s: String?) -> Cell { s.map(Cell.string) ?? .null }
    static func time(_ ms: Int64?) -> Cell { ms.map { .string(UTCTime.rfc3339($0)) } ?? .null }

    static func payloadCell(_ record: FailureRecord) -> Cell {
        switch record.payload.view {
        case .json(let j): return .json(j)
        case .text(let s), .base64(let s): return .string(s)
        case nil: return .null
        }
    }

    func cell(_ field: RecordField, _ record: FailureRecord) -> Cell {
        switch field {
        case .attempts: return record.attemptsMade.map(Cell.number) ?? .null
        case .line: return .number(Int64(record.line))
        case .payload: return Self.payloadCell(record)
        default: return Self.text(field.value(of: record))
        }
    }

    public func row(_ record: FailureRecord) -> RecordRow {
        if let fields {
            return RecordRow(keys: recordKeys, cells: fields.map { cell($0, record) })
        }
        let cwl = record.payload.cloudWatch
        let entries: Cell = record.manifestEntries.map { list in
            .json("[" + list.map { "{\"url\":\(JSONOutput.quote($0.url)),\"mandatory\":\($0.mandatory.map { $0 ? "true" : "false" } ?? "null")}" }
                .joined(separator: ",") + "]")
        } ?? .null
        let other: Cell = record.otherFields.isEmpty ? .null
            : .json("{" + record.otherFields.map { "\(JSONOutput.quote($0.key)):\(JSONOutput.compactValue($0.json))" }.joined(separator: ",") + "}")
        let cells: [Cell] = [
            .string(record.kind.rawValue), Self.text(record.errorCode), Self.text(record.errorMessage),
            record.attemptsMade.map(Cell.number) ?? .null, Self.time(record.arrival), Self.time(record.attemptEnding),
            .string(record.file.path), .number(Int64(record.line)),
            Self.text(record.documentId), Self.text(record.indexName), Self.text(record.typeName), Self.text(record.eventId),
            Self.text(record.dataId), Self.text(record.subsequenceNumber), Self.text(record.sequenceNumber),
            Self.text(record.lambdaArn), Self.text(record.file.objectKey.stream),
            Self.text(record.rule), Self.text(record.ruleArn), Self.text(record.target), Self.text(record.retryCondition), Self.text(record.source),
            Self.text(record.detailType), Self.text(record.messageId),
            record.kind == .eventBridgeDLQ ? .json("[" + record.missingAttributes.map(JSONOutput.quote).joined(separator: ",") + "]") : .null,
            Self.text(record.payload.type?.rawValue), record.payload.type == nil ? .null : .number(Int64(record.payload.decodedBytes)),
            Self.text(cwl?.logGroup.flatMap { $0.isEmpty ? nil : $0 }), Self.text(cwl?.logStream.flatMap { $0.isEmpty ? nil : $0 }),
            cwl.map { .number(Int64($0.dataEvents)) } ?? .null,
            entries, other, Self.payloadCell(record),
        ]
        return RecordRow(keys: recordKeys, cells: cells)
    }

    static let eventColumns = ["logEventId", "timestamp", "message"]

    /// One row per DATA_MESSAGE event; none for records without events.
    public func eventRows(_ record: FailureRecord) -> [RecordRow] {
        guard let cwl = record.payload.cloudWatch, cwl.messageType == "DATA_MESSAGE", let events = cwl.events else { return [] }
        let base = eventLeading.map { cell($0, record) }
        return events.map { event in
            RecordRow(keys: eventKeys, cells: base + [Self.text(event.id), Self.time(event.timestamp), Self.text(event.message)])
        }
    }
}

extension JSONOutput {
    /// Raw JSON from a record, made compact so it stays on one line.
    static func compactValue(_ json: String) -> String {
        var bytes = Array(json.utf8)
        return bytes.withUnsafeMutableBufferPointer { String(decoding: JSONText.compact(UnsafeBufferPointer($0)), as: UTF8.self) }
    }
}
