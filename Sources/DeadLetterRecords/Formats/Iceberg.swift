/// Apache Iceberg tables / S3 Tables: `iceberg-failed/` (per-table error prefixes also occur).
public struct IcebergFamily: FailureFamily {
    public var kind: FailureKind { .iceberg }
    public var folderMarkers: [String] { ["iceberg-failed"] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        clues.errorCodeHasNamespace(["Iceberg."]) ? .strong : .none
    }
}
