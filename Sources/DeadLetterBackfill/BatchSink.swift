import DeadLetterBytes
/// Where finished batches go: the output directory today. A sink that asks for `.origins` gets batches
/// whose items name the record they came from (`Batch.origin(ofItem:)`), so that it can report every item's
/// outcome by record. The engine calls a sink on one thread, in input order.
public protocol BatchSink: AnyObject {
    /// What the batches must keep besides their bytes; stated by every sink, since origins cost memory
    /// by the record.
    var batchDetail: BatchDetail { get }
    /// A finished batch and the file it makes.
    func receive(_ batch: Batch, as file: PackagedFile) throws(BackfillFailure)
    /// A record that is not written, and why.
    func reject(_ record: RecordIdentity, _ rejection: Rejection) throws(BackfillFailure)
    /// A file made once at the end, after the batches (Redshift's merged manifest and copy.sql).
    func receiveExtraFile(name: String, bytes: [UInt8]) throws(BackfillFailure)
    /// The end of the run, with the plan as it was carried out.
    func finish(_ plan: BackfillPlan) throws(BackfillFailure)
    /// A record written into the batch being filled (only when the plan keeps a `writtenRecordLog`).
    func wrote(_ record: WrittenRecord) throws(BackfillFailure)
}

extension BatchSink {
    public func wrote(_ record: WrittenRecord) throws(BackfillFailure) {}
}

/// Why a backfill could not be written.
public enum BackfillFailure: Error, CustomStringConvertible {
    /// Refused before anything was written (exit 64).
    case usage(String)
    case io(String)
    /// `--out` changed while the run went on; nothing there was touched and the output was kept elsewhere.
    case conflict(String)
    /// The finished output could not be moved into `--out` (a file system error) and was kept elsewhere.
    case notPlaced(String)
    public var description: String {
        switch self {
        case .usage(let m), .io(let m), .conflict(let m), .notPlaced(let m): return m
        }
    }
}

/// Where a sink's files go: the output directory, or one folder of it (a part of a split backfill).
public protocol OutputFiles: AnyObject {
    func write(name: String, parts: [UnsafeBufferPointer<UInt8>]) throws(BackfillFailure)
    func appender(name: String) throws(BackfillFailure) -> OutputDirectory.Appender
}

extension OutputFiles {
    /// Writes a whole file and flushes it to disk.
    public func write(name: String, bytes: [UInt8]) throws(BackfillFailure) {
        try bytes.withUnsafeBufferPointer { b throws(BackfillFailure) in try write(name: name, parts: [b]) }
    }
}

/// The backfill output directory (or a folder of it) as a sink: each batch a file, rejects in
/// `rejects.ndjson` as they come (there can be many), and the plan as `manifest.json`.
public final class DirectorySink: BatchSink {
    public let directory: any OutputFiles
    /// Opened at the first reject (or at the end, empty): a split backfill has a sink per part, and an open
    /// file each would run into the process's limit.
    private var rejects: OutputDirectory.Appender?
    /// `dedupe-keys.ndjson`, opened at the first record written.
    private var writtenRecords: WrittenRecordLogWriter?
    /// A file is written whole; its items' origins are not reported.
    public var batchDetail: BatchDetail { .counts }

    /// Where the rejects go besides this sink's own file (a split backfill's `rejects.ndjson` of every part).
    private let mirror: OutputDirectory.Appender?

    public init(directory: any OutputFiles, alsoRejectingTo mirror: OutputDirectory.Appender? = nil) {
        self.directory = directory
        self.mirror = mirror
    }

    public func receive(_ batch: Batch, as file: PackagedFile) throws(BackfillFailure) {
        try file.header.withUnsafeBufferPointer { h throws(BackfillFailure) in
            try batch.body.withUnsafeBufferPointer { b throws(BackfillFailure) in
                try file.footer.withUnsafeBufferPointer { f throws(BackfillFailure) in
                    try directory.write(name: file.name, parts: [h, b, f])
                }
            }
        }
    }

    public func reject(_ record: RecordIdentity, _ rejection: Rejection) throws(BackfillFailure) {
        if rejects == nil { rejects = try directory.appender(name: "rejects.ndjson") }
        let line = Self.rejectLine(record, rejection)
        try rejects?.append(line.utf8)
        try mirror?.append(line.utf8)
    }

    /// One line of `rejects.ndjson`.
    static func rejectLine(_ record: RecordIdentity, _ rejection: Rejection) -> String {
        var line = "{\"file\":\(JSONOutput.quote(record.file.path)),\"line\":\(record.line),\"kind\":\(JSONOutput.quote(record.kind.rawValue))"
        line += ",\"errorCode\":\(JSONOutput.quoteOrNull(record.errorCode)),\"id\":\(JSONOutput.quoteOrNull(record.naturalId))"
        line += ",\"code\":\(JSONOutput.quote(rejection.code)),\"reason\":\(JSONOutput.quote(rejection.reason))}\n"
        return line
    }

    public func wrote(_ record: WrittenRecord) throws(BackfillFailure) {
        if writtenRecords == nil { writtenRecords = try WrittenRecordLogWriter(in: directory) }
        try writtenRecords?.append(record)
    }

    public func receiveExtraFile(name: String, bytes: [UInt8]) throws(BackfillFailure) {
        try directory.write(name: name, bytes: bytes)
    }

    public func finish(_ plan: BackfillPlan) throws(BackfillFailure) {
        if rejects == nil { rejects = try directory.appender(name: "rejects.ndjson") }
        try rejects?.finish()
        var plan = plan
        if plan.writtenRecordLog != nil {
            if writtenRecords == nil { writtenRecords = try WrittenRecordLogWriter(in: directory) }
            plan.writtenRecordLog = try writtenRecords?.finish()
        }
        try directory.write(name: "manifest.json", bytes: Array(plan.manifest().utf8))
    }
}
