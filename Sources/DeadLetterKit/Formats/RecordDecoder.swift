/// Turns a scanned top-level object into a `FailureRecord`, reading every spelling real records use:
/// `errorCode`/`ErrorCode`/`lastErrorCode`, `lambdaArn`/`lambdaARN`, `EventId`, `subsequenceNumber`/`SubsequenceNumber`,
/// `esDocumentId`/`osDocumentId`, ... Names are matched case-insensitively; keys it does not know are kept.
public struct RecordDecoder {
    /// Applied to records whose family neither fields nor path reveal (`--kind`).
    public var fallbackKind: FailureKind?
    public let payloads: PayloadDecoder

    public init(fallbackKind: FailureKind? = nil, maxPayloadBytes: Int = 64 << 20, payloadNeeds: PayloadNeeds = PayloadNeeds()) {
        self.fallbackKind = fallbackKind
        self.payloads = PayloadDecoder(maxInflatedBytes: maxPayloadBytes, needs: payloadNeeds)
    }

    public enum Outcome {
        case record(FailureRecord)
        /// Several records from one object (an SQS receive-message output).
        case records([FailureRecord])
        case notARecord(reason: String)
    }

    private enum Field {
        case rawData, errorCode, lastErrorCode, errorMessage, lastErrorMessage, attempts, arrival, approximateArrival
        case attemptEnding, lambdaArn, esDocumentId, osDocumentId, esIndexName, osIndexName, esTypeName
        case eventId, dataId, subsequenceNumber, sequenceNumber, dataCatalogTable, entries
    }

    private static let fields: [String: Field] = [
        "rawdata": .rawData,
        "errorcode": .errorCode, "lasterrorcode": .lastErrorCode,
        "errormessage": .errorMessage, "lasterrormessage": .lastErrorMessage,
        "attemptsmade": .attempts,
        "arrivaltimestamp": .arrival, "approximatearrivaltimestamp": .approximateArrival,
        "attemptendingtimestamp": .attemptEnding,
        "lambdaarn": .lambdaArn,
        "esdocumentid": .esDocumentId, "osdocumentid": .osDocumentId,
        "esindexname": .esIndexName, "osindexname": .osIndexName, "estypename": .esTypeName,
        "eventid": .eventId, "dataid": .dataId,
        "subsequencenumber": .subsequenceNumber, "sequencenumber": .sequenceNumber,
        "datacatalogtable": .dataCatalogTable, "entries": .entries,
    ]

    public func decode(_ frame: ObjectFrame, file: SourceFile) -> Outcome {
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

        let keys = frame.members.map { JSONText.string(frame, $0.keyStart, $0.keyEnd, escaped: $0.keyEscaped) }
        if SQSMessageDecoder.looksLikeSQS(keys, frame.members) {
            let records = SQSMessageDecoder(payloads: payloads).records(bytes, start: frame.start, end: frame.end, members: frame.members, file: file, line: frame.line)
            if records.isEmpty { return .notARecord(reason: "SQS receive-message output without messages") }
            return .records(records)
        }

        for (index, m) in frame.members.enumerated() {
            let key = keys[index]
            guard let field = Self.fields[key.lowercased()] else {
                let json = m.valueKind == .string
                    ? String(decoding: frame.slice(m.valueStart - 1, m.valueEnd + 1), as: UTF8.self)
                    : String(decoding: frame.slice(m.valueStart, m.valueEnd), as: UTF8.self)
                record.otherFields.append((key, json))
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
                if record.errorMessage == nil || field == .lastErrorMessage { record.errorMessage = text(m) }
            case .attempts: record.attemptsMade = integer(m)
            case .arrival: record.arrival = integer(m)
            case .approximateArrival: approximateArrival = integer(m)
            case .attemptEnding: record.attemptEnding = integer(m)
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
                } else {
                    record.otherFields.append((key, String(decoding: frame.slice(m.valueStart, m.valueEnd), as: UTF8.self)))
                }
            }
        }
        if record.arrival == nil { record.arrival = approximateArrival }
        clues.errorCode = record.errorCode

        guard clues.hasRawData || hasErrorField || clues.hasEntries else {
            return .notARecord(reason: "JSON object without failure fields (rawData, errorCode, errorMessage or entries)")
        }

        record.kind = FailureFamilies.infer(clues: clues, fromPath: file.kindFromPath, fallback: fallbackKind)
        FailureFamilies.family(record.kind)?.finish(&record, clues: clues)

        if let raw = rawData {
            switch raw.valueKind {
            case .string:
                record.payload = payloads.decode(rawDataString: frame.slice(raw.valueStart, raw.valueEnd), escaped: raw.valueEscaped)
            case .null:
                record.payload.type = .empty
            default:
                record.payload.type = .invalidBase64
            }
        }
        return .record(record)
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
