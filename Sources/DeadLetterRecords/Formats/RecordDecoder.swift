import DeadLetterBytes
import DeadLetterInput
/// Turns a scanned top-level object into a `FailureRecord`, reading every spelling real records use:
/// `errorCode`/`ErrorCode`/`lastErrorCode`, `lambdaArn`/`lambdaARN`, `EventId`, `subsequenceNumber`/`SubsequenceNumber`,
/// `esDocumentId`/`osDocumentId`, ... Names are matched case-insensitively; keys it does not know are kept.
public struct RecordDecoder {
    /// Applied to records whose family neither fields nor path reveal (`--kind`).
    public var fallbackKind: FailureKind?
    /// Keep keys this tool does not interpret (only `records` shows them).
    public var keepOtherFields = true
    /// Build `errorMessage` (long, often escaped): only commands that show or group by it need it.
    public var keepMessages = true
    public let payloads: PayloadDecoder

    public init(fallbackKind: FailureKind? = nil, maxPayloadBytes: Int = 64 << 20, payloadNeeds: PayloadNeeds = PayloadNeeds()) {
        self.fallbackKind = fallbackKind
        self.payloads = PayloadDecoder(maxInflatedBytes: maxPayloadBytes, needs: payloadNeeds)
    }

    enum Field: UInt8 {
        case rawData, errorCode, lastErrorCode, errorMessage, lastErrorMessage, attempts, arrival, approximateArrival
        case attemptEnding, lambdaArn, esDocumentId, osDocumentId, esIndexName, osIndexName, esTypeName
        case eventId, dataId, subsequenceNumber, sequenceNumber, dataCatalogTable, entries
        // SQS message shapes.
        case sqsMessages, sqsMessageId, sqsBody, sqsReceiptHandle, sqsRecords
    }

    /// Known names, lower case, bucketed by length: matched against key bytes with ASCII case folding, so
    /// reading a record allocates no string for its keys.
    private static let fieldsByLength: [[([UInt8], Field)]] = {
        let names: [(String, Field)] = [
            ("rawdata", .rawData), ("errorcode", .errorCode), ("lasterrorcode", .lastErrorCode),
            ("errormessage", .errorMessage), ("lasterrormessage", .lastErrorMessage), ("attemptsmade", .attempts),
            ("arrivaltimestamp", .arrival), ("approximatearrivaltimestamp", .approximateArrival),
            ("attemptendingtimestamp", .attemptEnding), ("lambdaarn", .lambdaArn),
            ("esdocumentid", .esDocumentId), ("osdocumentid", .osDocumentId), ("esindexname", .esIndexName),
            ("osindexname", .osIndexName), ("estypename", .esTypeName), ("eventid", .eventId), ("dataid", .dataId),
            ("subsequencenumber", .subsequenceNumber), ("sequencenumber", .sequenceNumber),
            ("datacatalogtable", .dataCatalogTable), ("entries", .entries),
            ("messages", .sqsMessages), ("messageid", .sqsMessageId), ("body", .sqsBody), ("receipthandle", .sqsReceiptHandle),
            ("records", .sqsRecords),
        ]
        var table = [[([UInt8], Field)]](repeating: [], count: 32)
        for (name, field) in names { table[name.utf8.count].append((Array(name.utf8), field)) }
        return table
    }()

    @inline(__always)
    static func field(_ key: UnsafeBufferPointer<UInt8>) -> Field? {
        guard key.count < fieldsByLength.count else { return nil }
        candidates: for (name, field) in fieldsByLength[key.count] {
            for i in 0..<name.count {
                var c = key[i]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != name[i] { continue candidates }
            }
            return field
        }
        return nil
    }

    /// Decodes `frame`, handing each record to `body` (several for an SQS receive-message output); returns
    /// why the object is not a failure record, or nil. The record is lent, not copied out of an enum: a
    /// copy and a release of every field per record showed up as a few percent of `summarize`.
    public func decode(_ frame: ObjectFrame, file: SourceFile, each body: (FailureRecord) -> Void) -> String? {
        var record = FailureRecord(file: file, line: frame.line)
        var clues = FieldClues()
        var rawData: ScannedMember?
        var approximateArrival: Int64?
        var hasErrorField = false
        let bytes = UnsafeBufferPointer(start: frame.base, count: frame.end)

        func text(_ m: ScannedMember) -> String? {
            switch m.valueKind {
            case .string: return JSONText.string(frame, m.valueStart, m.valueEnd, escaped: m.valueEscaped)
            case .null: return nil
            default: return String(decoding: frame.slice(m.valueStart, m.valueEnd), as: UTF8.self)
            }
        }
        func integer(_ m: ScannedMember) -> Int64? {
            switch m.valueKind {
            case .number, .string: return JSONText.integer(bytes, m.valueStart, m.valueEnd)
            default: return nil
            }
        }
        /// The number in `m` if it lies in its field's range; else `refuse` says why, and it reads as missing.
        /// The hot path is two comparisons.
        func checked(_ m: ScannedMember, _ field: Field) -> Int64? {
            let value = integer(m)
            if let value, (field == .attempts ? OutOfRange.attempts : UTCTime.supported).contains(value) {
                return value
            }
            Self.refuse(m, value, field, in: frame, record: &record, keepOtherFields: keepOtherFields)
            return nil
        }

        var fields: [Field?] = []
        fields.reserveCapacity(frame.members.count)
        var sqsMessagesArray = false, sqsMessageId = false, sqsBody = false, sqsRecordsArray = false
        for m in frame.members {
            let field = m.keyEscaped
                ? Array(JSONText.string(frame, m.keyStart, m.keyEnd, escaped: true).utf8).withUnsafeBufferPointer { Self.field($0) }
                : Self.field(frame.slice(m.keyStart, m.keyEnd))
            switch field {
            case .sqsMessages?: sqsMessagesArray = sqsMessagesArray || m.valueKind == .array
            case .sqsMessageId?: sqsMessageId = true
            case .sqsBody?, .sqsReceiptHandle?: sqsBody = true
            case .sqsRecords?: sqsRecordsArray = sqsRecordsArray || m.valueKind == .array
            default: break
            }
            fields.append(field)
        }
        if sqsMessagesArray || (sqsMessageId && sqsBody) {
            let records = SQSMessageDecoder(payloads: payloads).records(bytes, start: frame.start, end: frame.end, members: frame.members, file: file, line: frame.line)
            if records.isEmpty { return "SQS receive-message output without messages" }
            for record in records { body(record) }
            return nil
        }
        // A Lambda function's SQS event (`{"Records": [...]}`), when its records are SQS messages.
        if sqsRecordsArray, let records = SQSMessageDecoder(payloads: payloads).lambdaEvent(bytes, start: frame.start, members: frame.members, file: file, line: frame.line) {
            for record in records { body(record) }
            return nil
        }

        for (index, m) in frame.members.enumerated() {
            guard let field = fields[index], field.rawValue < Field.sqsMessages.rawValue else {
                if keepOtherFields {
                    let key = JSONText.string(frame, m.keyStart, m.keyEnd, escaped: m.keyEscaped)
                    let json = m.valueKind == .string
                        ? String(decoding: frame.slice(m.valueStart - 1, m.valueEnd + 1), as: UTF8.self)
                        : String(decoding: frame.slice(m.valueStart, m.valueEnd), as: UTF8.self)
                    record.otherFields.append((key, json))
                }
                continue
            }
            switch field {
            case .rawData:
                clues.hasRawData = true
                rawData = m
            case .errorCode, .lastErrorCode:
                hasErrorField = true
                if field == .lastErrorCode { clues.hasLastErrorKeys = true }
                if record.errorCode == nil || field == .lastErrorCode { record.errorCode = text(m) }
            case .errorMessage, .lastErrorMessage:
                hasErrorField = true
                if field == .lastErrorMessage { clues.hasLastErrorKeys = true }
                if keepMessages && (record.errorMessage == nil || field == .lastErrorMessage) { record.errorMessage = text(m) }
            case .attempts: record.attemptsMade = checked(m, field)
            case .arrival: record.arrival = checked(m, field)
            case .approximateArrival: approximateArrival = checked(m, field)
            case .attemptEnding: record.attemptEnding = checked(m, field)
            case .lambdaArn:
                clues.hasLambdaArn = true
                record.lambdaArn = text(m)
            case .esDocumentId, .osDocumentId:
                if field == .esDocumentId { clues.hasESKeys = true } else { clues.hasOSKeys = true }
                record.documentId = text(m)
            case .esIndexName, .osIndexName:
                if field == .esIndexName { clues.hasESKeys = true } else { clues.hasOSKeys = true }
                record.indexName = text(m)
            case .esTypeName:
                clues.hasESKeys = true
                record.typeName = text(m)
            case .eventId:
                clues.hasEventId = true
                record.eventId = text(m)
            case .dataId:
                clues.hasDataId = true
                record.dataId = text(m)
            case .subsequenceNumber: record.subsequenceNumber = text(m)
            case .sequenceNumber: record.sequenceNumber = text(m)
            case .dataCatalogTable:
                clues.hasDataCatalogTable = true
                record.dataCatalogTable = String(decoding: frame.slice(m.valueStart, m.valueEnd), as: UTF8.self)
            case .entries:
                if m.valueKind == .array {
                    clues.hasEntries = true
                    record.manifestEntries = Self.manifestEntries(bytes, m)
                } else if keepOtherFields {
                    record.otherFields.append(("entries", String(decoding: frame.slice(m.valueStart, m.valueEnd), as: UTF8.self)))
                }
            default:
                break
            }
        }
        if record.arrival == nil { record.arrival = approximateArrival }
        clues.errorCode = record.errorCode

        guard clues.hasRawData || hasErrorField || clues.hasEntries else {
            return "JSON object without failure fields (rawData, errorCode, errorMessage or entries)"
        }

        record.kind = FailureFamilies.infer(clues: clues, fromPath: file.kindFromPath, fallback: fallbackKind)
        FailureFamilies.family(record.kind)?.finish(&record, clues: clues)

        if let raw = rawData {
            switch raw.valueKind {
            case .string:
                payloads.decode(rawDataString: frame.slice(raw.valueStart, raw.valueEnd), escaped: raw.valueEscaped, into: &record)
            case .null:
                record.payload.type = .empty
            default:
                record.payload.type = .invalidBase64
            }
        }
        body(record)
        return nil
    }

    /// Records a number out of its field's range (or a JSON number no Int64 holds) as a problem of the record.
    /// A value that is no number at all (the guide's placeholders `"attemptsMade": "count"`, `"arrivalTimestamp":
    /// "timestamp"`, an object) is kept in `otherFields` under its own key and counted as a problem too; only
    /// `null` reads as missing without a word. Kept out of line: it runs for hardly any record, and `decode`
    /// stays small.
    @inline(never)
    private static func refuse(_ m: ScannedMember, _ value: Int64?, _ field: Field, in frame: ObjectFrame, record: inout FailureRecord,
                               keepOtherFields: Bool) {
        let text = String(decoding: frame.slice(m.valueStart, m.valueEnd), as: UTF8.self)
        guard value != nil || m.valueKind == .number || (m.valueKind == .string && OutOfRange.isInteger(text)) else {
            guard m.valueKind != .null else { return }
            let key = JSONText.string(frame, m.keyStart, m.keyEnd, escaped: m.keyEscaped)
            let json = m.valueKind == .string
                ? String(decoding: frame.slice(m.valueStart - 1, m.valueEnd + 1), as: UTF8.self)
                : text
            if keepOtherFields { record.otherFields.append((key, json)) }
            record.keepNotANumber(key, json)
            return
        }
        switch field {
        case .attempts: record.refuse("attemptsMade", text, OutOfRange.attemptsText)
        case .approximateArrival: record.refuse("approximateArrivalTimestamp", text, OutOfRange.time)
        case .attemptEnding: record.refuse("attemptEndingTimestamp", text, OutOfRange.time)
        default: record.refuse("arrivalTimestamp", text, OutOfRange.time)
        }
    }

    /// Reads `{"url": ..., "mandatory": ...}` entries. Every object element is an entry (one without a
    /// url keeps an empty one, so the entry count stays true to the file).
    private static func manifestEntries(_ bytes: UnsafeBufferPointer<UInt8>, _ m: ScannedMember) -> [ManifestEntry] {
        var entries: [ManifestEntry] = []
        var scanner = JSONScanner()
        var members: [ScannedMember] = []
        JSONText.forEachElement(bytes, arrayStart: m.valueStart, arrayEnd: m.valueEnd, scanner: &scanner, members: &members) { start, _, members in
            guard bytes[start] == UInt8(ascii: "{") else { return }
            var entry = ManifestEntry(url: "", mandatory: nil)
            for e in members {
                let key = JSONText.string(bytes, e.keyStart, e.keyEnd, escaped: e.keyEscaped)
                if key == "url", e.valueKind == .string {
                    entry.url = JSONText.string(bytes, e.valueStart, e.valueEnd, escaped: e.valueEscaped)
                } else if key == "mandatory", e.valueKind == .bool {
                    entry.mandatory = bytes[e.valueStart] == UInt8(ascii: "t")
                }
            }
            entries.append(entry)
        }
        return entries
    }
}
