import DeadLetterBytes
import DeadLetterRecords
/// OpenSearch / Elasticsearch `_bulk` bodies: an `index` action with `_index` (and `_id` when the document
/// id is known) followed by the document, one pair of lines per record.
/// Send with: `curl -H 'Content-Type: application/x-ndjson' --data-binary @opensearch-00001.ndjson https://HOST/_bulk`.
public struct OpenSearchTarget: BackfillTarget {
    public var indexOverride: String?
    /// Keep `esTypeName` as `_type`, for Elasticsearch 6 clusters; dropped otherwise (removed in 7).
    public var keepType = false
    /// Wrap text payloads as `{"FIELD": text}` instead of rejecting them.
    public var wrapTextField: String?

    public init(indexOverride: String? = nil, keepType: Bool = false, wrapTextField: String? = nil) {
        self.indexOverride = indexOverride
        self.keepType = keepType
        self.wrapTextField = wrapTextField
    }

    public var name: String { "opensearch" }
    /// A `_bulk` body: the action and document lines, nothing around them.
    public var packaging: FilePackaging { FilePackaging(prefix: name, fileExtension: "ndjson") }
    /// Amazon OpenSearch Service accepts HTTP bodies of 10 MiB on the smallest instances.
    public var serviceLimits: BatchLimits { BatchLimits(maxBytes: 10 << 20) }
    public var manifestOptions: [(String, String)] {
        [("index", JSONOutput.quoteOrNull(indexOverride)), ("keepType", keepType ? "true" : "false"),
         ("wrapText", JSONOutput.quoteOrNull(wrapTextField))]
    }

    /// The one JSON object of the payload, or nil.
    static func object(_ record: FailureRecord, _ payload: [UInt8]) -> ArraySlice<UInt8>? {
        guard record.payload.type == .json, let values = JSONText.values(payload), values.count == 1, values[0].first == UInt8(ascii: "{") else {
            return nil
        }
        return values[0]
    }

    public func rejection(for record: FailureRecord) -> Rejection? {
        if let why = payloadRejection(record) { return why }
        let wraps = (record.payload.type == .text || record.payload.type == .empty) && wrapTextField != nil
        // The reader found the payload's JSON values already: one object is what `items` writes.
        if !wraps && !record.payload.isOneObject { return notJSON(record) }
        if (indexOverride ?? record.indexName)?.isEmpty ?? true { return Self.noIndex }
        return nil
    }

    static let noIndex = Rejection("no-index", "the record names no index (esIndexName/osIndexName); give --index")

    func notJSON(_ record: FailureRecord) -> Rejection {
        let what = record.payload.type.map { $0.rawValue } ?? "no"
        return Rejection("not-json", "the payload is \(what), not one JSON object; --wrap-text FIELD wraps text as {\"FIELD\": text}")
    }

    public func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
        let payload: [UInt8]
        switch payloadBytes(record) {
        case .failure(let r): return .failure(r)
        case .success(let p): payload = p
        }
        let document: [UInt8]
        if let object = Self.object(record, payload) {
            document = JSONText.compact(object)
        } else if record.payload.type == .text || record.payload.type == .empty, let field = wrapTextField {
            document = Array("{\(JSONOutput.quote(field)):\(JSONOutput.quote(String(decoding: payload, as: UTF8.self)))}".utf8)
        } else {
            return .failure(notJSON(record))
        }
        guard let index = indexOverride ?? record.indexName, !index.isEmpty else { return .failure(Self.noIndex) }
        var action = "{\"index\":{\"_index\":\(JSONOutput.quote(index))"
        if let id = record.documentId, !id.isEmpty { action += ",\"_id\":\(JSONOutput.quote(id))" }
        if keepType, let type = record.typeName, !type.isEmpty { action += ",\"_type\":\(JSONOutput.quote(type))" }
        action += "}}\n"
        return .success([BackfillItem(bytes: Array(action.utf8) + document + [0x0A])])
    }
}
