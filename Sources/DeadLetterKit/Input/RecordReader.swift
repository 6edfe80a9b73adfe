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

/// A line or object that is not a failure record.
public struct MalformedLine: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var reason: String
    /// Junk after a JSON object on the same line: counted as `trailingJunk`, not as a malformed unit, so
    /// the line is counted once (as the object's) and `records + malformed + blankLines = lines` holds.
    public var trailing = false

    public init(file: String, line: Int, reason: String, trailing: Bool = false) {
        self.file = file
        self.line = line
        self.reason = reason
        self.trailing = trailing
    }

    /// As shown on stderr after `file:line: `.
    public var message: String { trailing ? "trailing junk after a JSON object: \(reason)" : "malformed: \(reason)" }
}

/// What reading one input found, besides its records.
public struct FileStatistics: Sendable {
    public var path: String
    public var bytesRead: Int64 = 0
    public var lines = 0
    public var blankLines = 0
    public var compression: Compression = .none
    public var error: InputError?
}

public enum ReaderEvent {
    case record(FailureRecord)
    case malformed(MalformedLine)
    /// A message read before (the same SQS MessageId): counted once.
    case repeated(file: String, line: Int, id: String)
    /// A MessageId read before with another body (`earlier` is its `file:line`): the record follows, kept.
    case conflict(file: String, line: Int, id: String, earlier: String)
    case payloadProblem(file: String, line: Int, problem: String)
    case finished(FileStatistics)
}

/// Drives one input through bytes → frames → records, reporting everything it meets as events.
public struct RecordReader {
    public var options: ReadOptions
    private var decoder: RecordDecoder
    /// SQS message ids already read: receive-message dumps overlap after visibility timeouts. Shared by the
    /// readers of one run, so a message is counted once whichever worker meets it first. nil: the caller
    /// checks repeats and payload problems itself, in input order (`InputRun.run` with several readers).
    private let seenMessages: MessageIdSet?

    public init(options: ReadOptions, seenMessages: MessageIdSet? = MessageIdSet()) {
        self.options = options
        self.seenMessages = seenMessages
        self.decoder = RecordDecoder(fallbackKind: options.fallbackKind, maxPayloadBytes: options.maxPayloadBytes,
                                     payloadNeeds: options.payloadNeeds)
        self.decoder.keepOtherFields = options.keepOtherFields
        self.decoder.keepMessages = options.keepMessages
    }

    /// Reads `item` to the end (or until `handle` returns false). Returns false if reading was stopped.
    @discardableResult
    public mutating func read(_ item: InputItem, _ handle: (ReaderEvent) -> Bool) -> Bool {
        var stats = FileStatistics(path: item.displayPath)
        let fd: Int32
        switch item.location {
        case .standardInput:
            fd = STDIN_FILENO
        case .file(let path):
            fd = path.openReadOnly()
            if fd < 0 {
                stats.error = .cannotOpen(String(cString: strerror(errno)))
                return handle(.finished(stats))
            }
        }
        let raw = FileDescriptorSource(fd: fd, closeOnDeinit: item.location != .standardInput)
        raw.progress = options.progress
        defer { options.progress?.addFile() }
        return read(source: raw, displayPath: item.displayPath, bytesRead: { raw.bytesRead }, handle)
    }

    /// Reads an already open source; `bytesRead` reports how many raw bytes it consumed.
    @discardableResult
    public mutating func read(source raw: ByteSource, displayPath: String,
                              bytesRead: () -> Int64, _ handle: (ReaderEvent) -> Bool) -> Bool {
        var stats = FileStatistics(path: displayPath)
        let file = SourceFile(path: displayPath)
        var keepGoing = true
        do {
            let (opened, compression) = try DecodedStream.open(raw)
            stats.compression = compression
            let decoded = options.prefetch && compression == .gzip ? PrefetchSource(upstream: opened) : opened
            let frames = FrameReader(source: decoded, maxRecordBytes: options.maxRecordBytes)
            defer {
                stats.lines = frames.lines
                stats.blankLines = frames.blankLines
            }
            let decoder = self.decoder
            try frames.run { event in
                switch event {
                case .malformed(let line, let reason, let trailing):
                    keepGoing = handle(.malformed(MalformedLine(file: displayPath, line: line, reason: reason, trailing: trailing)))
                case .object(let frame):
                    func report(_ values: [String], _ payload: String?, line: Int) -> Bool {
                        for problem in FailureRecord.problems(values, payload: payload) {
                            keepGoing = handle(.payloadProblem(file: displayPath, line: line, problem: problem))
                            if !keepGoing { return false }
                        }
                        return true
                    }
                    func deliver(_ record: FailureRecord) {
                        guard keepGoing else { return }
                        guard let seenMessages else {
                            options.progress?.addRecord()
                            keepGoing = handle(.record(record))
                            return
                        }
                        if let id = record.messageId {
                            switch seenMessages.check(id, digest: record.messageBodyDigest, file: displayPath, line: record.line) {
                            case .first: break
                            case .repeated:
                                keepGoing = handle(.repeated(file: displayPath, line: record.line, id: id))
                                return
                            case .conflict(let earlier):
                                keepGoing = handle(.conflict(file: displayPath, line: record.line, id: id, earlier: earlier))
                                if !keepGoing { return }
                            }
                        }
                        // The fields, not the record: see `FailureRecord.problems`.
                        if !record.valueProblems.isEmpty || record.payload.problem != nil,
                           !report(record.valueProblems, record.payload.problem, line: record.line) { return }
                        options.progress?.addRecord()
                        keepGoing = handle(.record(record))
                    }
                    if let reason = decoder.decode(frame, file: file, each: deliver) {
                        keepGoing = handle(.malformed(MalformedLine(file: displayPath, line: frame.line, reason: reason, trailing: frame.followsObject)))
                    }
                }
                return keepGoing
            }
        } catch {
            stats.error = error
        }
        stats.bytesRead = bytesRead()
        if !keepGoing { return false }
        return handle(.finished(stats))
    }
}

/// The SQS message ids met in a run, each with the bodies read under it and where each was first read:
/// dumps overlap after visibility timeouts (the same message again, a repeat), but a MessageId with another
/// body is a different message (hand-edited dumps, several queues mixed) and must not vanish as a repeat.
struct MessageIdBook {
    enum Verdict: Equatable {
        case first
        case repeated
        /// Another body than any read before under this id; `earlier` is where the first was read.
        case conflict(earlier: String)
    }

    /// Where an id was first read and its bodies' digests. Nearly every id has one body, so the first digest
    /// is kept inline and `others` stays empty: no array is allocated per message.
    private struct Entry {
        var file: String
        var line: Int
        var digest: UInt64?
        var others: [UInt64?] = []
    }

    private var seen: [String: Entry] = [:]

    mutating func check(_ id: String, digest: UInt64?, file: String, line: Int) -> Verdict {
        guard let entry = seen[id] else {
            seen[id] = Entry(file: file, line: line, digest: digest)
            return .first
        }
        if entry.digest == digest || entry.others.contains(digest) { return .repeated }
        seen[id]!.others.append(digest)
        return .conflict(earlier: "\(entry.file):\(entry.line)")
    }
}

/// A `MessageIdBook` shared by the readers of one run.
public final class MessageIdSet: @unchecked Sendable {
    // @unchecked: the book is only touched under `lock`.
    private var book = MessageIdBook()
    private let lock = Lock()
    public init() {}
    func check(_ id: String, digest: UInt64?, file: String, line: Int) -> MessageIdBook.Verdict {
        lock.withLock { book.check(id, digest: digest, file: file, line: line) }
    }
}
