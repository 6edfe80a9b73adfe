/// A field a record can be grouped (and later filtered, listed) by.
public enum RecordField: String, CaseIterable, Sendable {
    case kind, errorCode, errorMessage, attempts, hour, day, index, stream, prefix, file, lambda, payloadType
    case logGroup, logStream

    /// The placeholder for a record without a value for the field.
    public static let none = "(none)"

    /// Parses a comma-separated list such as `kind,errorCode`.
    public static func parseList(_ text: String) throws(UsageError) -> [RecordField] {
        var fields: [RecordField] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: " ")
            guard let field = RecordField(rawValue: name) else {
                throw UsageError("unknown field '\(name)'; valid fields: \(RecordField.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !fields.contains(field) { fields.append(field) }
        }
        if fields.isEmpty { throw UsageError("no field given") }
        return fields
    }

    public func value(of record: FailureRecord) -> String? {
        switch self {
        case .kind: return record.kind.rawValue
        case .errorCode: return record.errorCode
        case .errorMessage: return record.errorMessage
        case .attempts: return record.attemptsMade.map { String($0) }
        case .hour: return record.arrival.map(UTCTime.hour)
        case .day: return record.arrival.map(UTCTime.day)
        case .index: return record.indexName
        case .stream: return record.file.objectKey.stream
        case .prefix: return record.file.objectKey.prefix
        case .file: return record.file.path
        case .lambda: return record.lambdaArn
        case .payloadType: return record.payload.type?.rawValue
        case .logGroup: return nonEmpty(record.payload.cloudWatch?.logGroup)
        case .logStream: return nonEmpty(record.payload.cloudWatch?.logStream)
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
