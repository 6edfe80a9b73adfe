import DeadLetterBytes

/// One line of a shard's `dedupe-keys.ndjson`: a record a `backfill --shard I/N --dedupe` wrote, where its
/// items lie in which file, and the key that finds its repeats. Items do not carry the natural id the key
/// comes from (a Firehose or Splunk item is the payload alone), so `merge --dedupe` finds repeats across
/// shards by these lines, and drops them by cutting their bytes out of the files.
///
/// `{"file":"raw-shard-1-of-3-00001.txt","start":0,"end":57,"items":1,"unit":12,"key":"<sha256 hex>"}`
/// (`"file":null` and no span for a record refused as too large), plus `"arrival"` (the latest arrival of its items, for targets whose files carry a time) and
/// `"possiblyDelivered": true` (Splunk.AckTimeout) when they apply.
public struct WrittenRecord: Sendable, Equatable {
    /// The file name beside the manifest; nil for a record refused as too large for any file, whose key
    /// still counts (a single run keeps the key of the first copy it meets, written or not).
    public var file: String?
    /// Where the record's items lie in the file's body (the bytes between header and footer), separators
    /// between its own items included.
    public var start: Int
    public var end: Int
    public var items: Int
    /// The place of the record's file or object in the whole listing: ordering by it (and by the order
    /// within a shard) is the order one run over everything reads in, so the occurrence kept across shards
    /// is the one a single `backfill --dedupe` keeps.
    public var unit: Int
    public var arrival: Int64?
    public var possiblyDelivered: Bool
    /// nil: the record has nothing to find its repeats by, and is never dropped.
    public var key: DedupeKey?

    public static let fileName = "dedupe-keys.ndjson"
    static let maxOffset = 1 << 48
    static let maxItems = 1 << 32

    /// Whether the record is in a file (rather than refused as too large).
    public var isWritten: Bool { file != nil }

    public init(file: String?, start: Int, end: Int, items: Int, unit: Int, arrival: Int64?, possiblyDelivered: Bool, key: DedupeKey?) {
        (self.file, self.start, self.end, self.items, self.unit) = (file, start, end, items, unit)
        (self.arrival, self.possiblyDelivered, self.key) = (arrival, possiblyDelivered, key)
    }

    public var line: String {
        var out = "{\"file\":\(JSONOutput.quoteOrNull(file)),\"start\":\(start),\"end\":\(end),\"items\":\(items),\"unit\":\(unit)"
        if let arrival { out += ",\"arrival\":\(arrival)" }
        if possiblyDelivered { out += ",\"possiblyDelivered\":true" }
        out += ",\"key\":" + (key.map { "\"\($0.hex)\"" } ?? "null") + "}\n"
        return out
    }

    /// Reads a line back, or says why it is not one `line` writes (the file can be edited). Hand-read with
    /// the scanner, not JSONDecoder: `merge --dedupe` reads every line several times, and the decoder's
    /// cost per line made it slower than the backfill that wrote them.
    public static func parse(_ line: [UInt8], scanner: inout JSONScanner, members: inout [ScannedMember]) -> Result<WrittenRecord, LineProblem> {
        let notALine = LineProblem("not a line of \(fileName)")
        return line.withUnsafeBufferPointer { buffer -> Result<WrittenRecord, LineProblem> in
            guard let base = buffer.baseAddress, let first = JSONText.firstNonWhitespace(buffer), buffer[first] == UInt8(ascii: "{"),
                  case .complete = scanner.scan(base, start: first, end: buffer.count, atEOF: true, members: &members) else { return .failure(notALine) }
            var file: String?, key: String?, arrival: Int64?
            var start: Int64?, end: Int64?, items: Int64?, unit: Int64?
            var possiblyDelivered = false
            for member in members {
                let name = JSONText.string(buffer, member.keyStart, member.keyEnd, escaped: member.keyEscaped)
                let text = { JSONText.string(buffer, member.valueStart, member.valueEnd, escaped: member.valueEscaped) }
                let number = { member.valueKind == .number ? JSONText.integer(buffer, member.valueStart, member.valueEnd) : nil }
                switch (name, member.valueKind) {
                case ("file", .string): file = text()
                case ("file", .null), ("key", .null): break
                case ("key", .string): key = text()
                case ("start", _): start = number()
                case ("end", _): end = number()
                case ("items", _): items = number()
                case ("unit", _): unit = number()
                case ("arrival", _): arrival = number()
                case ("possiblyDelivered", .bool): possiblyDelivered = buffer[member.valueStart] == UInt8(ascii: "t")
                default: return .failure(notALine)
                }
            }
            guard let start, let end, let items, let unit else { return .failure(notALine) }
            // Bounded so that no sum or offset made from them can overflow.
            let inFile = file != nil
            guard start >= 0, end <= Int64(Self.maxOffset), unit >= 0, items >= 0, items <= Int64(Self.maxItems),
                  inFile ? end > start && items >= 1 : start == 0 && end == 0 && items == 0 else {
                return .failure(LineProblem("start, end, items or unit out of range"))
            }
            var parsedKey: DedupeKey?
            if let key {
                guard let value = DedupeKey(hex: key) else { return .failure(LineProblem("key is not 64 hexadecimal digits")) }
                parsedKey = value
            }
            return .success(WrittenRecord(file: file, start: Int(start), end: Int(end), items: Int(items), unit: Int(unit),
                                          arrival: arrival, possiblyDelivered: possiblyDelivered, key: parsedKey))
        }
    }

    /// The key log as the manifest names it: its size and hash, checked before it is trusted.
    public struct LogFile: Sendable, Equatable {
        public var name: String
        public var bytes: Int
        public var sha256: String
    }

    public struct LineProblem: Error, Sendable { public var reason: String; init(_ reason: String) { self.reason = reason } }
}

/// Writes a key log into an output, hashing it as it goes: its manifest records its size and SHA-256.
final class WrittenRecordLogWriter {
    private let appender: OutputDirectory.Appender
    private var digest = Digest.Incremental()
    private var bytes = 0

    init(in output: any OutputFiles) throws(BackfillFailure) {
        appender = try output.appender(name: WrittenRecord.fileName)
    }

    func append(_ record: WrittenRecord) throws(BackfillFailure) {
        let line = Array(record.line.utf8)
        try appender.append(line)
        line.withUnsafeBufferPointer { digest.update($0) }
        bytes += line.count
    }

    /// Flushes the log to disk; what the manifest says of it.
    func finish() throws(BackfillFailure) -> WrittenRecord.LogFile {
        try appender.finish()
        return WrittenRecord.LogFile(name: WrittenRecord.fileName, bytes: bytes, sha256: digest.finalizeHex())
    }
}

/// A SHA-256 de-duplication key held in four words: millions of them are kept at once by `merge --dedupe`,
/// and an array each would cost a heap allocation apiece.
public struct DedupeKey: Hashable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64)

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        func word(_ at: Int) -> UInt64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        words = (word(0), word(8), word(16), word(24))
    }

    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[i]), let low = Self.nibble(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    public var hex: String {
        [words.0, words.1, words.2, words.3].map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    public static func == (a: DedupeKey, b: DedupeKey) -> Bool { a.words == b.words }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
