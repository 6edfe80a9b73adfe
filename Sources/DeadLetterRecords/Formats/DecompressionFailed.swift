/// CloudWatch Logs decompression / message extraction failures: `decompression-failed/`.
/// The record is written as it arrived, so `rawData` is usually still gzip.
public struct DecompressionFailedFamily: FailureFamily {
    public var kind: FailureKind { .decompressionFailed }
    public var folderMarkers: [String] { ["decompression-failed"] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        clues.errorCodeHasNamespace(["Decompression.", "CloudWatchLogProcessing."]) ? .weak : .none
    }
}
