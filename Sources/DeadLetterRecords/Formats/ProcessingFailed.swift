/// S3 destination, Lambda transformation failures: `processing-failed/`.
/// Real records spell the ARN `lambdaARN`, the documentation `lambdaArn`; both are read.
public struct ProcessingFailedFamily: FailureFamily {
    public var kind: FailureKind { .processingFailed }
    public var folderMarkers: [String] { ["processing-failed"] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        if clues.hasLambdaArn || clues.errorCodeHasNamespace(["Lambda."]) { return .strong }
        return .none
    }
}
