/// Redshift: Firehose does not write failed records but a COPY manifest of the skipped S3 objects
/// under `errors/manifests/`. One manifest file is one record carrying its entries.
public struct RedshiftManifestFamily: FailureFamily {
    public var kind: FailureKind { .redshiftManifest }
    // The marker is the two-folder path `errors/manifests`, matched in `FailureFamilies.kind(forKey:)`.
    public var folderMarkers: [String] { [] }
    public func evidence(_ clues: FieldClues) -> Evidence {
        clues.hasEntries && !clues.hasRawData ? .strong : .none
    }
    public func finish(_ record: inout FailureRecord, clues: FieldClues) {
        // A manifest has no arrival field; the key's timestamp is when Firehose gave up on the batch. A name
        // without one leaves the `YYYY/MM/DD/HH` folders: the start of that hour (hour-precise).
        if record.arrival == nil { record.arrival = record.file.objectKey.timestampMillis ?? record.file.objectKey.folderHourMillis }
        if record.manifestEntries == nil { record.manifestEntries = [] }
    }
}
