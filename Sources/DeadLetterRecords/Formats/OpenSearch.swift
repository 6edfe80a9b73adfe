/// OpenSearch Service (and the legacy Elasticsearch destination): `AmazonOpenSearchService-failed/`,
/// `AmazonOpenSearchService_failed/` (both spellings occur in AWS's own docs) and `elasticsearch-failed/`.
/// Records carry `esDocumentId`, `esIndexName` and `esTypeName`; the `es` names survived the rename.
public struct OpenSearchFamily: FailureFamily {
    public var kind: FailureKind { .openSearch }
    public var folderMarkers: [String] {
        ["amazonopensearchservice-failed", "amazonopensearchservice_failed", "elasticsearch-failed"]
    }
    public func evidence(_ clues: FieldClues) -> Evidence { clues.hasESKeys ? .strong : .none }
}
