/// A field of a record, for `--by`, `--where` and `--fields`.
public enum RecordField: Hashable, Sendable {
    case kind, errorCode, errorMessage, message, attempts, hour, day, index, documentId, stream, prefix, file
    case lambda, payloadType, logGroup, logStream
    // Additive: useful in `--fields` and `--where`.
    case arrival, line, eventId, dataId, payload
    // EventBridge dead-letter queues.
    case rule, target, retryCondition, source, detailType, messageId
    /// `payload.a.b`: a value inside a JSON payload (`payload.a.0.b` indexes arrays).
    case payloadPath([String])

    /// The placeholder for a record without a value for the field.
    public static let none = "(none)"

    /// Every named field, in the order help lists them.
    public static let named: [RecordField] = [
        .kind, .errorCode, .errorMessage, .message, .attempts, .hour, .day, .index, .documentId, .stream, .prefix,
        .file, .lambda, .payloadType, .logGroup, .logStream, .rule, .target, .retryCondition, .source, .detailType,
        .arrival, .line, .eventId, .dataId, .messageId, .payload,
    ]

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
        case .payloadPath(let path): return "payload." + path.joined(separator: ".")
        }
    }

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

    /// The list of valid names, for messages.
    public static var validNames: String {
        named.map(\.name).joined(separator: ", ") + ", payload.<path>"
    }

    /// Parses a comma-separated list such as `kind,errorCode`.
    public static func parseList(_ text: String) throws(UsageError) -> [RecordField] {
        var fields: [RecordField] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: " ")
            guard let field = RecordField(name: name) else {
                throw UsageError("unknown field '\(name)'; valid fields: \(validNames)")
            }
            if !fields.contains(field) { fields.append(field) }
        }
        if fields.isEmpty { throw UsageError("no field given") }
        return fields
    }

    /// The payload paths among `fields`, which the reader must extract while the payload is at hand.
    public static func payloadPaths(_ fields: [RecordField]) -> [[String]] {
        fields.compactMap { if case .payloadPath(let p) = $0 { return p } else { return nil } }
    }

    /// The field's value as text, nil when the record has none.
    public func value(of record: FailureRecord) -> String? {
        switch self {
        case .kind: return record.kind.rawValue
        case .errorCode: return record.errorCode
        case .errorMessage: return record.errorMessage
        case .message: return record.errorMessage.map(MessageFingerprint.fingerprint)
        case .attempts: return record.attemptsMade.map { String($0) }
        case .hour: return record.arrival.map(UTCTime.hour)
        case .day: return record.arrival.map(UTCTime.day)
        case .index: return record.indexName
        case .documentId: return nonEmpty(record.documentId)
        case .stream: return record.file.objectKey.stream
        case .prefix: return record.file.objectKey.prefix
        case .file: return record.file.path
        case .lambda: return record.lambdaArn
        case .payloadType: return record.payload.type?.rawValue
        case .logGroup: return nonEmpty(record.payload.cloudWatch?.logGroup)
        case .logStream: return nonEmpty(record.payload.cloudWatch?.logStream)
        case .arrival: return record.arrival.map(UTCTime.rfc3339)
        case .line: return String(record.line)
        case .eventId: return record.eventId
        case .dataId: return record.dataId
        case .payload: return record.payload.view?.text
        case .rule: return record.rule
        case .target: return record.target
        case .retryCondition: return record.retryCondition
        case .source: return record.source
        case .detailType: return record.detailType
        case .messageId: return record.messageId
        case .payloadPath(let path): return record.payload.values[path.joined(separator: ".")] ?? nil
        }
    }

    private func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

/// A mistake in how the command was called (exit 64).
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
