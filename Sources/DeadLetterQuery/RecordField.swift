import DeadLetterBytes
import DeadLetterRecords
import DeadLetterSupport
/// A field of a record: the one table of the names `--by`, `--where` and `--fields` take, of the columns of
/// the full `records` row, and of what each field's value is (as text for grouping and filtering, as a typed
/// cell in rows, in `RowBuilder.cell`).
public enum RecordField: Hashable, Sendable {
    case kind, errorCode, errorMessage, message, attempts, hour, day, index, documentId, stream, prefix, file
    case lambda, payloadType, logGroup, logStream
    case arrival, line, eventId, dataId, payload
    // EventBridge dead-letter queues.
    case rule, target, retryCondition, source, detailType, messageId
    // EventBridge Scheduler dead-letter queues.
    case schedule, scheduledTime, executionId
    // The rest of the full row's columns.
    case attemptsMade, attemptEnding, typeName, subsequenceNumber, sequenceNumber, ruleArn, missingAttributes,
         payloadBytes, logEvents, entries, otherFields
    // Columns of `records --explode` rows, one per CloudWatch Logs event; with `--explode`, `message` is the
    // event's message too (see `isEventColumn`).
    case logEventId, timestamp
    /// `payload.a.b`: a value inside a JSON payload (`payload.a.0.b` indexes arrays).
    case payloadPath([String])

    /// What a field may be used for.
    public struct Uses: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `summarize --by`.
        public static let group = Uses(rawValue: 1)
        /// `--where`.
        public static let filter = Uses(rawValue: 2)
        /// `records --fields`.
        public static let select = Uses(rawValue: 4)
        public static let all: Uses = [.group, .filter, .select]
    }

    /// The flag that takes a list of fields, for messages.
    public enum Flag: String, Sendable {
        case by = "--by", fields = "--fields", `where` = "--where"

        var use: Uses {
            switch self {
            case .by: return .group
            case .fields: return .select
            case .where: return .filter
            }
        }
    }

    /// The placeholder for a record without a value for the field.
    public static let none = "(none)"

    /// Every named field, in the order help lists them.
    public static let named: [RecordField] = [
        .kind, .errorCode, .errorMessage, .message, .attempts, .hour, .day, .index, .documentId, .stream, .prefix,
        .file, .lambda, .payloadType, .logGroup, .logStream, .rule, .target, .retryCondition, .source, .detailType,
        .schedule, .scheduledTime, .executionId, .arrival, .line, .eventId, .dataId, .messageId, .payload,
        .attemptsMade, .attemptEnding, .typeName, .subsequenceNumber, .sequenceNumber, .ruleArn, .missingAttributes,
        .payloadBytes, .logEvents, .entries, .otherFields, .logEventId, .timestamp,
    ]

    /// The columns of a full `records` row, in output order (NDJSON and JSON members, the CSV header).
    public static let recordRow: [RecordField] = {
        var columns: [RecordField] = []
        visitRecordColumns(ColumnList(), (), &columns)
        return columns
    }()

    /// Shows `visitor` each column of the full row, in order, with `context` and `state`: the one list of the
    /// columns. Written out call by call,
    /// not as a loop over `recordRow`, so that where `records` builds its rows (the hot path) each column's
    /// cell is inlined for that column alone, with no switch left to run per cell.
    @inlinable
    public static func visitRecordColumns<V: ColumnVisitor>(_ visitor: V, _ context: V.Context, _ state: inout V.State) {
        visitor.visit(.kind, context, &state); visitor.visit(.errorCode, context, &state); visitor.visit(.errorMessage, context, &state); visitor.visit(.attemptsMade, context, &state)
        visitor.visit(.arrival, context, &state); visitor.visit(.attemptEnding, context, &state); visitor.visit(.file, context, &state); visitor.visit(.line, context, &state)
        visitor.visit(.documentId, context, &state); visitor.visit(.index, context, &state); visitor.visit(.typeName, context, &state); visitor.visit(.eventId, context, &state)
        visitor.visit(.dataId, context, &state); visitor.visit(.subsequenceNumber, context, &state); visitor.visit(.sequenceNumber, context, &state); visitor.visit(.lambda, context, &state)
        visitor.visit(.stream, context, &state); visitor.visit(.rule, context, &state); visitor.visit(.ruleArn, context, &state); visitor.visit(.target, context, &state)
        visitor.visit(.retryCondition, context, &state); visitor.visit(.source, context, &state); visitor.visit(.detailType, context, &state); visitor.visit(.messageId, context, &state)
        visitor.visit(.missingAttributes, context, &state)
        visitor.visit(.schedule, context, &state); visitor.visit(.scheduledTime, context, &state); visitor.visit(.executionId, context, &state)
        visitor.visit(.payloadType, context, &state); visitor.visit(.payloadBytes, context, &state)
        visitor.visit(.logGroup, context, &state); visitor.visit(.logStream, context, &state); visitor.visit(.logEvents, context, &state); visitor.visit(.entries, context, &state)
        visitor.visit(.otherFields, context, &state); visitor.visit(.payload, context, &state)
    }

    private struct ColumnList: ColumnVisitor {
        func visit(_ field: RecordField, _ context: Void, _ columns: inout [RecordField]) { columns.append(field) }
    }

    public var name: String {
        switch self {
        case .kind: return "kind"
        case .errorCode: return "errorCode"
        case .errorMessage: return "errorMessage"
        case .message: return "message"
        case .attempts: return "attempts"
        case .hour: return "hour"
        case .day: return "day"
        case .index: return "index"
        case .documentId: return "documentId"
        case .stream: return "stream"
        case .prefix: return "prefix"
        case .file: return "file"
        case .lambda: return "lambda"
        case .payloadType: return "payloadType"
        case .logGroup: return "logGroup"
        case .logStream: return "logStream"
        case .arrival: return "arrival"
        case .line: return "line"
        case .eventId: return "eventId"
        case .dataId: return "dataId"
        case .payload: return "payload"
        case .rule: return "rule"
        case .target: return "target"
        case .retryCondition: return "retryCondition"
        case .source: return "source"
        case .detailType: return "detailType"
        case .messageId: return "messageId"
        case .schedule: return "schedule"
        case .scheduledTime: return "scheduledTime"
        case .executionId: return "executionId"
        case .attemptsMade: return "attemptsMade"
        case .attemptEnding: return "attemptEnding"
        case .typeName: return "typeName"
        case .subsequenceNumber: return "subsequenceNumber"
        case .sequenceNumber: return "sequenceNumber"
        case .ruleArn: return "ruleArn"
        case .missingAttributes: return "missingAttributes"
        case .payloadBytes: return "payloadBytes"
        case .logEvents: return "logEvents"
        case .entries: return "entries"
        case .otherFields: return "otherFields"
        case .logEventId: return "logEventId"
        case .timestamp: return "timestamp"
        case .payloadPath(let path): return "payload." + path.joined(separator: ".")
        }
    }

    /// Lists and objects of the record's own are shown, but a key made of a whole list groups or matches nothing
    /// a reader would ask for.
    public var uses: Uses {
        switch self {
        case .missingAttributes, .entries, .otherFields, .logEventId, .timestamp: return .select
        default: return .all
        }
    }

    /// A column of the rows `records --explode` writes, one per log event, rather than of a record.
    public var isEventColumn: Bool { self == .logEventId || self == .timestamp }

    public init?(name: String) {
        if name.hasPrefix("payload.") {
            let path = name.dropFirst("payload.".count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.isEmpty, !path.contains(where: \.isEmpty) else { return nil }
            self = .payloadPath(path)
            return
        }
        guard let field = Self.named.first(where: { $0.name == name }) else { return nil }
        self = field
    }

    /// The names of the fields `flag` takes, in help order.
    public static func names(for flag: Flag) -> [String] {
        named.filter { $0.uses.contains(flag.use) }.map(\.name)
    }

    /// The names of the fields `flag` refuses, in help order.
    public static func namesRefused(by flag: Flag) -> [String] {
        named.filter { !$0.uses.contains(flag.use) }.map(\.name)
    }

    /// The list of names `flag` takes, for messages and help.
    public static func validNames(for flag: Flag) -> String {
        names(for: flag).joined(separator: ", ") + ", payload.<path>"
    }

    /// The field `name` names, if `flag` takes it; else an error that says why, with the nearest valid name
    /// when there is one. `flag` names the flag in the error only where the caller does not.
    public static func parse(_ name: String, for flag: Flag) throws(UsageError) -> RecordField {
        guard let field = RecordField(name: name) else {
            let hint = Suggestion.didYouMean(name, among: names(for: flag))
            throw UsageError("unknown field '\(name)'\(hint); valid fields: \(validNames(for: flag))")
        }
        guard field.uses.contains(flag.use) else {
            let only = field.isEventColumn ? "only with records --explode --fields" : "only with --fields"
            throw UsageError("field '\(name)' cannot be used with \(flag.rawValue), \(only); valid fields: \(validNames(for: flag))")
        }
        return field
    }

    /// Parses a comma-separated list such as `kind,errorCode`.
    public static func parseList(_ text: String, for flag: Flag) throws(UsageError) -> [RecordField] {
        var fields: [RecordField] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let field = try parse(part.trimmingCharacters(in: " "), for: flag)
            if !fields.contains(field) { fields.append(field) }
        }
        if fields.isEmpty { throw UsageError("no field given") }
        return fields
    }

    /// The payload paths among `fields`, which the reader must extract while the payload is at hand.
    public static func payloadPaths(_ fields: [RecordField]) -> [[String]] {
        fields.compactMap { if case .payloadPath(let p) = $0 { return p } else { return nil } }
    }

    /// The field's value as text, nil when the record has none: what `--by` groups and `--where` compares.
    /// The text of a number or a time is the text its cell has in a row. Inlined so that a row's cell, whose
    /// field is known where it is built, reads its value directly.
    @inline(__always)
    // Inlinable so that a row's cell for a known column folds this switch away in the layer above.
    @inlinable
    public func value(of record: FailureRecord) -> String? {
        switch self {
        case .kind: return record.kind.rawValue
        case .errorCode: return record.errorCode
        case .errorMessage: return record.errorMessage
        case .message: return record.errorMessage.map(MessageFingerprint.fingerprint)
        case .attempts, .attemptsMade: return record.attemptsMade.map { String($0) }
        case .hour: return record.arrival.map(UTCTime.hour)
        case .day: return record.arrival.map(UTCTime.day)
        case .index: return record.indexName
        case .documentId: return Self.nonEmpty(record.documentId)
        case .stream: return record.file.objectKey.stream
        case .prefix: return record.file.objectKey.prefix
        case .file: return record.file.path
        case .lambda: return record.lambdaArn
        case .payloadType: return record.payload.type?.rawValue
        case .logGroup: return Self.nonEmpty(record.payload.cloudWatch?.logGroup)
        case .logStream: return Self.nonEmpty(record.payload.cloudWatch?.logStream)
        case .arrival: return record.arrival.map(UTCTime.rfc3339)
        case .attemptEnding: return record.attemptEnding.map(UTCTime.rfc3339)
        case .line: return String(record.line)
        case .eventId: return record.eventId
        case .dataId: return record.dataId
        case .payload: return record.payload.view?.text
        case .rule: return record.rule
        case .ruleArn: return record.ruleArn
        case .target: return record.target
        case .retryCondition: return record.retryCondition
        case .source: return record.source
        case .detailType: return record.detailType
        case .messageId: return record.messageId
        case .schedule: return record.scheduler?.schedule
        case .scheduledTime: return record.scheduler?.scheduledTime
        case .executionId: return record.scheduler?.executionId
        case .typeName: return record.typeName
        case .subsequenceNumber: return record.subsequenceNumber
        case .sequenceNumber: return record.sequenceNumber
        case .payloadBytes: return record.payload.type == nil ? nil : String(record.payload.decodedBytes)
        case .logEvents: return record.payload.cloudWatch.map { String($0.dataEvents) }
        case .missingAttributes: return Self.missingAttributesJSON(record)
        case .entries: return Self.entriesJSON(record)
        case .otherFields: return Self.otherFieldsJSON(record)
        // A record has no single event; `RowBuilder.eventRows` fills these per event.
        case .logEventId, .timestamp: return nil
        case .payloadPath(let path): return record.payload.values[path.joined(separator: ".")] ?? nil
        }
    }

    @inlinable
    public static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

    // The three lists and objects below are built only for the records that have them; the test for that is
    // inlined into each row, the building is not.

    /// The attributes an EventBridge DLQ message lacked, as a JSON list (empty when it lacked none).
    @inlinable
    public static func missingAttributesJSON(_ record: FailureRecord) -> String? {
        record.kind == .eventBridgeDLQ ? json(missingAttributes: record.missingAttributes) : nil
    }

    /// A Redshift manifest's entries as a JSON list.
    @inlinable
    public static func entriesJSON(_ record: FailureRecord) -> String? {
        record.manifestEntries.map(json(entries:))
    }

    /// The record's members deadletter does not know, as one compact JSON object.
    @inlinable
    public static func otherFieldsJSON(_ record: FailureRecord) -> String? {
        record.otherFields.isEmpty ? nil : json(otherFields: record.otherFields)
    }

    @usableFromInline @inline(never)
    static func json(missingAttributes: [String]) -> String {
        "[" + missingAttributes.map(JSONOutput.quote).joined(separator: ",") + "]"
    }

    @usableFromInline @inline(never)
    static func json(entries: [ManifestEntry]) -> String {
        "[" + entries.map { "{\"url\":\(JSONOutput.quote($0.url)),\"mandatory\":\($0.mandatory.map { $0 ? "true" : "false" } ?? "null")}" }
            .joined(separator: ",") + "]"
    }

    @usableFromInline @inline(never)
    static func json(otherFields: [(key: String, json: String)]) -> String {
        "{" + otherFields.map { "\(JSONOutput.quote($0.key)):\(JSONOutput.compactValue($0.json))" }.joined(separator: ",") + "}"
    }
}

/// Takes the columns of the full row one by one (`RecordField.visitRecordColumns`). What it reads (the record)
/// and what it writes into (the sink) are passed along rather than kept in the visitor, so neither is copied.
/// Public only because `visitRecordColumns` is inlined into the exporters of the layer above.
public protocol ColumnVisitor {
    associatedtype Context
    associatedtype State
    func visit(_ field: RecordField, _ context: Context, _ state: inout State)
}

