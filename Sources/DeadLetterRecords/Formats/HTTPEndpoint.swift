/// HTTP endpoints and partner destinations (Datadog, New Relic, ...): `http-endpoint-failed/`.
/// `errorMessage` often embeds the endpoint's JSON reply; records carry `dataId` and `subsequenceNumber`.
public struct HTTPEndpointFamily: FailureFamily {
    public var kind: FailureKind { .httpEndpoint }
    public var folderMarkers: [String] { ["http-endpoint-failed"] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        if clues.errorCodeHasNamespace(["HttpEndpoint."]) { return .strong }
        return clues.hasDataId ? .weak : .none
    }
}
