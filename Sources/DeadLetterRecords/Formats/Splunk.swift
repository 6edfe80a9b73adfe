/// Splunk HEC: `splunk-failed/`. `rawData` holds the bytes as sent to HEC (often HEC event JSON lines).
/// The id is `EventId` in the documentation and `subsequenceNumber` in some real records.
public struct SplunkFamily: FailureFamily {
    public var kind: FailureKind { .splunk }
    public var folderMarkers: [String] { ["splunk-failed"] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        if clues.errorCodeHasNamespace(["Splunk."]) { return .strong }
        return clues.hasEventId ? .weak : .none
    }
}
