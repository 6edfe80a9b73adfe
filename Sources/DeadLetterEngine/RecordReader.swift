import DeadLetterInput
import DeadLetterRecords
import DeadLetterSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits and choices for reading records.
public struct ReadOptions: Sendable {
    public var maxRecordBytes: Int = 16 << 20
    public var maxPayloadBytes: Int = 64 << 20
    /// The kind given to records that carry no clue to their family (`--kind`).
    public var fallbackKind: FailureKind?
    /// What to keep from each payload.
    public var payloadNeeds = PayloadNeeds()
    /// Keep keys this tool does not interpret (`records` shows them; summaries do not need them).
    public var keepOtherFields = true
    /// Build `errorMessage` for each record (summaries need it only to group or filter by it).
    public var keepMessages = true
    /// Inflate gzip input on a second thread, ahead of parsing (for one input read in order).
    public var prefetch = false
    /// Counters for the progress line.
    public var progress: ProgressCounters?

    public init() {}
}

/// What reading one unit produces, in its order. Repeats and payload problems are not decided here but by
/// the engine, in input order across all units.
public enum ReaderEvent {
    case record(FailureRecord)
    case malformed(MalformedLine)
    case finished(FileStatistics)
}

/// Drives one unit through bytes → frames → records, reporting everything it meets as events.
public struct RecordReader {
    public var options: ReadOptions
    private var decoder: RecordDecoder

    public init(options: ReadOptions) {
        self.options = options
        self.decoder = RecordDecoder(fallbackKind: options.fallbackKind, maxPayloadBytes: options.maxPayloadBytes,
                                     payloadNeeds: options.payloadNeeds)
        self.decoder.keepOtherFields = options.keepOtherFields
        self.decoder.keepMessages = options.keepMessages
    }

    /// Opens and reads `unit` to the end (or until `handle` returns false). Returns false if reading was stopped.
    @discardableResult
    public mutating func read(_ unit: InputUnit, _ handle: (ReaderEvent) -> Bool) -> Bool {
        // A unit that cannot be opened is done too: the progress line counts it, or it would end short of
        // its total.
        defer { options.progress?.addFile() }
        let opened: OpenedInput
        do {
            opened = try unit.open(counting: options.progress)
        } catch {
            var stats = FileStatistics(path: unit.name)
            stats.error = error
            return handle(.finished(stats))
        }
        return read(opened, name: unit.name, handle)
    }

    /// Reads an opened unit; `name` is what its records and diagnostics are attributed to.
    @discardableResult
    public mutating func read(_ opened: OpenedInput, name: String, _ handle: (ReaderEvent) -> Bool) -> Bool {
        var stats = FileStatistics(path: name)
        let file = SourceFile(path: name)
        var keepGoing = true
        do {
            let (decoded, compression) = try DecodedStream.open(opened.bytes)
            stats.compression = compression
            let stream = options.prefetch && compression == .gzip ? PrefetchSource(upstream: decoded) : decoded
            let frames = FrameReader(source: stream, maxRecordBytes: options.maxRecordBytes)
            defer {
                stats.lines = frames.lines
                stats.blankLines = frames.blankLines
            }
            let decoder = self.decoder
            let progress = options.progress
            try frames.run { event in
                switch event {
                case .malformed(let line, let reason, let trailing):
                    keepGoing = handle(.malformed(MalformedLine(file: name, line: line, reason: reason, trailing: trailing)))
                case .object(let frame):
                    func deliver(_ record: FailureRecord) {
                        guard keepGoing else { return }
                        progress?.addRecord()
                        keepGoing = handle(.record(record))
                    }
                    if let reason = decoder.decode(frame, file: file, each: deliver) {
                        keepGoing = handle(.malformed(MalformedLine(file: name, line: frame.line, reason: reason, trailing: frame.followsObject)))
                    }
                }
                return keepGoing
            }
        } catch {
            stats.error = error
        }
        stats.bytesRead = opened.bytesRead()
        if !keepGoing { return false }
        return handle(.finished(stats))
    }
}

