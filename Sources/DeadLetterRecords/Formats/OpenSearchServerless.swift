/// OpenSearch Serverless: same folder as OpenSearch Service, told apart by `osDocumentId`/`osIndexName`
/// (and no type name).
public struct OpenSearchServerlessFamily: FailureFamily {
    public var kind: FailureKind { .openSearchServerless }
    // Shares OpenSearch Service's folder; `FailureFamilies.infer` refines by the `os` keys.
    public var folderMarkers: [String] { [] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        clues.hasOSKeys && !clues.hasESKeys ? .strong : .none
    }
}
