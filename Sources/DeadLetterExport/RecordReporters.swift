import DeadLetterBytes
import DeadLetterRecords
import DeadLetterSupport
/// Output formats of `records`.
public enum RecordsFormat: String, CaseIterable, Sendable {
    case ndjson, csv, json
}

/// One reporter per format, all streaming. Rendering a record is pure, so it runs on the threads that
/// read; writing the rendered bytes keeps the state of the output (the header, the separators) and runs
/// in input order.
public protocol RecordReporter: Sendable {
    /// The bytes of one record's rows: the record itself, or with `explode` one row per log event.
    func render(_ record: FailureRecord, rows builder: RowBuilder, explode: Bool) -> [UInt8]
    mutating func write(rendered: [UInt8], to out: BufferedOutput)
    mutating func finish(_ out: BufferedOutput)
}

/// Writes cells as the members of one JSON object, each after its key (rendered once per kind of row).
struct JSONObjectWriter: CellSink {
    private let keys: RowKeys
    private var index = 0
    private var out: [UInt8] = []

    /// Starts an object at the end of `bytes`, taking the buffer over (no copy); `close` hands it back.
    init(keys: RowKeys, appendingTo bytes: inout [UInt8]) {
        self.keys = keys
        swap(&out, &bytes)
        if keys.isEmpty { out.append(UInt8(ascii: "{")) }
    }

    /// The first of the null cells not written yet: a run of them is written in one go.
    private var nullsFrom: Int?

    private mutating func writeNulls() {
        if let first = nullsFrom {
            keys.appendNulls(first..<index, to: &out)
            nullsFrom = nil
        }
    }

    private mutating func key() {
        writeNulls()
        keys.appendKey(index, to: &out)
        index += 1
    }

    mutating func null() {
        if nullsFrom == nil { nullsFrom = index }
        index += 1
    }

    mutating func string(_ s: String) {
        key()
        JSONOutput.appendQuoted(s, to: &out)
    }

    mutating func number(_ n: Int64) {
        key()
        JSONOutput.appendInteger(n, to: &out)
    }

    mutating func json(_ j: String) {
        key()
        out.append(contentsOf: j.utf8)
    }

    mutating func timestamp(_ ms: Int64) {
        key()
        out.append(0x22)
        UTCTime.appendRFC3339(ms, to: &out)
        out.append(0x22)
    }

    /// Writes the closing brace and hands the buffer back.
    consuming func close(into bytes: inout [UInt8]) {
        writeNulls()
        out.append(UInt8(ascii: "}"))
        swap(&out, &bytes)
    }
}

extension RowBuilder {
    /// A record's rows as JSON objects, each after `before` and followed by `after`. The full record is
    /// written straight from its fields; event rows (`explode`) repeat the record's cells, so they are
    /// collected first.
    func appendJSON(_ record: FailureRecord, explode: Bool, before: [UInt8], after: [UInt8], to bytes: inout [UInt8]) {
        if !explode {
            bytes.append(contentsOf: before)
            var writer = JSONObjectWriter(keys: recordKeys, appendingTo: &bytes)
            emit(record, into: &writer)
            writer.close(into: &bytes)
            bytes.append(contentsOf: after)
            return
        }
        for row in eventRows(record) {
            bytes.append(contentsOf: before)
            var writer = JSONObjectWriter(keys: row.keys, appendingTo: &bytes)
            for cell in row.cells { writer.cell(cell) }
            writer.close(into: &bytes)
            bytes.append(contentsOf: after)
        }
    }
}

/// One JSON object per line.
public struct NDJSONReporter: RecordReporter {
    private static let newline: [UInt8] = [0x0A]

    public init() {}

    public func render(_ record: FailureRecord, rows builder: RowBuilder, explode: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2048)
        builder.appendJSON(record, explode: explode, before: [], after: Self.newline, to: &bytes)
        return bytes
    }

    public mutating func write(rendered: [UInt8], to out: BufferedOutput) {
        rendered.withUnsafeBufferPointer { out.write(bytes: $0) }
    }

    public mutating func finish(_ out: BufferedOutput) {}
}

/// One JSON array, streamed element by element.
public struct JSONReporter: RecordReporter {
    private static let separator: [UInt8] = Array(",\n".utf8)
    private var started = false

    public init() {}

    /// Each object after a separator; the first written has its separator replaced by the opening bracket.
    public func render(_ record: FailureRecord, rows builder: RowBuilder, explode: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2048)
        builder.appendJSON(record, explode: explode, before: Self.separator, after: [], to: &bytes)
        return bytes
    }

    public mutating func write(rendered: [UInt8], to out: BufferedOutput) {
        guard !rendered.isEmpty else { return }
        rendered.withUnsafeBufferPointer { bytes in
            if started {
                out.write(bytes: bytes)
            } else {
                out.write("[\n")
                out.write(bytes: UnsafeBufferPointer(rebasing: bytes[Self.separator.count...]))
                started = true
            }
        }
    }

    public mutating func finish(_ out: BufferedOutput) {
        out.write(started ? "\n]\n" : "[]\n")
    }
}

/// RFC 4180 CSV with a header row; cells that could run as spreadsheet formulas are neutralised.
public struct CSVReporter: RecordReporter {
    private let header: [String]
    private var headerWritten = false

    /// `header`: the column names, written once, before the first row (or alone when there is none).
    public init(header: [String]) { self.header = header }

    public func render(_ record: FailureRecord, rows builder: RowBuilder, explode: Bool) -> [UInt8] {
        var text = ""
        for row in explode ? builder.eventRows(record) : [builder.row(record)] {
            text += CSVOutput.row(row.cells.map(\.csvText))
        }
        return Array(text.utf8)
    }

    public mutating func write(rendered: [UInt8], to out: BufferedOutput) {
        writeHeader(out)
        rendered.withUnsafeBufferPointer { out.write(bytes: $0) }
    }

    public mutating func finish(_ out: BufferedOutput) { writeHeader(out) }

    private mutating func writeHeader(_ out: BufferedOutput) {
        guard !headerWritten else { return }
        headerWritten = true
        out.write(CSVOutput.row(header.map { CSVOutput.cell($0) }))
    }
}
