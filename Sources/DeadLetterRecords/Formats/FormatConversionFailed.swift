/// S3 destination, Parquet/ORC conversion failures: `format-conversion-failed/`.
/// Current records use `lastErrorCode`/`lastErrorMessage`, older ones `ErrorCode`/`ErrorMessage`.
public struct FormatConversionFailedFamily: FailureFamily {
    public var kind: FailureKind { .formatConversionFailed }
    public var folderMarkers: [String] { ["format-conversion-failed"] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        if clues.hasLastErrorKeys || clues.hasDataCatalogTable
            || clues.errorCodeHasNamespace(["DataFormatConversion."]) { return .strong }
        return .none
    }
}
