/// Snowflake (Snowpipe Streaming): `snowflake-failed/`. Non-retriable errors land here without retry.
public struct SnowflakeFamily: FailureFamily {
    public var kind: FailureKind { .snowflake }
    public var folderMarkers: [String] { ["snowflake-failed"] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        clues.errorCodeHasNamespace(["Snowflake."]) ? .strong : .none
    }
}
